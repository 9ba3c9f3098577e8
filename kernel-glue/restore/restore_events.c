/* SPDX-License-Identifier: MIT */
/*
 * Event descriptors made by the restorer: a signalfd with its mask, an
 * epoll instance (filled later, see restore_epoll.c); then, once every
 * process is complete, what the kinds do inside a process that holds a file
 * (settle: the interest lists, the timers), and the terminals' last
 * settings.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/state_events.h"
#include "restore_events.h"

int restore_kind_open(struct rst *r, const struct st_file *f)
{
	if (!f->ext)
		return glue_err(-EINVAL, "file %u: %s without its properties", f->id,
				st_file_type_name(f->type));
	switch (f->type) {
	case ST_FILE_TTY:
		return restore_tty_open(r, f);
	default:
		return glue_err(-EINVAL, "file %u: not a terminal or an event descriptor", f->id);
	}
}

int restore_kinds_finish(struct rst *r)
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

			if (!f || done[idx])
				continue;
			if (f->kind && f->kind->settle) {
				e = f->kind->settle(r, rp, fd->num, f);
				done[idx] = e > 0;
				e = e < 0 ? e : 0;
			}
		}
	}
	free(done);
	if (e == 0)
		e = restore_ttys_finish(r);
	for (size_t i = 0; i < kind_count && e == 0; i++)
		if (kind_registry[i]->restore_finish)
			e = kind_registry[i]->restore_finish(r);
	return e;
}

void restore_kinds_free(struct rst *r)
{
	restore_ttys_free(r);
}
