/* SPDX-License-Identifier: MIT */
/*
 * The mount namespace of the selection, when it is not ferry's: what
 * systemd's sandboxing makes for a service (PrivateTmp=, ProtectSystem=,
 * ProtectHome=, ReadOnlyPaths=, BindPaths=, InaccessiblePaths=) and what
 * `unshare --mount` plus mount(8) make by hand.
 *
 * Scope: every process of the selection in one mount namespace, ferry's or
 * one other (inventory: the "mnt" entry of /proc/PID/ns). Recorded: the
 * namespace's /proc/PID/mountinfo, parent first, each mount as
 *
 *	KIND POINT ROOT FSTYPE SOURCE MOUNT-OPTIONS SUPER-OPTIONS PROPAGATION HOST
 *
 * (mountinfo's escapes kept: no field holds a space), KIND saying how the
 * restore makes it from the restorer's own namespace:
 *   - "host": a mount ferry's namespace has (the same point, root within
 *     its filesystem, fstype and source), its per-mount flags set again
 *     when they differ (ProtectSystem=, ReadOnlyPaths=);
 *   - "bind": a directory or file ferry's namespace shows at HOST (a mount
 *     of the same filesystem whose root contains ROOT), bound there
 *     (PrivateTmp=, BindPaths=, InaccessiblePaths=);
 *   - "tmpfs": a tmpfs of its own, mounted with its options, its contents
 *     carried: regular files, directories, symlinks and device nodes, with their modes,
 *     owners and modification times, at most MNT_CONTENT_MAX bytes of data
 *     over all of them (mount-ns-files);
 *   - "procfs": a procfs instance of the namespace's own (ProtectProc=,
 *     ProcSubset=), root "/", read-write, with hidepid=, subset=pid, gid=
 *     and nothing else, of the processes' pid namespace (its process 1 is
 *     in it), mounted again by the restorer in its own, where it makes them;
 *   - "procfs-bind": a part of the instance of an earlier procfs line
 *     (ProtectKernelTunables= binds /proc/sys of it on itself read-only),
 *     bound from HOST, its path in the copy, once that line is made.
 * A mount of the restorer that the list lacks is unmounted in the copy.
 * Propagation: the namespace is copied with every mount made a slave
 * (when the recorded mounts are slaves) or private, the mounts made, and
 * then, when the recorded mounts are shared, every mount made shared again,
 * as systemd does, and those recorded as slaves made slaves again (systemd's
 * /run/systemd/incoming); what that sequence cannot give is refused.
 *
 * Refused by name before the freeze, with the mount point: a selection in
 * more than one mount namespace, a mount that is none of the kinds (an
 * overlay, a filesystem ferry's namespace does not show), a procfs
 * instance with another option or of another pid namespace, an unbindable mount, a per-mount option ferry cannot set,
 * a tmpfs whose contents are over the bound or hold other files (devices,
 * FIFOs, sockets).
 *
 * Restored: restore_begin (before the restorer opens any file) saves the
 * restorer's mount namespace, unshares a new one and rebuilds the list in
 * it, so every file opened and every process made is in the rebuilt
 * namespace; restore_end goes back. Verified: each process's mountinfo
 * equals the list, mount ids and device numbers aside, and the
 * super-options of host and bind mounts too (the restorer's filesystems').
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/ns_step.h"
#include "../common/procfs.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"
#include "../common/mountinfo.h"
#include "mount_ns.h"

#define MNT_CONTENT_MAX (1u << 20) /* bytes of data in all carried tmpfs contents */
#define MNT_MAX 512                /* mounts in one namespace */
#define MNT_FIELD_MAX MOUNTINFO_FIELD_MAX


static const struct meta_field mnt_ns_fields[] = {
	META_U32(FM_MNT_ID, struct mnt_ns_rec, id, META_REQUIRED | META_UNIT),
	META_STR(FM_MNT_MOUNTS, struct mnt_ns_rec, mounts, META_REQUIRED),
	META_BYTES(FM_MNT_FILES, struct mnt_ns_rec, files, files_len, META_OMIT_ZERO),
	{ 0 },
};

static const struct meta_node mnt_ns_node = {
	.name = FM_MOUNT_NS, .size = sizeof(struct mnt_ns_rec), .fields = mnt_ns_fields,
};

static const struct meta_field mnt_image_fields[] = {
	META_NODES(NULL, struct mnt_image, ns, n, &mnt_ns_node, META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_mount_ns;

/* "POINT ROOT FSTYPE SOURCE OPTIONS SUPER PROPAGATION": what verify compares */
static void mnt_line(const struct mountinfo *m, char *buf, size_t size)
{
	snprintf(buf, size, "%s %s %s %s %s %s %s", m->point, m->root, m->fstype, m->source,
		 m->opts, m->super, m->prop);
}

static bool same_identity(const struct mountinfo *a, const struct mountinfo *b)
{
	return strcmp(a->point, b->point) == 0 && strcmp(a->root, b->root) == 0 &&
	       strcmp(a->fstype, b->fstype) == 0 && strcmp(a->source, b->source) == 0;
}

/* The MS_ flags of per-mount options ("ro,nosuid,relatime"); false for
 * one it cannot set. */
static bool mount_flags(const char *opts, unsigned long *ret)
{
	char buf[256], *save;
	unsigned long fl = 0;

	snprintf(buf, sizeof(buf), "%s", opts);
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "ro") == 0)
			fl |= MS_RDONLY;
		else if (strcmp(t, "nosuid") == 0)
			fl |= MS_NOSUID;
		else if (strcmp(t, "nodev") == 0)
			fl |= MS_NODEV;
		else if (strcmp(t, "noexec") == 0)
			fl |= MS_NOEXEC;
		else if (strcmp(t, "relatime") == 0)
			fl |= MS_RELATIME;
		else if (strcmp(t, "noatime") == 0)
			fl |= MS_NOATIME;
		else if (strcmp(t, "nodiratime") == 0)
			fl |= MS_NODIRATIME;
		else if (strcmp(t, "rw") != 0)
			return false;
	}
	if (!(fl & (MS_RELATIME | MS_NOATIME)))
		fl |= MS_STRICTATIME;
	*ret = fl;
	return true;
}

