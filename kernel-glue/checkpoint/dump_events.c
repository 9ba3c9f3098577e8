/* SPDX-License-Identifier: MIT */
/*
 * Which descriptors are terminals or event descriptors, and the two small
 * kinds: a signalfd is its mask ("sigmask:" of fdinfo); a timerfd its
 * clock, flags and timer ("it_value:" is the time that remains; an
 * absolute timer is recorded at its expiry as the process's clock reads).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "../common/state_events.h"
#include "../common/timens.h"
#include "dump_events.h"

#define NSEC 1000000000ull

int dump_borrow_fd(pid_t pid, int fd)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), r;

	if (pidfd < 0)
		return -errno;
	r = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (r < 0)
		r = -errno;
	close(pidfd);
	return r;
}

static int field(const char *fdinfo, const char *key, char *buf, size_t size)
{
	return fdinfo ? proc_status_field(fdinfo, key, buf, size) : -ENOENT;
}

static int dump_signalfd(struct ckpt *c, pid_t pid, int fd, const char *fdinfo,
			 struct st_file_ext *x)
{
	char buf[64];

	if (field(fdinfo, "sigmask", buf, sizeof(buf)) < 0) {
		ckpt_unsupported(c, "pid %d fd %d: a signalfd whose mask fdinfo does not show",
				 pid, fd);
		return 0;
	}
	x->sigmask = strtoull(buf, NULL, 16);
	return 0;
}

/* @clk now, as @pid sees it (its time namespace). */
static uint64_t process_clock_ns(pid_t pid, int clk)
{
	struct timens_offsets mine = { 0 }, theirs = { 0 };
	int64_t now = timens_clock_ns(clk);

	if (clk != CLOCK_MONOTONIC && clk != CLOCK_BOOTTIME && clk != CLOCK_BOOTTIME_ALARM)
		return now;
	timens_read(0, &mine);
	timens_read(pid, &theirs);
	if (clk == CLOCK_MONOTONIC)
		return now - mine.monotonic_ns + theirs.monotonic_ns;
	return now - mine.boottime_ns + theirs.boottime_ns;
}

static int parse_pair(const char *fdinfo, const char *key, uint64_t *ret_ns)
{
	unsigned long long s, ns;
	char buf[64];

	if (field(fdinfo, key, buf, sizeof(buf)) < 0 || sscanf(buf, "(%llu, %llu)", &s, &ns) != 2)
		return -ENOENT;
	*ret_ns = s * NSEC + ns;
	return 0;
}

static int dump_timerfd(struct ckpt *c, pid_t pid, int fd, const char *fdinfo,
			struct st_file_ext *x)
{
	char clk[32], flags[32], ticks[32];
	uint64_t value, interval;

	if (field(fdinfo, "clockid", clk, sizeof(clk)) < 0 ||
	    field(fdinfo, "settime flags", flags, sizeof(flags)) < 0 ||
	    field(fdinfo, "ticks", ticks, sizeof(ticks)) < 0 ||
	    parse_pair(fdinfo, "it_value", &value) < 0 ||
	    parse_pair(fdinfo, "it_interval", &interval) < 0) {
		ckpt_unsupported(c, "pid %d fd %d: a timerfd whose timer fdinfo does not show",
				 pid, fd);
		return 0;
	}
	x->timer_clock = strtoul(clk, NULL, 10);
	x->timer_flags = strtoul(flags, NULL, 8);
	x->timer_ticks = strtoull(ticks, NULL, 10);
	x->timer_interval_ns = interval;
	/* the process is frozen, its timer is not: what remained at the
	 * freeze, where its clocks were read and where the restore goes on */
	if (value && !(x->timer_flags & TFD_TIMER_ABSTIME))
		value += process_clock_ns(pid, CLOCK_MONOTONIC) - c->img.clock_monotonic_ns;
	/* it_value 0 is disarmed, unless a period keeps it going */
	if (!value && interval)
		value = 1;
	if (value && (x->timer_flags & TFD_TIMER_ABSTIME))
		value += process_clock_ns(pid, x->timer_clock);
	x->timer_value_ns = value;
	return 0;
}

static bool is_terminal(const struct stat *st)
{
	unsigned ma = major(st->st_rdev), mi = minor(st->st_rdev);

	if (!S_ISCHR(st->st_mode))
		return false;
	if (ma == 5)
		return mi <= 2; /* /dev/tty, /dev/console, /dev/ptmx */
	/* virtual consoles and serial lines, pty slaves, ttyACM, ttyUSB, ttyAMA */
	return ma == 4 || (ma >= 136 && ma <= 143) || ma == 166 || ma == 188 || ma == 204;
}

int dump_kind_file(struct ckpt *c, pid_t pid, int fd, const char *link, const struct stat *st,
		   const char *fdinfo, struct st_file *f)
{
	static const struct {
		const char *link;
		enum st_file_type type;
	} anon[] = {
		{ "anon_inode:[eventpoll]", ST_FILE_EPOLL },
		{ "anon_inode:[timerfd]", ST_FILE_TIMERFD },
		{ "anon_inode:[signalfd]", ST_FILE_SIGNALFD },
		{ "anon_inode:inotify", ST_FILE_INOTIFY },
	};
	struct st_file_ext *x;
	size_t i;

	if (is_terminal(st))
		return dump_tty(c, pid, fd, link, st, f);
	for (i = 0; i < sizeof(anon) / sizeof(anon[0]); i++)
		if (strcmp(link, anon[i].link) == 0)
			break;
	if (i == sizeof(anon) / sizeof(anon[0]))
		return -ENOTSUP;
	f->type = anon[i].type;
	f->path = strdup(link);
	x = st_file_ext(f);
	if (!f->path || !x)
		return -ENOMEM;
	switch (f->type) {
	case ST_FILE_EPOLL:
		return dump_epoll(c, pid, fd, fdinfo, f);
	case ST_FILE_TIMERFD:
		return dump_timerfd(c, pid, fd, fdinfo, x);
	case ST_FILE_SIGNALFD:
		return dump_signalfd(c, pid, fd, fdinfo, x);
	default:
		return dump_inotify(c, pid, fd, fdinfo, f);
	}
}

int dump_kinds_finish(struct ckpt *c, pid_t pid, struct st_process *p)
{
	int r = dump_epoll_targets(c, pid, p);

	return r < 0 ? r : dump_tty_ctty(c, pid, p);
}
