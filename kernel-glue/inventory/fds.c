/* SPDX-License-Identifier: MIT */
/*
 * Source: every fd of /proc/PID/fd, probed as the checkpoint probes it
 * (its link, stat, fdinfo; a socket's family, type and protocol). A file
 * no kind of kinds/registry.c claims is refused as a whole, named by what
 * the kernel says it is (checkpoint/refuse.c). Of a claimed file, every
 * line of its fdinfo is offered under its key (what is before the first
 * ':'), its filesystem (by name: "filesystem"), its path when it has one
 * (which must lead to it: "path"), and its
 * SIGIO owner and signal, read from a copy of it: the kind
 * of the file claims its own keys (kinds/NAME.c), ferry's capture the
 * common ones (checkpoint/dump_files.c), a kind that is no kind of file
 * those it carries on any file (a lock); the rest meets the rules below.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "inventory.h"

/*
 * A file known by a path is opened again by it: that path must lead to
 * this very file from here. Deleted files, whose contents are carried,
 * are their kind's business.
 */
static bool path_leads_here(const struct inv_item *it)
{
	const char *deleted = " (deleted)";
	size_t n = strlen(it->value), k = strlen(deleted);
	char where[PATH_MAX + 64];
	struct stat st;

	if (n >= k && strcmp(it->value + n - k, deleted) == 0)
		return true;
	if (stat(proc_path_of(it->pid, it->value, where, sizeof(where)), &st) < 0)
		return false;
	/* a device node reopened gives the device (kinds/chardev.c): a
	 * namespace's own /dev (PrivateDevices=) has other nodes of the same */
	if (S_ISCHR(st.st_mode) && S_ISCHR(it->fd->st.st_mode))
		return st.st_rdev == it->fd->st.st_rdev;
	return st.st_dev == it->fd->st.st_dev &&
	       st.st_ino == it->fd->st.st_ino;
}

/* The filesystem of each file, by name (kinds/by_path.c knows which keep
 * paths); one not in this table is offered as its magic number. */
static const struct {
	unsigned long magic;
	const char *name;
} filesystems[] = {
	{ 0xef53, "ext4" },        { 0x58465342, "xfs" },     { 0x9123683e, "btrfs" },
	{ 0x01021994, "tmpfs" },   { 0x794c7630, "overlayfs" }, { 0x6969, "nfs" },
	{ 0x65735546, "fuse" },    { 0x4d44, "vfat" },        { 0x2011bab0, "exfat" },
	{ 0xf2f52010, "f2fs" },    { 0x73717368, "squashfs" }, { 0x9660, "iso9660" },
	{ 0x858458f6, "ramfs" },   { 0x2fc12fc1, "zfs" },     { 0x5346544e, "ntfs" },
	{ 0x01021997, "9p" },      { 0x00c36400, "ceph" },    { 0xff534d42, "cifs" },
	{ 0xfe534d42, "smb2" },    { 0xe0f5e1e2, "erofs" },   { 0x3153464a, "jfs" },
	{ 0x52654973, "reiserfs" }, { 0xca451a4e, "bcachefs" }, { 0x62656572, "sysfs" },
	{ 0x958458f6, "hugetlbfs" }, { 0x50495045, "pipefs" }, { 0x534f434b, "sockfs" },
	{ 0x09041934, "anon_inodefs" }, { 0x1cd1, "devpts" },  { 0x9fa0, "proc" },
	{ 0x6e736673, "nsfs" },    { 0x19800202, "mqueue" },  { 0xcafe4a11, "bpf" },
	{ 0x5345434d, "secretmem" }, { 0x74726163, "tracefs" }, { 0x64626720, "debugfs" },
	{ 0x73636673, "securityfs" }, { 0x62656570, "configfs" }, { 0x27e0eb, "cgroup" },
	{ 0x63677270, "cgroup2" }, { 0xde5e81e4, "efivarfs" }, { 0x6165676c, "pstore" },
	{ 0x42494e4d, "binfmt_misc" }, { 0x6c6f6f70, "binder" }, { 0x444d4142, "dmabuf" },
	{ 0x50494446, "pidfs" },
};

const struct inv_rule inv_fd_rules[] = {
	INV_REFUSED("filesystem", "the filesystem of a file of its kind"),
	INV_ACCEPT_WHY("path", "its path", path_leads_here,
		       "it does not lead to this file from here (a file of another mount "
		       "namespace, or of a filesystem not mounted here such as a POSIX message "
		       "queue's), so it cannot be opened again"),
	INV_REFUSED("lock", "a lock on it"), /* the lock kinds claim those they carry */
	INV_DEFAULT("owner", "its owner for signal-driven I/O (F_SETOWN)", "0"),
	INV_DEFAULT("signal", "its signal for signal-driven I/O (F_SETSIG)", "0"),
	INV_DEFAULT("socket filter", "its socket filter", "none"),
	INV_RULES_END,
};