/* Is @root (a path within a filesystem) @top or below it? The rest in @ret_rest. */
static bool path_below(const char *root, const char *top, const char **ret_rest)
{
	size_t n = strlen(top);

	if (strcmp(top, "/") == 0) {
		*ret_rest = root;
		return true;
	}
	if (strncmp(root, top, n) != 0 || (root[n] && root[n] != '/'))
		return false;
	*ret_rest = root[n] ? root + n : "";
	return true;
}

/* ---- procfs instances of the namespace's own ---- */

/*
 * The super-options of a procfs instance ("rw,gid=5,hidepid=invisible,
 * subset=pid", as mountinfo shows them) as mount(2) takes them again
 * ("gid=5,hidepid=invisible,subset=pid") in @data: true, or false with the
 * first option ferry does not set again in @bad. Set again: hidepid= in
 * its words and in the numbers of kernels before 5.8, subset=pid, gid=.
 * A read-only instance is not made again.
 */
static bool procfs_options(const char *super, char *data, size_t size, char *bad, size_t badsize)
{
	static const char *const hidepid[] = { "off", "noaccess", "invisible", "ptraceable",
					       "0", "1", "2", "4", NULL };
	char buf[MNT_FIELD_MAX], *save;
	bool seen_hidepid = false, seen_subset = false, seen_gid = false, first = true;
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", super);
	data[0] = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save), first = false) {
		bool ok = false;

		if (first) {
			ok = strcmp(t, "rw") == 0;
		} else if (strncmp(t, "hidepid=", 8) == 0 && !seen_hidepid) {
			for (int k = 0; hidepid[k] && !ok; k++)
				ok = strcmp(t + 8, hidepid[k]) == 0;
			seen_hidepid = true;
		} else if (strcmp(t, "subset=pid") == 0 && !seen_subset) {
			ok = seen_subset = true;
		} else if (strncmp(t, "gid=", 4) == 0 && !seen_gid) {
			size_t d = strspn(t + 4, "0123456789");

			ok = d > 0 && d <= 10 && !t[4 + d] && strtoull(t + 4, NULL, 10) < 4294967295ull;
			seen_gid = true;
		}
		if (!ok) {
			snprintf(bad, badsize, "%s", t);
			return false;
		}
		if (!first)
			n += (size_t)snprintf(data + n, n < size ? size - n : 0, "%s%s", n ? "," : "", t);
	}
	if (first || n >= size) {
		snprintf(bad, badsize, "%s", first ? "(none)" : super);
		return false;
	}
	return true;
}

/*
 * Is the procfs instance mounted at @m (of @pid's namespace) one of the pid
 * namespace @pid is in? A restorer mounts it in its own, which is the one it
 * makes the processes in. Proof: the instance's process 1 is in @pid's pid
 * namespace (the first process of any other is not), looked up through
 * @pid's root where the instance is the mount on top of its point.
 */
