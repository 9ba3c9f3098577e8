/* SPDX-License-Identifier: MIT */
/*
 * Open files: every fd of /proc/PID/fd with its flags and offset. Fds that
 * share one open file description (dup, inheritance) are found with kcmp
 * and share one file record. Pipes and named FIFOs carry the bytes
 * buffered in them, copied with tee(2) from a second read end opened
 * through /proc, so the pipe itself is left untouched. Files deleted while
 * open and memfds carry their contents (the first record of an inode; the
 * others name it). Kinds of kinds/registry.c dump the files they claim;
 * every file nobody claims is named with the reason it cannot be
 * checkpointed (refuse.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "dump_files.h"
#include "internal.h"

#define DELETED_SUFFIX " (deleted)"
#define MEMFD_PREFIX "/memfd:"

struct fdinfo {
	uint64_t pos;
	uint32_t flags;
	char *text; /* the whole file, for fields of particular kinds */
};

static int read_fdinfo(pid_t pid, int fd, struct fdinfo *fi)
{
	char path[64], buf[64], *s;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	r = proc_read_file(path, &s, NULL);
	if (r < 0)
		return r;
	r = proc_status_field(s, "pos", buf, sizeof(buf));
	if (r == 0)
		fi->pos = strtoull(buf, NULL, 10);
	if (r == 0)
		r = proc_status_field(s, "flags", buf, sizeof(buf));
	if (r == 0)
		fi->flags = strtoul(buf, NULL, 8);
	if (r == 0)
		fi->text = s;
	else
		free(s);
	return r;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* An earlier record of the inode @st that makes it (carried or FIFO). */
static struct st_file *find_inode(struct ckpt *c, const struct stat *st, enum st_file_type type)
{
	for (size_t i = 0; i < c->img.nfiles; i++) {
		struct st_file *f = &c->img.files[i];

		if (f->ino == st->st_ino && f->dev == st->st_dev && f->type == type &&
		    !f->same_inode && (f->deleted || type != ST_FILE_REGULAR))
			return f;
	}
	return NULL;
}

/*
 * The contents of a deleted file or memfd, from @open_path (a /proc link
 * to it), into @f; or the record of the same inode that already has them.
 */
static int carry_contents(struct ckpt *c, pid_t pid, const char *what, const char *open_path,
			  const struct stat *st, struct st_file *f)
{
	struct st_file *first = find_inode(c, st, f->type);
	struct statfs sfs;
	uint64_t done = 0;
	int fd, r = 0;

	f->dev = st->st_dev;
	f->ino = st->st_ino;
	if (first && first != f) {
		f->same_inode = first->id;
		return 0;
	}
	fd = open(open_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return glue_err(-errno, "pid %d %s: cannot open it through %s", pid, what,
				open_path);
	if (fstatfs(fd, &sfs) == 0 && sfs.f_type == HUGETLBFS_MAGIC) {
		ckpt_unsupported(c, "pid %d %s: %s: files on hugetlbfs are not supported", pid,
				 what, f->path);
		goto out;
	}
	if ((uint64_t)st->st_size > CARRIED_FILE_MAX) {
		ckpt_unsupported(c, "pid %d %s: %s: %llu bytes are more than the %u MiB a "
				 "deleted file or memfd may hold to be carried", pid, what,
				 f->path, (unsigned long long)st->st_size, CARRIED_FILE_MAX >> 20);
		goto out;
	}
	f->size = st->st_size;
	f->mode = st->st_mode & 07777;
	f->uid = st->st_uid;
	f->gid = st->st_gid;
	if (f->type == ST_FILE_MEMFD) {
		int seals = fcntl(fd, F_GET_SEALS);

		f->seals = seals > 0 ? seals : 0;
	}
	f->data = malloc(f->size ? f->size : 1);
	if (!f->data) {
		r = -ENOMEM;
		goto out;
	}
	while (done < f->size) {
		ssize_t n = pread(fd, f->data + done, f->size - done, done);

		if (n < 0) {
			r = glue_err(-errno, "pid %d %s: cannot read %s", pid, what, f->path);
			goto out;
		}
		if (n == 0)
			break;
		done += n;
	}
	/* the rest reads as zeros: leave trailing zeros out */
	while (done > 0 && f->data[done - 1] == 0)
		done--;
	f->data_len = done;
out:
	close(fd);
	return r;
}

static char *memfd_name(const char *link)
{
	const char *n = link + strlen(MEMFD_PREFIX);
	size_t len = strlen(n);

	if (ends_with(n, DELETED_SUFFIX))
		len -= strlen(DELETED_SUFFIX);
	return strndup(n, len);
}

/* A new record for a carried file seen through @link. */
static int init_carried(struct st_file *f, const char *link)
{
	f->path = strdup(link);
	if (!f->path)
		return -ENOMEM;
	if (strncmp(link, MEMFD_PREFIX, strlen(MEMFD_PREFIX)) == 0) {
		f->type = ST_FILE_MEMFD;
		f->name = memfd_name(link);
		return f->name ? 0 : -ENOMEM;
	}
	f->type = ST_FILE_REGULAR;
	f->deleted = true;
	return 0;
}

int dump_mapped_file(struct ckpt *c, pid_t pid, uint64_t start, uint64_t end, const char *name,
		     uint32_t *ret_id)
{
	char path[96], what[96];
	struct st_file *f;
	struct stat st;
	int r;

	*ret_id = 0;
	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", pid,
		 (unsigned long long)start, (unsigned long long)end);
	snprintf(what, sizeof(what), "area %#llx-%#llx", (unsigned long long)start,
		 (unsigned long long)end);
	if (stat(path, &st) < 0)
		return glue_err(-errno, "pid %d %s: %s: cannot inspect %s", pid, what, name, path);
	if (!S_ISREG(st.st_mode)) {
		ckpt_unsupported(c, "pid %d %s: %s: only regular files and memfd can be carried",
				 pid, what, name);
		return 0;
	}
	f = find_inode(c, &st, strncmp(name, MEMFD_PREFIX, strlen(MEMFD_PREFIX)) == 0 ?
				       ST_FILE_MEMFD : ST_FILE_REGULAR);
	if (f) {
		*ret_id = f->id;
		return 0;
	}
	f = ST_PUSH(c->img.files, c->img.nfiles);
	if (!f)
		return -ENOMEM;
	f->id = c->img.nfiles;
	f->flags = O_RDWR;
	r = init_carried(f, name);
	if (r == 0) {
		unsigned before = c->problems;

		r = carry_contents(c, pid, what, path, &st, f);
		if (r == 0 && c->problems == before)
			*ret_id = f->id;
	}
	return r;
}

/* Is this character device one that reopening by path gives back? */
static bool chardev_reopenable(dev_t rdev)
{
	unsigned ma = major(rdev), mi = minor(rdev);

	if (ma == 1) /* null, zero, full, random, urandom */
		return mi == 3 || mi == 5 || mi == 7 || mi == 8 || mi == 9;
	if (ma == 5 && mi == 0) /* /dev/tty */
		return true;
	return ma == 4 || (ma >= 136 && ma <= 143); /* virtual consoles, pseudo terminals */
}

static struct file_origin *find_shared(struct ckpt *c, pid_t pid, int fd)
{
	for (size_t i = 0; i < c->norigins; i++) {
		struct file_origin *o = &c->origins[i];

		if (syscall(SYS_kcmp, o->pid, pid, KCMP_FILE, o->fd, fd) == 0)
			return o;
	}
	return NULL;
}

static int dump_fd(struct ckpt *c, pid_t pid, int fd, struct st_process *p)
{
	char path[64], *link;
	struct file_origin *o;
	struct st_file *f;
	struct st_fd *rec;
	struct fdinfo fi = { 0 };
	struct fd_probe probe = { .sfd = -1 };
	struct stat st;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	r = proc_read_link(path, &link);
	if (r < 0)
		return glue_err(r, "pid %d fd %d: cannot read %s", pid, fd, path);
	if (stat(path, &st) < 0 || read_fdinfo(pid, fd, &fi) < 0) {
		r = glue_err(-errno, "pid %d fd %d: %s: cannot inspect", pid, fd, link);
		goto out;
	}
	rec = ST_PUSH(p->fds, p->nfds);
	if (!rec) {
		r = -ENOMEM;
		goto out;
	}
	rec->num = fd;
	rec->cloexec = fi.flags & O_CLOEXEC;
	o = find_shared(c, pid, fd);
	if (o) {
		rec->file_id = o->file_id;
		goto out;
	}

	f = ST_PUSH(c->img.files, c->img.nfiles);
	o = ST_PUSH(c->origins, c->norigins);
	if (!f || !o) {
		r = -ENOMEM;
		goto out;
	}
	f->id = c->img.nfiles;
	f->flags = fi.flags & ~O_CLOEXEC;
	f->pos = fi.pos;
	o->pid = pid;
	o->fd = fd;
	o->file_id = f->id;
	rec->file_id = f->id;

	probe = (struct fd_probe){ .pid = pid, .fd = fd, .path = path, .link = link, .st = st,
				   .flags = f->flags, .fdinfo = fi.text, .sfd = -1 };
	if (S_ISSOCK(st.st_mode)) {
		r = fd_probe_socket(&probe);
		if (r < 0)
			goto out;
	}
	f->kind = kind_of_fd(&probe);
	if (f->kind) {
		f->type = ST_FILE_KIND;
		f->kind_data = calloc(1, f->kind->file_size ? f->kind->file_size : 1);
		r = f->kind_data ? f->kind->dump(c, &probe, f) : -ENOMEM;
		goto out;
	}
	if (S_ISREG(st.st_mode) && (strncmp(link, MEMFD_PREFIX, strlen(MEMFD_PREFIX)) == 0 ||
				    (link[0] == '/' && ends_with(link, DELETED_SUFFIX) &&
				     st.st_nlink == 0))) {
		char what[32];

		snprintf(what, sizeof(what), "fd %d", fd);
		r = init_carried(f, link);
		if (r == 0)
			r = carry_contents(c, pid, what, path, &st, f);
		goto out;
	}
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISCHR(st.st_mode)) {
		f->type = S_ISREG(st.st_mode) ? ST_FILE_REGULAR :
			  S_ISDIR(st.st_mode) ? ST_FILE_DIRECTORY : ST_FILE_CHARDEV;
		if (link[0] != '/' || ends_with(link, DELETED_SUFFIX)) {
			ckpt_unsupported(c, "pid %d fd %d: %s: %s", pid, fd, link,
					 S_ISDIR(st.st_mode) ? "deleted directories are not supported"
					 : link[0] != '/' ? "a file without a path here is not supported"
					 : "a file that was renamed over while open (its inode still has "
					   "a name elsewhere) is not supported");
			goto out;
		}
		if (S_ISCHR(st.st_mode) && !chardev_reopenable(st.st_rdev)) {
			ckpt_unsupported(c, "pid %d fd %d: %s: character device %u:%u is not "
					 "supported yet", pid, fd, link, major(st.st_rdev),
					 minor(st.st_rdev));
			goto out;
		}
		f->rdev = st.st_rdev;
		f->path = link;
		link = NULL;
		goto out;
	}
	refuse_fd(c, &probe);
out:
	if (probe.sfd >= 0)
		close(probe.sfd);
	free(fi.text);
	free(link);
	return r;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int dump_files(struct ckpt *c, pid_t pid, struct st_process *p)
{
	char path[64];
	struct dirent *de;
	int *fds = NULL, r = 0;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return glue_err(-errno, "pid %d: cannot list %s", pid, path);
	while ((de = readdir(d))) {
		int *slot;

		if (de->d_name[0] == '.')
			continue;
		slot = ST_PUSH(fds, n);
		if (!slot) {
			r = -ENOMEM;
			break;
		}
		*slot = atoi(de->d_name);
	}
	closedir(d);
	if (r == 0) {
		qsort(fds, n, sizeof(*fds), cmp_int);
		for (size_t i = 0; i < n && r >= 0; i++)
			r = dump_fd(c, pid, fds[i], p);
		for (size_t i = 0; i < kind_count && r == 0; i++)
			if (kind_registry[i]->dump_process)
				r = kind_registry[i]->dump_process(c, pid, p);
	}
	free(fds);
	return r;
}
