/* SPDX-License-Identifier: MIT */
/*
 * Open files: every fd of /proc/PID/fd with its flags and offset. Fds that
 * share one open file description (dup, inheritance) are found with kcmp
 * and share one file record. Each new open file description is probed (its
 * link, stat, fdinfo; a socket's family, type and protocol) and dumped by
 * the first kind of kinds/registry.c that claims it; a file no kind claims
 * is named with what it is (refuse.c).
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
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "internal.h"

static bool not_async(const struct inv_item *it)
{
	return !(strtoul(it->value, NULL, 8) & O_ASYNC);
}

const struct inv_claim dump_files_claims[] = {
	INV_CLAIM(INV_FD, "pos"),
	/* O_ASYNC, with the owner and signal, is kinds/sigio.c's */
	INV_CLAIM_IF(INV_FD, "flags", not_async, NULL),
	INV_CLAIM(INV_FD, "mnt_id"),
	INV_CLAIM(INV_FD, "ino"),
	INV_CLAIMS_END,
};

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
	struct fd_probe probe;
	struct fd_probe_store store;
	struct file_origin *o;
	struct st_file *f;
	struct st_fd *rec;
	int r;

	r = fd_probe_read(&probe, &store, pid, fd);
	if (r < 0)
		return log_error_errno(r, "pid %d fd %d: cannot inspect it", pid, fd);
	rec = ST_PUSH(p->fds, p->nfds);
	if (!rec) {
		r = -ENOMEM;
		goto out;
	}
	rec->num = fd;
	rec->cloexec = store.flags & O_CLOEXEC;
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
	f->flags = probe.flags;
	f->pos = store.pos;
	o->pid = pid;
	o->fd = fd;
	o->file_id = f->id;
	rec->file_id = f->id;

	if (S_ISSOCK(probe.st.st_mode)) {
		r = fd_probe_socket(&probe);
		if (r < 0)
			goto out;
	}
	f->kind = kind_of_fd(&probe);
	if (!f->kind) {
		refuse_fd(c, &probe);
		goto out;
	}
	f->kind_data = calloc(1, f->kind->file_size ? f->kind->file_size : 1);
	r = f->kind_data ? f->kind->dump(c, &probe, f) : -ENOMEM;
out:
	fd_probe_release(&probe, &store);
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
		return log_error_errno(-errno, "pid %d: cannot list %s", pid, path);
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
