/* SPDX-License-Identifier: MIT */
/*
 * Files. The restorer opens every file of the image itself (and builds
 * the pipes, refilled with their bytes); each process then takes its fds
 * with pidfd_getfd() run inside it, which gives it the very open file
 * description, so fds that shared one (dup, inheritance, the two ends of a
 * pipe in a tree) share it again. Each fd is then moved to its number.
 * Each kind of kinds/registry.c opens its own files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "internal.h"

static int open_file(struct rst *r, const struct st_file *f)
{
	if (!f->kind || !f->kind->open)
		return log_error_errno(-EINVAL, "file %u: no kind to open it", f->id);
	return f->kind->open(r, f);
}

/* Descriptors the restorer needs beside the image's files (its image,
 * memfds, pidfds, sockets of the network lock, ...). */
#define RESTORER_OWN_FDS 256

/*
 * The restorer holds every file of the image at once, so its descriptor
 * limit must allow them all: raised as far as needed (the hard limit too
 * where the restorer may, as ferry-init may), else refused before anything
 * is made.
 */
static int allow_files(size_t nfiles)
{
	rlim_t need = (rlim_t)nfiles + RESTORER_OWN_FDS;
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) < 0)
		return log_error_errno(-errno, "cannot read the descriptor limit");
	if (lim.rlim_cur >= need)
		return 0;
	if (lim.rlim_max < need) {
		struct rlimit more = { need, need };

		if (setrlimit(RLIMIT_NOFILE, &more) == 0)
			return 0;
		return log_error_errno(-EMFILE, "the image has %zu open files, which the restorer holds "
				"all at once, and its descriptor limit (RLIMIT_NOFILE) is %llu: "
				"raise the hard limit to %llu or more (this needs "
				"CAP_SYS_RESOURCE)", nfiles, (unsigned long long)lim.rlim_max,
				(unsigned long long)need);
	}
	lim.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &lim) < 0)
		return log_error_errno(-errno, "cannot raise the descriptor limit to %llu",
				(unsigned long long)need);
	return 0;
}

int restore_file_fd(struct rst *r, const struct st_file *f)
{
	size_t idx = f - r->img.files;
	int fd;

	if (r->files_fd[idx] >= 0)
		return r->files_fd[idx];
	fd = open_file(r, f);
	/* a kind's open may have opened files of its own first (descriptors
	 * in flight in a socket's queue): this one is still not open */
	if (fd >= 0)
		r->files_fd[idx] = fd;
	return fd;
}

int restore_open_files(struct rst *r)
{
	int e = allow_files(r->img.nfiles);

	if (e < 0)
		return e;
	r->files_fd = malloc((r->img.nfiles + 1) * sizeof(int));
	if (!r->files_fd)
		return -ENOMEM;
	for (size_t i = 0; i < r->img.nfiles; i++)
		r->files_fd[i] = -1;
	for (size_t i = 0; i < kind_count && e == 0; i++)
		if (kind_registry[i]->restore_begin)
			e = kind_registry[i]->restore_begin(r);

	for (size_t i = 0; i < r->img.nfiles && e == 0; i++) {
		int fd = restore_file_fd(r, &r->img.files[i]);

		if (fd < 0)
			e = fd;
	}
	for (size_t i = 0; i < kind_count && e == 0; i++)
		if (kind_registry[i]->restore_opened)
			e = kind_registry[i]->restore_opened(r);
	return e;
}

void restore_close_files(struct rst *r)
{
	for (size_t i = 0; i < kind_count; i++)
		if (kind_registry[i]->restore_end)
			kind_registry[i]->restore_end(r);
	st_kind_data_free(&r->kinds);
	if (!r->files_fd)
		return;
	for (size_t i = 0; i < r->img.nfiles; i++)
		if (r->files_fd[i] >= 0)
			close(r->files_fd[i]);
	free(r->files_fd);
	r->files_fd = NULL;
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
			return log_error_errno(-EINVAL, "pid %d fd %d: file %u is not in the image", rp->pid,
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
			return log_error_errno(res, "pid %d fd %d (%s %s): cannot put it in place", rp->pid,
					fd->num, st_file_what(f),
					f->path ? f->path : "");
	}
	return 0;
}

int restore_settle_files(struct rst *r)
{
	bool *done = calloc(r->img.nfiles + 1, sizeof(*done));
	int e = 0;

	if (!done)
		return -ENOMEM;
	for (size_t i = 0; i < r->nprocs && e == 0; i++) {
		struct rproc *rp = &r->procs[i];

		for (size_t k = 0; k < rp->p->nfds && e == 0; k++) {
			const struct st_fd *fd = &rp->p->fds[k];
			const struct st_file *f = st_find_file(&r->img, fd->file_id);
			size_t idx = f ? (size_t)(f - r->img.files) : 0;

			if (!f || done[idx] || !f->kind || !f->kind->settle)
				continue;
			e = f->kind->settle(r, rp, fd->num, f);
			done[idx] = e > 0;
			e = e < 0 ? e : 0;
		}
	}
	free(done);
	for (size_t i = 0; i < kind_count && e == 0; i++)
		if (kind_registry[i]->restore_finish)
			e = kind_registry[i]->restore_finish(r);
	return e;
}
