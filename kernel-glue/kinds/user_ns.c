/* SPDX-License-Identifier: MIT */
/*
 * The user namespace of the selection, when it is not ferry's: what
 * systemd's PrivateUsers= makes for a service. Carried: one user
 * namespace, a child of ferry's, shared by every process of the
 * selection: its uid_map and gid_map, its setgroups ("allow" or "deny")
 * and its owner's uid; the processes' credentials and capabilities as
 * they are inside it.
 *
 * The other namespaces of the selection must be owned by ferry's user
 * namespace, as systemd 252 makes them for a system service: running
 * with CAP_SYS_ADMIN it makes the mount, UTS, IPC and network namespaces
 * first and the user namespace last, just before it changes user (only an
 * unprivileged manager makes the user namespace first, and then owns the
 * others with it). Refused by name before the freeze (the inventory's
 * "user" of /proc/PID/ns, claimed here; inventory/ns.c): processes in more
 * than one user namespace, ferry's included; a user namespace that is not
 * a child of ferry's (nested); one without a uid or gid map, with more
 * than 340 lines in one, or with a projid_map; a process whose user,
 * group or filesystem ids its namespace does not map; a namespace of a
 * process owned by its user namespace (NS_GET_USERNS).
 *
 * Checkpoint: the maps and setgroups as /proc/PID/{uid,gid}_map and
 * setgroups show them to ferry (the outside ids in ferry's namespace),
 * the owner by NS_GET_OWNER_UID. Credentials are recorded as ferry sees
 * them (/proc/PID/status), capabilities as the process has them, in its
 * namespace.
 *
 * Restore: restore_begin makes the namespace in a child of the restorer
 * (unshare CLONE_NEWUSER, as the owner uid): the restorer writes its
 * setgroups, gid_map and uid_map, keeps it open and lets the child go.
 * The processes are made, their memory, files and attributes given back,
 * in ferry's namespace, as ever; then (restore_finish, the last kind's,
 * once every file is settled, while each is a lone thread) each process
 * takes its supplementary groups (setgroups() is denied inside when
 * setgroups is "deny") and joins the namespace (setns CLONE_NEWUSER, which
 * gives it every capability inside). Its other threads are made from it
 * there: clone3 with set_tid needs CAP_CHECKPOINT_RESTORE over the PID
 * namespace, which the joined process no longer has, so the restorer
 * writes the thread id before it to /proc/sys/kernel/ns_last_pid and the
 * process clones without set_tid (another process forking meanwhile in
 * the PID namespace takes the id, and the restore fails, named). Its
 * credentials are then set inside, each id translated through the map
 * (restore/restore_process.c: user_ns_id_inside()). Verified before they
 * run: every process is in one user namespace, a child of the
 * restorer's, with the image's maps, setgroups and owner, and its other
 * namespaces are owned by the restorer's.
 */
#include <errno.h>
#include <fcntl.h>
#include <libfdt.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

#define USERNS_MAP_LINES 340 /* UID_GID_MAP_MAX_EXTENTS since Linux 4.15 */
#define USERNS_MAP_MAX 8192  /* bytes of one map as the image holds it */

struct userns_data {
	char *uid_map, *gid_map; /* "INSIDE OUTSIDE COUNT\n" lines */
	char *setgroups;         /* "allow" or "deny" */
	uint32_t owner;          /* NS_GET_OWNER_UID, in the writer's namespace */
};

struct userns_image {
	struct userns_data *ns; /* none: ferry's own; else one */
	size_t n;
};

static int userns_node_check(struct meta_in *in, int node, void *obj);

static const struct meta_field userns_fields[] = {
	META_STR(FM_USERNS_UID_MAP, struct userns_data, uid_map, META_REQUIRED),
	META_STR(FM_USERNS_GID_MAP, struct userns_data, gid_map, META_REQUIRED),
	META_STR(FM_USERNS_SETGROUPS, struct userns_data, setgroups, META_REQUIRED),
	META_U32(FM_USERNS_OWNER, struct userns_data, owner, META_REQUIRED),
	{ 0 },
};

static const struct meta_node userns_node = {
	.name = FM_USERNS, .size = sizeof(struct userns_data), .fields = userns_fields,
	.check = userns_node_check,
};

