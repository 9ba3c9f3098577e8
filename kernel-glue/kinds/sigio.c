/* SPDX-License-Identifier: MIT */
/*
 * Signal-driven I/O of any open file: its owner (F_GETOWN_EX: a thread,
 * a process or a process group that gets its signal), that signal
 * (F_GETSIG; 0 is SIGIO) and O_ASYNC, all three properties of the open
 * file description. Read from a copy of each descriptor; kept per
 * process, by descriptor, where any is set. An owner must be in the
 * checkpoint (a thread, a process or a process group of it): one that is
 * not would not exist to get the signal, and is refused.
 *
 * Given back on the restorer's own descriptor of the file (the same open
 * file description the process holds), once every thread exists, so that
 * a thread can be the owner, and no signal arrives while the files are
 * still being filled: the signal, the owner, then O_ASYNC, cleared first
 * since open() takes O_ASYNC without arming it. Each is read back. The
 * owner is set by the restorer, whose credentials the kernel keeps for
 * the permission to signal it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

struct sigio_fd {
	uint32_t fd;
	uint32_t owner_type; /* F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP */
	uint32_t owner;      /* 0: none */
	uint32_t signal;     /* 0: SIGIO */
	uint32_t async;      /* O_ASYNC is set */
};

struct sigio_process {
	struct sigio_fd *fds;
	size_t n;
};

static const struct meta_cell sigio_cells[] = {
	META_CELL(struct sigio_fd, fd, 4),    META_CELL(struct sigio_fd, owner_type, 4),
	META_CELL(struct sigio_fd, owner, 4), META_CELL(struct sigio_fd, signal, 4),
	META_CELL(struct sigio_fd, async, 4),
};

static const struct meta_field sigio_process_fields[] = {
	META_RECORDS(FM_P_SIGIO, struct sigio_process, fds, n, struct sigio_fd, sigio_cells,
		     META_OMIT_ZERO),
	{ 0 },
};

static bool async(const struct inv_item *it)
{
	return strtoul(it->value, NULL, 8) & O_ASYNC;
}

/* the owner's presence in the checkpoint is judged after every process;
 * the other flags are checkpoint/dump_files.c's */
static const struct inv_claim sigio_claims[] = {
	INV_CLAIM(INV_FD, "owner"),
	INV_CLAIM(INV_FD, "signal"),
	INV_CLAIM_IF(INV_FD, "flags", async, NULL),
	INV_CLAIMS_END,
};

extern const struct kind kind_sigio;

static const char *owner_what(uint32_t type)
{
	return type == F_OWNER_TID ? "thread" : type == F_OWNER_PGRP ? "process group" : "process";
}

/* ---- checkpoint ---- */

static int sigio_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	(void)c;
	for (size_t i = 0; i < p->nfds; i++) {
		struct f_owner_ex owner = { 0 };
		struct sigio_process *sp;
		struct sigio_fd *slot;
		int copy = dump_borrow_fd(pid, p->fds[i].num), sig, fl;

		if (copy < 0)
			return log_error_errno(copy, "pid %d fd %d: cannot read its signal-driven I/O", pid,
					p->fds[i].num);
		fl = fcntl(copy, F_GETFL);
		if (fl >= 0 && (fl & O_PATH)) {
			/* an O_PATH descriptor has no signal-driven I/O: the
			 * kernel refuses F_GETSIG and F_SETOWN on it (EBADF) */
			close(copy);
			continue;
		}
		sig = fcntl(copy, F_GETSIG);
		if (fl < 0 || sig < 0 || fcntl(copy, F_GETOWN_EX, &owner) < 0) {
			int e = -errno;

			close(copy);
			return log_error_errno(e, "pid %d fd %d: cannot read its signal-driven I/O", pid,
					p->fds[i].num);
		}
		close(copy);
		if (!owner.pid && !sig && !(fl & O_ASYNC))
			continue;
		sp = kind_process_data(p, &kind_sigio);
		slot = sp ? ST_PUSH(sp->fds, sp->n) : NULL;
		if (!slot)
			return -ENOMEM;
		slot->fd = p->fds[i].num;
		slot->owner_type = owner.pid ? owner.type : F_OWNER_PID;
		slot->owner = owner.pid;
		slot->signal = sig;
		slot->async = !!(fl & O_ASYNC);
	}
	return 0;
}

