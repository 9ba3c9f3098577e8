/* SPDX-License-Identifier: MIT */
/*
 * Source: every entry of /proc/PID/ns, its link ("net:[4026531840]")
 * offered as the value. Restored processes are made in the restorer's
 * namespaces: only ferry's own are accepted (a mount namespace with the
 * same mounts too), except the time namespace, whose clocks ferry carries
 * (claimed by checkpoint/dump_time.c), and the UTS namespace, carried
 * when every process is in the first one's (kinds/uts_ns.c). A
 * namespace this list does not know is refused.
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

static int cmp_strp(const char *const *a, const char *const *b)
{
	return strcmp(*a, *b);
}

/* "ROOT MOUNTPOINT OPTIONS FSTYPE SOURCE" of each line of a mountinfo, sorted */
static int mount_list(pid_t pid, char ***ret, size_t *ret_n)
{
	char path[64], *buf, **v = NULL;
	size_t n = 0;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/mountinfo", pid);
	r = proc_read_file(path, &buf, NULL);
	if (r < 0)
		return r;
	for (char *line = buf, *next; line && *line; line = next) {
		char root[1024], point[1024], opts[512], fstype[64], source[1024];
		const char *dash;
		char **slot;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		dash = strstr(line, " - ");
		if (!dash ||
		    sscanf(line, "%*s %*s %*s %1023s %1023s %511s", root, point, opts) != 3 ||
		    sscanf(dash + 3, "%63s %1023s", fstype, source) != 2)
			continue;
		slot = ST_PUSH(v, n);
		if (!slot ||
		    asprintf(slot, "%s %s %s %s %s", root, point, opts, fstype, source) < 0) {
			r = -ENOMEM;
			break;
		}
	}
	free(buf);
	qsort(v, n, sizeof(*v), (int (*)(const void *, const void *))cmp_strp);
	*ret = v;
	*ret_n = n;
	return r;
}

/*
 * A mount namespace other than ferry's with the same mounts (what `ip
 * netns exec` makes: a copy with its own /sys) resolves every path as
 * ferry's does, where the restored process will be.
 */
static bool same_mounts(const struct inv_item *it)
{
	char **mine = NULL, **theirs = NULL;
	size_t nmine = 0, ntheirs = 0;
	bool same;

	same = mount_list(getpid(), &mine, &nmine) == 0 &&
	       mount_list(it->pid, &theirs, &ntheirs) == 0 && nmine == ntheirs;
	for (size_t i = 0; same && i < nmine; i++)
		same = strcmp(mine[i], theirs[i]) == 0;
	for (size_t i = 0; i < nmine; i++)
		free(mine[i]);
	for (size_t i = 0; i < ntheirs; i++)
		free(theirs[i]);
	free(mine);
	free(theirs);
	return same;
}

const struct inv_rule inv_ns_rules[] = {
	INV_FERRYS("cgroup", "its cgroup namespace"),
	INV_FERRYS("ipc", "its IPC namespace"),
	{ .key = "mnt", .what = "its mount namespace, whose mounts differ from ferry's,",
	  .same_as_ferry = true, .accept = same_mounts },
	INV_FERRYS("net", "its network namespace"),
	INV_FERRYS("pid", "its PID namespace"),
	INV_FERRYS("pid_for_children", "the PID namespace of its children"),
	INV_FERRYS("time", "its time namespace"),
	INV_FERRYS("time_for_children", "the time namespace of its children"),
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
