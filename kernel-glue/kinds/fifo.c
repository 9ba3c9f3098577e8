/* SPDX-License-Identifier: MIT */
/*
 * Named FIFOs: reopened by path; the first open of a FIFO makes the pipe
 * record (pipe.h) that carries the bytes buffered in it, every other open
 * of the same inode names that record.
 *
 * At restore a first read-write open per FIFO never blocks and is a reader
 * for the write-only opens that follow; it puts the buffered bytes back,
 * and is closed once every open of the FIFO is made (pipe.c).
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
#include "kind.h"
#include "pipe.h"

#define DELETED_SUFFIX " (deleted)"

extern const struct kind kind_fifo;

static bool fifo_match(const struct fd_probe *fd)
{
	size_t n = strlen(fd->link), k = strlen(DELETED_SUFFIX);

	return S_ISFIFO(fd->st.st_mode) && fd->link[0] == '/' &&
	       !(n >= k && strcmp(fd->link + n - k, DELETED_SUFFIX) == 0);
}

static int fifo_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f)
{
	struct pipe_end *end = f->kind_data;
	struct pipe_record *pr;

	f->path = strdup(fd->link);
	if (!f->path)
		return -ENOMEM;
	end->dev = fd->st.st_dev;
	end->ino = fd->st.st_ino;
	for (size_t i = 0; i < c->img.nfiles; i++) {
		const struct st_file *o = &c->img.files[i];
		const struct pipe_end *oe = o->kind_data;

		if (o != f && o->kind == &kind_fifo && oe->ino == end->ino && oe->dev == end->dev) {
			end->pipe_id = oe->pipe_id;
			return 0;
		}
	}
	pr = pipe_new_record(c, fd->st.st_ino);
	if (!pr)
		return -ENOMEM;
	end->pipe_id = pr->id;
	return pipe_dump_contents(fd->pid, fd->fd, pr);
}

static int fifo_open(struct rst *r, const struct st_file *f)
{
	const struct pipe_record *pi = pipe_record_of(&r->img, f);
	int *keeper = pipe_restore_fds(r, f), fd, e;

	if (!pi || !keeper)
		return -EINVAL;
	if (keeper[0] < 0) {
		struct stat st;

		keeper[0] = open(f->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (keeper[0] < 0)
			return log_error_errno(-errno, "file %u: cannot open the FIFO %s", f->id, f->path);
		if (fstat(keeper[0], &st) < 0 || !S_ISFIFO(st.st_mode))
			return log_error_errno(-ENXIO, "file %u: %s is no longer a FIFO", f->id, f->path);
		if (pi->capacity && fcntl(keeper[0], F_SETPIPE_SZ, pi->capacity) < 0)
			log_warning("FIFO %s: cannot set its capacity to %u: %s", f->path,
				  pi->capacity, strerror(errno));
		if (pi->len && write(keeper[0], pi->data, pi->len) != (ssize_t)pi->len)
			return log_error_errno(-errno, "FIFO %s: cannot refill it with %zu bytes", f->path,
					pi->len);
	}
	fd = open(f->path, (f->flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY)) | O_NONBLOCK |
				   O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "file %u: cannot open the FIFO %s", f->id, f->path);
	if (fcntl(fd, F_SETFL, f->flags & ~(O_ACCMODE | O_CLOEXEC)) < 0) {
		e = log_error_errno(-errno, "file %u: FIFO %s: cannot set its flags", f->id, f->path);
		close(fd);
		return e;
	}
	return fd;
}

static const struct inv_claim fifo_claims[] = {
	BY_PATH_CLAIM,
	INV_CLAIMS_END,
};

const struct kind kind_fifo = {
	.name = "fifo",
	.claims = fifo_claims,
	.match = fifo_match,
	.dump = fifo_dump,
	.file_size = sizeof(struct pipe_end),
	.file_fields = pipe_end_fields,
	.open = fifo_open,
};
