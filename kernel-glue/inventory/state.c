/* SPDX-License-Identifier: MIT */
/*
 * Source: the state letter of each thread in /proc/PID/task/TID/stat,
 * offered under a name per state. A running or sleeping thread is what
 * ferry freezes and restores (claimed by checkpoint/dump_threads.c), and
 * so is a stopped one (job control, claimed by kinds/jobctl.c); one
 * stopped by another tracer is not. A zombie, a child that exited and is
 * not reaped, is carried by kinds/zombie.c when nothing of it runs; a
 * zombie main thread whose other threads run is refused.
 */
#include "../common/log.h"
#include "../common/procfs.h"
#include "inventory.h"

/* An exiting thread other than the leader goes away by itself. */
static bool exiting_thread(const struct inv_item *it)
{
	return it->tid != it->pid;
}

bool inv_lone_zombie(pid_t pid, size_t ntids)
{
	return ntids == 1 && proc_state(pid) == 'Z';
}

const struct inv_rule inv_state_rules[] = {
	INV_REFUSED("stopped", "being stopped by a signal (job control: SIGSTOP, SIGTSTP, ...)"),
	INV_REFUSED("tracing stop", "being stopped by a tracer"),
	/* kinds/zombie.c claims the zombies it carries, in part: not their
	 * resource usage */
	INV_ACCEPT("zombie", "being a zombie (it exited and its parent has not reaped it; "
		   "carried in part: not its resource usage, wait4() rusage, utime, stime)",
		   exiting_thread),
	INV_ACCEPT("dead", "being dead", exiting_thread),
	INV_REFUSED("parked", "being a parked kernel thread"),
	INV_REFUSED("waking", "waking (a state of old kernels)"),
	INV_REFUSED("wakekill", "in a killable wake (a state of old kernels)"),
	INV_RULES_END,
};

static const char *state_name(char c)
{
	switch (c) {
	case 'R': return "running";
	case 'S': return "sleeping";
	case 'D': return "disk sleep";
	case 'I': return "idle";
	case 'T': return "stopped";
	case 't': return "tracing stop";
	case 'Z': return "zombie";
	case 'X': return "dead";
	case 'P': return "parked";
	case 'W': return "waking";
	case 'K': return "wakekill";
	default: return "unknown state";
	}
}

int inv_walk_state(struct inv *v, pid_t pid, const pid_t *tids, size_t ntids)
{
	for (size_t i = 0; i < ntids; i++) {
		int st = proc_task_state(pid, tids[i]);
		char letter[2] = { (char)st, 0 };
		struct inv_item it = { .source = INV_STATE, .root = inv_root(v), .pid = pid,
				       .tid = tids[i], .value = letter, .key = state_name(st) };

		if (st < 0)
			continue; /* gone meanwhile */
		inv_offer(v, &it);
	}
	return 0;
}
