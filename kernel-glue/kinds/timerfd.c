/* SPDX-License-Identifier: MIT */
/*
 * timerfd: its clock, flags and timer, from fdinfo ("it_value:" is the time
 * that remains; an absolute timer is recorded at its expiry as the
 * process's clock reads it). Made again by the restorer, and armed later
 * from inside a process that holds it, so that an absolute time is read on
 * the process's clock: its time namespace keeps CLOCK_MONOTONIC and
 * CLOCK_BOOTTIME going on from the checkpoint.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/timens.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

#define NSEC 1000000000ull
#ifndef TFD_IOC_SET_TICKS
#define TFD_IOC_SET_TICKS _IOW('T', 0, uint64_t)
#endif

struct timerfd_file {
	uint32_t clock;       /* clockid */
	uint32_t flags;       /* of the last timerfd_settime(): TFD_TIMER_* */
	uint64_t value_ns;    /* next expiry: absolute with TFD_TIMER_ABSTIME, else what
			       * remained; 0: disarmed */
	uint64_t interval_ns;
	uint64_t ticks;       /* expirations not yet read */
};

static const struct meta_field timerfd_fields[] = {
	META_U32(FM_F_TIMERFD_CLOCK, struct timerfd_file, clock, META_REQUIRED),
	META_U32(FM_F_TIMERFD_FLAGS, struct timerfd_file, flags, 0),
	META_U64(FM_F_TIMERFD_VALUE, struct timerfd_file, value_ns, 0),
	META_U64(FM_F_TIMERFD_INTERVAL, struct timerfd_file, interval_ns, 0),
	META_U64(FM_F_TIMERFD_TICKS, struct timerfd_file, ticks, META_OMIT_ZERO),
	{ 0 },
};

static bool timerfd_match(const struct fd_probe *fd)
{
	return strcmp(fd->link, "anon_inode:[timerfd]") == 0;
}

static int parse_pair(const struct fd_probe *fd, const char *key, uint64_t *ret_ns)
{
	unsigned long long s, ns;
	char buf[64];

	if (fd_probe_field(fd, key, buf, sizeof(buf)) < 0 ||
	    sscanf(buf, "(%llu, %llu)", &s, &ns) != 2)
		return -ENOENT;
	*ret_ns = s * NSEC + ns;
	return 0;
}

static int timerfd_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f)
{
	struct timerfd_file *t = f->kind_data;
	char clk[32], flags[32], ticks[32];
	uint64_t value, interval;

	f->path = strdup(fd->link);
	if (!f->path)
		return -ENOMEM;
	if (fd_probe_field(fd, "clockid", clk, sizeof(clk)) < 0 ||
	    fd_probe_field(fd, "settime flags", flags, sizeof(flags)) < 0 ||
	    fd_probe_field(fd, "ticks", ticks, sizeof(ticks)) < 0 ||
	    parse_pair(fd, "it_value", &value) < 0 || parse_pair(fd, "it_interval", &interval) < 0) {
		ckpt_unsupported(c, "pid %d fd %d: a timerfd whose timer fdinfo does not show",
				 fd->pid, fd->fd);
		return 0;
	}
	t->clock = strtoul(clk, NULL, 10);
	t->flags = strtoul(flags, NULL, 8);
	t->ticks = strtoull(ticks, NULL, 10);
	t->interval_ns = interval;
	/* the process is frozen, its timer is not: what remained at the
	 * freeze, where its clocks were read and where the restore goes on */
	if (value && !(t->flags & TFD_TIMER_ABSTIME))
		value += timens_process_clock_ns(fd->pid, CLOCK_MONOTONIC) - c->img.clock_monotonic_ns;
	/* it_value 0 is disarmed, unless a period keeps it going */
	if (!value && interval)
		value = 1;
	if (value && (t->flags & TFD_TIMER_ABSTIME))
		value += timens_process_clock_ns(fd->pid, t->clock);
	t->value_ns = value;
	return 0;
}

static int timerfd_open(struct rst *r, const struct st_file *f)
{
	const struct timerfd_file *t = f->kind_data;
	int fd = timerfd_create(t->clock, TFD_CLOEXEC);

	(void)r;
	if (fd < 0)
		return log_error_errno(-errno, "file %u: cannot create a timerfd on clock %u", f->id,
				t->clock);
	return restore_file_flags(fd, f);
}

/* Arm the timer from inside @rp, where it is fd @fd. */
static int timerfd_settle(struct rst *r, struct rproc *rp, int fd, const struct st_file *f)
{
	const struct timerfd_file *t = f->kind_data;
	struct itimerspec its = {
		.it_interval = { t->interval_ns / NSEC, t->interval_ns % NSEC },
		.it_value = { t->value_ns / NSEC, t->value_ns % NSEC },
	};
	uint64_t addr;
	long res;
	int e;

	(void)r;
	if (t->value_ns) {
		e = tramp_data(rp, 0, &its, sizeof(its), &addr);
		if (e < 0)
			return e;
		res = INJECT(&rp->in, SYS_timerfd_settime, fd, t->flags, addr, 0);
		if (res < 0)
			return log_error_errno(res, "pid %d fd %d: cannot arm the timerfd", rp->pid, fd);
	}
	if (t->ticks) {
		e = tramp_data(rp, 0, &t->ticks, sizeof(t->ticks), &addr);
		if (e < 0)
			return e;
		res = INJECT(&rp->in, SYS_ioctl, fd, TFD_IOC_SET_TICKS, addr);
		if (res < 0)
			log_warning("pid %d fd %d: %llu expirations of the timerfd not yet read are "
				  "lost (TFD_IOC_SET_TICKS: %s)", rp->pid, fd,
				  (unsigned long long)t->ticks, strerror(-res));
	}
	return 1;
}

static const struct inv_claim timerfd_claims[] = {
	INV_CLAIM(INV_FD, "filesystem"), /* its own, not opened by path */
	INV_CLAIM(INV_FD, "clockid"),
	INV_CLAIM(INV_FD, "ticks"),
	INV_CLAIM(INV_FD, "settime flags"),
	INV_CLAIM(INV_FD, "it_value"),
	INV_CLAIM(INV_FD, "it_interval"),
	INV_CLAIMS_END,
};

/* Its clock and period (what remains of its timer has gone on running). */
static int timerfd_verify(struct rst *r, struct rproc *rp, int fd, const struct st_file *f,
			  const char *fdinfo)
{
	const struct timerfd_file *t = f->kind_data;
	long long clock = fdinfo_number(fdinfo, "clockid", 10);
	const char *iv = strstr(fdinfo, "it_interval:");
	long long sec = -1, nsec = -1;

	(void)r;
	if (iv)
		sscanf(iv, "it_interval: (%lld, %lld)", &sec, &nsec);
	if (clock != t->clock)
		return verify_differs(rp, "fd %d (timerfd): its clock is %lld, not %u", fd, clock,
				      t->clock);
	if (sec < 0 || (uint64_t)(sec * 1000000000ll + nsec) != t->interval_ns)
		return verify_differs(rp, "fd %d (timerfd): its interval is %lld.%09llds, not "
				      "%llu ns", fd, sec, nsec, (unsigned long long)t->interval_ns);
	return 0;
}

const struct kind kind_timerfd = {
	.name = "timerfd",
	.claims = timerfd_claims,
	.match = timerfd_match,
	.dump = timerfd_dump,
	.file_size = sizeof(struct timerfd_file),
	.file_fields = timerfd_fields,
	.open = timerfd_open,
	.verify = timerfd_verify,
	.settle = timerfd_settle,
};
