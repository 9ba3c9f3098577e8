/* SPDX-License-Identifier: MIT */
/*
 * Character devices that reopening by path gives back as they were: the
 * memory devices (null, zero, full, random, urandom), /dev/tty, virtual
 * consoles and pseudo-terminals (a terminal is the tty kind's; this is
 * what it does not take). Every other device is named.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "../checkpoint/internal.h"
#include "../restore/internal.h"
#include "by_path.h"
#include "ferry/schema.h"
#include "kind.h"

#define DELETED_SUFFIX " (deleted)"

struct chardev_file {
	uint64_t rdev; /* its device number */
};

static const struct meta_field chardev_fields[] = {
	META_U64(FM_F_RDEV, struct chardev_file, rdev, 0),
	{ 0 },
};

static bool chardev_match(const struct fd_probe *fd)
{
	return S_ISCHR(fd->st.st_mode);
}

/* Is this character device one that reopening by path gives back? */
static bool reopenable(dev_t rdev)
{
	unsigned ma = major(rdev), mi = minor(rdev);

	if (ma == 1) /* null, zero, full, random, urandom */
		return mi == 3 || mi == 5 || mi == 7 || mi == 8 || mi == 9;
	if (ma == 5 && mi == 0) /* /dev/tty */
		return true;
	return ma == 4 || (ma >= 136 && ma <= 143); /* virtual consoles, pseudo terminals */
}

static int chardev_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f)
{
	struct chardev_file *cd = f->kind_data;
	size_t n = strlen(fd->link), k = strlen(DELETED_SUFFIX);
	dev_t rdev = fd->st.st_rdev;

	if (fd->link[0] != '/' || (n >= k && strcmp(fd->link + n - k, DELETED_SUFFIX) == 0)) {
		ckpt_unsupported(c, "pid %d fd %d: %s: %s", fd->pid, fd->fd, fd->link,
				 fd->link[0] != '/' ? "a file without a path here is not supported"
				 : "a file that was renamed over while open (its inode still has "
				   "a name elsewhere) is not supported");
		return 0;
	}
	if (!reopenable(rdev)) {
		ckpt_unsupported(c, "pid %d fd %d: %s: character device %u:%u is not supported "
				 "yet", fd->pid, fd->fd, fd->link, major(rdev), minor(rdev));
		return 0;
	}
	cd->rdev = rdev;
	f->path = strdup(fd->link);
	return f->path ? 0 : -ENOMEM;
}

static int chardev_open(struct rst *r, const struct st_file *f)
{
	(void)r;
	return reopen_path(f);
}

static const struct inv_claim chardev_claims[] = {
	BY_PATH_CLAIM,
	INV_CLAIMS_END,
};

const struct kind kind_chardev = {
	.name = "chardev",
	.claims = chardev_claims,
	.match = chardev_match,
	.dump = chardev_dump,
	.file_size = sizeof(struct chardev_file),
	.file_fields = chardev_fields,
	.open = chardev_open,
};