static bool procfs_of_pidns(pid_t pid, const struct mountinfo *m)
{
	char real[PATH_MAX], path[PATH_MAX + 64];
	struct stat top, a, b;

	mountinfo_unescape(m->point, real, sizeof(real));
	snprintf(path, sizeof(path), "/proc/%d/root%s", pid, real);
	if (stat(path, &top) < 0 || top.st_dev != makedev(m->dev_major, m->dev_minor))
		return false;
	snprintf(path, sizeof(path), "/proc/%d/root%s/1/ns/pid", pid, real);
	if (stat(path, &a) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
	if (stat(path, &b) < 0)
		return false;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* ---- the tmpfs contents ---- */

struct content {
	char *buf;
	size_t len, data; /* data: bytes of files and link targets */
	const char *point;
	int err;
	char why[PATH_MAX + 128];
};

static void content_add(struct content *c, const char *head, const void *data, size_t n)
{
	size_t h = strlen(head);
	char *nb;

	if (c->err)
		return;
	nb = realloc(c->buf, c->len + h + n + 1);
	if (!nb) {
		c->err = -ENOMEM;
		return;
	}
	c->buf = nb;
	memcpy(c->buf + c->len, head, h);
	if (n)
		memcpy(c->buf + c->len + h, data, n);
	c->len += h + n;
}

/* @rel escaped as mountinfo escapes: space, tab, newline, backslash */
static void escape(const char *in, char *out, size_t size)
{
	size_t n = 0;

	for (; *in && n + 5 < size; in++) {
		if (*in == ' ' || *in == '\t' || *in == '\n' || *in == '\\')
			n += (size_t)snprintf(out + n, size - n, "\\%03o", (unsigned char)*in);
		else
			out[n++] = *in;
	}
	out[n] = 0;
}

/* Entry @rel (relative to the tmpfs's root, "" for it) of directory @dfd. */
static void content_walk(struct content *c, int dfd, const char *rel, dev_t dev)
{
	DIR *d;
	struct dirent *de;
	int fd = rel[0] ? openat(dfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
			: dup(dfd);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		c->err = -errno;
		snprintf(c->why, sizeof(c->why), "cannot read its directory %s: %s", rel,
			 strerror(errno));
		return;
	}
	while (!c->err && (de = readdir(d))) {
		char path[PATH_MAX], esc[PATH_MAX * 4 + 1], head[PATH_MAX * 4 + 128];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
		if (fstatat(dfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			c->err = -errno;
			snprintf(c->why, sizeof(c->why), "cannot stat %s", path);
			break;
		}
		escape(path, esc, sizeof(esc));
		if (S_ISDIR(st.st_mode)) {
			snprintf(head, sizeof(head), "d %o %u %u %lld %ld 0 %s\n",
				 (unsigned)(st.st_mode & 07777), st.st_uid, st.st_gid,
				 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, esc);
			content_add(c, head, NULL, 0);
			if (st.st_dev == dev) /* else a mount point: its own mount */
				content_walk(c, dfd, path, dev);
		} else if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) {
			char *data = NULL;
			ssize_t n = 0;

			if (st.st_size > MNT_CONTENT_MAX || c->data + st.st_size > MNT_CONTENT_MAX) {
				c->err = -EFBIG;
				snprintf(c->why, sizeof(c->why), "its contents are over %u bytes "
					 "(the bound of a carried tmpfs)", MNT_CONTENT_MAX);
				break;
			}
			data = malloc(st.st_size + 1);
			if (!data) {
				c->err = -ENOMEM;
				break;
			}
			if (S_ISLNK(st.st_mode)) {
				n = readlinkat(dfd, path, data, st.st_size + 1);
			} else {
				int ffd = openat(dfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

				n = ffd < 0 ? -1 : pread(ffd, data, st.st_size + 1, 0);
				if (ffd >= 0)
					close(ffd);
			}
			if (n != st.st_size) {
				c->err = n < 0 ? -errno : -EAGAIN;
				snprintf(c->why, sizeof(c->why), "cannot read %s%s", path,
					 n < 0 ? "" : " whole (it changed)");
				free(data);
				break;
			}
			snprintf(head, sizeof(head), "%c %o %u %u %lld %ld %zd %s\n",
				 S_ISLNK(st.st_mode) ? 'l' : 'f', (unsigned)(st.st_mode & 07777),
				 st.st_uid, st.st_gid, (long long)st.st_mtim.tv_sec,
				 st.st_mtim.tv_nsec, n, esc);
			content_add(c, head, data, (size_t)n);
			c->data += (size_t)n;
			free(data);
		} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
			/* what PrivateDevices= makes: the nodes of a /dev of its own */
			snprintf(head, sizeof(head), "%c %o %u %u %lld %ld %u:%u %s\n",
				 S_ISCHR(st.st_mode) ? 'c' : 'b', (unsigned)(st.st_mode & 07777),
				 st.st_uid, st.st_gid, (long long)st.st_mtim.tv_sec,
				 st.st_mtim.tv_nsec, major(st.st_rdev), minor(st.st_rdev), esc);
			content_add(c, head, NULL, 0);
		} else {
			c->err = -EOPNOTSUPP;
			snprintf(c->why, sizeof(c->why), "it holds %s, which is no regular file, "
				 "directory, symlink or device node", path);
		}
	}
	closedir(d);
}

/* The contents of the tmpfs at @point of @pid's namespace, after "m POINT\n". */
static void content_of(struct content *c, pid_t pid, const char *point)
{
	char path[PATH_MAX + 64], real[PATH_MAX], head[PATH_MAX + 8];
	struct stat st;
	int fd;

	mountinfo_unescape(point, real, sizeof(real));
	snprintf(path, sizeof(path), "/proc/%d/root%s", pid, real);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		c->err = -errno;
		snprintf(c->why, sizeof(c->why), "cannot open it: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	snprintf(head, sizeof(head), "m %s\n", point);
	content_add(c, head, NULL, 0);
	content_walk(c, fd, "", st.st_dev);
	close(fd);
}

/* ---- checkpoint: the plan ---- */

/*
 * The mount list of @pid's namespace as the restore makes it from ferry's
 * (in @ret_mounts, with the tmpfs contents in @ret_files when @files), or
 * -errno with the first mount it cannot make named.
 */
static int plan(pid_t pid, char **ret_mounts, struct content *files)
{
	struct mountinfo *host = NULL, *t = NULL;
	size_t nhost = 0, nt = 0, len = 0;
	char file[64], *out = NULL;
	bool *used = NULL, *procfs_line = NULL, slaves = false, shared = false;
	int r;

	snprintf(file, sizeof(file), "/proc/%d/mountinfo", pid);
	r = mountinfo_read_at(AT_FDCWD, "/proc/self/mountinfo", MNT_MAX, &host, &nhost);
	if (r == 0)
		r = mountinfo_read_at(AT_FDCWD, file, MNT_MAX, &t, &nt);
	if (r < 0) {
		log_error_errno(r, "pid %d: cannot read the mounts of its namespace or of ferry's", pid);
		goto out;
	}
	used = calloc(nhost + 1, sizeof(*used));
	procfs_line = calloc(nt + 1, sizeof(*procfs_line));
	out = calloc(1, 1);
	if (!used || !procfs_line || !out) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nt; i++) {
		slaves |= t[i].slave;
		shared |= t[i].shared;
	}
	for (size_t i = 0; i < nt && r == 0; i++) {
		const struct mountinfo *m = &t[i], *from = NULL;
		const char *kind = NULL, *why = NULL, *rest = "";
		char hostpath[2 * MNT_FIELD_MAX] = "-", want[32], *line = NULL, *nb;
		char data[MNT_FIELD_MAX], bad[MNT_FIELD_MAX], why_buf[MNT_FIELD_MAX + 128];
		unsigned long fl;
		bool new_fs = true;

		for (size_t h = 0; h < nhost; h++)
			if (host[h].dev_major == m->dev_major && host[h].dev_minor == m->dev_minor)
				new_fs = false;
		for (size_t h = 0; h < nhost && !kind; h++)
			if (!used[h] && same_identity(&host[h], m) &&
			    host[h].dev_major == m->dev_major && host[h].dev_minor == m->dev_minor) {
				used[h] = true;
				from = &host[h];
				kind = "host";
			}
		if (!kind && strcmp(m->fstype, "tmpfs") == 0 && new_fs && strcmp(m->root, "/") == 0)
			kind = "tmpfs";
		/* a part of a procfs instance of an earlier line (ProtectKernelTunables=
		 * binds /proc/sys of the instance on itself), then a new instance */
		for (size_t k = i; k-- > 0 && !kind && strcmp(m->fstype, "proc") == 0;)
			if (procfs_line[k] && t[k].dev_major == m->dev_major &&
			    t[k].dev_minor == m->dev_minor) {
				snprintf(hostpath, sizeof(hostpath), "%s%s", t[k].point,
					 strcmp(m->root, "/") == 0 ? "" : m->root);
				kind = "procfs-bind";
			}
		if (!kind && strcmp(m->fstype, "proc") == 0 && new_fs && strcmp(m->root, "/") == 0) {
			kind = "procfs";
			procfs_line[i] = true;
		}
		for (size_t h = 0; h < nhost && !kind; h++)
			if (host[h].dev_major == m->dev_major && host[h].dev_minor == m->dev_minor &&
			    strcmp(host[h].fstype, m->fstype) == 0 &&
			    strcmp(host[h].source, m->source) == 0 &&
			    path_below(m->root, host[h].root, &rest)) {
				from = &host[h];
				snprintf(hostpath, sizeof(hostpath), "%s%s",
					 strcmp(host[h].point, "/") == 0 && rest[0] ? "" : host[h].point,
					 rest);
				kind = "bind";
			}
		if (!kind)
			why = new_fs ? "a filesystem ferry's namespace does not show, and no tmpfs "
				       "or procfs of its own (another instance of it, or an overlay?)"
				     : "a part of a filesystem that no mount of ferry's namespace "
				       "contains";
		else if (strcmp(m->point, "/") == 0 && strcmp(kind, "host") != 0)
			why = "its root is not ferry's";
		else if (m->unbindable)
			why = "an unbindable mount is not carried";
		else if (!mount_flags(m->opts, &fl))
			why = "a per-mount option ferry cannot set";
		else if (strcmp(kind, "procfs") == 0 &&
			 !procfs_options(m->super, data, sizeof(data), bad, sizeof(bad))) {
			snprintf(why_buf, sizeof(why_buf), "a procfs option ferry does not set again: %s "
				 "(it sets hidepid=, subset=pid and gid= of a read-write instance)", bad);
			why = why_buf;
		} else if (strcmp(kind, "procfs") == 0 && !procfs_of_pidns(pid, m))
			why = "a procfs instance of another pid namespace than its processes' (or one "
			      "covered by another mount, whose pid namespace ferry cannot prove)";
		else if (strcmp(kind, "procfs-bind") == 0) {
			char real[PATH_MAX], path[PATH_MAX + 64];
			struct stat st;

			mountinfo_unescape(hostpath, real, sizeof(real));
			snprintf(path, sizeof(path), "/proc/%d/root%s", pid, real);
			if (stat(path, &st) < 0 || st.st_dev != makedev(m->dev_major, m->dev_minor))
				why = "its source in the procfs instance is covered by another mount";
		}
		/* what the restore's sequence gives: a slave where the mount it
		 * comes from (or binds) propagates, made a slave (a shared one
		 * becomes a slave of its peers, a slave stays one of its master),
		 * then shared when the namespace's mounts are */
		bool slave_of_from = slaves && from && (from->shared || from->slave);

		snprintf(want, sizeof(want), "%s",
			 shared && slave_of_from ? "shared+slave"
			 : shared ? "shared"
			 : slave_of_from ? "slave" : "private");
		/* made a slave again after the namespace is shared (systemd's
		 * /run/systemd/incoming): it keeps its master, leaves its peers */
		if (!why && strcmp(want, m->prop) != 0 &&
		    !(strcmp(want, "shared+slave") == 0 && strcmp(m->prop, "slave") == 0))
			why = "its propagation cannot be made again from ferry's namespace";
		if (why) {
			log_error("pid %d: its mount namespace: the mount at %s (%s %s, root %s, %s): %s",
				  pid, m->point, m->fstype, m->source, m->root, m->prop, why);
			r = -EOPNOTSUPP;
			break;
		}
		if (strcmp(kind, "tmpfs") == 0 && files) {
			content_of(files, pid, m->point);
			if (files->err) {
				log_error("pid %d: its mount namespace: the tmpfs at %s: %s", pid,
					  m->point, files->why[0] ? files->why : strerror(-files->err));
				r = files->err == -ENOMEM ? -ENOMEM : -EOPNOTSUPP;
				break;
			}
		}
		if (asprintf(&line, "%s %s %s %s %s %s %s %s %s\n", kind, m->point, m->root,
			     m->fstype, m->source, m->opts, m->super, m->prop, hostpath) < 0 ||
		    !(nb = realloc(out, len + strlen(line) + 1))) {
			free(line);
			r = -ENOMEM;
			break;
		}
		out = nb;
		memcpy(out + len, line, strlen(line) + 1);
		len += strlen(line);
		free(line);
	}
out:
	free(host);
	free(t);
	free(used);
	free(procfs_line);
	if (r < 0) {
		free(out);
		return r;
	}
	*ret_mounts = out;
	return 0;
}

static bool ns_of(pid_t pid, const char *want)
{
	char path[64], *link;
	bool same;

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	if (proc_read_link(path, &link) < 0)
		return false;
	same = strcmp(link, want) == 0;
	free(link);
	return same;
}

/* ferry's namespace, or the first process's if the plan can be made */
static bool mnt_carried(const struct inv_item *it)
{
	char *mounts;
	struct content c = { 0 };
	bool ok;

	if (!ns_of(it->root, it->value)) {
		log_error("pid %d is in another mount namespace (%s) than pid %d: a selection "
			  "in more than one mount namespace is not carried", it->pid, it->value,
			  it->root);
		return false;
	}
	if (strcmp(it->value, inv_ferry_value(INV_NS, "mnt")) == 0 || it->pid != it->root)
		return true;
	ok = plan(it->pid, &mounts, &c) == 0;
	if (ok)
		free(mounts);
	free(c.buf);
	return ok;
}

static const struct inv_claim mnt_claims[] = {
	INV_CLAIM_IF(INV_NS, "mnt", mnt_carried,
		     "its mount namespace cannot be rebuilt (the line above says why)"),
	INV_CLAIMS_END,
};

static int mnt_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	struct mnt_image *mi;
	struct content files = { 0 };
	char path[64], *link, *mounts;
	int r;

	(void)p;
	mi = kind_image_data(&c->img, &kind_mount_ns);
	if (!mi)
		return -ENOMEM;
	if (mi->n || pid != c->img.procs[0].pid)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	r = proc_read_link(path, &link);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read %s", pid, path);
	if (ns_of(getpid(), link)) {
		free(link);
		return 0; /* ferry's own: made in the restorer's, as always */
	}
	free(link);
	r = plan(pid, &mounts, &files);
	if (r < 0) {
		free(files.buf);
		return r;
	}
	mi->ns = calloc(1, sizeof(*mi->ns));
	if (!mi->ns) {
		free(mounts);
		free(files.buf);
		return -ENOMEM;
	}
	mi->n = 1;
	mi->ns->id = 1;
	mi->ns->mounts = mounts;
	mi->ns->files = (uint8_t *)files.buf;
	mi->ns->files_len = files.len;
	return 0;
}

/* ---- metadata ---- */

static bool field_ok(const char *s, bool path)
{
	char real[PATH_MAX];

	if (!*s || strlen(s) >= MNT_FIELD_MAX)
		return false;
	if (!path)
		return true;
	mountinfo_unescape(s, real, sizeof(real));
	if (real[0] != '/')
		return false;
	for (const char *c = real; (c = strstr(c, "/..")); c += 3)
		if (c[3] == '/' || !c[3])
			return false;
	return true;
}

/*
 * The root of a namespace file bound somewhere (`ip netns add` binds its
 * network namespace on /run/netns/NAME): "net:[INODE]", no path. Only a
 * host mount has one: the restore finds it in its own namespace, never
 * opens it.
 */
static bool nsfs_root(char *const f[9])
{
	const char *b = strchr(f[2], '[');
	size_t digits = b ? strspn(b + 1, "0123456789") : 0;

	return strcmp(f[0], "host") == 0 && strcmp(f[3], "nsfs") == 0 && b && b > f[2] &&
	       b[-1] == ':' && digits > 0 && strcmp(b + 1 + digits, "]") == 0 &&
	       strspn(f[2], "abcdefghijklmnopqrstuvwxyz_") == (size_t)(b - 1 - f[2]);
}

/* One line of the list: its nine fields in @f (pointers into @buf). */
static const char *split_line(char *buf, char *f[9])
{
	char *save;
	int n = 0;

	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if (n == 9)
			return "a line has more than nine fields";
		f[n++] = t;
	}
	if (n != 9)
		return "a line has fewer than nine fields";
	if (strcmp(f[0], "host") && strcmp(f[0], "bind") && strcmp(f[0], "tmpfs") &&
	    strcmp(f[0], "procfs") && strcmp(f[0], "procfs-bind"))
		return "a mount's kind is not host, bind, tmpfs, procfs or procfs-bind";
	if (!field_ok(f[1], true) || !(field_ok(f[2], true) || nsfs_root(f)))
		return "a mount point or root is not an absolute path without '..', or too long";
	if (!field_ok(f[3], false) || !field_ok(f[4], false) || !field_ok(f[6], false))
		return "a fstype, source or option is empty or too long";
	if (strcmp(f[0], "tmpfs") == 0 && strcmp(f[3], "tmpfs") != 0)
		return "a tmpfs mount's fstype is not tmpfs";
	if ((strcmp(f[0], "bind") == 0 || strcmp(f[0], "procfs-bind") == 0) && !field_ok(f[8], true))
		return "a bind mount's source is not an absolute path without '..'";
	if ((strcmp(f[0], "procfs") == 0 || strcmp(f[0], "procfs-bind") == 0) &&
	    strcmp(f[3], "proc") != 0)
		return "a procfs mount's fstype is not proc";
	if (strcmp(f[0], "procfs") == 0) {
		char data[MNT_FIELD_MAX], bad[MNT_FIELD_MAX];

		if (strcmp(f[2], "/") != 0)
			return "a procfs instance's root is not /";
		if (strcmp(f[8], "-") != 0)
			return "a procfs instance has a source path";
		if (!procfs_options(f[6], data, sizeof(data), bad, sizeof(bad)))
			return "a procfs instance has an option ferry does not set again";
	}
	if (strcmp(f[7], "private") && strcmp(f[7], "shared") && strcmp(f[7], "slave") &&
	    strcmp(f[7], "shared+slave"))
		return "a propagation is not private, shared, slave or shared+slave";
	{
		unsigned long fl;

		if (!mount_flags(f[5], &fl))
			return "a per-mount option is unknown";
	}
	return NULL;
}

