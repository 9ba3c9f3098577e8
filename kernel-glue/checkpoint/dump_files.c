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
#include <search.h>
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

/*
 * Open file descriptions already seen, ordered by kcmp(KCMP_FILE), which
 * orders two files consistently (by their kernel address, obfuscated): a
 * tree of them finds an fd's description in log(n) comparisons instead of
 * one per description seen, which made many descriptors quadratic.
 */
struct origin_key {
	pid_t pid;
	int fd;
	size_t index;	   /* into c->origins */
	bool *kcmp_failed; /* the key searched with: set when kcmp fails */
};

static int kcmp_order(const void *a, const void *b)
{
	const struct origin_key *x = a, *y = b;
	long r = syscall(SYS_kcmp, x->pid, y->pid, KCMP_FILE, x->fd, y->fd);

	if (r < 0 || r > 2) {
		bool *failed = x->kcmp_failed ? x->kcmp_failed : y->kcmp_failed;

		if (failed)
			*failed = true;
		return 0;
	}
	return r == 0 ? 0 : r == 1 ? -1 : 1;
}

static struct file_origin *find_shared(struct ckpt *c, pid_t pid, int fd)
{
	bool failed = false;
	struct origin_key key = { .pid = pid, .fd = fd, .kcmp_failed = &failed };
	struct origin_key **found = tfind(&key, &c->origin_tree, kcmp_order);

	if (!failed)
		return found ? &c->origins[(*found)->index] : NULL;
	/* kcmp refused one of them: compare one by one, as before the tree */
	for (size_t i = 0; i < c->norigins; i++) {
		struct file_origin *o = &c->origins[i];

		if (syscall(SYS_kcmp, o->pid, pid, KCMP_FILE, o->fd, fd) == 0)
			return o;
	}
	return NULL;
}

/* @c->origins[@index], just added, joins the tree. */
static int remember_origin(struct ckpt *c, size_t index)
{
	struct origin_key *key = malloc(sizeof(*key));

	if (!key)
		return -ENOMEM;
	*key = (struct origin_key){ .pid = c->origins[index].pid, .fd = c->origins[index].fd,
				    .index = index };
	if (!tsearch(key, &c->origin_tree, kcmp_order)) {
		free(key);
		return -ENOMEM;
	}
	return 0;
}

void dump_files_end(struct ckpt *c)
{
	tdestroy(c->origin_tree, free);
	c->origin_tree = NULL;
}

/*
 * The file record of fd @fd of @pid: the one of an open file description
 * seen already (kcmp), or a new one its kind dumps. Its id in
 * @ret_file_id, its O_CLOEXEC in @ret_cloexec.
 */
static int dump_open_file(struct ckpt *c, pid_t pid, int fd, uint32_t *ret_file_id,
			  bool *ret_cloexec)
{
	struct fd_probe probe;
	struct fd_probe_store store;
	struct file_origin *o;
	struct st_file *f;
	int r;

	r = fd_probe_read(&probe, &store, pid, fd);
	if (r < 0)
		return log_error_errno(r, "pid %d fd %d: cannot inspect it", pid, fd);
	*ret_cloexec = store.flags & O_CLOEXEC;
	o = find_shared(c, pid, fd);
	if (o) {
		*ret_file_id = o->file_id;
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
	*ret_file_id = f->id;
	r = remember_origin(c, c->norigins - 1);
	if (r < 0)
		goto out;

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

static int dump_fd(struct ckpt *c, pid_t pid, int fd, struct st_process *p)
{
	uint32_t file_id = 0;
	bool cloexec = false;
	int r = dump_open_file(c, pid, fd, &file_id, &cloexec);
	struct st_fd *rec;

	if (r < 0)
		return r;
	rec = ST_PUSH(p->fds, p->nfds);
	if (!rec)
		return -ENOMEM;
	rec->num = fd;
	rec->cloexec = cloexec;
	rec->file_id = file_id;
	return 0;
}

int dump_file_held(struct ckpt *c, int fd, uint32_t *ret_file_id)
{
	bool cloexec;

	return dump_open_file(c, getpid(), fd, ret_file_id, &cloexec);
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
