/* SPDX-License-Identifier: MIT */
/*
 * The control groups of a process: its line of /proc/PID/cgroup in each
 * hierarchy ("CONTROLLERS:PATH"; CONTROLLERS empty for the cgroup2
 * hierarchy, "name=systemd" for a named one), which its threads share.
 * A service under systemd runs in its unit's cgroup, not in ferry's.
 *
 * Carried: the path in every hierarchy, recorded without the kernel's
 * hierarchy numbers (they are given at mount time, another boot gives
 * others). Restored: as soon as a stub exists, it is moved into the same
 * path of each hierarchy by writing its pid to cgroup.procs where the
 * restorer has that hierarchy mounted, before its memory comes back (so
 * that memory is charged where it was). A cgroup that does not exist is
 * made, and removed again by a restore that fails. Read back, and
 * verified before the processes run.
 *
 * Not carried: the settings of the cgroups (limits, weights, controllers
 * enabled below them), which belong to the cgroup and whoever manages it
 * (systemd sets them again for its units); a cgroup this restore makes
 * has the settings a new one gets. A thread in another cgroup than its
 * process (cgroup v2 threaded mode, cgroup v1 per-thread tasks) is
 * refused before the freeze. The cgroup namespace must be ferry's
 * (inventory/ns.c).
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/cgroupfs.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

struct cgroup_process {
	bool recorded; /* false: an image before 1.4, the restorer's cgroups */
	/* "CONTROLLERS:PATH" of each hierarchy where PATH is not "/", in the
	 * kernel's order, one per line; "" when every one is "/" */
	char *paths;
};

static const struct meta_field cgroup_process_fields[] = {
	META_STR(FM_P_CGROUPS, struct cgroup_process, paths, 0,
		 .present = META_PRESENT(struct cgroup_process, recorded)),
	{ 0 },
};

extern const struct kind kind_cgroup;

/*
 * /proc/PID/cgroup (or /proc/PID/task/TID/cgroup) without its hierarchy
 * numbers and without the hierarchies where it is in the root cgroup:
 * "CONTROLLERS:PATH\n" each. -EINVAL for a line it cannot read.
 */
static int read_paths(const char *file, char **ret)
{
	char *buf, *out;
	size_t n = 0;
	int r = proc_read_file(file, &buf, NULL);

	if (r < 0)
		return r;
	out = malloc(strlen(buf) + 1);
	if (!out) {
		free(buf);
		return -ENOMEM;
	}
	for (char *line = buf, *next; line && *line; line = next) {
		char *ctrl = strchr(line, ':'), *path;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		path = ctrl ? strchr(ctrl + 1, ':') : NULL;
		if (!path || path[1] != '/') {
			free(buf);
			free(out);
			return -EINVAL;
		}
		if (strcmp(path + 1, "/") == 0)
			continue;
		n += sprintf(out + n, "%s\n", ctrl + 1);
	}
	out[n] = 0;
	free(buf);
	*ret = out;
	return 0;
}

/* The path of hierarchy @ctrl in @paths (as read_paths makes them), "/"
 * when it is not listed, in @buf. */
static const char *path_in(const char *paths, const char *ctrl, char *buf, size_t size)
{
	size_t clen = strlen(ctrl);

	for (const char *line = paths; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len > clen && strncmp(line, ctrl, clen) == 0 && line[clen] == ':') {
			snprintf(buf, size, "%.*s", (int)(len - clen - 1), line + clen + 1);
			return buf;
		}
		line = end ? end + 1 : NULL;
	}
	return "/";
}

/* ---- checkpoint ---- */

/* Every thread in its process's cgroups. */
static bool threads_alike(const struct inv_item *it)
{
	char path[64], *own, *theirs;
	pid_t *tids;
	size_t n;
	bool alike = true;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", it->pid);
	if (read_paths(path, &own) < 0)
		return false;
	if (proc_list_tasks(it->pid, &tids, &n) < 0) {
		free(own);
		return false;
	}
	for (size_t i = 0; i < n && alike; i++) {
		snprintf(path, sizeof(path), "/proc/%d/task/%d/cgroup", it->pid, tids[i]);
		if (read_paths(path, &theirs) == 0) {
			alike = strcmp(own, theirs) == 0;
			free(theirs);
		}
	}
	free(tids);
	free(own);
	return alike;
}