static const struct meta_field userns_image_fields[] = {
	META_NODES(NULL, struct userns_image, ns, n, &userns_node, META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_user_ns;

/* ---- maps ---- */

struct id_extent {
	uint32_t inside, outside, count;
};

/*
 * Parse a map as the kernel writes it ("%10u %10u %10u\n" lines) or as the
 * image holds it; at most @max extents into @ret. Returns their number, or
 * -EINVAL: a line that is not three numbers, a count of 0, a range that
 * wraps, more than @max lines.
 */
static int map_parse(const char *text, struct id_extent *ret, size_t max)
{
	size_t n = 0;

	while (*text) {
		unsigned long long v[3];
		char *end;

		for (int i = 0; i < 3; i++) {
			while (*text == ' ')
				text++;
			if (*text < '0' || *text > '9')
				return -EINVAL;
			errno = 0;
			v[i] = strtoull(text, &end, 10);
			if (errno || v[i] > UINT32_MAX)
				return -EINVAL;
			text = end;
		}
		while (*text == ' ')
			text++;
		if (*text != '\n' || n == max || v[2] == 0 || v[0] + v[2] - 1 > UINT32_MAX ||
		    v[1] + v[2] - 1 > UINT32_MAX)
			return -EINVAL;
		text++;
		ret[n++] = (struct id_extent){ v[0], v[1], v[2] };
	}
	return (int)n;
}

/* The map normalized ("%u %u %u\n" lines), or NULL: malformed, or no memory. */
static char *map_normal(const char *text)
{
	struct id_extent ext[USERNS_MAP_LINES];
	char *out, *p;
	int n = map_parse(text, ext, USERNS_MAP_LINES);

	if (n < 0 || !(out = malloc((size_t)n * 33 + 1)))
		return NULL;
	p = out;
	*p = 0;
	for (int i = 0; i < n; i++)
		p += sprintf(p, "%u %u %u\n", ext[i].inside, ext[i].outside, ext[i].count);
	return out;
}

/* @id (outside: ferry's view) as the namespace of @map sees it; false: unmapped */
static bool map_inside(const char *map, uint32_t id, uint32_t *ret)
{
	struct id_extent ext[USERNS_MAP_LINES];
	int n = map_parse(map, ext, USERNS_MAP_LINES);

	for (int i = 0; i < n; i++)
		if (id >= ext[i].outside && id - ext[i].outside < ext[i].count) {
			*ret = ext[i].inside + (id - ext[i].outside);
			return true;
		}
	return false;
}

/* ---- namespaces as files ---- */

static bool same_file(int fd, const struct stat *st)
{
	struct stat o;

	return fstat(fd, &o) == 0 && o.st_dev == st->st_dev && o.st_ino == st->st_ino;
}

static int stat_ns(const char *path, struct stat *ret)
{
	return stat(path, ret) < 0 ? -errno : 0;
}

/* /proc/PID/FILE (PID 0: self) into a string, trailing newline kept. */
static int read_proc(pid_t pid, const char *file, char **ret)
{
	char path[64];
	size_t len;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	else
		snprintf(path, sizeof(path), "/proc/self/%s", file);
	return proc_read_file(path, ret, &len);
}

static const char *const owned_ns[] = { "mnt", "uts", "ipc", "net", "pid", "cgroup", "time" };

/*
 * Why the user namespace of @pid (open as @ufd) is not carried as it is,
 * into @why; @self: ferry's user namespace. false: it is carried.
 */
static bool userns_refused(pid_t pid, int ufd, const struct stat *self, char *why, size_t len)
{
	char *maps[3] = { NULL, NULL, NULL }, *status = NULL, path[64];
	static const char *const names[3] = { "uid_map", "gid_map", "projid_map" };
	struct id_extent ext[USERNS_MAP_LINES];
	bool refused = true;
	int parent;

	parent = ioctl(ufd, NS_GET_PARENT);
	if (parent < 0) {
		snprintf(why, len, "its user namespace is not a child of ferry's (NS_GET_PARENT: %s): "
			 "a nested user namespace is not carried", strerror(errno));
		return true;
	}
	if (!same_file(parent, self)) {
		close(parent);
		snprintf(why, len, "its user namespace is nested, in one that is not ferry's: one "
			 "level below ferry's is carried");
		return true;
	}
	close(parent);
	for (int i = 0; i < 3; i++)
		if (read_proc(pid, names[i], &maps[i]) < 0) {
			snprintf(why, len, "cannot read the %s of its user namespace", names[i]);
			goto out;
		}
	for (int i = 0; i < 2; i++) {
		int n = map_parse(maps[i], ext, USERNS_MAP_LINES);

		if (n <= 0) {
			snprintf(why, len, "its user namespace has %s %s: a map that cannot be "
				 "written again (none, or over %d lines) is not carried", n ? "a" : "no",
				 names[i], USERNS_MAP_LINES);
			goto out;
		}
	}
	if (maps[2][0]) {
		snprintf(why, len, "its user namespace has a projid_map: not carried yet");
		goto out;
	}
	/* every id of the process, mapped inside (it is set again there) */
	if (read_proc(pid, "status", &status) == 0) {
		for (int g = 0; g < 2; g++) {
			const char *key = g ? "\nGid:" : "\nUid:", *p = strstr(status, key);
			unsigned int id[4];
			uint32_t in;

			if (!p || sscanf(p + 5, "%u %u %u %u", &id[0], &id[1], &id[2], &id[3]) != 4) {
				snprintf(why, len, "cannot read its ids");
				goto out;
			}
			for (int k = 0; k < 4; k++)
				if (!map_inside(maps[g], id[k], &in)) {
					snprintf(why, len, "its %s %u is not mapped in its user namespace: "
						 "it could not be set again inside",
						 g ? "group id" : "user id", id[k]);
					goto out;
				}
		}
	}
	/* the namespaces it owns: none of the selection's */
	for (size_t i = 0; i < sizeof(owned_ns) / sizeof(owned_ns[0]); i++) {
		int fd, owner;
		bool mine;

		snprintf(path, sizeof(path), "/proc/%d/ns/%s", pid, owned_ns[i]);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* a kernel without it */
		owner = ioctl(fd, NS_GET_USERNS);
		close(fd);
		if (owner < 0) {
			snprintf(why, len, "cannot read the owner of its %s namespace (NS_GET_USERNS): %s",
				 owned_ns[i], strerror(errno));
			goto out;
		}
		mine = same_file(owner, self);
		close(owner);
		if (!mine) {
			snprintf(why, len, "its %s namespace is owned by its user namespace (made after "
				 "it, as an unprivileged manager makes it): only namespaces owned by "
				 "ferry's user namespace are carried", owned_ns[i]);
			goto out;
		}
	}
	refused = false;
out:
	for (int i = 0; i < 3; i++)
		free(maps[i]);
	free(status);
	return refused;
}

/* ---- inventory ---- */

/* the reason of the last refusal, named by the inventory */
static char userns_why[512] = "its user namespace is not carried";

/* Is the user namespace of @pid (0: ferry) the one of @link? */
static bool ns_link_of(pid_t pid, const char *link)
{
	char path[64], *ns;
	bool same;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/ns/user");
	if (proc_read_link(path, &ns) < 0)
		return false;
	same = strcmp(ns, link) == 0;
	free(ns);
	return same;
}

/*
 * The first process's user namespace, for each process: carried when it
 * is ferry's, or when it is one child of ferry's whose maps, ids and
 * owned namespaces the restore can make again.
 */
static bool user_carried(const struct inv_item *it)
{
	struct stat self;
	char path[64];
	int fd;
	bool refused;

	if (!ns_link_of(it->root, it->value)) {
		snprintf(userns_why, sizeof(userns_why),
			 "a user namespace other than the first process's is not carried (one user "
			 "namespace per checkpoint: every process of it must share pid %d's)", it->root);
		return false;
	}
	if (ns_link_of(0, it->value) || stat_ns("/proc/self/ns/user", &self) < 0)
		return ns_link_of(0, it->value); /* ferry's own */
	snprintf(path, sizeof(path), "/proc/%d/ns/user", it->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(userns_why, sizeof(userns_why), "cannot open its user namespace: %s",
			 strerror(errno));
		return false;
	}
	refused = userns_refused(it->pid, fd, &self, userns_why, sizeof(userns_why));
	close(fd);
	return !refused;
}

static const struct inv_claim userns_claims[] = {
	INV_CLAIM_IF(INV_NS, "user", user_carried, userns_why),
	INV_CLAIMS_END,
};

/* ---- checkpoint ---- */

static int userns_dump_check(struct ckpt *c)
{
	struct userns_image *ui;
	struct userns_data *d;
	struct stat self, first, st;
	char path[64], why[512], *raw;
	pid_t pid0;
	uid_t owner;
	int fd, e;

	if (!c->img.nprocs)
		return 0;
	pid0 = c->img.procs[0].pid;
	e = stat_ns("/proc/self/ns/user", &self);
	if (e < 0)
		return log_error_errno(e, "cannot read ferry's own user namespace");
	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid0);
	e = stat_ns(path, &first);
	if (e < 0)
		return log_error_errno(e, "pid %d: cannot read its user namespace", pid0);
	for (size_t i = 1; i < c->img.nprocs; i++) {
		snprintf(path, sizeof(path), "/proc/%d/ns/user", c->img.procs[i].pid);
		if (stat_ns(path, &st) < 0 || st.st_ino != first.st_ino || st.st_dev != first.st_dev)
			ckpt_unsupported(c, "pid %d: its user namespace is not that of pid %d: one user "
					 "namespace per checkpoint is carried", c->img.procs[i].pid,
					 pid0);
	}
	if (first.st_ino == self.st_ino && first.st_dev == self.st_dev)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "pid %d: cannot open its user namespace", pid0);
	for (size_t i = 0; i < c->img.nprocs; i++)
		if (userns_refused(c->img.procs[i].pid, fd, &self, why, sizeof(why)))
			ckpt_unsupported(c, "pid %d: %s", c->img.procs[i].pid, why);
	e = ioctl(fd, NS_GET_OWNER_UID, &owner) < 0 ? -errno : 0;
	close(fd);
	if (e < 0)
		return log_error_errno(e, "pid %d: cannot read the owner of its user namespace", pid0);
	ui = kind_image_data(&c->img, &kind_user_ns);
	if (!ui || !(ui->ns = d = calloc(1, sizeof(*ui->ns))))
		return -ENOMEM;
	ui->n = 1;
	d->owner = owner;
	if (read_proc(pid0, "uid_map", &raw) < 0)
		return log_error_errno(-EIO, "pid %d: cannot read its uid_map", pid0);
	d->uid_map = map_normal(raw);
	free(raw);
	if (read_proc(pid0, "gid_map", &raw) < 0)
		return log_error_errno(-EIO, "pid %d: cannot read its gid_map", pid0);
	d->gid_map = map_normal(raw);
	free(raw);
	if (read_proc(pid0, "setgroups", &raw) < 0)
		return log_error_errno(-EIO, "pid %d: cannot read its setgroups", pid0);
	d->setgroups = strdup(strncmp(raw, "deny", 4) == 0 ? "deny" : "allow");
	free(raw);
	if (!d->uid_map || !d->gid_map || !d->setgroups)
		return log_error_errno(-EINVAL, "pid %d: cannot read the maps of its user namespace",
				       pid0);
	log_debug("pid %d: its own user namespace, owner %u, setgroups %s, uid_map %s", pid0,
		  d->owner, d->setgroups, d->uid_map);
	return 0;
}

