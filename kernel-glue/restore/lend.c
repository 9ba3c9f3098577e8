/* SPDX-License-Identifier: MIT */
/*
 * What the kinds use of a process being rebuilt: its trampoline's data page
 * for the arguments of an injected system call, the restorer's files handed
 * into it (pidfd_getfd run inside it), a new open of a file the restorer
 * made, the status flags of a new file, a thread's signal mask, and room
 * for what a kind keeps during the restore.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "internal.h"

#define P PAGE_SIZE_4K

int tramp_data(struct rproc *rp, size_t off, const void *buf, size_t len, uint64_t *ret_addr)
{
	uint64_t addr = rp->tramp + P + off;
	int r;

	if (off + len > P)
		return log_error_errno(-E2BIG, "pid %d: %zu bytes do not fit the trampoline", rp->pid, len);
	r = mem_write(rp->memfd, addr, buf, len);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot write to its trampoline", rp->pid);
	if (ret_addr)
		*ret_addr = addr;
	return 0;
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
			return log_error_errno(pidfd, "pid %d: pidfd_open of the restorer", rp->pid);
		rp->fd_base = fd_base(rp->p);
		/* keep it above every number the process will use */
		res = INJECT(&rp->in, SYS_fcntl, pidfd, F_DUPFD_CLOEXEC, rp->fd_base);
		INJECT(&rp->in, SYS_close, pidfd);
		if (res < 0)
			return log_error_errno(res, "pid %d: cannot move an fd above %d", rp->pid,
					rp->fd_base);
		rp->pidfd = res;
	}
	res = INJECT(&rp->in, SYS_pidfd_getfd, rp->pidfd, my_fd, 0);
	if (res < 0)
		return log_error_errno(res, "pid %d: pidfd_getfd", rp->pid);
	*ret_fd = res;
	return 0;
}

static int file_index(const struct rst *r, uint32_t id)
{
	for (size_t i = 0; i < r->img.nfiles; i++)
		if (r->img.files[i].id == id)
			return i;
	return -1;
}

int restore_reopen(struct rst *r, uint32_t file_id, int flags)
{
	int k = file_index(r, file_id), fd;

	if (k < 0 || r->files_fd[k] < 0)
		return log_error_errno(-EINVAL, "file %u is not in the image", file_id);
	fd = reopen_fd(r->files_fd[k], flags);
	if (fd < 0)
		return log_error_errno(fd, "file %u: cannot open it again with flags %#o", file_id, flags);
	return fd;
}

/*
 * The flags to open an existing file with again: without those that would
 * create or truncate, and without O_TMPFILE (which makes a new file in a
 * directory: an O_TMPFILE file, once there, is opened like any other).
 */
static int flags_to_open_again(int flags)
{
	flags &= ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY);
	if ((flags & O_TMPFILE) == O_TMPFILE)
		flags &= ~O_TMPFILE;
	return flags | O_CLOEXEC;
}

int reopen_fd(int fd, int flags)
{
	char path[64];
	int nfd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, flags_to_open_again(flags));
	return nfd < 0 ? -errno : nfd;
}

int reopen_path(const struct st_file *f)
{
	int fd = open(f->path, flags_to_open_again(f->flags));

	if (fd < 0)
		return log_error_errno(-errno, "file %u: cannot open %s", f->id, f->path);
	return fd;
}

int restore_file_flags(int fd, const struct st_file *f)
{
	if (fcntl(fd, F_SETFL, f->flags & ~(O_ACCMODE | O_CLOEXEC)) < 0) {
		int e = log_error_errno(-errno, "file %u (%s): cannot set its flags", f->id,
				 st_file_what(f));

		close(fd);
		return e;
	}
	return fd;
}

void *rst_kind_state(struct rst *r, const struct kind *k, size_t size)
{
	return st_kind_data(&r->kinds, k, size);
}

#define GLUE_PTRACE_GETSIGMASK 0x420a
#define GLUE_PTRACE_SETSIGMASK 0x420b

int thread_sigmask(pid_t tid, uint64_t *ret)
{
	if (syscall(SYS_ptrace, GLUE_PTRACE_GETSIGMASK, tid, sizeof(*ret), ret) < 0)
		return log_error_errno(-errno, "tid %d: cannot read its signal mask", tid);
	return 0;
}

int set_thread_sigmask(pid_t tid, uint64_t mask)
{
	if (syscall(SYS_ptrace, GLUE_PTRACE_SETSIGMASK, tid, sizeof(mask), &mask) < 0)
		return log_error_errno(-errno, "tid %d: cannot set its signal mask", tid);
	return 0;
}

int block_all_signals(struct rproc *rp)
{
	int e = set_thread_sigmask(rp->pid, ~0ull);

	for (size_t i = 0; i < rp->nthreads && e == 0; i++)
		e = set_thread_sigmask(rp->threads[i].tid, ~0ull);
	return e;
}
