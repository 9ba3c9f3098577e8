/* SPDX-License-Identifier: MIT */
/*
 * Anonymous pipes: each end is a file record naming the pipe record that
 * carries the bytes buffered in the pipe, copied once per pipe (pipe.h).
 * A pipe comes back whole if both of its ends are in the selection, or one
 * of them is and every process has closed the other (it is closed again).
 * At restore the restorer makes every pipe, refilled with its bytes, before
 * it opens the first file; each end is a new open file description of its
 * side (so it carries its own status flags); the pipes' own fds are closed
 * once every file is open.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"
#include "pipe.h"

struct pipe_image {
	struct pipe_record *pipes;
	size_t n;
};

static const struct meta_field pipe_record_fields[] = {
	META_U32(FM_PI_ID, struct pipe_record, id, META_REQUIRED | META_UNIT),
	META_U32(FM_PI_CAPACITY, struct pipe_record, capacity, 0),
	META_BYTES(FM_PI_DATA, struct pipe_record, data, len, 0),
	{ 0 },
};

static const struct meta_node pipe_node = {
	.name = FM_PIPE, .size = sizeof(struct pipe_record), .fields = pipe_record_fields,
};

static const struct meta_field pipe_image_fields[] = {
	META_NODES(FM_PIPES, struct pipe_image, pipes, n, &pipe_node, 0),
	{ 0 },
};

const struct meta_field pipe_end_fields[] = {
	META_U32(FM_F_PIPE, struct pipe_end, pipe_id, META_REQUIRED),
	{ 0 },
};

extern const struct kind kind_pipe;

/* ---- checkpoint ---- */

struct pipe_record *pipe_new_record(struct ckpt *c, uint64_t ino)
{
	struct pipe_image *pi = kind_image_data(&c->img, &kind_pipe);
	struct pipe_record *pr = pi ? ST_PUSH(pi->pipes, pi->n) : NULL;

	if (!pr)
		return NULL;
	pr->id = pi->n;
	pr->ino = ino;
	return pr;
}

int pipe_dump_contents(pid_t pid, int fd, struct pipe_record *pipe_rec)
{
	char path[64];
	int rfd, p[2] = { -1, -1 }, r = 0;
	int cap;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (rfd < 0)
		return log_error_errno(-errno, "pid %d fd %d: cannot open the pipe", pid, fd);
	cap = fcntl(rfd, F_GETPIPE_SZ);
	if (cap < 0) {
		r = log_error_errno(-errno, "pid %d fd %d: cannot read the pipe's capacity", pid, fd);
		goto out;
	}
	pipe_rec->capacity = cap;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0 || fcntl(p[1], F_SETPIPE_SZ, cap) < cap) {
		r = log_error_errno(-errno, "pid %d fd %d: cannot make a pipe to copy into", pid, fd);
		goto out;
	}
	pipe_rec->data = malloc(cap);
	if (!pipe_rec->data) {
		r = -ENOMEM;
		goto out;
	}
	{
		ssize_t n = tee(rfd, p[1], cap, SPLICE_F_NONBLOCK), got = 0;

		if (n < 0 && errno != EAGAIN) {
			r = log_error_errno(-errno, "pid %d fd %d: cannot copy the pipe's contents", pid,
				     fd);
			goto out;
		}
		while (n > 0 && got < n) {
			ssize_t k = read(p[0], pipe_rec->data + got, n - got);

			if (k <= 0) {
				r = log_error_errno(k < 0 ? -errno : -EIO, "pid %d fd %d: pipe copy", pid,
					     fd);
				goto out;
			}
			got += k;
		}
		pipe_rec->len = got;
	}
out:
	close(rfd);
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	return r;
}

static bool pipe_match(const struct fd_probe *fd)
{
	return S_ISFIFO(fd->st.st_mode) && strncmp(fd->link, "pipe:", 5) == 0;
}

static int pipe_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f)
{
	struct pipe_image *pi = kind_image_data(&c->img, &kind_pipe);
	struct pipe_end *end = f->kind_data;
	struct pipe_record *pr = NULL;
	int acc = fd->flags & O_ACCMODE, r = 0;

	for (size_t i = 0; pi && i < pi->n && !pr; i++)
		if (pi->pipes[i].anonymous && pi->pipes[i].ino == fd->st.st_ino)
			pr = &pi->pipes[i];
	if (!pr) {
		pr = pipe_new_record(c, fd->st.st_ino);
		if (!pr)
			return -ENOMEM;
		pr->anonymous = true;
		pr->pid = fd->pid;
		pr->fd = fd->fd;
		r = pipe_dump_contents(fd->pid, fd->fd, pr);
	}
	pr->read_end |= acc == O_RDONLY || acc == O_RDWR;
	pr->write_end |= acc == O_WRONLY || acc == O_RDWR;
	end->pipe_id = pr->id;
	return r;
}

