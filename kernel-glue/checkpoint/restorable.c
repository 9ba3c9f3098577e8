/* SPDX-License-Identifier: MIT */
/*
 * Before `checkpoint --kill` kills anything, what a restore on this
 * machine will meet once the processes are gone: a process outside the
 * selection whose process group or session is led by one of them keeps
 * that id in use (the kernel frees a pid only when nothing refers to it),
 * so restoring its leader would fail ("pid in use") after the kill. Such a
 * selection is refused before the kill, the processes thawed as they were.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "internal.h"

static bool selected(const struct ckpt *c, pid_t pid)
{
	for (size_t i = 0; i < c->img.nprocs; i++)
		if (c->img.procs[i].pid == pid)
			return true;
	/* a zombie child, carried with its parent (kinds/zombie.c) */
	for (size_t i = 0; i < c->fz.nzombies; i++)
		if (c->fz.zombies[i] == pid)
			return true;
	return false;
}

int dump_check_restorable(struct ckpt *c)
{
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d)
		return log_error_errno(-errno, "cannot list /proc");
	while ((de = readdir(d))) {
		pid_t pid = atoi(de->d_name);
		uint64_t stat[8];

		if (pid <= 0 || selected(c, pid) || proc_stat_fields(pid, stat, 8) < 0)
			continue;
		for (int k = 5; k <= 6; k++)
			if (selected(c, (pid_t)stat[k]))
				ckpt_unsupported(c, "pid %d: it leads the %s of pid %d, which is outside "
						 "the checkpoint: after the kill its id would stay in "
						 "use and a restore here would fail (checkpoint the "
						 "whole %s with --tree, or without --kill)",
						 (pid_t)stat[k], k == 5 ? "process group" : "session",
						 pid, k == 5 ? "group" : "session");
	}
	closedir(d);
	return 0;
}
