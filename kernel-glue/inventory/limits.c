/* SPDX-License-Identifier: MIT */
/*
 * Source: /proc/PID/limits, each resource limit offered under the kernel's
 * name with its soft and hard values. checkpoint/dump_process.c claims the
 * ones it carries (those the restorer can set); a resource this table
 * does not know, a kernel newer than ferry, has no claim and is refused.
 */
#include <errno.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "inventory.h"

const struct inv_rule inv_limit_rules[] = {
	INV_RULES_END,
};

int inv_walk_limits(struct inv *v, pid_t pid)
{
	struct proc_limit lim[32];
	size_t n;
	int r = proc_read_limits(pid, lim, 32, &n);

	if (r == -ENOENT)
		return 0; /* gone meanwhile */
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read /proc/%d/limits%s", pid, pid,
				r == -EPROTO ? ": a line is not as this kernel writes it" : "");
	for (size_t i = 0; i < n; i++) {
		struct inv_item it = { .source = INV_LIMIT, .root = inv_root(v), .pid = pid,
				       .tid = pid, .key = lim[i].name, .value = lim[i].words };

		inv_offer(v, &it);
	}
	return 0;
}