/* ---- metadata ---- */

static int userns_node_check(struct meta_in *in, int node, void *obj)
{
	static const char *const props[] = { FM_USERNS_UID_MAP, FM_USERNS_GID_MAP };
	struct id_extent ext[USERNS_MAP_LINES];
	int len = 0;
	const char *p;
	(void)obj;

	for (size_t i = 0; i < 2; i++) {
		p = fdt_getprop(in->fdt, node, props[i], &len);
		if (p && (len < 2 || len > USERNS_MAP_MAX || strnlen(p, len) != (size_t)len - 1 ||
			  map_parse(p, ext, USERNS_MAP_LINES) <= 0))
			return meta_fail(in, node, "%s: 1 to %d lines of three numbers, inside, "
					 "outside, count", props[i], USERNS_MAP_LINES);
	}
	p = fdt_getprop(in->fdt, node, FM_USERNS_SETGROUPS, &len);
	if (p && !(len == 5 && memcmp(p, "deny", 5) == 0) && !(len == 6 && memcmp(p, "allow", 6) == 0))
		return meta_fail(in, node, "%s: \"allow\" or \"deny\"", FM_USERNS_SETGROUPS);
	return 0;
}

static int userns_image_check(struct meta_in *in, struct st_image *img)
{
	const struct userns_image *ui = kind_image_data_if(img, &kind_user_ns);

	if (ui && ui->n > 1)
		in->err = log_error_errno(-EINVAL, "image metadata: %zu user namespaces, not one",
					  ui->n);
	return in->err;
}