/*
 * Has every process closed the other end of the pipe @pr holds one end of?
 * Asked of a copy of that end (which adds no reader nor writer): a read
 * end with no writer left polls POLLHUP, a write end with no reader
 * POLLERR.
 */
static int other_end_closed(const struct pipe_record *pr, bool *ret)
{
	struct pollfd p = { .events = POLLIN | POLLOUT };
	int fd = dump_borrow_fd(pr->pid, pr->fd);

	if (fd < 0)
		return log_error_errno(fd, "pid %d fd %d: cannot take a copy of the pipe", pr->pid, pr->fd);
	p.fd = fd;
	if (poll(&p, 1, 0) < 0) {
		int e = log_error_errno(-errno, "pid %d fd %d: poll", pr->pid, pr->fd);

		close(fd);
		return e;
	}
	close(fd);
	*ret = p.revents & (pr->read_end ? POLLHUP : POLLERR);
	return 0;
}

/* A pipe comes back whole if both of its ends are in the selection, or if
 * the one outside it is closed everywhere (restore closes it too). */
static int pipe_dump_check(struct ckpt *c)
{
	struct pipe_image *pi = kind_image_data_if(&c->img, &kind_pipe);

	for (size_t i = 0; pi && i < pi->n; i++) {
		const struct pipe_record *pr = &pi->pipes[i];
		bool closed = false;
		int r;

		if (!pr->anonymous || (pr->read_end && pr->write_end))
			continue;
		r = other_end_closed(pr, &closed);
		if (r < 0)
			return r;
		if (closed)
			continue;
		ckpt_unsupported(c, "pid %d fd %d: pipe:[%llu]: its %s end is held outside the "
				 "checkpoint (pipes to other processes are not supported yet)",
				 pr->pid, pr->fd, (unsigned long long)pr->ino,
				 pr->read_end ? "write" : "read");
	}
	return 0;
}

/* ---- restore ---- */

const struct pipe_record *pipe_record_of(const struct st_image *img, const struct st_file *f)
{
	const struct pipe_image *pi = kind_image_data_if(img, &kind_pipe);
	const struct pipe_end *end = f->kind_data;

	for (size_t k = 0; pi && k < pi->n; k++)
		if (pi->pipes[k].id == end->pipe_id)
			return &pi->pipes[k];
	log_error_errno(-EINVAL, "file %u: pipe %u is not in the image", f->id, end->pipe_id);
	return NULL;
}

/* The restorer's fds of each pipe record, by index. */
struct pipe_fds {
	int (*fds)[2];
	size_t n;
};

int *pipe_restore_fds(struct rst *r, const struct st_file *f)
{
	const struct pipe_image *pi = kind_image_data_if(&r->img, &kind_pipe);
	struct pipe_fds *pf = rst_kind_state(r, &kind_pipe, 0);
	const struct pipe_record *pr = pipe_record_of(&r->img, f);

	if (!pr || !pf)
		return NULL;
	return pf->fds[pr - pi->pipes];
}

/* Is pipe record @id the pipe of a named FIFO (an end of another kind)? */
static bool named(const struct st_image *img, uint32_t id)
{
	for (size_t i = 0; i < img->nfiles; i++) {
		const struct st_file *f = &img->files[i];

		if (f->kind && f->kind != &kind_pipe && f->kind->file_fields == pipe_end_fields &&
		    ((const struct pipe_end *)f->kind_data)->pipe_id == id)
			return true;
	}
	return false;
}

static int make_pipe(const struct pipe_record *pi, int ret_fds[2])
{
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return log_error_errno(-errno, "pipe %u: cannot create it", pi->id);
	if (pi->capacity && fcntl(p[1], F_SETPIPE_SZ, pi->capacity) < 0)
		log_warning("pipe %u: cannot set its capacity to %u: %s", pi->id, pi->capacity,
			  strerror(errno));
	if (pi->len && write(p[1], pi->data, pi->len) != (ssize_t)pi->len) {
		int e = log_error_errno(-errno, "pipe %u: cannot refill it with %zu bytes", pi->id,
				 pi->len);

		close(p[0]);
		close(p[1]);
		return e;
	}
	ret_fds[0] = p[0];
	ret_fds[1] = p[1];
	return 0;
}

