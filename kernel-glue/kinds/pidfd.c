/* SPDX-License-Identifier: MIT */
/*
 * pidfd (pidfd_open, clone with CLONE_PIDFD): a descriptor of a process of
 * the checkpoint, known by the pid fdinfo shows ("Pid:"). A pidfd of a
 * process outside the checkpoint, of one that ended, or of a thread
 * (PIDFD_THREAD) is refused: the restore could not make it refer to the
 * same process.
 *
 * The restorer opens files before any process exists, so its open gives
 * a stand-in (an O_PATH descriptor of /), which the pidfd of the process,
 * once it is made (process_created), replaces under the same number,
 * before any process is given its descriptors.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

struct pidfd_file {
	uint32_t pid;
	bool made; /* restore: the stand-in was replaced */
};

static const struct meta_field pidfd_fields[] = {
	META_U32(FM_F_PIDFD_PID, struct pidfd_file, pid, META_REQUIRED),
	{ 0 },
};

/* Is the process of a pidfd ("Pid:") the first process of the selection
 * or one of its descendants now? (With --pid, only the first is in the
 * selection: the dump refuses the others.) */
static bool refers_inside(const struct inv_item *it)
{
	long pid = strtol(it->value, NULL, 10);

	for (int depth = 0; pid > 1 && depth < 4096; depth++) {
		uint64_t st[5];

		if (pid == it->root)
			return true;
		if (proc_stat_fields((pid_t)pid, st, 5) < 0)
			return false;
		pid = (long)st[4];
	}
	return false;
}

static const struct inv_claim pidfd_claims[] = {
	INV_CLAIM(INV_FD, "filesystem"), /* its own, not opened by path */
	INV_CLAIM_IF(INV_FD, "Pid", refers_inside,
		     "a pidfd of a process outside the checkpoint, or of one that ended: the "
		     "restore could not make it refer to that process"),
	INV_CLAIM(INV_FD, "NSpid"), /* the same pid in each namespace */
	INV_CLAIMS_END,
};

extern const struct kind kind_pidfd;

/* "anon_inode:[pidfd]" until 6.8, "pidfd:[INODE]" (pidfs) since */
static bool pidfd_match(const struct fd_probe *fd)
{
	return strcmp(fd->link, "anon_inode:[pidfd]") == 0 || strncmp(fd->link, "pidfd:", 6) == 0;
}

static int pidfd_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f)
{
	struct pidfd_file *pf = f->kind_data;
	char value[32];
	long pid = fd_probe_field(fd, "Pid", value, sizeof(value)) == 0 ? strtol(value, NULL, 10) : 0;
	struct frozen_task *t = pid > 0 ? freeze_find(&c->fz, (pid_t)pid) : NULL;

	if (fd->flags & PIDFD_THREAD)
		ckpt_unsupported(c, "pid %d fd %d: a pidfd of a thread (PIDFD_THREAD) is not carried",
				 fd->pid, fd->fd);
	else if (pid <= 0)
		ckpt_unsupported(c, "pid %d fd %d: a pidfd of a process that %s", fd->pid, fd->fd,
				 pid < 0 ? "ended: it cannot be made again"
					 : "is not in ferry's PID namespace");
	else if (!t || t->tid != t->tgid)
		ckpt_unsupported(c, "pid %d fd %d: a pidfd of process %ld, which is not in the "
				 "checkpoint: the restore could not make it refer to that process",
				 fd->pid, fd->fd, pid);
	pf->pid = (uint32_t)pid;
	f->path = strdup(fd->link);
	return f->path ? 0 : -ENOMEM;
}

static int pidfd_open_standin(struct rst *r, const struct st_file *f)
{
	int fd = open("/", O_PATH | O_CLOEXEC);

	(void)r;
	if (fd < 0)
		return log_error_errno(-errno, "file %u: cannot open a stand-in for a pidfd", f->id);
	return fd;
}

/* The pidfds of @rp's process take the place of their stand-ins. */
static int pidfd_process_created(struct rst *r, struct rproc *rp)
{
	for (size_t i = 0; i < r->img.nfiles; i++) {
		const struct st_file *f = &r->img.files[i];
		struct pidfd_file *pf = f->kind_data;
		int fd;

		if (f->kind != &kind_pidfd || pf->pid != (uint32_t)rp->pid || r->files_fd[i] < 0)
			continue;
		fd = (int)syscall(SYS_pidfd_open, rp->pid, f->flags & O_NONBLOCK);
		if (fd < 0)
			return log_error_errno(-errno, "file %u: cannot open a pidfd of pid %d", f->id,
					       rp->pid);
		if (dup3(fd, r->files_fd[i], O_CLOEXEC) < 0) {
			int e = log_error_errno(-errno, "file %u: cannot put the pidfd of pid %d in "
						"place", f->id, rp->pid);

			close(fd);
			return e;
		}
		close(fd);
		pf->made = true;
	}
	return 0;
}

/* every process was made: a stand-in left would be given to a process */
static int pidfd_settle(struct rst *r, struct rproc *rp, int fd, const struct st_file *f)
{
	const struct pidfd_file *pf = f->kind_data;

	(void)r;
	(void)fd;
	if (!pf->made)
		return log_error_errno(-ESRCH, "pid %d: its pidfd of pid %u has no process to refer to",
				       rp->pid, pf->pid);
	return 1;
}

const struct kind kind_pidfd = {
	.name = "pidfd",
	.claims = pidfd_claims,
	.match = pidfd_match,
	.dump = pidfd_dump,
	.file_size = sizeof(struct pidfd_file),
	.file_fields = pidfd_fields,
	.open = pidfd_open_standin,
	.process_created = pidfd_process_created,
	.settle = pidfd_settle,
};
