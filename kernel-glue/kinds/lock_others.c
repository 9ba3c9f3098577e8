/* SPDX-License-Identifier: MIT */
/*
 * What the rest of the system holds on the files of the selection, for
 * the lock kinds (lockinfo.h, lock_dump_check()): every lock and waiting
 * request of /proc/locks that is none of the selection's own, on a file
 * it has open or mapped; and the processes outside it that share an open
 * file description holding a lock (kcmp).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/mountinfo.h"
#include "../common/procfs.h"
#include "lockinfo.h"

/* ---- the files the selection reaches ---- */

struct inode_key {
	unsigned dev_major, dev_minor;
	uint64_t ino;
	const char *path; /* of the first file of the selection on it */
	char *owned;      /* that path, when the key owns it (a mapped file's) */
};

struct inode_set {
	struct inode_key *v;
	size_t n;
};

/* Add the inode; @owned (malloc'd, for its path) is the set's after this. */
static int add_inode(struct inode_set *s, unsigned maj, unsigned min, uint64_t ino,
		     const char *path, char *owned)
{
	struct inode_key *k;

	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].ino == ino && s->v[i].dev_major == maj && s->v[i].dev_minor == min) {
			free(owned);
			return 0;
		}
	k = ST_PUSH(s->v, s->n);
	if (!k) {
		free(owned);
		return -ENOMEM;
	}
	*k = (struct inode_key){ maj, min, ino, owned ? owned : path, owned };
	return 0;
}

static const struct inode_key *find_inode(const struct inode_set *s, const struct lock_line *l)
{
	for (size_t i = 0; l->ino && i < s->n; i++)
		if (s->v[i].ino == l->ino && s->v[i].dev_major == l->dev_major &&
		    s->v[i].dev_minor == l->dev_minor)
			return &s->v[i];
	return NULL;
}

static void free_inodes(struct inode_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].owned);
	free(s->v);
}

/* The device of the filesystem of mount @mnt_id of @mounts (mountinfo's
 * third field, the superblock's, which /proc/locks prints too; stat may
 * give another, on btrfs or overlayfs). */
static int mount_dev(const struct mountinfo *mounts, size_t n, const char *mnt_id,
		     unsigned *ret_maj, unsigned *ret_min)
{
	unsigned long want = strtoul(mnt_id, NULL, 10);

	for (size_t i = 0; i < n; i++)
		if (mounts[i].id == want) {
			*ret_maj = mounts[i].dev_major;
			*ret_min = mounts[i].dev_minor;
			return 0;
		}
	return -ENOENT;
}

/* The inode of fd @fd of @pid: its filesystem's device, its number. */
static int fd_inode(pid_t pid, int fd, const struct mountinfo *mounts, size_t nmounts,
		    struct inode_set *s, const char *path)
{
	char name[64], *info, buf[32];
	unsigned maj = 0, min = 0;
	bool have_dev, have_ino;
	uint64_t ino = 0;
	struct stat st;
	int r;

	snprintf(name, sizeof(name), "/proc/%d/fdinfo/%d", pid, fd);
	r = proc_read_file(name, &info, NULL);
	if (r < 0)
		return r;
	have_dev = proc_status_field(info, "mnt_id", buf, sizeof(buf)) == 0 &&
		   mount_dev(mounts, nmounts, buf, &maj, &min) == 0;
	have_ino = proc_status_field(info, "ino", buf, sizeof(buf)) == 0;
	if (have_ino)
		ino = strtoull(buf, NULL, 10);
	free(info);
	if (!have_dev || !have_ino) {
		/* the kernel's own mounts (pipes, sockets, anonymous inodes) are
		 * in no mountinfo, and before 5.14 fdinfo has no ino: stat's */
		snprintf(name, sizeof(name), "/proc/%d/fd/%d", pid, fd);
		if (stat(name, &st) < 0)
			return -errno;
		if (!have_dev) {
			maj = major(st.st_dev);
			min = minor(st.st_dev);
		}
		if (!have_ino)
			ino = st.st_ino;
	}
	return add_inode(s, maj, min, ino, path, NULL);
}

/* The files mapped by @pid, from /proc/PID/maps (its device is the one
 * /proc/locks prints). */
