/* SPDX-License-Identifier: MIT */
/*
 * Source: the files of /proc/PID that hold a setting of the process (its
 * OOM score adjustment, audit login uid, cgroups, security label, core
 * dump filter, autogroup, personality), each offered with its
 * whole contents, and its working directory's path (the cwd link). Files a kernel lacks (no audit, no LSM) are left out.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../common/procfs.h"
#include "inventory.h"

/* an autogroup of its own comes with setsid(), which restore calls;
 * only its nice value is a setting (none: autogroups are off) */
static bool autogroup_nice_0(const struct inv_item *it)
{
	size_t n = strlen(it->value);

	return n == 0 || (n >= 7 && strcmp(it->value + n - 7, " nice 0") == 0);
}

/*
 * The working directory (the "cwd" link, its path as the process sees
 * it): the restore goes back to it by path, so the path must lead to it in
 * the process's own mount namespace; a mount over one of its components
 * hides it.
 */
static bool cwd_reachable(const struct inv_item *it)
{
	char link[64], where[PATH_MAX + 64];
	struct stat real, named;

	snprintf(link, sizeof(link), "/proc/%d/cwd", it->pid);
	if (stat(link, &real) < 0)
		return true; /* gone: the freeze says so */
	return stat(proc_path_of(it->pid, it->value, where, sizeof(where)), &named) == 0 &&
	       named.st_dev == real.st_dev && named.st_ino == real.st_ino;
}

const struct inv_rule inv_proc_rules[] = {
	INV_DEFAULT("oom_score_adj", "its OOM score adjustment", "0"),
	INV_DEFAULT("loginuid", "its audit login uid", "4294967295"),
	INV_FERRYS("cgroup", "its cgroups"),
	INV_FERRYS("cpuset", "its cpuset"),
	INV_FERRYS("attr/current", "its security label"),
	INV_FERRYS("coredump_filter", "its core dump filter"),
	INV_ACCEPT("autogroup", "its autogroup's nice value", autogroup_nice_0),
	INV_DEFAULT("make-it-fail", "its fault injection", "0"),
	INV_DEFAULT("fail-nth", "its fault injection", "0"),
	/* the audit session cannot be set by anyone: a restored process is in
	 * the restorer's, like every process started then */
	INV_NO_STATE("sessionid"),
	INV_ACCEPT_WHY("cwd", "its working directory", cwd_reachable,
		       "its path leads elsewhere in its mount namespace (deleted, or something "
		       "is mounted over it): the restore could not go back to it"),
	INV_RULES_END,
};

static const char *const files[] = {
	"oom_score_adj", "loginuid", "cgroup", "cpuset", "attr/current", "coredump_filter",
	"autogroup", "make-it-fail", "fail-nth", "sessionid", "personality",
};

static int walk_cwd(struct inv *v, pid_t pid)
{
	struct inv_item it = { .source = INV_PROC, .root = inv_root(v), .pid = pid,
			       .tid = pid, .key = "cwd" };
	char path[64], *s;

	snprintf(path, sizeof(path), "/proc/%d/cwd", pid);
	if (proc_read_link(path, &s) < 0)
		return 0; /* gone */
	it.value = s;
	inv_offer(v, &it);
	free(s);
	return 0;
}

int inv_walk_proc(struct inv *v, pid_t pid)
{
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[64], *s;
		struct inv_item it = { .source = INV_PROC, .root = inv_root(v), .pid = pid,
				       .tid = pid, .key = files[i] };
		size_t n;
		int r;

		snprintf(path, sizeof(path), "/proc/%d/%s", pid, files[i]);
		r = proc_read_file(path, &s, NULL);
		if (r < 0)
			continue; /* not on this kernel, no such module (EINVAL), or gone */
		for (n = strlen(s); n && (s[n - 1] == '\n' || s[n - 1] == ' ');)
			s[--n] = 0;
		for (char *p = s; *p; p++)
			if (*p == '\n')
				*p = ' ';
		it.value = s;
		inv_offer(v, &it);
		free(s);
	}
	return walk_cwd(v, pid);
}