static const struct inv_claim cgroup_claims[] = {
	INV_CLAIM_IF(INV_PROC, "cgroup", threads_alike,
		     "a thread in other cgroups than its process's is not supported"),
	/* the path of its cpuset cgroup, which goes with its cgroups; the
	 * CPUs it allows are the affinity kind's */
	INV_CLAIM(INV_PROC, "cpuset"),
	INV_CLAIMS_END,
};

static int cgroup_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	struct cgroup_process *cp;
	char path[64], *paths;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	r = read_paths(path, &paths);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read %s", pid, path);
	cp = kind_process_data(p, &kind_cgroup);
	if (!cp) {
		free(paths);
		return -ENOMEM;
	}
	(void)c;
	cp->recorded = true;
	cp->paths = paths;
	return 0;
}

/* ---- metadata ---- */

/* NULL when @paths is lines "CONTROLLERS:PATH\n", each hierarchy once,
 * PATH absolute, not "/", shorter than PATH_MAX and without a '..'
 * component (the restore makes directories there), else why not. */
static const char *paths_problem(const char *paths)
{
	for (const char *line = paths; *line;) {
		const char *end = strchr(line, '\n'), *colon = strchr(line, ':');

		if (!end || !colon || colon > end)
			return "a line is not CONTROLLERS:PATH";
		if (colon[1] != '/' || end == colon + 2)
			return "a path is not absolute, or is the root";
		if (end - colon >= PATH_MAX)
			return "a path is longer than PATH_MAX";
		if (memchr(line, '/', colon - line))
			return "a hierarchy's name has a '/'";
		for (const char *c = colon; (c = strstr(c, "/..")) && c < end; c += 3)
			if (c[3] == '/' || c + 3 == end)
				return "a path has a '..' component";
		for (const char *l = paths; l < line; l = strchr(l, '\n') + 1)
			if (strncmp(l, line, colon - line + 1) == 0)
				return "a hierarchy is named twice";
		line = end + 1;
	}
	return NULL;
}

static int cgroup_image_check(struct meta_in *in, struct st_image *img)
{
	for (size_t i = 0; i < img->nprocs && !in->err; i++) {
		const struct cgroup_process *cp = kind_process_data_if(&img->procs[i], &kind_cgroup);
		const char *why = cp && cp->recorded ? paths_problem(cp->paths) : NULL;

		if (why)
			in->err = log_error_errno(-EINVAL, "image metadata: pid %d: its cgroups: %s",
						  img->procs[i].pid, why);
	}
	return in->err;
}

/* ---- restore ---- */

/* the cgroups this restore made, deepest last */
struct made_cgroups {
	char **dirs;
	size_t n;
};

/* mkdir -p of @dir below @top, each directory made kept in @m */
static int make_dirs(struct made_cgroups *m, const char *top, const char *dir)
{
	size_t tlen = strlen(top);
	char *path = strdup(dir);
	int r = 0;

	if (!path)
		return -ENOMEM;
	for (char *p = path + tlen + 1; r == 0; p++) {
		bool last = !*p;
		char **slot;

		if (*p != '/' && !last)
			continue;
		*p = 0;
		if (mkdir(path, 0755) == 0) {
			slot = ST_PUSH(m->dirs, m->n);
			if (!slot || !(*slot = strdup(path)))
				r = -ENOMEM;
		} else if (errno != EEXIST) {
			r = -errno;
		}
		if (last)
			break;
		*p = '/';
	}
	free(path);
	return r;
}

static int move_into(struct rst *r, pid_t pid, const char *ctrl, const char *want)
{
	struct made_cgroups *m = rst_kind_state(r, &kind_cgroup, sizeof(*m));
	char top[1024], dir[4096 + 1024], procs[sizeof(dir) + 16], buf[16];
	int fd, n, e;

	if (!m)
		return -ENOMEM;
	e = cgroupfs_mount(ctrl, top, sizeof(top));
	if (e < 0)
		return log_error_errno(e, "pid %d: cannot put it into its cgroup %s:%s: the restorer "
				"has no mount of the %s hierarchy", pid, ctrl, want,
				*ctrl ? ctrl : "cgroup2");
	snprintf(dir, sizeof(dir), "%s%s", top, strcmp(want, "/") ? want : "");
	e = strcmp(want, "/") ? make_dirs(m, top, dir) : 0;
	if (e < 0)
		return log_error_errno(e, "pid %d: cannot make its cgroup %s", pid, dir);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "pid %d: cannot open %s", pid, procs);
	n = snprintf(buf, sizeof(buf), "%d", pid);
	e = write(fd, buf, n) == n ? 0 : -errno;
	close(fd);
	if (e < 0)
		return log_error_errno(e, "pid %d: cannot move it into its cgroup %s", pid, dir);
	return 0;
}