static const char *mounts_problem(const char *mounts)
{
	char procfs[8][MNT_FIELD_MAX]; /* the points of the procfs lines so far */
	size_t lines = 0, nprocfs = 0;
	const char *why = NULL;

	for (const char *line = mounts; *line && !why; lines++) {
		const char *end = strchr(line, '\n');
		char buf[9 * MNT_FIELD_MAX], *f[9];

		if (!end)
			return "the last line has no newline";
		if ((size_t)(end - line) >= sizeof(buf))
			return "a line is too long";
		if (lines >= MNT_MAX)
			return "more mounts than ferry carries";
		memcpy(buf, line, end - line);
		buf[end - line] = 0;
		why = split_line(buf, f);
		if (!why && lines == 0 && (strcmp(f[1], "/") || strcmp(f[0], "host")))
			why = "the first mount is not ferry's root";
		if (!why && strcmp(f[0], "procfs") == 0) {
			/* the restore opens a procfs-bind's source below it */
			if (nprocfs == sizeof(procfs) / sizeof(procfs[0]))
				why = "more procfs instances than ferry carries";
			else
				snprintf(procfs[nprocfs++], sizeof(procfs[0]), "%s", f[1]);
		}
		if (!why && strcmp(f[0], "procfs-bind") == 0) {
			bool below = false;
			const char *rest;

			for (size_t k = 0; k < nprocfs && !below; k++)
				below = path_below(f[8], procfs[k], &rest);
			if (!below)
				why = "a procfs-bind's source is not below an earlier procfs instance";
		}
		line = end + 1;
	}
	return why ? why : lines ? NULL : "no mount";
}