/* ---- restore ---- */

struct userns_restore {
	int fd;            /* the namespace made for the processes, or -1 */
	struct stat own;   /* the restorer's */
	const struct userns_data *d;
	int last_pid;      /* /proc/sys/kernel/ns_last_pid, or -1 */
};

static const struct userns_data *image_userns(const struct rst *r)
{
	const struct userns_image *ui = kind_image_data_if(&r->img, &kind_user_ns);

	return ui && ui->n ? ui->ns : NULL;
}

static int write_file(pid_t pid, const char *file, const char *text)
{
	char path[64];
	ssize_t n;
	int fd, e;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	e = n == (ssize_t)strlen(text) ? 0 : n < 0 ? -errno : -EIO;
	close(fd);
	return e;
}

/*
 * The namespace for the processes: made by a child of the restorer (as
 * the owner uid) that unshares CLONE_NEWUSER; the restorer writes its
 * setgroups and maps and keeps it open as s->fd.
 */
static int make_userns(struct userns_restore *s)
{
	const struct userns_data *d = s->d;
	int ready[2], go[2], status, e = 0;
	char c = 0, path[64];
	pid_t child;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return log_error_errno(-errno, "pipe");
	if (pipe2(go, O_CLOEXEC) < 0) {
		e = -errno;
		close(ready[0]);
		close(ready[1]);
		return log_error_errno(e, "pipe");
	}
	child = fork();
	if (child == 0) {
		close(ready[0]);
		close(go[1]);
		c = (d->owner == 0 || setresuid(d->owner, d->owner, d->owner) == 0) &&
		    unshare(CLONE_NEWUSER) == 0;
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		(void)!read(go[0], &c, 1); /* until the restorer has it */
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	if (child < 0) {
		e = log_error_errno(-errno, "cannot fork to make the processes' user namespace");
		goto out;
	}
	if (read(ready[0], &c, 1) != 1 || !c) {
		e = log_error_errno(-EPERM, "cannot make a user namespace for the processes (unshare "
				    "CLONE_NEWUSER as uid %u)", d->owner);
		goto out;
	}
	e = write_file(child, "setgroups", d->setgroups);
	if (e < 0) {
		log_error_errno(e, "cannot write '%s' to the setgroups of the processes' user "
				"namespace", d->setgroups);
		goto out;
	}
	e = write_file(child, "gid_map", d->gid_map);
	if (e == 0)
		e = write_file(child, "uid_map", d->uid_map);
	if (e < 0) {
		log_error_errno(e, "cannot write the maps of the processes' user namespace (uid_map "
				"'%s'; CAP_SETUID and CAP_SETGID are needed)", d->uid_map);
		goto out;
	}
	snprintf(path, sizeof(path), "/proc/%d/ns/user", child);
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->fd < 0)
		e = log_error_errno(-errno, "cannot open the processes' user namespace");
out:
	close(ready[0]);
	close(go[1]); /* the child goes */
	if (child > 0)
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
	return e;
}

