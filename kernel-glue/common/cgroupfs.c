/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroupfs.h"
#include "mountinfo.h"
#include "procfs.h"
#include "state.h"

/* Is @ctrl the hierarchy of a mount of type @fstype with super options @opts? */
static bool mount_is(const char *ctrl, const char *fstype, const char *opts)
{
	char want[256];

	if (!*ctrl)
		return strcmp(fstype, "cgroup2") == 0;
	if (strcmp(fstype, "cgroup") != 0)
		return false;
	snprintf(want, sizeof(want), "%s", ctrl);
	/* every controller of the hierarchy is one of the mount's options */
	for (char *save, *c = strtok_r(want, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
		size_t len = strlen(c);
		bool found = false;

		for (const char *o = opts; *o && !found;) {
			const char *end = strchr(o, ',');
			size_t olen = end ? (size_t)(end - o) : strlen(o);

			found = olen == len && strncmp(o, c, len) == 0;
			o = end ? end + 1 : o + olen;
		}
		if (!found)
			return false;
	}
	return true;
}

int cgroupfs_mount(const char *ctrl, char *buf, size_t size)
{
	struct mountinfo *v;
	size_t n;
	int r = mountinfo_read_self(&v, &n);

	if (r < 0)
		return r;
	r = -ENOENT;
	for (size_t i = 0; i < n && r == -ENOENT; i++)
		if (strcmp(v[i].root, "/") == 0 && mount_is(ctrl, v[i].fstype, v[i].super)) {
			char point[MOUNTINFO_FIELD_MAX];

			mountinfo_unescape(v[i].point, point, sizeof(point));
			r = (size_t)snprintf(buf, size, "%s", point) < size ? 0 : -ENAMETOOLONG;
		}
	free(v);
	return r;
}

static int add_members(const char *dir, pid_t **pids, size_t *n, int depth)
{
	char path[4096], *buf;
	DIR *d;
	struct dirent *e;
	int r;

	if (depth > 64)
		return -ELOOP;
	if ((size_t)snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= sizeof(path))
		return -ENAMETOOLONG;
	r = proc_read_file(path, &buf, NULL);
	if (r < 0)
		return r;
	for (char *p = buf, *end; *p; p = end) {
		long v = strtol(p, &end, 10);
		pid_t *slot;

		if (end == p)
			break;
		slot = ST_PUSH(*pids, *n);
		if (!slot) {
			free(buf);
			return -ENOMEM;
		}
		*slot = (pid_t)v;
	}
	free(buf);
	d = opendir(dir);
	if (!d)
		return -errno;
	while (r == 0 && (e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			r = -ENAMETOOLONG;
		else
			r = add_members(path, pids, n, depth + 1);
	}
	closedir(d);
	return r;
}

int cgroupfs_members(const char *dir, pid_t **ret, size_t *ret_n)
{
	pid_t *pids = NULL;
	size_t n = 0;
	int r = add_members(dir, &pids, &n, 0);

	if (r < 0) {
		free(pids);
		return r;
	}
	*ret = pids;
	*ret_n = n;
	return 0;
}