/* One entry of the contents: its fields and data; NULL when it is well made. */
struct entry {
	char type;
	unsigned mode, uid, gid;
	long long sec;
	long nsec;
	size_t size;
	unsigned dev_major, dev_minor; /* of a device node */
	char path[PATH_MAX];
	const uint8_t *data;
};

/* The entry at *@pos of @files (@len bytes), advancing *@pos; why not. */
static const char *next_entry(const uint8_t *files, size_t len, size_t *pos, struct entry *e)
{
	const uint8_t *nl = memchr(files + *pos, '\n', len - *pos);
	char head[PATH_MAX * 4 + 128], esc[PATH_MAX * 4 + 1], size[32];
	size_t h;

	if (!nl)
		return "an entry's line has no newline";
	h = (size_t)(nl - files - *pos);
	if (h >= sizeof(head))
		return "an entry's line is too long";
	memcpy(head, files + *pos, h);
	head[h] = 0;
	*pos += h + 1;
	memset(e, 0, sizeof(*e));
	if (head[0] == 'm' && head[1] == ' ') {
		e->type = 'm';
		if (strlen(head + 2) >= sizeof(e->path))
			return "a tmpfs mount point is too long";
		memcpy(e->path, head + 2, strlen(head + 2) + 1);
		return field_ok(e->path, true) ? NULL : "a tmpfs mount point is not an absolute path";
	}
	if (sscanf(head, "%c %o %u %u %lld %ld %31s %4095s", &e->type, &e->mode, &e->uid, &e->gid,
		   &e->sec, &e->nsec, size, esc) != 8 || !e->type || !strchr("dflcb", e->type) ||
	    e->mode > 07777 || e->nsec < 0 || e->nsec >= 1000000000)
		return "an entry's line is not TYPE MODE UID GID SEC NSEC SIZE PATH";
	if (e->type == 'c' || e->type == 'b') {
		char end;

		if (sscanf(size, "%u:%u%c", &e->dev_major, &e->dev_minor, &end) != 2 ||
		    e->dev_major > 4095 || e->dev_minor > 1048575)
			return "a device node's number is not MAJOR:MINOR";
	} else {
		char *end;

		errno = 0;
		e->size = strtoull(size, &end, 10);
		if (errno || *end || size[0] < '0' || size[0] > '9')
			return "an entry's size is not a number";
	}
	if (e->type == 'd' && e->size)
		return "a directory has data";
	if (e->size > len - *pos)
		return "an entry's data is cut short";
	mountinfo_unescape(esc, e->path, sizeof(e->path));
	if (e->path[0] == '/' || !e->path[0] || strstr(e->path, "//"))
		return "an entry's path is not relative";
	for (const char *c = e->path; (c = strstr(c, "..")); c += 2)
		if ((c == e->path || c[-1] == '/') && (c[2] == '/' || !c[2]))
			return "an entry's path has a '..' component";
	e->data = files + *pos;
	*pos += e->size;
	return NULL;
}

