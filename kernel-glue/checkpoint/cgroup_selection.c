/* SPDX-License-Identifier: MIT */
/*
 * A selection named by a cgroup (`--cgroup PATH`, `--unit NAME`): the
 * processes of the cgroup and of every cgroup below it, which must be one
 * process and all of its descendants, so that the selection is the tree
 * of that process (what a service is: its main process and the children
 * it forks, in its unit's cgroup). Anything else is refused by name: a
 * second tree in the cgroup, or a descendant of the tree outside it.
 * Checked before the freeze (ferry_cgroup_root) and again once the tree
 * is frozen (cgroup_selection_check), since processes may have joined or
 * left between the two.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/cgroupfs.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "../common/state.h"
#include "ferry-glue/checkpoint.h"
#include "internal.h"

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

static bool has(const pid_t *v, size_t n, pid_t p)
{
	return n && bsearch(&p, v, n, sizeof(*v), cmp_pid);
}

/* The members of cgroup @path of the cgroup2 hierarchy, sorted, each once. */
static int members_of(const char *path, pid_t **ret, size_t *ret_n)
{
	char top[1024], dir[4096 + 1024];
	size_t n, k = 0;
	pid_t *v;
	int r;

	if (path[0] != '/' || strstr(path, "/.."))
		return log_error_errno(-EINVAL, "cgroup %s: give its absolute path in the cgroup2 "
				       "hierarchy, as /proc/PID/cgroup shows it", path);
	r = cgroupfs_mount("", top, sizeof(top));
	if (r < 0)
		return log_error_errno(r, "cgroup %s: the cgroup2 hierarchy is not mounted here", path);
	snprintf(dir, sizeof(dir), "%s%s", top, strcmp(path, "/") ? path : "");
	r = cgroupfs_members(dir, &v, &n);
	if (r < 0)
		return log_error_errno(r, "cgroup %s: cannot list its processes (%s)", path, dir);
	qsort(v, n, sizeof(*v), cmp_pid);
	for (size_t i = 0; i < n; i++)
		if (!k || v[k - 1] != v[i])
			v[k++] = v[i];
	*ret = v;
	*ret_n = k;
	return 0;
}

/*
 * The one tree the sorted @members form: its root in *root, or refused
 * by name (-EOPNOTSUPP). The members whose parent is not a member are the
 * roots (field 4 of /proc/PID/stat); each root's descendants must be
 * members.
 */
static int one_tree(const char *path, const pid_t *members, size_t n, pid_t *root)
{
	pid_t *roots = NULL, *walk = NULL;
	size_t nroots = 0, nwalk = 0;
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++) {
		uint64_t f[5];
		pid_t *slot;

		if (proc_stat_fields(members[i], f, 5) < 0 || has(members, n, (pid_t)f[4]))
			continue; /* gone since (it is not frozen then), or a child of a member */
		slot = ST_PUSH(roots, nroots);
		if (!slot)
			r = -ENOMEM;
		else
			*slot = members[i];
	}
	for (size_t i = 0; i < nroots && r == 0; i++) {
		pid_t *slot = ST_PUSH(walk, nwalk);

		if (!slot) {
			r = -ENOMEM;
			break;
		}
		*slot = roots[i];
		for (size_t w = nwalk - 1; w < nwalk && r == 0; w++) {
			pid_t *kids;
			size_t nkids;

			if (proc_list_children(walk[w], &kids, &nkids) < 0)
				continue;
			for (size_t k = 0; k < nkids && r == 0; k++) {
				if (!has(members, n, kids[k]))
					r = log_error_errno(-EOPNOTSUPP, "cgroup %s: pid %d, a descendant "
							    "of its pid %d, is in another cgroup: "
							    "the selection is one tree, all of it "
							    "in the cgroup", path, kids[k], roots[i]);
				else if ((slot = ST_PUSH(walk, nwalk)))
					*slot = kids[k];
				else
					r = -ENOMEM;
			}
			free(kids);
		}
	}
	if (r == 0 && n == 0)
		r = log_error_errno(-ESRCH, "cgroup %s holds no process", path);
	if (r == 0 && nroots != 1)
		r = log_error_errno(-EOPNOTSUPP, "cgroup %s holds %zu process trees (pids %d and %d "
				    "have no parent in it): the selection is one tree", path,
				    nroots, roots[0], nroots > 1 ? roots[1] : 0);
	if (r == 0)
		*root = roots[0];
	free(roots);
	free(walk);
	return r;
}

int ferry_cgroup_root(const char *path, pid_t *root)
{
	pid_t *members;
	size_t n;
	int r = members_of(path, &members, &n);

	if (r < 0)
		return r;
	r = one_tree(path, members, n, root);
	free(members);
	return r;
}

int cgroup_selection_check(const char *path, const pid_t *frozen, size_t nfrozen)
{
	pid_t *members, *sorted;
	size_t n;
	int r = members_of(path, &members, &n);

	if (r < 0)
		return r;
	sorted = malloc((nfrozen ? nfrozen : 1) * sizeof(*sorted));
	if (!sorted) {
		free(members);
		return -ENOMEM;
	}
	memcpy(sorted, frozen, nfrozen * sizeof(*sorted));
	qsort(sorted, nfrozen, sizeof(*sorted), cmp_pid);
	for (size_t i = 0; i < n && r == 0; i++)
		if (!has(sorted, nfrozen, members[i]))
			r = log_error_errno(-EOPNOTSUPP, "cgroup %s: pid %d joined it during the "
					    "freeze, outside the tree", path, members[i]);
	for (size_t i = 0; i < nfrozen && r == 0; i++)
		if (!has(members, n, sorted[i]))
			r = log_error_errno(-EOPNOTSUPP, "cgroup %s: pid %d of the tree is not in it "
					    "(it moved during the freeze)", path, sorted[i]);
	free(sorted);
	free(members);
	return r;
}
