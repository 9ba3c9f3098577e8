/* SPDX-License-Identifier: MIT */
/*
 * Open files: every fd of /proc/PID/fd with its flags and offset. Fds that
 * share one open file description (dup, inheritance) are found with kcmp
 * and share one file record. Pipes carry the bytes buffered in them, copied
 * with tee(2) from a second read end opened through /proc, so the pipe
 * itself is left untouched.
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

#include "../common/log.h"
#include "../common/procfs.h"
#include "internal.h"

struct fdinfo {
	uint64_t pos;
	uint32_t flags;
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
	free(s);
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

static int dump_pipe_contents(pid_t pid, int fd, struct st_pipe *pipe_rec)
{
	char path[64];
	int rfd, p[2] = { -1, -1 }, r = 0;
	int cap;

	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fd);
	rfd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (rfd < 0)
		return glue_err(-errno, "pid %d fd %d: cannot open the pipe", pid, fd);
	cap = fcntl(rfd, F_GETPIPE_SZ);
	if (cap < 0) {
		r = glue_err(-errno, "pid %d fd %d: cannot read the pipe's capacity", pid, fd);
		goto out;
	}
	pipe_rec->capacity = cap;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0 || fcntl(p[1], F_SETPIPE_SZ, cap) < cap) {
		r = glue_err(-errno, "pid %d fd %d: cannot make a pipe to copy into", pid, fd);
		goto out;
	}
	pipe_rec->data = malloc(cap);
	if (!pipe_rec->data) {
		r = -ENOMEM;
		goto out;
	}
	{
		ssize_t n = tee(rfd, p[1], cap, SPLICE_F_NONBLOCK), got = 0;

		if (n < 0 && errno != EAGAIN) {
			r = glue_err(-errno, "pid %d fd %d: cannot copy the pipe's contents", pid,
				     fd);
			goto out;
		}
		while (n > 0 && got < n) {
			ssize_t k = read(p[0], pipe_rec->data + got, n - got);

			if (k <= 0) {
				r = glue_err(k < 0 ? -errno : -EIO, "pid %d fd %d: pipe copy", pid,
					     fd);
				goto out;
			}
			got += k;
		}
		pipe_rec->len = got;
	}
out:
	close(rfd);
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	return r;
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

static struct file_origin *find_pipe(struct ckpt *c, uint64_t ino)
{
	for (size_t i = 0; i < c->norigins; i++)
		if (c->origins[i].pipe_ino == ino)
			return &c->origins[i];
	return NULL;
}

static int dump_fd(struct ckpt *c, pid_t pid, int fd, struct st_process *p)
{
	char path[64], *link;
	struct file_origin *o;
	struct st_file *f;
	struct st_fd *rec;
	struct fdinfo fi = { 0 };
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

	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISCHR(st.st_mode)) {
		f->type = S_ISREG(st.st_mode) ? ST_FILE_REGULAR :
			  S_ISDIR(st.st_mode) ? ST_FILE_DIRECTORY : ST_FILE_CHARDEV;
		if (link[0] != '/' || strstr(link, " (deleted)")) {
			ckpt_unsupported(c, "pid %d fd %d: %s: deleted files and files without a "
					 "path are not supported yet", pid, fd, link);
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
	if (S_ISFIFO(st.st_mode) && strncmp(link, "pipe:", 5) == 0) {
		struct file_origin *po = find_pipe(c, st.st_ino);
		int acc = fi.flags & O_ACCMODE;

		f->type = ST_FILE_PIPE;
		o->pipe_ino = st.st_ino;
		if (po) {
			f->pipe_id = st_find_file(&c->img, po->file_id)->pipe_id;
		} else {
			struct st_pipe *pr = ST_PUSH(c->img.pipes, c->img.npipes);

			if (!pr) {
				r = -ENOMEM;
				goto out;
			}
			pr->id = c->img.npipes;
			pr->ino = st.st_ino;
			f->pipe_id = pr->id;
			po = o;
			r = dump_pipe_contents(pid, fd, pr);
		}
		po->pipe_read |= acc == O_RDONLY || acc == O_RDWR;
		po->pipe_write |= acc == O_WRONLY || acc == O_RDWR;
		goto out;
	}
	if (S_ISSOCK(st.st_mode))
		ckpt_unsupported(c, "pid %d fd %d: %s: sockets are not supported yet", pid, fd,
				 link);
	else if (S_ISFIFO(st.st_mode))
		ckpt_unsupported(c, "pid %d fd %d: %s: named FIFOs are not supported yet", pid, fd,
				 link);
	else
		ckpt_unsupported(c, "pid %d fd %d: %s: this kind of file is not supported yet",
				 pid, fd, link);
out:
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
	}
	free(fds);
	return r;
}

/* A pipe comes back whole only if both of its ends are in the selection. */
int dump_check_pipes(struct ckpt *c)
{
	for (size_t i = 0; i < c->norigins; i++) {
		struct file_origin *o = &c->origins[i];

		if (!o->pipe_ino || (o->pipe_read && o->pipe_write))
			continue;
		if (!o->pipe_read && !o->pipe_write)
			continue; /* not the first record of this pipe */
		ckpt_unsupported(c, "pid %d fd %d: pipe:[%llu]: its %s end is outside the "
				 "checkpoint (pipes to other processes are not supported yet)",
				 o->pid, o->fd, (unsigned long long)o->pipe_ino,
				 o->pipe_read ? "write" : "read");
	}
	return 0;
}