/* A stub is in the restorer's cgroups: into the process's own. */
static int cgroup_process_created(struct rst *r, struct rproc *rp)
{
	const struct cgroup_process *cp = kind_process_data_if(rp->p, &kind_cgroup);
	char file[64], *now, *buf;
	int e = 0;

	if (!cp || !cp->recorded)
		return 0; /* an image before 1.4: the restorer's, as then */
	snprintf(file, sizeof(file), "/proc/%d/cgroup", rp->pid);
	e = proc_read_file(file, &buf, NULL);
	if (e < 0)
		return log_error_errno(e, "pid %d: cannot read %s", rp->pid, file);
	/* each hierarchy of this kernel: where it is, where it goes */
	for (char *line = buf, *next; e == 0 && line && *line; line = next) {
		char *ctrl = strchr(line, ':'), *path, want[4096];
		const char *w;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		path = ctrl ? strchr(ctrl + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = 0;
		w = path_in(cp->paths, ctrl + 1, want, sizeof(want));
		if (strcmp(w, path) != 0)
			e = move_into(r, rp->pid, ctrl + 1, w);
	}
	free(buf);
	if (e < 0)
		return e;
	/* and a hierarchy of the image this kernel does not have */
	e = read_paths(file, &now);
	if (e < 0)
		return log_error_errno(e, "pid %d: cannot read %s", rp->pid, file);
	if (strcmp(now, cp->paths) != 0) {
		char *want = strdup(cp->paths);

		for (char *c = now; *c; c++)
			*c = *c == '\n' ? ' ' : *c;
		for (char *c = want; c && *c; c++)
			*c = *c == '\n' ? ' ' : *c;
		e = log_error_errno(-ENOENT, "pid %d: its cgroups are '%s', not '%s' (a hierarchy of "
				    "the image that this system does not have?)", rp->pid, now,
				    want ? want : cp->paths);
		free(want);
	}
	free(now);
	return e;
}

static int cgroup_verify_process(struct rst *r, struct rproc *rp)
{
	const struct cgroup_process *cp = kind_process_data_if(rp->p, &kind_cgroup);
	char file[64], *now;
	int e;

	(void)r;
	if (!cp || !cp->recorded)
		return 0;
	snprintf(file, sizeof(file), "/proc/%d/cgroup", rp->pid);
	e = read_paths(file, &now);
	if (e < 0)
		return log_error_errno(e, "pid %d: cannot read %s", rp->pid, file);
	if (strcmp(now, cp->paths) != 0)
		e = verify_differs(rp, "its cgroups are '%s', were '%s'", now, cp->paths);
	free(now);
	return e;
}

/* The processes are gone: the cgroups this restore made go too, deepest
 * first (an exiting process may still be counted for a moment). */
static void cgroup_restore_failed(struct rst *r)
{
	struct made_cgroups *m = rst_kind_state(r, &kind_cgroup, 0);

	for (size_t i = m ? m->n : 0; i-- > 0;) {
		int tries = 0;

		while (rmdir(m->dirs[i]) < 0 && errno == EBUSY && tries++ < 100)
			nanosleep(&(struct timespec){ .tv_nsec = 10000000 }, NULL);
		if (access(m->dirs[i], F_OK) == 0)
			log_warning("cannot remove the cgroup %s this restore made: %s", m->dirs[i],
				    strerror(errno));
	}
}

static void cgroup_restore_end(struct rst *r)
{
	struct made_cgroups *m = rst_kind_state(r, &kind_cgroup, 0);

	for (size_t i = 0; m && i < m->n; i++)
		free(m->dirs[i]);
	if (m) {
		free(m->dirs);
		m->dirs = NULL;
		m->n = 0;
	}
}

const struct kind kind_cgroup = {
	.name = "cgroup",
	.claims = cgroup_claims,
	.dump_process = cgroup_dump_process,
	.process_size = sizeof(struct cgroup_process),
	.process_fields = cgroup_process_fields,
	.image_check = cgroup_image_check,
	.process_created = cgroup_process_created,
	.verify_process = cgroup_verify_process,
	.restore_failed = cgroup_restore_failed,
	.restore_end = cgroup_restore_end,
};
