/* SPDX-License-Identifier: MIT */
/*
 * eventfd: its counter and whether it counts as a semaphore, both shown by
 * fdinfo. Made again with eventfd() and the counter written into it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

struct eventfd_file {
	uint64_t count;
	bool semaphore; /* EFD_SEMAPHORE */
};

static const struct meta_field eventfd_fields[] = {
	META_U64(FM_F_EVENTFD_COUNT, struct eventfd_file, count, META_REQUIRED),
	META_FLAG(FM_F_EVENTFD_SEMAPHORE, struct eventfd_file, semaphore, 0),
	{ 0 },
};

static const struct inv_claim eventfd_claims[] = {
	INV_CLAIM(INV_FD, "filesystem"), /* its own, not opened by path */
	INV_CLAIM(INV_FD, "eventfd-count"),
	INV_CLAIM(INV_FD, "eventfd-semaphore"),
	INV_CLAIM(INV_FD, "eventfd-id"), /* a number for messages, not state */
	INV_CLAIMS_END,
};

static bool eventfd_match(const struct fd_probe *fd)
{
	return strcmp(fd->link, "anon_inode:[eventfd]") == 0;
}

static int eventfd_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f)
{
	struct eventfd_file *e = f->kind_data;

	(void)c;
	e->count = fd_probe_u64(fd, "eventfd-count", 16);
	e->semaphore = fd_probe_u64(fd, "eventfd-semaphore", 10) != 0;
	f->path = strdup(fd->link);
	return f->path ? 0 : -ENOMEM;
}

static int eventfd_open(struct rst *r, const struct st_file *f)
{
	const struct eventfd_file *e = f->kind_data;
	int fl = EFD_CLOEXEC | (e->semaphore ? EFD_SEMAPHORE : 0) |
		 (f->flags & O_NONBLOCK ? EFD_NONBLOCK : 0);
	int fd = eventfd(0, fl);

	(void)r;
	if (fd < 0)
		return log_error_errno(-errno, "file %u: cannot create an eventfd", f->id);
	if (e->count && write(fd, &e->count, sizeof(e->count)) != sizeof(e->count)) {
		int err = log_error_errno(-errno, "file %u: cannot set the eventfd's count to %llu", f->id,
				   (unsigned long long)e->count);

		close(fd);
		return err;
	}
	return fd;
}

static int eventfd_verify(struct rst *r, struct rproc *rp, int fd, const struct st_file *f,
			  const char *fdinfo)
{
	const struct eventfd_file *e = f->kind_data;
	long long count = fdinfo_number(fdinfo, "eventfd-count", 16);
	long long sem = fdinfo_number(fdinfo, "eventfd-semaphore", 10);

	(void)r;
	if (count < 0 || (uint64_t)count != e->count)
		return verify_differs(rp, "fd %d (eventfd): its count is %lld, not %llu", fd, count,
				      (unsigned long long)e->count);
	if (sem >= 0 && !sem != !e->semaphore)
		return verify_differs(rp, "fd %d (eventfd): it is %sa semaphore", fd,
				      e->semaphore ? "not " : "");
	return 0;
}

const struct kind kind_eventfd = {
	.name = "eventfd",
	.claims = eventfd_claims,
	.match = eventfd_match,
	.dump = eventfd_dump,
	.file_size = sizeof(struct eventfd_file),
	.file_fields = eventfd_fields,
	.open = eventfd_open,
	.verify = eventfd_verify,
};
