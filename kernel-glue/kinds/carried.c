/* SPDX-License-Identifier: MIT */
/*
 * Files the image carries (carried.h). At checkpoint their contents are
 * read through /proc (a file on hugetlbfs, or one larger than
 * CARRIED_FILE_MAX, is named instead). At restore a deleted file comes
 * back under its old name, unlinked at once, so /proc shows the same
 * "PATH (deleted)"; when that name is taken again, as an O_TMPFILE in the
 * same directory (or under a temporary name there, for filesystems without
 * O_TMPFILE). A file opened with O_TMPFILE comes back as one (linkable,
 * with its flags). A memfd comes back with memfd_create() and its name. Either
 * way on the same filesystem kind as before, with the same bytes; seals go
 * on last.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../restore/internal.h"
#include "carried.h"
#include "ferry/schema.h"

#define DELETED_SUFFIX " (deleted)"
#define MEMFD_PREFIX "/memfd:"

static bool first_record(const void *obj)
{
	return !((const struct carried_file *)obj)->same_inode;
}

static int check_carried(struct meta_in *in, int node, void *obj)
{
	const struct carried_file *c = obj;

	if (first_record(c) && c->data_len > c->size)
		return meta_fail(in, node, "%zu bytes of data for a size of %llu", c->data_len,
				 (unsigned long long)c->size);
	return 0;
}

static const struct meta_cell owner[] = {
	META_CELL(struct carried_file, uid, 4),
	META_CELL(struct carried_file, gid, 4),
};

static const struct meta_cell hole_cells[] = {
	META_CELL(struct carried_hole, offset, 8),
	META_CELL(struct carried_hole, length, 8),
};

static const struct meta_field carried_fields[] = {
	META_U32(FM_F_SAME_INODE, struct carried_file, same_inode, META_OMIT_ZERO),
	META_BYTES(FM_F_DATA, struct carried_file, data, data_len, 0, .when = first_record),
	META_U64(FM_F_SIZE, struct carried_file, size, META_REQUIRED, .when = first_record),
	META_U32(FM_F_MODE, struct carried_file, mode, META_REQUIRED, .when = first_record),
	META_CELLS(FM_F_OWNER, owner, 0, .when = first_record),
	META_WORDS(FM_F_TIMES, struct carried_file, times, 8, 0, .when = first_record,
		   .present = META_PRESENT(struct carried_file, have_times)),
	META_RECORDS(FM_F_HOLES, struct carried_file, holes, nholes, struct carried_hole,
		     hole_cells, META_OMIT_ZERO, .when = first_record),
	{ 0 },
};

const struct meta_node carried_node = {
	.name = "carried", .size = sizeof(struct carried_file), .fields = carried_fields,
	.check = check_carried,
};

/* ---- checkpoint ---- */

struct st_file *carried_find(struct ckpt *c, const struct kind *k, const struct stat *st)
{
	for (size_t i = 0; i < c->img.nfiles; i++) {
		struct st_file *f = &c->img.files[i];
		const struct carried_file *cf = f->kind_data;

		if (f->kind == k && cf->carries && cf->ino == st->st_ino && cf->dev == st->st_dev)
			return f;
	}
	return NULL;
}

/*
 * The contents of a deleted file or memfd, from @open_path (a /proc link
 * to it), into @f; or the record of the same inode that already has them.
 */
/* The holes of @fd up to cf->size, as SEEK_HOLE and SEEK_DATA find them
 * (a filesystem without them has none but the end). */
static int find_holes(int fd, struct carried_file *cf)
{
	off_t at = 0;

	while ((uint64_t)at < cf->size) {
		off_t hole = lseek(fd, at, SEEK_HOLE), data;
		struct carried_hole *h;

		if (hole < 0)
			return errno == ENXIO ? 0 : -errno;
		if ((uint64_t)hole >= cf->size)
			return 0;
		data = lseek(fd, hole, SEEK_DATA);
		if (data < 0 && errno != ENXIO)
			return -errno;
		if (data < 0 || (uint64_t)data > cf->size)
			data = cf->size;
		h = ST_PUSH(cf->holes, cf->nholes);
		if (!h)
			return -ENOMEM;
		h->offset = hole;
		h->length = data - hole;
		at = data;
	}
	return 0;
}