static bool owner_in_image(struct st_image *img, const struct sigio_fd *s)
{
	for (size_t i = 0; i < img->nprocs; i++) {
		const struct st_process *p = &img->procs[i];

		if (s->owner_type == F_OWNER_PGRP && (uint32_t)p->pgid == s->owner)
			return true;
		if (s->owner_type == F_OWNER_PID && (uint32_t)p->pid == s->owner)
			return true;
		for (size_t k = 0; s->owner_type == F_OWNER_TID && k < p->nthreads; k++)
			if ((uint32_t)p->threads[k].tid == s->owner)
				return true;
	}
	return false;
}

static int sigio_dump_check(struct ckpt *c)
{
	for (size_t i = 0; i < c->img.nprocs; i++) {
		const struct st_process *p = &c->img.procs[i];
		const struct sigio_process *sp = kind_process_data_if(p, &kind_sigio);

		for (size_t k = 0; sp && k < sp->n; k++) {
			const struct sigio_fd *s = &sp->fds[k];

			if (s->owner && !owner_in_image(&c->img, s))
				ckpt_unsupported(c, "pid %d fd %u: its owner for signal-driven I/O, "
						 "%s %u, is not in the checkpoint", p->pid, s->fd,
						 owner_what(s->owner_type), s->owner);
		}
	}
	return 0;
}

/* ---- restore ---- */

static int give_back(struct rst *r, struct rproc *rp, const struct sigio_fd *s)
{
	struct f_owner_ex owner = { .type = s->owner_type, .pid = s->owner }, now = { 0 };
	const struct st_file *f = NULL;
	int ffd = -1, fl, e = 0;

	for (size_t i = 0; i < rp->p->nfds && !f; i++)
		if ((uint32_t)rp->p->fds[i].num == s->fd)
			f = st_find_file(&r->img, rp->p->fds[i].file_id);
	if (f)
		ffd = r->files_fd[f - r->img.files];
	if (ffd < 0)
		return log_error_errno(-EINVAL, "pid %d fd %u: signal-driven I/O of a descriptor it does "
				"not have", rp->pid, s->fd);
	if (fcntl(ffd, F_SETSIG, s->signal) < 0 || fcntl(ffd, F_SETOWN_EX, &owner) < 0)
		e = -errno;
	fl = e == 0 ? fcntl(ffd, F_GETFL) : -1;
	if (e == 0 && fl < 0)
		e = -errno;
	if (e == 0 && (fcntl(ffd, F_SETFL, fl & ~O_ASYNC) < 0 ||
		       (s->async && fcntl(ffd, F_SETFL, fl | O_ASYNC) < 0)))
		e = -errno;
	if (e == 0 && (fcntl(ffd, F_GETOWN_EX, &now) < 0 || (fl = fcntl(ffd, F_GETFL)) < 0))
		e = -errno;
	if (e == 0 && ((uint32_t)now.pid != s->owner || (s->owner && (uint32_t)now.type != s->owner_type) ||
		       (uint32_t)fcntl(ffd, F_GETSIG) != s->signal || !!(fl & O_ASYNC) != !!s->async))
		e = -EINVAL;
	if (e < 0)
		return log_error_errno(e, "pid %d fd %u: cannot give it back its signal-driven I/O (owner "
				"%s %u, signal %u%s)", rp->pid, s->fd, owner_what(s->owner_type),
				s->owner, s->signal, s->async ? ", O_ASYNC" : "");
	return 0;
}

static int sigio_process_ready(struct rst *r, struct rproc *rp)
{
	const struct sigio_process *sp = kind_process_data_if(rp->p, &kind_sigio);
	int e = 0;

	for (size_t i = 0; sp && i < sp->n && e == 0; i++)
		e = give_back(r, rp, &sp->fds[i]);
	return e;
}

const struct kind kind_sigio = {
	.name = "sigio",
	.claims = sigio_claims,
	.dump_process = sigio_dump_process,
	.dump_check = sigio_dump_check,
	.process_size = sizeof(struct sigio_process),
	.process_fields = sigio_process_fields,
	.process_ready = sigio_process_ready,
};
