/* SPDX-License-Identifier: MIT */
/*
 * signalfd: the signals it reads, "sigmask:" of fdinfo. Made again with
 * signalfd4() on that mask.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

struct signalfd_file {
	uint64_t mask; /* bit N-1: signal N */
};

static const struct meta_field signalfd_fields[] = {
	META_U64(FM_F_SIGNALFD_MASK, struct signalfd_file, mask, META_REQUIRED),
	{ 0 },
};

static bool signalfd_match(const struct fd_probe *fd)
{
	return strcmp(fd->link, "anon_inode:[signalfd]") == 0;
}

static int signalfd_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f)
{
	struct signalfd_file *s = f->kind_data;
	char buf[64];

	f->path = strdup(fd->link);
	if (!f->path)
		return -ENOMEM;
	if (fd_probe_field(fd, "sigmask", buf, sizeof(buf)) < 0) {
		ckpt_unsupported(c, "pid %d fd %d: a signalfd whose mask fdinfo does not show",
				 fd->pid, fd->fd);
		return 0;
	}
	s->mask = strtoull(buf, NULL, 16);
	return 0;
}

static int signalfd_open(struct rst *r, const struct st_file *f)
{
	const struct signalfd_file *s = f->kind_data;
	uint64_t mask = s->mask;
	int fd = syscall(SYS_signalfd4, -1, &mask, sizeof(mask), O_CLOEXEC);

	(void)r;
	if (fd < 0)
		return log_error_errno(-errno, "file %u: cannot create a signalfd for mask %#llx", f->id,
				(unsigned long long)mask);
	return restore_file_flags(fd, f);
}

static const struct inv_claim signalfd_claims[] = {
	INV_CLAIM(INV_FD, "filesystem"), /* its own, not opened by path */
	INV_CLAIM(INV_FD, "sigmask"),
	INV_CLAIMS_END,
};

static int signalfd_verify(struct rst *r, struct rproc *rp, int fd, const struct st_file *f,
			   const char *fdinfo)
{
	const struct signalfd_file *s = f->kind_data;
	long long mask = fdinfo_number(fdinfo, "sigmask", 16);

	(void)r;
	if ((uint64_t)mask != s->mask)
		return verify_differs(rp, "fd %d (signalfd): it reads signals %#llx, not %#llx", fd,
				      mask, (unsigned long long)s->mask);
	return 0;
}

const struct kind kind_signalfd = {
	.name = "signalfd",
	.claims = signalfd_claims,
	.match = signalfd_match,
	.dump = signalfd_dump,
	.file_size = sizeof(struct signalfd_file),
	.file_fields = signalfd_fields,
	.open = signalfd_open,
	.verify = signalfd_verify,
};
