/* SPDX-License-Identifier: MIT */
/*
 * memfd: a file of memory with no name in any directory ("/memfd:NAME
 * (deleted)"), carried with its contents (carried.c), its seals and the
 * name it was created with. Made again with memfd_create().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../checkpoint/internal.h"
#include "../restore/internal.h"
#include "carried.h"
#include "ferry/schema.h"
#include "kind.h"

#define MEMFD_PREFIX "/memfd:"
#define DELETED_SUFFIX " (deleted)"

struct memfd_file {
	struct carried_file c; /* first (carried.h) */
	uint32_t seals;        /* F_GET_SEALS */
	char *name;            /* given to memfd_create() */
};

static bool first_record(const void *obj)
{
	return !((const struct memfd_file *)obj)->c.same_inode;
}

static const struct meta_field memfd_fields[] = {
	{ .name = "carried", .type = META_T_INLINE, .offset = offsetof(struct memfd_file, c),
	  .node = &carried_node },
	META_U32(FM_F_SEALS, struct memfd_file, seals, 0, .when = first_record),
	META_STR(FM_F_NAME, struct memfd_file, name, 0, .when = first_record),
	{ 0 },
};

static bool memfd_match(const struct fd_probe *fd)
{
	return S_ISREG(fd->st.st_mode) && strncmp(fd->link, MEMFD_PREFIX, strlen(MEMFD_PREFIX)) == 0;
}

int memfd_carry(struct ckpt *c, pid_t pid, const char *what, const char *open_path,
		const struct stat *st, const char *link, struct st_file *f)
{
	struct memfd_file *m = f->kind_data;
	const char *n = link + strlen(MEMFD_PREFIX);
	size_t len = strlen(n), k = strlen(DELETED_SUFFIX);

	if (len >= k && strcmp(n + len - k, DELETED_SUFFIX) == 0)
		len -= k;
	f->path = strdup(link);
	m->name = strndup(n, len);
	if (!f->path || !m->name)
		return -ENOMEM;
	return carried_dump(c, pid, what, open_path, st, f, &m->seals);
}

static int memfd_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f)
{
	char what[32];

	snprintf(what, sizeof(what), "fd %d", fd->fd);
	return memfd_carry(c, fd->pid, what, fd->path, &fd->st, fd->link, f);
}

static int memfd_open(struct rst *r, const struct st_file *f)
{
	const struct memfd_file *m = f->kind_data;

	return carried_open(r, f, true, m->name, m->seals);
}

static const struct inv_claim memfd_claims[] = {
	INV_CLAIM(INV_FD, "filesystem"), /* its contents are carried */
	INV_CLAIMS_END,
};

const struct kind kind_memfd = {
	.name = "memfd",
	.claims = memfd_claims,
	.match = memfd_match,
	.dump = memfd_dump,
	.file_size = sizeof(struct memfd_file),
	.file_fields = memfd_fields,
	.open = memfd_open,
};