static int userns_restore_begin(struct rst *r)
{
	const struct userns_data *d = image_userns(r);
	struct userns_restore *s;
	int e;

	if (!d)
		return 0;
	s = rst_kind_state(r, &kind_user_ns, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fd = -1;
	s->last_pid = -1;
	s->d = d;
	e = stat_ns("/proc/self/ns/user", &s->own);
	if (e < 0)
		return log_error_errno(e, "cannot read the restorer's own user namespace");
	/* the PID namespace's, whatever /proc the restore leaves mounted */
	s->last_pid = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	if (s->last_pid < 0)
		return log_error_errno(-errno, "cannot open /proc/sys/kernel/ns_last_pid, which "
				       "makes the threads of processes in a user namespace");
	e = make_userns(s);
	if (e == 0)
		log_debug("the processes' user namespace: owner %u, setgroups %s, uid_map %s",
			  d->owner, d->setgroups, d->uid_map);
	return e;
}

/* Each process, still a lone thread, takes its groups and joins it. */
static int userns_restore_finish(struct rst *r)
{
	struct userns_restore *s = rst_kind_state(r, &kind_user_ns, 0);

	if (!s || s->fd < 0)
		return 0;
	for (size_t i = 0; i < r->nprocs; i++) {
		struct rproc *rp = &r->procs[i];
		const struct st_process *p = rp->p;
		uint64_t addr = 0;
		uint32_t in;
		long tfd, res;
		int e;

		for (int k = 0; k < 4; k++)
			if (!map_inside(s->d->uid_map, p->uids[k], &in) ||
			    !map_inside(s->d->gid_map, p->gids[k], &in))
				return log_error_errno(-EINVAL, "pid %d: its uid %u or gid %u is not "
						       "mapped in its user namespace", rp->pid,
						       p->uids[k], p->gids[k]);
		if (p->ngroups) {
			e = tramp_data(rp, 0, p->groups, p->ngroups * 4, &addr);
			if (e < 0)
				return e;
		}
		res = INJECT(&rp->in, SYS_setgroups, p->ngroups, addr);
		if (res < 0)
			return log_error_errno(res, "pid %d: cannot set its groups", rp->pid);
		e = restore_pull_fd(r, rp, s->fd, &tfd);
		if (e < 0)
			return e;
		res = INJECT(&rp->in, SYS_setns, tfd, CLONE_NEWUSER);
		INJECT(&rp->in, SYS_close, tfd);
		if (res < 0)
			return log_error_errno(res, "pid %d: cannot join its user namespace (setns "
					       "CLONE_NEWUSER)", rp->pid);
		rp->userns = s;
	}
	return 0;
}

uint32_t user_ns_id_inside(const struct rproc *rp, bool gid, uint32_t id)
{
	const struct userns_restore *s = rp->userns;
	uint32_t in;

	if (!s)
		return id;
	/* restore_finish checked every id of the process */
	return map_inside(gid ? s->d->gid_map : s->d->uid_map, id, &in) ? in : 65534;
}

int user_ns_next_tid(const struct rproc *rp, pid_t tid)
{
	const struct userns_restore *s = rp->userns;
	char buf[16];
	int n;

	n = snprintf(buf, sizeof(buf), "%d", tid - 1);
	if (pwrite(s->last_pid, buf, n, 0) != n)
		return log_error_errno(-errno, "pid %d tid %d: cannot write %d to "
				       "/proc/sys/kernel/ns_last_pid", rp->pid, tid, tid - 1);
	return 0;
}

static int userns_verify_process(struct rst *r, struct rproc *rp)
{
	const struct userns_data *d = image_userns(r);
	struct userns_restore *s = rst_kind_state(r, &kind_user_ns, 0);
	char path[64], why[512], *text = NULL;
	static const char *const files[] = { "uid_map", "gid_map", "setgroups" };
	const char *want[3];
	uid_t owner;
	int fd, e = 0;

	if (!d)
		return 0;
	if (!s || s->fd < 0 || rp->userns != s)
		return verify_differs(rp, "it did not join a user namespace of its own");
	snprintf(path, sizeof(path), "/proc/%d/ns/user", rp->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return verify_differs(rp, "cannot open its user namespace: %s", strerror(errno));
	if (same_file(fd, &s->own))
		e = verify_differs(rp, "it is in the restorer's user namespace");
	if (e == 0) {
		struct stat made;

		if (fstat(s->fd, &made) < 0 || !same_file(fd, &made))
			e = verify_differs(rp, "it is not in the user namespace made for it");
	}
	if (e == 0 && userns_refused(rp->pid, fd, &s->own, why, sizeof(why)))
		e = verify_differs(rp, "%s", why);
	if (e == 0 && (ioctl(fd, NS_GET_OWNER_UID, &owner) < 0 || owner != d->owner))
		e = verify_differs(rp, "its user namespace's owner is uid %u, not %u", owner,
				   d->owner);
	close(fd);
	want[0] = d->uid_map;
	want[1] = d->gid_map;
	want[2] = d->setgroups;
	for (int i = 0; i < 3 && e == 0; i++) {
		char *got;

		if (read_proc(rp->pid, files[i], &text) < 0)
			return verify_differs(rp, "cannot read its %s", files[i]);
		got = i < 2 ? map_normal(text) : NULL;
		if (i == 2) {
			text[strcspn(text, "\n")] = 0;
			if (strcmp(text, want[i]) != 0)
				e = verify_differs(rp, "its setgroups is '%s', not '%s'", text, want[i]);
		} else if (!got || strcmp(got, want[i]) != 0) {
			e = verify_differs(rp, "its %s is '%s', not '%s'", files[i], got ? got : "?",
					   want[i]);
		}
		free(got);
		free(text);
		text = NULL;
	}
	return e;
}

static void userns_release(struct rst *r)
{
	struct userns_restore *s = rst_kind_state(r, &kind_user_ns, 0);

	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	if (s->last_pid >= 0)
		close(s->last_pid);
	s->fd = s->last_pid = -1;
}

const struct kind kind_user_ns = {
	.name = "user-namespace",
	.claims = userns_claims,
	.dump_check = userns_dump_check,
	.image_size = sizeof(struct userns_image),
	.image_fields = userns_image_fields,
	.image_check = userns_image_check,
	.restore_begin = userns_restore_begin,
	.restore_finish = userns_restore_finish,
	.verify_process = userns_verify_process,
	.restore_end = userns_release,
};
