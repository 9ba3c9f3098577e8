/* SPDX-License-Identifier: MIT */
/*
 * Regular files: reopened by path with their flags and put at their
 * offset. A file deleted while open (its inode has no name left) is
 * carried with its contents instead (carried.c); one whose name was taken
 * by another file while it stayed open elsewhere is named.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../restore/internal.h"
#include "by_path.h"
#include "carried.h"
#include "ferry/schema.h"
#include "kind.h"

#define DELETED_SUFFIX " (deleted)"

struct regular_file {
	struct carried_file c; /* first (carried.h), when deleted */
	bool deleted;          /* unlinked while open: its contents are carried */
};

static bool deleted(const void *obj)
{
	return ((const struct regular_file *)obj)->deleted;
}

static const struct meta_field regular_fields[] = {
	META_FLAG(FM_F_DELETED, struct regular_file, deleted, 0),
	{ .name = "carried", .type = META_T_INLINE, .offset = offsetof(struct regular_file, c),
	  .node = &carried_node, .when = deleted },
	{ 0 },
};

static bool ends_deleted(const char *s)
{
	size_t n = strlen(s), k = strlen(DELETED_SUFFIX);

	return n >= k && strcmp(s + n - k, DELETED_SUFFIX) == 0;
}

static bool regular_match(const struct fd_probe *fd)
{
	return S_ISREG(fd->st.st_mode);
}

int regular_carry(struct ckpt *c, pid_t pid, const char *what, const char *open_path,
		  const struct stat *st, const char *link, struct st_file *f)
{
	struct regular_file *rf = f->kind_data;

	rf->deleted = true;
	f->path = strdup(link);
	if (!f->path)
		return -ENOMEM;
	return carried_dump(c, pid, what, open_path, st, f, NULL);
}

static int regular_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f)
{
	char what[32], point[4096];

	if (fd->link[0] == '/' && ends_deleted(fd->link) && fd->st.st_nlink == 0) {
		snprintf(what, sizeof(what), "fd %d", fd->fd);
		return regular_carry(c, fd->pid, what, fd->path, &fd->st, fd->link, f);
	}
	if (fd->link[0] != '/' || ends_deleted(fd->link)) {
		ckpt_unsupported(c, "pid %d fd %d: %s: %s", fd->pid, fd->fd, fd->link,
				 fd->link[0] != '/' ? "a file without a path here is not supported"
				 : "a file whose name is no longer the one it was opened by (renamed "
				   "over while open, or an O_TMPFILE given a name since) is not "
				   "supported");
		return 0;
	}
	if (c->opts->kernel_switch && by_path_lost_at_boot(fd->st.st_dev, point, sizeof(point))) {
		ckpt_unsupported(c, "pid %d fd %d: %s: a file of the memory filesystem at %s, which "
				 "the new boot does not have: its contents would be lost with the "
				 "kernel switch", fd->pid, fd->fd, fd->link, point);
		return 0;
	}
	f->path = strdup(fd->link);
	return f->path ? 0 : -ENOMEM;
}

static int regular_open(struct rst *r, const struct st_file *f)
{
	int fd, e;

	if (deleted(f->kind_data))
		return carried_open(r, f, false, NULL, 0);
	fd = reopen_path(f);
	/* an O_PATH descriptor has no offset (lseek fails with EBADF) */
	if (fd >= 0 && !(f->flags & O_PATH) && lseek(fd, f->pos, SEEK_SET) < 0) {
		e = log_error_errno(-errno, "file %u: %s: cannot seek to %llu", f->id, f->path,
			     (unsigned long long)f->pos);
		close(fd);
		return e;
	}
	return fd;
}

static const struct inv_claim regular_claims[] = {
	BY_PATH_CLAIM,
	INV_CLAIMS_END,
};

const struct kind kind_regular = {
	.name = "regular",
	.claims = regular_claims,
	.match = regular_match,
	.dump = regular_dump,
	.file_size = sizeof(struct regular_file),
	.file_fields = regular_fields,
	.open = regular_open,
};