static int mapped_inodes(pid_t pid, struct inode_set *s)
{
	char path[64], *maps, name[4096];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	r = proc_read_file(path, &maps, NULL);
	if (r < 0)
		return r;
	for (const char *p = maps; p && *p && r == 0; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		unsigned maj, min;
		unsigned long long ino;
		char *copy;

		name[0] = 0;
		if (sscanf(p, "%*x-%*x %*s %*x %x:%x %llu %4095[^\n]", &maj, &min, &ino, name) <
			    3 ||
		    !ino)
			continue;
		copy = strdup(name[0] ? name : "(a mapped file)");
		r = copy ? add_inode(s, maj, min, ino, NULL, copy) : -ENOMEM;
	}
	free(maps);
	return r;
}

/* Every inode the selection has open or mapped. */
static int selection_inodes(struct ckpt *c, struct inode_set *s)
{
	int r = 0;

	for (size_t i = 0; i < c->img.nprocs && r == 0; i++) {
		const struct st_process *p = &c->img.procs[i];
		char path[64];
		struct mountinfo *mounts;
		size_t nmounts;

		snprintf(path, sizeof(path), "/proc/%d/mountinfo", p->pid);
		r = mountinfo_read_at(AT_FDCWD, path, 0, &mounts, &nmounts);
		if (r < 0)
			return log_error_errno(r, "pid %d: cannot read %s", p->pid, path);
		for (size_t k = 0; k < p->nfds && r == 0; k++) {
			const struct st_file *f = st_find_file(&c->img, p->fds[k].file_id);

			r = fd_inode(p->pid, p->fds[k].num, mounts, nmounts, s,
				     f ? lock_file_name(f) : "?");
			if (r < 0)
				log_error_errno(r, "pid %d fd %d: cannot tell its inode", p->pid,
						p->fds[k].num);
		}
		free(mounts);
		if (r == 0) {
			r = mapped_inodes(p->pid, s);
			if (r < 0)
				log_error_errno(r, "pid %d: cannot read its mapped files", p->pid);
		}
	}
	return r;
}

static bool in_selection(const struct ckpt *c, long pid)
{
	for (size_t i = 0; i < c->img.nprocs; i++)
		if (c->img.procs[i].pid == pid)
			return true;
	return false;
}

static const char *holder_text(const struct ckpt *c, long pid, char *buf, size_t size)
{
	if (pid == -1)
		snprintf(buf, size, "an open file description no descriptor of the selection has");
	else if (in_selection(c, pid))
		snprintf(buf, size, "pid %ld of the selection", pid);
	else if (pid == 0)
		snprintf(buf, size, "a process this PID namespace does not see");
	else
		snprintf(buf, size, "pid %ld, outside the selection,", pid);
	return buf;
}

/* The line @l of /proc/locks that is none of the selection's own. */
static int refuse_other(struct ckpt *c, const struct lock_line *l, struct inode_set *s,
			bool *have_set)
{
	const struct inode_key *k;
	char what[128], who[96];
	int r;

	lock_describe(l, what, sizeof(what));
	if (!l->waiter && in_selection(c, l->pid)) {
		ckpt_unsupported(c, "pid %ld: %s on inode %02x:%02x:%llu, through an open file "
				 "description none of its descriptors has (kept by a memory "
				 "mapping alone, or a descriptor table it does not share): not "
				 "supported", l->pid, what, l->dev_major, l->dev_minor,
				 (unsigned long long)l->ino);
		return 0;
	}
	if (!*have_set) {
		r = selection_inodes(c, s);
		if (r < 0)
			return r;
		*have_set = true;
	}
	k = find_inode(s, l);
	if (!k)
		return 0; /* a file the selection does not reach */
	holder_text(c, l->pid, who, sizeof(who));
	if (l->waiter)
		ckpt_unsupported(c, "%s: %s waits for %s on this file, which the selection has "
				 "open: it would get it once the selection goes away", k->path, who,
				 what);
	else
		ckpt_unsupported(c, "%s: %s held by %s on a file the selection has open or "
				 "mapped: that lock is not carried", k->path, what, who);
	return 0;
}