/* Every anonymous pipe, before the first file is opened. */
static int pipe_restore_begin(struct rst *r)
{
	const struct pipe_image *pi = kind_image_data_if(&r->img, &kind_pipe);
	size_t n = pi ? pi->n : 0;
	struct pipe_fds *pf = rst_kind_state(r, &kind_pipe, sizeof(*pf));
	int e = 0;

	if (!pf)
		return -ENOMEM;
	pf->fds = calloc(n + 1, sizeof(*pf->fds));
	if (!pf->fds)
		return -ENOMEM;
	pf->n = n;
	for (size_t i = 0; i < n; i++)
		pf->fds[i][0] = pf->fds[i][1] = -1;
	for (size_t i = 0; i < n && e == 0; i++)
		if (!named(&r->img, pi->pipes[i].id))
			e = make_pipe(&pi->pipes[i], pf->fds[i]);
	return e;
}

static int pipe_open(struct rst *r, const struct st_file *f)
{
	int acc = f->flags & O_ACCMODE, fd, e;
	int *fds = pipe_restore_fds(r, f);

	if (!fds)
		return -EINVAL;
	/* a description of its own, opened through /proc (the other end is
	 * open, so this does not wait), with its own status flags; O_ASYNC
	 * is kinds/sigio.c's, once its owner exists */
	fd = reopen_fd(fds[acc == O_RDONLY ? 0 : 1], acc | O_NONBLOCK);
	if (fd < 0 || fcntl(fd, F_SETFL, f->flags & ~(O_ACCMODE | O_CLOEXEC | O_ASYNC)) < 0) {
		e = log_error_errno(fd < 0 ? fd : -errno, "file %u: pipe %u: cannot open its %s end with "
			     "status flags %#o", f->id,
			     ((const struct pipe_end *)f->kind_data)->pipe_id,
			     acc == O_RDONLY ? "read" : "write",
			     f->flags & ~(O_ACCMODE | O_CLOEXEC));
		if (fd >= 0)
			close(fd);
		return e;
	}
	return fd;
}

/* Every open of every pipe and FIFO is made: the pipes' own fds go. */
static int pipe_restore_opened(struct rst *r)
{
	struct pipe_fds *pf = rst_kind_state(r, &kind_pipe, 0);

	for (size_t i = 0; pf && i < pf->n; i++)
		for (int k = 0; k < 2; k++)
			if (pf->fds[i][k] >= 0) {
				close(pf->fds[i][k]);
				pf->fds[i][k] = -1;
			}
	return 0;
}

/*
 * Its capacity and the bytes in it, from a copy of the end (which adds no
 * reader nor writer); an end of a named FIFO is its kind's, by path.
 */
static int pipe_verify(struct rst *r, struct rproc *rp, int fd, const struct st_file *f,
		       const char *fdinfo)
{
	const struct pipe_record *pr = pipe_record_of(&r->img, f);
	int pidfd = syscall(SYS_pidfd_open, rp->pid, 0), copy, cap, queued = 0, e = 0;

	(void)fdinfo;
	if (!pr || pidfd < 0)
		return pr ? log_error_errno(-errno, "pid %d: pidfd_open", rp->pid) : -EINVAL;
	copy = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	close(pidfd);
	if (copy < 0)
		return log_error_errno(-errno, "pid %d fd %d: cannot take a copy of the pipe", rp->pid, fd);
	cap = fcntl(copy, F_GETPIPE_SZ);
	if (ioctl(copy, FIONREAD, &queued) < 0)
		e = log_error_errno(-errno, "pid %d fd %d: FIONREAD", rp->pid, fd);
	else if (pr->capacity && cap != (int)pr->capacity)
		e = verify_differs(rp, "fd %d (pipe %u): its capacity is %d, not %u", fd, pr->id,
				   cap, pr->capacity);
	else if ((size_t)queued != pr->len)
		e = verify_differs(rp, "fd %d (pipe %u): it holds %d bytes, not %zu", fd, pr->id,
				   queued, pr->len);
	close(copy);
	return e;
}

static void pipe_restore_end(struct rst *r)
{
	struct pipe_fds *pf = rst_kind_state(r, &kind_pipe, 0);

	if (!pf)
		return;
	pipe_restore_opened(r);
	free(pf->fds);
	pf->fds = NULL;
	pf->n = 0;
}

static const struct inv_claim pipe_claims[] = {
	INV_CLAIM(INV_FD, "filesystem"), /* its own, not opened by path */
	INV_CLAIMS_END,
};

const struct kind kind_pipe = {
	.name = "pipe",
	.claims = pipe_claims,
	.match = pipe_match,
	.dump = pipe_dump,
	.dump_check = pipe_dump_check,
	.file_size = sizeof(struct pipe_end),
	.file_fields = pipe_end_fields,
	.image_size = sizeof(struct pipe_image),
	.image_fields = pipe_image_fields,
	.restore_begin = pipe_restore_begin,
	.open = pipe_open,
	.restore_opened = pipe_restore_opened,
	.verify = pipe_verify,
	.restore_end = pipe_restore_end,
};
