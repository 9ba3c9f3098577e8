/* SPDX-License-Identifier: MIT */
/*
 * Files. The restorer opens every file of the image itself (and builds
 * the pipes, refilled with their bytes); each process then takes its fds
 * with pidfd_getfd() run inside it, which gives it the very open file
 * description, so fds that shared one (dup, inheritance, the two ends of a
 * pipe in a tree) share it again. Each fd is then moved to its number.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "internal.h"

static int open_pipe(struct rst *r, const struct st_pipe *pi, int ret_fds[2])
{
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return glue_err(-errno, "pipe %u: cannot create it", pi->id);
	if (pi->capacity && fcntl(p[1], F_SETPIPE_SZ, pi->capacity) < 0)
		glue_warn("pipe %u: cannot set its capacity to %u: %s", pi->id, pi->capacity,
			  strerror(errno));
	if (pi->len && write(p[1], pi->data, pi->len) != (ssize_t)pi->len) {
		int e = glue_err(-errno, "pipe %u: cannot refill it with %zu bytes", pi->id,
				 pi->len);

		close(p[0]);
		close(p[1]);
		return e;
	}
	(void)r;
	ret_fds[0] = p[0];
	ret_fds[1] = p[1];
	return 0;
}

int restore_open_files(struct rst *r)
{
	int (*pipe_fds)[2] = calloc(r->img.npipes + 1, sizeof(*pipe_fds));
	int e = 0;

	r->files_fd = malloc((r->img.nfiles + 1) * sizeof(int));
	if (!r->files_fd || !pipe_fds) {
		free(pipe_fds);
		return -ENOMEM;
	}
	for (size_t i = 0; i < r->img.nfiles; i++)
		r->files_fd[i] = -1;
	for (size_t i = 0; i < r->img.npipes; i++)
		pipe_fds[i][0] = pipe_fds[i][1] = -1;
	for (size_t i = 0; i < r->img.npipes && e == 0; i++)
		e = open_pipe(r, &r->img.pipes[i], pipe_fds[i]);

	for (size_t i = 0; i < r->img.nfiles && e == 0; i++) {
		const struct st_file *f = &r->img.files[i];
		int acc = f->flags & O_ACCMODE, fd;

		switch (f->type) {
		case ST_FILE_PIPE: {
			size_t k;

			for (k = 0; k < r->img.npipes; k++)
				if (r->img.pipes[k].id == f->pipe_id)
					break;
			if (k == r->img.npipes) {
				e = glue_err(-EINVAL, "file %u: pipe %u is not in the image", f->id,
					     f->pipe_id);
				break;
			}
			/* fcntl works on the open file description: both ends carry
			 * their own status flags, set here for the process too */
			fd = fcntl(pipe_fds[k][acc == O_RDONLY ? 0 : 1], F_DUPFD_CLOEXEC, 0);
			if (fd < 0 ||
			    fcntl(fd, F_SETFL, f->flags & ~(O_ACCMODE | O_CLOEXEC)) < 0) {
				e = glue_err(-errno, "file %u: pipe %u", f->id, f->pipe_id);
				break;
			}
			/* two descriptions of one end would share flags: fine for a
			 * first version, as both came from the same pipe end */
			r->files_fd[i] = fd;
			break;
		}
		case ST_FILE_DIRECTORY:
		case ST_FILE_REGULAR:
		case ST_FILE_CHARDEV:
			fd = open(f->path,
				  (f->flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY)) | O_CLOEXEC);
			if (fd < 0) {
				e = glue_err(-errno, "file %u: cannot open %s", f->id, f->path);
				break;
			}
			r->files_fd[i] = fd;
			if (f->type == ST_FILE_REGULAR && lseek(fd, f->pos, SEEK_SET) < 0)
				e = glue_err(-errno, "file %u: %s: cannot seek to %llu", f->id,
					     f->path, (unsigned long long)f->pos);
			if (f->type == ST_FILE_DIRECTORY && f->pos)
				lseek(fd, f->pos, SEEK_SET);
			break;
		}
	}
	for (size_t i = 0; i < r->img.npipes; i++) {
		if (pipe_fds[i][0] >= 0)
			close(pipe_fds[i][0]);
		if (pipe_fds[i][1] >= 0)
			close(pipe_fds[i][1]);
	}
	free(pipe_fds);
	return e;
}

void restore_close_files(struct rst *r)
{
	if (!r->files_fd)
		return;
	for (size_t i = 0; i < r->img.nfiles; i++)
		if (r->files_fd[i] >= 0)
			close(r->files_fd[i]);
	free(r->files_fd);
	r->files_fd = NULL;
}

/* The first fd number above every fd the process will have. */
static int fd_base(const struct st_process *p)
{
	int base = 3;

	for (size_t i = 0; i < p->nfds; i++)
		if (p->fds[i].num + 1 > base)
			base = p->fds[i].num + 1;
	return base;
}

int restore_pull_fd(struct rst *r, struct rproc *rp, int my_fd, long *ret_fd)
{
	long res;

	(void)r;
	if (rp->pidfd < 0) {
		long pidfd = INJECT(&rp->in, SYS_pidfd_open, getpid(), 0);

		if (pidfd < 0)
			return glue_err(pidfd, "pid %d: pidfd_open of the restorer", rp->pid);
		rp->fd_base = fd_base(rp->p);
		/* keep it above every number the process will use */
		res = INJECT(&rp->in, SYS_fcntl, pidfd, F_DUPFD_CLOEXEC, rp->fd_base);
		INJECT(&rp->in, SYS_close, pidfd);
		if (res < 0)
			return glue_err(res, "pid %d: cannot move an fd above %d", rp->pid,
					rp->fd_base);
		rp->pidfd = res;
	}
	res = INJECT(&rp->in, SYS_pidfd_getfd, rp->pidfd, my_fd, 0);
	if (res < 0)
		return glue_err(res, "pid %d: pidfd_getfd", rp->pid);
	*ret_fd = res;
	return 0;
}

int restore_fds(struct rst *r, struct rproc *rp)
{
	const struct st_process *p = rp->p;

	for (size_t i = 0; i < p->nfds; i++) {
		const struct st_fd *fd = &p->fds[i];
		const struct st_file *f = st_find_file(&r->img, fd->file_id);
		long tfd, res;
		int e;

		if (!f || r->files_fd[f - r->img.files] < 0)
			return glue_err(-EINVAL, "pid %d fd %d: file %u is not in the image", rp->pid,
					fd->num, fd->file_id);
		e = restore_pull_fd(r, rp, r->files_fd[f - r->img.files], &tfd);
		if (e < 0)
			return e;
		if (tfd == fd->num) {
			res = INJECT(&rp->in, SYS_fcntl, tfd, F_SETFD, fd->cloexec ? FD_CLOEXEC : 0);
		} else {
			res = INJECT(&rp->in, SYS_dup3, tfd, fd->num, fd->cloexec ? O_CLOEXEC : 0);
			INJECT(&rp->in, SYS_close, tfd);
		}
		if (res < 0)
			return glue_err(res, "pid %d fd %d (%s %s): cannot put it in place", rp->pid,
					fd->num, st_file_type_name(f->type),
					f->path ? f->path : "");
	}
	return 0;
}
