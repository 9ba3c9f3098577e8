/* SPDX-License-Identifier: MIT */
/*
 * Source: each thread's scheduling, as sched_getattr() gives it (policy,
 * flags, nice value, real-time priority, deadline parameters, utilization
 * clamps), and its I/O priority (ioprio_get). A restored thread has what
 * the restorer has: ferry carries none of these yet, so a kind that comes
 * to carry one claims it (INV_SCHED, its key).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/sched_attr.h"
#include "inventory.h"

#define IOPRIO_WHO_PROCESS 1

const struct inv_rule inv_sched_rules[] = {
	INV_DEFAULT("policy", "its scheduling policy", "0"),
	INV_DEFAULT("flags", "its scheduling flags (such as SCHED_FLAG_RESET_ON_FORK)", "0"),
	INV_DEFAULT("nice", "its nice value", "0"),
	INV_DEFAULT("rt_priority", "its real-time priority", "0"),
	/* a fair task's runtime is its time slice, the restorer's by default */
	INV_FERRYS("runtime", "its scheduling runtime (time slice)"),
	INV_DEFAULT("deadline", "its scheduling deadline", "0"),
	INV_DEFAULT("period", "its scheduling period", "0"),
	INV_FERRYS("util_min", "its minimum utilization clamp"),
	INV_FERRYS("util_max", "its maximum utilization clamp"),
	INV_DEFAULT("ioprio", "its I/O priority", "0"),
	INV_RULES_END,
};

static void offer(struct inv *v, pid_t pid, pid_t tid, const char *key, long long value)
{
	char s[32];
	struct inv_item it = { .source = INV_SCHED, .root = inv_root(v), .pid = pid, .tid = tid,
			       .key = key, .value = s };

	snprintf(s, sizeof(s), "%lld", value);
	inv_offer(v, &it);
}

int inv_walk_sched(struct inv *v, pid_t pid, const pid_t *tids, size_t ntids)
{
	for (size_t i = 0; i < ntids; i++) {
		struct glue_sched_attr a = { 0 };
		pid_t tid = tids[i];
		long prio;

		if (syscall(SYS_sched_getattr, tid, &a, sizeof(a), 0) < 0) {
			if (errno == ESRCH)
				continue;
			return log_error_errno(-errno, "pid %d tid %d: cannot read its scheduling",
					       pid, tid);
		}
		offer(v, pid, tid, "policy", a.policy);
		offer(v, pid, tid, "flags", (long long)a.flags);
		offer(v, pid, tid, "nice", a.nice);
		offer(v, pid, tid, "rt_priority", a.priority);
		offer(v, pid, tid, "runtime", (long long)a.runtime);
		offer(v, pid, tid, "deadline", (long long)a.deadline);
		offer(v, pid, tid, "period", (long long)a.period);
		if (a.size >= sizeof(a)) {
			offer(v, pid, tid, "util_min", a.util_min);
			offer(v, pid, tid, "util_max", a.util_max);
		}
		prio = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, tid);
		if (prio < 0 && errno != ESRCH)
			return log_error_errno(
				-errno, "pid %d tid %d: cannot read its I/O priority", pid, tid);
		if (prio >= 0)
			offer(v, pid, tid, "ioprio", prio);
	}
	return 0;
}
