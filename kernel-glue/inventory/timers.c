/* SPDX-License-Identifier: MIT */
/*
 * Sources: the POSIX timers of /proc/PID/timers (one item per timer, key
 * "timer"), and the lock requests of /proc/locks that a process of the
 * selection is waiting on (key "waiting"; the locks it holds are in the
 * fdinfo of the file they are on, fds.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "inventory.h"

const struct inv_rule inv_timer_rules[] = {
	INV_REFUSED("timer", "a POSIX timer (timer_create)"),
	INV_RULES_END,
};

const struct inv_rule inv_lock_rules[] = {
	INV_REFUSED("waiting", "a lock request it waits on (F_SETLKW, flock)"),
	INV_RULES_END,
};

int inv_walk_timers(struct inv *v, pid_t pid)
{
	char path[64], *buf;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/timers", pid);
	r = proc_read_file(path, &buf, NULL);
	if (r == -ENOENT)
		return 0; /* gone, or a kernel without CONFIG_CHECKPOINT_RESTORE */
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read %s", pid, path);
	/* "ID: 0\nsignal: 12/...\nnotify: signal/pid.5\nClockID: 1\n" per timer */
	for (char *p = strstr(buf, "ID: "); p; p = strstr(p + 1, "\nID: ")) {
		char value[160], id[24] = "", sig[48] = "", notify[48] = "", clock[24] = "";

		if (*p == '\n')
			p++;
		proc_status_field(p, "ID", id, sizeof(id));
		proc_status_field(p, "signal", sig, sizeof(sig));
		proc_status_field(p, "notify", notify, sizeof(notify));
		proc_status_field(p, "ClockID", clock, sizeof(clock));
		snprintf(value, sizeof(value), "ID %s, clock %s, signal %s, notify %s", id, clock,
			 sig, notify);
		{
			struct inv_item it = { .source = INV_TIMER, .root = inv_root(v), .pid = pid,
					       .tid = pid, .key = "timer", .value = value };

			inv_offer(v, &it);
		}
	}
	free(buf);
	return 0;
}

int inv_walk_locks(struct inv *v, const pid_t *pids, size_t npids)
{
	char *buf;
	int r = proc_read_file("/proc/locks", &buf, NULL);

	if (r < 0)
		return log_error_errno(r, "cannot read /proc/locks");
	for (char *line = buf, *next; line && *line; line = next) {
		char *arrow = strstr(line, "->");
		long pid;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (!arrow)
			continue;
		/* "N: -> CLASS MODE TYPE PID DEV:INODE START END" */
		if (sscanf(arrow + 2, "%*s %*s %*s %ld", &pid) != 1)
			continue;
		for (size_t i = 0; i < npids; i++)
			if (pids[i] == pid) {
				struct inv_item it = { .source = INV_LOCK, .root = inv_root(v),
						       .pid = pid, .tid = pid, .key = "waiting",
						       .value = arrow + 3 };

				inv_offer(v, &it);
			}
	}
	free(buf);
	return 0;
}