static const char *files_problem(const struct mnt_ns_rec *ns)
{
	size_t pos = 0, data = 0;
	bool in_mount = false;
	struct entry e;

	while (pos < ns->files_len) {
		const char *why = next_entry(ns->files, ns->files_len, &pos, &e);

		if (why)
			return why;
		if (e.type == 'm') {
			char needle[PATH_MAX + 16];

			snprintf(needle, sizeof(needle), "tmpfs %s ", e.path);
			if (!strstr(ns->mounts, needle))
				return "contents of a mount point that is no tmpfs of the list";
			in_mount = true;
			continue;
		}
		if (!in_mount)
			return "an entry before its tmpfs";
		data += e.size;
		if (data > MNT_CONTENT_MAX)
			return "the contents are over the bound";
	}
	return NULL;
}

static int mnt_image_check(struct meta_in *in, struct st_image *img)
{
	const struct mnt_image *mi = kind_image_data_if(img, &kind_mount_ns);
	const char *why = NULL;

	if (!mi || !mi->n)
		return in->err;
	if (mi->n > 1)
		why = "more than one mount namespace";
	else if (!(why = mounts_problem(mi->ns->mounts)))
		why = files_problem(mi->ns);
	if (why && !in->err)
		in->err = log_error_errno(-EINVAL, "image metadata: its mount namespace: %s", why);
	return in->err;
}

/* ---- restore ---- */

struct mnt_restore {
	struct ns_step ns; /* the processes' namespace, made by the restorer */
};

/*
 * The next entry of @ns's contents that belongs to the tmpfs at @point,
 * from *@pos (*@mine: whether the entries read are that tmpfs's): 1 with
 * it in @e, 0 at the end, -EINVAL for a malformed one (the image check has
 * refused those already).
 */
static int next_of_mount(const struct mnt_ns_rec *ns, const char *point, size_t *pos,
			 bool *mine, struct entry *e)
{
	while (*pos < ns->files_len) {
		char real[PATH_MAX];

		if (next_entry(ns->files, ns->files_len, pos, e))
			return -EINVAL;
		if (e->type == 'm') {
			mountinfo_unescape(e->path, real, sizeof(real));
			*mine = strcmp(real, point) == 0;
		} else if (*mine) {
			return 1;
		}
	}
	return 0;
}

/*
 * The directory that holds @path inside the tmpfs @top, opened without
 * following a symlink anywhere (one made by an earlier entry must not lead
 * out of the tmpfs), and the last component in *@ret_name; or -errno.
 */
static int parent_in(int top, const char *path, char *buf, size_t size, const char **ret_name)
{
	struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
				.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					   RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV };
	char *slash;
	long fd;

	snprintf(buf, size, "%s", path);
	slash = strrchr(buf, '/');
	if (!slash) {
		int fd0 = fcntl(top, F_DUPFD_CLOEXEC, 0);

		*ret_name = path;
		return fd0 < 0 ? -errno : fd0;
	}
	*slash = 0;
	*ret_name = path + (slash - buf) + 1;
	fd = syscall(SYS_openat2, top, buf, &how, sizeof(how));
	return fd < 0 ? -errno : (int)fd;
}

/* Entry @e, made in directory @dir as @name: 0 or -errno. */
static int make_entry(int dir, const char *name, const struct entry *e)
{
	struct stat st;
	int fd;

	switch (e->type) {
	case 'd':
		if (mkdirat(dir, name, 0700) == 0)
			return 0;
		/* a directory given twice; anything else there is refused */
		return errno == EEXIST && fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				       S_ISDIR(st.st_mode)
			       ? 0
			       : -EEXIST;
	case 'c':
	case 'b':
		return mknodat(dir, name, (e->type == 'c' ? S_IFCHR : S_IFBLK) | 0600,
			       makedev(e->dev_major, e->dev_minor)) < 0
			       ? -errno
			       : 0;
	case 'l': {
		char target[PATH_MAX];

		snprintf(target, sizeof(target), "%.*s", (int)e->size, (const char *)e->data);
		return symlinkat(target, dir, name) < 0 ? -errno : 0;
	}
	default:
		fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return -errno;
		if (write(fd, e->data, e->size) != (ssize_t)e->size) {
			int r = errno ? -errno : -EIO;

			close(fd);
			return r;
		}
		close(fd);
		return 0;
	}
}

/* Fill the tmpfs at @point with its entries of @ns: each made, then the
 * times, directories' after their entries were made. */