int carried_dump(struct ckpt *c, pid_t pid, const char *what, const char *open_path,
		 const struct stat *st, struct st_file *f, uint32_t *ret_seals)
{
	struct st_file *first = carried_find(c, f->kind, st);
	struct carried_file *cf = f->kind_data;
	struct statfs sfs;
	uint64_t done = 0;
	int fd, r = 0;

	if (first && first != f) {
		cf->same_inode = first->id;
		cf->dev = st->st_dev;
		cf->ino = st->st_ino;
		return 0;
	}
	cf->dev = st->st_dev;
	cf->ino = st->st_ino;
	cf->carries = true;
	fd = open(open_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "pid %d %s: cannot open it through %s", pid, what,
				open_path);
	if (fstatfs(fd, &sfs) == 0 && sfs.f_type == HUGETLBFS_MAGIC) {
		ckpt_unsupported(c, "pid %d %s: %s: files on hugetlbfs are not supported", pid,
				 what, f->path);
		goto out;
	}
	if ((uint64_t)st->st_size > CARRIED_FILE_MAX) {
		ckpt_unsupported(c, "pid %d %s: %s: %llu bytes are more than the %u MiB a "
				 "deleted file or memfd may hold to be carried", pid, what,
				 f->path, (unsigned long long)st->st_size, CARRIED_FILE_MAX >> 20);
		goto out;
	}
	cf->size = st->st_size;
	cf->mode = st->st_mode & 07777;
	cf->uid = st->st_uid;
	cf->gid = st->st_gid;
	cf->have_times = true;
	cf->times[0] = st->st_atim.tv_sec;
	cf->times[1] = st->st_atim.tv_nsec;
	cf->times[2] = st->st_mtim.tv_sec;
	cf->times[3] = st->st_mtim.tv_nsec;
	r = find_holes(fd, cf);
	if (r < 0) {
		r = log_error_errno(r, "pid %d %s: cannot find the holes of %s", pid, what, f->path);
		goto out;
	}
	if (ret_seals) {
		int seals = fcntl(fd, F_GET_SEALS);

		*ret_seals = seals > 0 ? seals : 0;
	}
	cf->data = malloc(cf->size ? cf->size : 1);
	if (!cf->data) {
		r = -ENOMEM;
		goto out;
	}
	while (done < cf->size) {
		ssize_t n = pread(fd, cf->data + done, cf->size - done, done);

		if (n < 0) {
			r = log_error_errno(-errno, "pid %d %s: cannot read %s", pid, what, f->path);
			goto out;
		}
		if (n == 0)
			break;
		done += n;
	}
	/* the rest reads as zeros: leave trailing zeros out */
	while (done > 0 && cf->data[done - 1] == 0)
		done--;
	cf->data_len = done;
out:
	close(fd);
	return r;
}

/* ---- restore ---- */

/* The path without its " (deleted)" suffix, malloc'd. */
static char *live_path(const char *path)
{
	size_t n = strlen(path), k = strlen(DELETED_SUFFIX);

	if (n > k && strcmp(path + n - k, DELETED_SUFFIX) == 0)
		n -= k;
	return strndup(path, n);
}

/* A file opened with O_TMPFILE comes back as one, with its flags, so
 * that it can still be given a name (linkat) and F_GETFL says the same. */
static bool was_tmpfile(const struct st_file *f)
{
	return (f->flags & O_TMPFILE) == O_TMPFILE;
}

static int create_unlinked(const struct st_file *f)
{
	char *path = f->path ? live_path(f->path) : NULL, *dir_copy = NULL, *dir;
	int fd = -1, e = 0;

	if (!path || path[0] != '/') {
		free(path);
		return log_error_errno(-EINVAL, "file %u: no directory to make the deleted file %s in",
				f->id, f->path ? f->path : "(no path)");
	}
	if (was_tmpfile(f)) {
		dir = dirname(path);
		fd = open(dir, (f->flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY)) | O_CLOEXEC,
			  0600);
		if (fd < 0)
			e = log_error_errno(-errno, "file %u: cannot make the O_TMPFILE file %s again in %s",
				     f->id, f->path, dir);
		goto out;
	}
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		if (unlink(path) < 0) {
			e = log_error_errno(-errno, "file %u: cannot unlink %s again", f->id, path);
			close(fd);
			fd = -1;
		}
		goto out;
	}
	dir_copy = strdup(path);
	if (!dir_copy) {
		e = -ENOMEM;
		goto out;
	}
	dir = dirname(dir_copy);
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		goto out;
	for (int i = 0; i < 100 && fd < 0; i++) {
		char tmp[4096];

		snprintf(tmp, sizeof(tmp), "%s/.ferry-restore-%d-%d", dir, getpid(), i);
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0)
			unlink(tmp);
		else if (errno != EEXIST)
			break;
	}
	if (fd < 0)
		e = log_error_errno(-errno, "file %u: cannot make the deleted file %s again in %s", f->id,
			     f->path, dir);
