/* SPDX-License-Identifier: MIT */
/*
 * Source: every entry of /proc/PID/ns, its link ("net:[4026531840]")
 * offered as the value. Restored processes are made in the restorer's
 * namespaces: only ferry's own are accepted, except the time namespace,
 * whose clocks ferry carries (claimed by checkpoint/dump_time.c), the UTS
 * namespace, carried when every process is in the first one's
 * (kinds/uts_ns.c), likewise the IPC namespace (kinds/ipc_ns.c), the
 * network namespace (kinds/net_ns.c, when its devices are lo and at most
 * a veth to ferry's) and the
 * user namespace (kinds/user_ns.c, whose claim also refuses ferry's own for
 * a process whose first process is in another), and the mount namespace,
 * rebuilt by kinds/mount_ns.c. A namespace this list does not know is
 * refused.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "../common/state.h"
#include "inventory.h"

const struct inv_rule inv_ns_rules[] = {
	INV_FERRYS("cgroup", "its cgroup namespace"),
	INV_FERRYS("ipc", "its IPC namespace"),
	/* another is carried by kinds/mount_ns.c */
	INV_FERRYS("mnt", "its mount namespace"),
	/* another is carried by kinds/net_ns.c */
	INV_FERRYS("net", "its network namespace"),
	INV_FERRYS("pid", "its PID namespace"),
	INV_FERRYS("pid_for_children", "the PID namespace of its children"),
	INV_FERRYS("time", "its time namespace"),
	INV_FERRYS("time_for_children", "the time namespace of its children"),
	/* another is carried by kinds/user_ns.c */
	INV_FERRYS("user", "its user namespace"),
	INV_FERRYS("uts", "its UTS namespace (host name)"),
	INV_RULES_END,
};

int inv_walk_ns(struct inv *v, pid_t pid)
{
	char dir[64], path[64 + 256];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/ns", pid);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT
			       ? 0
			       : log_error_errno(-errno, "pid %d: cannot list %s", pid, dir);
	while ((de = readdir(d))) {
		struct inv_item it = { .source = INV_NS, .root = inv_root(v), .pid = pid,
				       .tid = pid, .key = de->d_name };
		char *link;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (proc_read_link(path, &link) < 0)
			continue; /* gone meanwhile */
		it.value = link;
		inv_offer(v, &it);
		free(link);
	}
	closedir(d);
	return 0;
}
