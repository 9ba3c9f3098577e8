/* SPDX-License-Identifier: MIT */
/*
 * Which descriptors are terminals or event descriptors, and the small
 * kind: a signalfd is its mask ("sigmask:" of fdinfo).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "../common/state_events.h"
#include "dump_events.h"

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
