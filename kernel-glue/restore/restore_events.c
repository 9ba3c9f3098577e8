/* SPDX-License-Identifier: MIT */
/*
 * Event descriptors made by the restorer: a signalfd with its mask, a
 * timerfd (armed later, from inside a process that holds it, so that an
 * absolute time is read on the process's clock: its time namespace keeps
 * CLOCK_MONOTONIC and CLOCK_BOOTTIME going on from the checkpoint), an
 * epoll instance (filled later, see restore_epoll.c); then, once every
 * process is complete, the interest lists, the timers and the terminals'
 * last settings.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/state_events.h"
#include "restore_events.h"

#define NSEC 1000000000ull
#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

static int set_status_flags(int fd, const struct st_file *f)
{
	if (fcntl(fd, F_SETFL, f->flags & ~(O_ACCMODE | O_CLOEXEC)) < 0) {
		int e = glue_err(-errno, "file %u (%s): cannot set its flags", f->id,
				 st_file_type_name(f->type));

		close(fd);
		return e;
	}
	return fd;
}

static int open_signalfd(const struct st_file *f)
{
	uint64_t mask = f->ext->sigmask;
	int fd = syscall(SYS_signalfd4, -1, &mask, sizeof(mask), O_CLOEXEC);

	if (fd < 0)
		return glue_err(-errno, "file %u: cannot create a signalfd for mask %#llx", f->id,
				(unsigned long long)mask);
	return set_status_flags(fd, f);
}

static int open_timerfd(const struct st_file *f)
{
	int fd = timerfd_create(f->ext->timer_clock, TFD_CLOEXEC);

	if (fd < 0)
		return glue_err(-errno, "file %u: cannot create a timerfd on clock %u", f->id,
				f->ext->timer_clock);
	return set_status_flags(fd, f);
}

static int open_epoll(const struct st_file *f)
{
	int fd = epoll_create1(EPOLL_CLOEXEC);

	if (fd < 0)
		return glue_err(-errno, "file %u: cannot create an epoll instance", f->id);
	return set_status_flags(fd, f);
}

int restore_kind_open(struct rst *r, const struct st_file *f)
{
	if (!f->ext)
		return glue_err(-EINVAL, "file %u: %s without its properties", f->id,
				st_file_type_name(f->type));
	switch (f->type) {
	case ST_FILE_TTY:
		return restore_tty_open(r, f);
	case ST_FILE_EPOLL:
		return open_epoll(f);
	case ST_FILE_TIMERFD:
		return open_timerfd(f);
	case ST_FILE_SIGNALFD:
		return open_signalfd(f);
	case ST_FILE_INOTIFY: {
		int fd = restore_inotify_open(f);

		return fd < 0 ? fd : set_status_flags(fd, f);
	}
	default:
		return glue_err(-EINVAL, "file %u: not a terminal or an event descriptor", f->id);
	}
}

/* Arm timerfd @f, which is fd @fd of @rp, from inside @rp. */
static int arm_timer(struct rproc *rp, int fd, const struct st_file *f)
{
	const struct st_file_ext *x = f->ext;
	struct itimerspec its = {
		.it_interval = { x->timer_interval_ns / NSEC, x->timer_interval_ns % NSEC },
		.it_value = { x->timer_value_ns / NSEC, x->timer_value_ns % NSEC },
	};
	uint64_t addr;
	long res;
	int e;

	if (x->timer_value_ns) {
		e = tramp_data(rp, 0, &its, sizeof(its), &addr);
		if (e < 0)
			return e;
		res = INJECT(&rp->in, SYS_timerfd_settime, fd, x->timer_flags, addr, 0);
		if (res < 0)
			return glue_err(res, "pid %d fd %d: cannot arm the timerfd", rp->pid, fd);
	}
	if (x->timer_ticks) {
		e = tramp_data(rp, 0, &x->timer_ticks, sizeof(x->timer_ticks), &addr);
		if (e < 0)
			return e;
		res = INJECT(&rp->in, SYS_ioctl, fd, TFD_IOC_SET_TICKS, addr);
		if (res < 0)
			glue_warn("pid %d fd %d: %llu expirations of the timerfd not yet read are "
				  "lost (TFD_IOC_SET_TICKS: %s)", rp->pid, fd,
				  (unsigned long long)x->timer_ticks, strerror(-res));
	}
	return 0;
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
			if (f->type == ST_FILE_TIMERFD) {
				done[idx] = true;
				e = arm_timer(rp, fd->num, f);
			} else if (f->type == ST_FILE_EPOLL && f->ext->epoll_pid == rp->p->pid) {
				done[idx] = true;
				e = restore_epoll_items(r, rp, fd->num, f);
			}
		}
	}
	free(done);
	if (e == 0)
		e = restore_ttys_finish(r);
	return e;
}

void restore_kinds_free(struct rst *r)
{
	restore_ttys_free(r);
}