static void offer(struct inv *v, const struct fd_probe *p, const char *key, const char *val)
{
	struct inv_item it = { .source = INV_FD, .root = inv_root(v), .pid = p->pid,
			       .tid = p->pid, .key = key, .value = val, .fd = p };

	inv_offer(v, &it);
}

static void offer_fdinfo(struct inv *v, const struct fd_probe *p)
{
	for (const char *line = p->fdinfo, *next; line && *line; line = next) {
		const char *colon = strchr(line, ':'), *val;
		char key[64], value[512];
		size_t n;

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (!colon || colon > next || colon - line >= (long)sizeof(key))
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)(colon - line), line);
		for (val = colon + 1; *val == ' ' || *val == '\t'; val++)
			;
		n = next - val;
		while (n && (val[n - 1] == '\n' || val[n - 1] == ' ' || val[n - 1] == '\t'))
			n--;
		snprintf(value, sizeof(value), "%.*s", (int)n, val);
		offer(v, p, key, value);
	}
}

/* Who gets SIGIO of the file, and which signal: from a copy of it. */
static void offer_owner(struct inv *v, struct fd_probe *p)
{
	struct f_owner_ex owner = { 0 };
	int copy = p->sfd >= 0 ? p->sfd : dump_borrow_fd(p->pid, p->fd), sig;
	char val[32];

	if (copy < 0)
		return; /* gone meanwhile; the checkpoint sees it again */
	if (fcntl(copy, F_GETOWN_EX, &owner) == 0) {
		if (owner.pid)
			snprintf(val, sizeof(val), "%s %d",
				 owner.type == F_OWNER_TID ? "tid" :
				 owner.type == F_OWNER_PGRP ? "process group" : "pid", owner.pid);
		else
			snprintf(val, sizeof(val), "0");
		offer(v, p, "owner", val);
	}
	sig = fcntl(copy, F_GETSIG);
	if (sig >= 0) {
		snprintf(val, sizeof(val), "%d", sig);
		offer(v, p, "signal", val);
	}
	if (copy != p->sfd)
		close(copy);
}

/* A socket's filter: "none", "classic" (SO_ATTACH_FILTER, which
 * SO_GET_FILTER reads back) or "eBPF" (SO_ATTACH_BPF, for which it says
 * EACCES: the kernel keeps no program to give). */
static void offer_socket_filter(struct inv *v, const struct fd_probe *p)
{
	socklen_t len = 0;

	if (getsockopt(p->sfd, SOL_SOCKET, SO_GET_FILTER, NULL, &len) == 0)
		offer(v, p, "socket filter", len ? "classic" : "none");
	else if (errno == EACCES)
		offer(v, p, "socket filter", "eBPF");
}

static int walk_fd(struct inv *v, pid_t pid, int fd)
{
	struct fd_probe p;
	struct fd_probe_store s;
	int r = fd_probe_read(&p, &s, pid, fd);

	if (r == 0 && S_ISSOCK(p.st.st_mode))
		r = fd_probe_socket(&p);
	if (r == -ENOENT) {
		r = 0; /* closed meanwhile */
	} else if (r < 0) {
		log_error_errno(r, "pid %d fd %d: cannot inspect it", pid, fd);
	} else if (!kind_of_fd(&p)) {
		char msg[4096 + 512];

		fd_refusal(&p, msg, sizeof(msg));
		inv_refuse(v, "%s", msg);
	} else {
		struct statfs sfs;

		if (statfs(p.path, &sfs) == 0) {
			char name[24];
			size_t i;

			for (i = 0; i < sizeof(filesystems) / sizeof(filesystems[0]); i++)
				if (filesystems[i].magic == (unsigned long)sfs.f_type)
					break;
			if (i < sizeof(filesystems) / sizeof(filesystems[0]))
				snprintf(name, sizeof(name), "%s", filesystems[i].name);
			else
				snprintf(name, sizeof(name), "%#lx", (unsigned long)sfs.f_type);
			offer(v, &p, "filesystem", name);
		}
		if (p.link[0] == '/')
			offer(v, &p, "path", p.link);
		offer_fdinfo(v, &p);
		offer_owner(v, &p);
		if (p.sfd >= 0)
			offer_socket_filter(v, &p);
	}
	fd_probe_release(&p, &s);
	return r;
}

int inv_walk_fds(struct inv *v, pid_t pid)
{
	char path[64];
	struct dirent *de;
	int r = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return errno == ENOENT
			       ? 0
			       : log_error_errno(-errno, "pid %d: cannot list %s", pid, path);
	while (r == 0 && (de = readdir(d)))
		if (de->d_name[0] != '.')
			r = walk_fd(v, pid, atoi(de->d_name));
	closedir(d);
	return r;
}
