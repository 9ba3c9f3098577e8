/* SPDX-License-Identifier: MIT */
/* Directories: reopened by path, at their offset in the listing. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../restore/internal.h"
#include "by_path.h"
#include "kind.h"

#define DELETED_SUFFIX " (deleted)"

static bool directory_match(const struct fd_probe *fd)
{
	return S_ISDIR(fd->st.st_mode);
}

static int directory_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f)
{
	size_t n = strlen(fd->link), k = strlen(DELETED_SUFFIX);

	if (fd->link[0] != '/' || (n >= k && strcmp(fd->link + n - k, DELETED_SUFFIX) == 0)) {
		ckpt_unsupported(c, "pid %d fd %d: %s: deleted directories are not supported",
				 fd->pid, fd->fd, fd->link);
		return 0;
	}
	f->path = strdup(fd->link);
	return f->path ? 0 : -ENOMEM;
}

static int directory_open(struct rst *r, const struct st_file *f)
{
	int fd = reopen_path(f);

	(void)r;
	if (fd >= 0 && f->pos && !(f->flags & O_PATH))
		lseek(fd, f->pos, SEEK_SET);
	return fd;
}

static const struct inv_claim directory_claims[] = {
	BY_PATH_CLAIM,
	INV_CLAIMS_END,
};

const struct kind kind_directory = {
	.name = "directory",
	.claims = directory_claims,
	.match = directory_match,
	.dump = directory_dump,
	.open = directory_open,
};