static int fill_tmpfs(const struct mnt_ns_rec *ns, const char *point)
{
	size_t pos = 0;
	bool mine = false;
	struct entry e;
	int top = open(point, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r = 0, k;

	if (top < 0)
		return log_error_errno(-errno, "cannot open the tmpfs %s made again", point);
	for (int pass = 0; pass < 2 && r == 0; pass++) {
		pos = 0;
		mine = false;
		while (r == 0 && (k = next_of_mount(ns, point, &pos, &mine, &e)) != 0) {
			struct timespec ts[2] = { { .tv_sec = e.sec, .tv_nsec = e.nsec },
						  { .tv_sec = e.sec, .tv_nsec = e.nsec } };
			char buf[PATH_MAX];
			const char *name;
			int dir = k < 0 ? k : parent_in(top, e.path, buf, sizeof(buf), &name);

			r = dir;
			if (r >= 0 && pass == 0) {
				r = make_entry(dir, name, &e);
				if (r == 0 && fchownat(dir, name, e.uid, e.gid, AT_SYMLINK_NOFOLLOW) < 0)
					r = -errno;
				/* what make_entry made: no symlink but an 'l' */
				if (r == 0 && e.type != 'l' && fchmodat(dir, name, e.mode, 0) < 0)
					r = -errno;
			} else if (r >= 0 && utimensat(dir, name, ts, AT_SYMLINK_NOFOLLOW) < 0) {
				r = -errno;
			}
			if (dir >= 0)
				close(dir);
			if (r < 0)
				log_error_errno(r, "cannot make %s/%s again in its tmpfs%s", point, e.path,
						pass ? " (its times)" : "");
			else
				r = 0;
		}
	}
	close(top);
	return r;
}

/*
 * A copy of the mount of what @src (an O_PATH fd) is, as mount --bind
 * makes one, attached on @point; 0 or -errno. Not through /proc/self/fd:
 * the restorer's /proc may be unmounted by then (a namespace with a procfs
 * of its own on /proc has not the restorer's).
 */
static int bind_fd(int src, const char *point)
{
	int tree = (int)syscall(SYS_open_tree, src, "",
				OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH), r = 0;

	if (tree < 0)
		return -errno;
	if (syscall(SYS_move_mount, tree, "", AT_FDCWD, point, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		r = -errno;
	close(tree);
	return r;
}

/* Rebuild the list in the namespace the restorer is now in. */
static int rebuild(const struct mnt_ns_rec *ns)
{
	struct mountinfo *own = NULL;
	size_t nown = 0, n = 0;
	char *list = strdup(ns->mounts), *lines[MNT_MAX];
	char *f[MNT_MAX][9];
	int *src = NULL, r, proc = -1;
	bool *kept = NULL, slaves = false, shared = false;

	if (!list)
		return -ENOMEM;
	for (char *l = list, *end; *l; l = end + 1) {
		end = strchr(l, '\n');
		*end = 0;
		lines[n] = l;
		split_line(l, f[n]);
		slaves |= strstr(f[n][7], "slave") != NULL;
		shared |= strstr(f[n][7], "shared") != NULL;
		n++;
	}
	r = mount(NULL, "/", NULL, MS_REC | (slaves ? MS_SLAVE : MS_PRIVATE), NULL) < 0 ? -errno : 0;
	if (r < 0) {
		log_error_errno(r, "cannot make the mounts of the new mount namespace %s",
				slaves ? "slaves" : "private");
		goto out;
	}
	/* the restorer's proc, to read mountinfo from when it is unmounted */
	proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (proc < 0) {
		r = log_error_errno(-errno, "cannot open /proc");
		goto out;
	}
	r = mountinfo_read_at(proc, "self/mountinfo", MNT_MAX, &own, &nown);
	src = calloc(n + 1, sizeof(*src));
	kept = calloc(nown + 1, sizeof(*kept));
	if (r < 0 || !src || !kept) {
		r = r < 0 ? log_error_errno(r, "cannot read the restorer's mounts") : -ENOMEM;
		goto out;
	}
	/* the sources of the bind mounts, before anything moves */
	for (size_t i = 0; i < n; i++) {
		char real[PATH_MAX];

		src[i] = -1;
		if (strcmp(f[i][0], "bind"))
			continue;
		mountinfo_unescape(f[i][8], real, sizeof(real));
		src[i] = open(real, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (src[i] < 0) {
			r = log_error_errno(-errno, "cannot open %s, to bind it on %s", real, f[i][1]);
			goto out;
		}
	}
	/* the restorer's mounts the list does not have go */
	for (size_t i = 0; i < n; i++) {
		if (strcmp(f[i][0], "host"))
			continue;
		for (size_t h = 0; h < nown; h++) {
			struct mountinfo want = { 0 };

			snprintf(want.point, sizeof(want.point), "%s", f[i][1]);
			snprintf(want.root, sizeof(want.root), "%s", f[i][2]);
			snprintf(want.fstype, sizeof(want.fstype), "%s", f[i][3]);
			snprintf(want.source, sizeof(want.source), "%s", f[i][4]);
			if (!kept[h] && same_identity(&own[h], &want)) {
				kept[h] = true;
				break;
			}
		}
	}
	for (size_t h = nown; h-- > 0;) {
		char real[PATH_MAX];

		if (kept[h])
			continue;
		mountinfo_unescape(own[h].point, real, sizeof(real));
		if (umount2(real, MNT_DETACH) < 0) {
			r = log_error_errno(-errno, "cannot unmount %s, which its namespace did not have",
					    real);
			goto out;
		}
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		char point[PATH_MAX], super[MNT_FIELD_MAX], *s = super;
		unsigned long fl = 0;

		mountinfo_unescape(f[i][1], point, sizeof(point));
		mount_flags(f[i][5], &fl);
		if (strcmp(f[i][0], "tmpfs") == 0) {
			mountinfo_unescape(f[i][6], super, sizeof(super));
			if (strncmp(s, "rw,", 3) == 0 || strncmp(s, "ro,", 3) == 0)
				s += 3;
			else if (strcmp(s, "rw") == 0 || strcmp(s, "ro") == 0)
				s = "";
			/* contents first, read-only after */
			if (mount(f[i][4], point, "tmpfs", fl & ~MS_RDONLY, s) < 0)
				r = log_error_errno(-errno, "cannot mount a tmpfs on %s (%s)", point, s);
			else
				r = fill_tmpfs(ns, point);
		} else if (strcmp(f[i][0], "bind") == 0) {
			r = bind_fd(src[i], point);
			if (r < 0)
				log_error_errno(r, "cannot bind %s on %s", f[i][8], point);
		} else if (strcmp(f[i][0], "procfs") == 0) {
			char data[MNT_FIELD_MAX], bad[MNT_FIELD_MAX], source[MNT_FIELD_MAX];

			/* the image check has refused other options; the instance is
			 * of the restorer's pid namespace, the processes' */
			procfs_options(f[i][6], data, sizeof(data), bad, sizeof(bad));
			mountinfo_unescape(f[i][4], source, sizeof(source));
			if (mount(source, point, "proc", fl & ~MS_RDONLY, data) < 0)
				r = log_error_errno(-errno, "cannot mount a procfs on %s (%s)", point,
						    data);
		} else if (strcmp(f[i][0], "procfs-bind") == 0) {
			char real[PATH_MAX];
			int fd;

			/* its source is in the procfs instance of an earlier line */
			mountinfo_unescape(f[i][8], real, sizeof(real));
			fd = open(real, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			r = fd < 0 ? -errno : bind_fd(fd, point);
			if (fd >= 0)
				close(fd);
			if (r < 0)
				log_error_errno(r, "cannot bind %s of the procfs on %s", real, point);
		}
		/* its per-mount flags, when they differ */
		if (r == 0) {
			struct mountinfo *now = NULL;
			size_t nnow = 0;
			char opts[256] = "";

			r = mountinfo_read_at(proc, "self/mountinfo", MNT_MAX, &now, &nnow);
			for (size_t h = nnow; r == 0 && h-- > 0;)
				if (strcmp(now[h].point, f[i][1]) == 0) {
					snprintf(opts, sizeof(opts), "%s", now[h].opts);
					break;
				}
			free(now);
			if (r == 0 && strcmp(opts, f[i][5]) != 0 &&
			    mount(NULL, point, NULL, MS_REMOUNT | MS_BIND | fl, NULL) < 0)
				r = log_error_errno(-errno, "cannot set the options %s of %s", f[i][5],
						    point);
		}
		(void)lines;
	}
	if (r == 0 && shared && mount(NULL, "/", NULL, MS_REC | MS_SHARED, NULL) < 0)
		r = log_error_errno(-errno, "cannot make the mounts of the namespace shared");
	/* a slave recorded in a shared namespace: one again, of its master */
	for (size_t i = 0; r == 0 && shared && i < n; i++) {
		char point[PATH_MAX];

		if (strcmp(f[i][7], "slave"))
			continue;
		mountinfo_unescape(f[i][1], point, sizeof(point));
		if (mount(NULL, point, NULL, MS_SLAVE, NULL) < 0)
			r = log_error_errno(-errno, "cannot make %s a slave again", point);
	}
out:
	for (size_t i = 0; src && i < n; i++)
		if (src[i] >= 0)
			close(src[i]);
	if (proc >= 0)
		close(proc);
	free(src);
	free(kept);
	free(own);
	free(list);
	return r;
}

static int mnt_restore_begin(struct rst *r)
{
	const struct mnt_image *mi = kind_image_data_if(&r->img, &kind_mount_ns);
	struct mnt_restore *s;
	int e;

	if (!mi || !mi->n)
		return 0;
	s = rst_kind_state(r, &kind_mount_ns, sizeof(*s));
	if (!s)
		return -ENOMEM;
	e = ns_step_new(&s->ns, CLONE_NEWNS);
	if (e < 0)
		return log_error_errno(e, "cannot make a mount namespace for the processes");
	e = rebuild(mi->ns);
	if (e < 0)
		log_error("the mount namespace of the image cannot be made again here");
	return e;
}

static int mnt_verify_process(struct rst *r, struct rproc *rp)
{
	const struct mnt_image *mi = kind_image_data_if(&r->img, &kind_mount_ns);
	struct mountinfo *now = NULL;
	size_t n = 0, i = 0;
	char file[64];
	int e;

	if (!mi || !mi->n)
		return 0;
	snprintf(file, sizeof(file), "/proc/%d/mountinfo", rp->pid);
	e = mountinfo_read_at(AT_FDCWD, file, MNT_MAX, &now, &n);
	if (e < 0)
		return log_error_errno(e, "pid %d: cannot read %s", rp->pid, file);
	for (const char *l = mi->ns->mounts; *l && e == 0; l = strchr(l, '\n') + 1, i++) {
		char was[9 * MNT_FIELD_MAX], is[9 * MNT_FIELD_MAX], *f[9];
		const char *end = strchr(l, '\n');

		memcpy(was, l, end - l);
		was[end - l] = 0;
		split_line(was, f);
		if (i >= n) {
			snprintf(is, sizeof(is), "%s %s %s %s %s %s %s", f[1], f[2], f[3], f[4],
				 f[5], f[6], f[7]);
			e = verify_differs(rp, "its mount namespace lacks the mount %s", is);
			break;
		}
		/* the super-options of a filesystem the restorer shows (host,
		 * bind) are its own on this boot (a rootfs's size, a new
		 * kernel's defaults), not the process's: theirs are compared
		 * only where the restore made the filesystem */
		if (strcmp(f[0], "host") == 0 || strcmp(f[0], "bind") == 0)
			f[6] = now[i].super;
		snprintf(is, sizeof(is), "%s %s %s %s %s %s %s", f[1], f[2], f[3], f[4], f[5],
			 f[6], f[7]);
		snprintf(was, sizeof(was), "%s", is);
		mnt_line(&now[i], is, sizeof(is));
		if (strcmp(was, is) != 0)
			e = verify_differs(rp, "its mount %zu is '%s', was '%s'", i + 1, is, was);
	}
	if (e == 0 && i < n) {
		char is[9 * MNT_FIELD_MAX];

		mnt_line(&now[i], is, sizeof(is));
		e = verify_differs(rp, "its mount namespace has a mount more: %s", is);
	}
	free(now);
	return e;
}

static void mnt_restore_end(struct rst *r)
{
	struct mnt_restore *s = rst_kind_state(r, &kind_mount_ns, 0);

	if (s)
		ns_step_back(&s->ns);
}

const struct kind kind_mount_ns = {
	.name = "mount-ns",
	.claims = mnt_claims,
	.dump_process = mnt_dump_process,
	.image_size = sizeof(struct mnt_image),
	.image_fields = mnt_image_fields,
	.image_check = mnt_image_check,
	.restore_begin = mnt_restore_begin,
	.verify_process = mnt_verify_process,
	.restore_end = mnt_restore_end,
};