static int refuse_others(struct ckpt *c, bool (*owns)(const struct lock_line *),
			 const struct lock_line *ours, size_t nours)
{
	struct lock_line *all;
	struct inode_set s = { 0 };
	bool have_set = false, *used;
	size_t n;
	int r = lock_proc_locks(&all, &n);

	if (r < 0)
		return log_error_errno(r, "cannot read /proc/locks");
	used = calloc(nours + 1, sizeof(*used));
	if (!used) {
		free(all);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && r == 0; i++) {
		size_t j;

		if (!owns(&all[i]))
			continue;
		for (j = 0; !all[i].waiter && j < nours; j++)
			if (!used[j] && lock_same(&ours[j], &all[i]))
				break;
		if (!all[i].waiter && j < nours)
			used[j] = true;
		else
			r = refuse_other(c, &all[i], &s, &have_set);
	}
	for (size_t j = 0; j < nours && r == 0; j++)
		if (!used[j])
			ckpt_unsupported(c,
					 "%s: it changed while the selection was frozen (another "
					 "process shares its open file description?)",
					 ours[j].text);
	free(used);
	free(all);
	free_inodes(&s);
	return r;
}

/* ---- open file descriptions shared with the rest of the system ---- */

static void check_process_fds(struct ckpt *c, pid_t other, const struct lock_holder *h,
			      const struct stat *hst, size_t n)
{
	char path[64];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", other);
	d = opendir(path);
	if (!d)
		return; /* gone, or a kernel thread */
	while ((de = readdir(d))) {
		struct stat st;
		char fdpath[96];
		int ofd;

		if (de->d_name[0] == '.')
			continue;
		ofd = atoi(de->d_name);
		snprintf(fdpath, sizeof(fdpath), "%s/%d", path, ofd);
		if (stat(fdpath, &st) < 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			long same;

			if (st.st_ino != hst[i].st_ino || st.st_dev != hst[i].st_dev)
				continue;
			same = syscall(SYS_kcmp, h[i].pid, other, KCMP_FILE, h[i].fd, ofd);
			if (same == 0)
				ckpt_unsupported(c,
						 "pid %d fd %d: %s: %s belongs to its open file "
						 "description, which pid %d, outside the "
						 "selection, has too (fd %d): it would keep it",
						 h[i].pid, h[i].fd, lock_file_name(h[i].f),
						 h[i].what, other, ofd);
			else if (same < 0)
				ckpt_unsupported(c,
						 "pid %d fd %d: %s: %s belongs to its open file "
						 "description; whether pid %d (outside the "
						 "selection) has it too cannot be told: %s",
						 h[i].pid, h[i].fd, lock_file_name(h[i].f),
						 h[i].what, other, strerror(errno));
		}
	}
	closedir(d);
}

static int refuse_shared(struct ckpt *c, const struct lock_holder *h, size_t n)
{
	struct stat *hst;
	pid_t *pids;
	size_t npids;
	int r;

	if (!n)
		return 0;
	hst = calloc(n, sizeof(*hst));
	if (!hst)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/fd/%d", h[i].pid, h[i].fd);
		if (stat(path, &hst[i]) < 0) {
			r = log_error_errno(-errno, "pid %d fd %d: cannot inspect", h[i].pid, h[i].fd);
			free(hst);
			return r;
		}
	}
	r = proc_list_pids(&pids, &npids);
	if (r < 0) {
		free(hst);
		return log_error_errno(r, "cannot list /proc");
	}
	for (size_t i = 0; i < npids; i++)
		/* ferry's own copies of descriptors are closed by now */
		if (pids[i] != getpid() && !in_selection(c, pids[i]))
			check_process_fds(c, pids[i], h, hst, n);
	free(pids);
	free(hst);
	return 0;
}

int lock_dump_check(struct ckpt *c, const struct lock_seen *s)
{
	int r = refuse_others(c, s->owns, s->lines, s->n);

	return r < 0 ? r : refuse_shared(c, s->holders, s->nholders);
}

int lock_add_holder(struct ckpt *c, struct lock_seen *s, pid_t pid, uint32_t file_id,
		    const char *what)
{
	struct lock_holder *h = ST_PUSH(s->holders, s->nholders);

	if (!h)
		return -ENOMEM;
	*h = (struct lock_holder){
		.pid = pid,
		.fd = lock_fd_of(st_find_process(&c->img, pid), file_id),
		.f = st_find_file(&c->img, file_id),
		.what = what,
	};
	return 0;
}
