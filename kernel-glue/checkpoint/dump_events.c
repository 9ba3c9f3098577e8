/* SPDX-License-Identifier: MIT */
/* Which descriptors are terminals. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "../common/state_events.h"
#include "dump_events.h"

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
	(void)fdinfo;
	if (is_terminal(st))
		return dump_tty(c, pid, fd, link, st, f);
	return -ENOTSUP;
}

int dump_kinds_finish(struct ckpt *c, pid_t pid, struct st_process *p)
{
	return dump_tty_ctty(c, pid, p);
}