out:
	free(dir_copy);
	free(path);
	return fd >= 0 ? fd : e;
}

static int create_memfd(const struct st_file *f, const char *memfd_name)
{
	char name[256];
	int fd;

	if (memfd_name)
		snprintf(name, sizeof(name), "%s", memfd_name);
	else if (f->path && strncmp(f->path, MEMFD_PREFIX, strlen(MEMFD_PREFIX)) == 0)
		snprintf(name, sizeof(name), "%.*s", (int)(strlen(f->path + 7) >
			 strlen(DELETED_SUFFIX) ? strlen(f->path + 7) - strlen(DELETED_SUFFIX) : 0),
			 f->path + 7);
	else
		snprintf(name, sizeof(name), "ferry");
	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return log_error_errno(-errno, "file %u: cannot create the memfd '%s'", f->id, name);
	return fd;
}

/* Bytes [@from, @to) of the contents (zeros past the data) at their offset. */
static int write_range(int fd, const struct carried_file *c, uint64_t from, uint64_t to)
{
	static const uint8_t zeros[4096];

	while (from < to) {
		const uint8_t *src = from < c->data_len ? c->data + from : zeros;
		uint64_t len = from < c->data_len ? c->data_len - from : sizeof(zeros);
		ssize_t n;

		if (len > to - from)
			len = to - from;
		n = pwrite(fd, src, len, from);
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		from += n;
	}
	return 0;
}

static int fill(const struct st_file *f, const struct carried_file *c, int fd, uint32_t seals)
{
	uint64_t at = 0;
	int e = 0;

	/* everything but the holes, zeros included, so that the same parts
	 * of it are allocated; the holes stay holes */
	for (size_t i = 0; i <= c->nholes && e == 0; i++) {
		uint64_t end = i < c->nholes ? c->holes[i].offset : c->size;

		if (!c->nholes && end > c->data_len)
			end = c->data_len; /* an image without holes: the data alone */
		if (end > at)
			e = write_range(fd, c, at, end);
		if (i < c->nholes)
			at = c->holes[i].offset + c->holes[i].length;
	}
	if (e < 0)
		return log_error_errno(e, "file %u: cannot write its %zu bytes back", f->id, c->data_len);
	if (ftruncate(fd, c->size) < 0)
		return log_error_errno(-errno, "file %u: cannot set its size to %llu", f->id,
				(unsigned long long)c->size);
	if (fchown(fd, c->uid, c->gid) < 0)
		log_warning("file %u: cannot give it to %u:%u: %s", f->id, c->uid, c->gid,
			  strerror(errno));
	if (fchmod(fd, c->mode & 07777) < 0)
		return log_error_errno(-errno, "file %u: cannot set its mode %o", f->id, c->mode);
	if (c->have_times) {
		struct timespec times[2] = { { c->times[0], c->times[1] },
					     { c->times[2], c->times[3] } };

		if (futimens(fd, times) < 0)
			return log_error_errno(-errno, "file %u: cannot give it back its times", f->id);
	}
	if (seals && fcntl(fd, F_ADD_SEALS, seals) < 0)
		return log_error_errno(-errno, "file %u: cannot seal it (%#x)", f->id, seals);
	return 0;
}

int carried_open(struct rst *r, const struct st_file *f, bool memfd, const char *memfd_name,
		 uint32_t seals)
{
	const struct carried_file *c = f->kind_data;
	int inode_fd, fd, e;

	if (c->same_inode) {
		fd = restore_reopen(r, c->same_inode, f->flags);
	} else {
		inode_fd = memfd ? create_memfd(f, memfd_name) : create_unlinked(f);
		if (inode_fd < 0)
			return inode_fd;
		e = fill(f, c, inode_fd, memfd ? seals : 0);
		if (e < 0) {
			close(inode_fd);
			return e;
		}
		if (!memfd && was_tmpfile(f)) {
			fd = inode_fd; /* made with its own flags */
		} else {
			fd = reopen_fd(inode_fd, f->flags);
			if (fd < 0)
				fd = log_error_errno(fd, "file %u (%s): cannot open it with flags %#o",
					      f->id, f->path ? f->path : "?", f->flags);
			close(inode_fd);
		}
	}
	if (fd >= 0 && !(f->flags & O_PATH) && lseek(fd, f->pos, SEEK_SET) < 0) {
		e = log_error_errno(-errno, "file %u: cannot seek to %llu", f->id,
			     (unsigned long long)f->pos);
		close(fd);
		return e;
	}
	return fd;
}
