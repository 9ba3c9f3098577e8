/* SPDX-License-Identifier: MIT */
/*
 * Files the image carries. A deleted file comes back under its old name,
 * unlinked at once, so /proc shows the same "PATH (deleted)"; when that
 * name is taken again, as an O_TMPFILE in the same directory (or under a
 * temporary name there, for filesystems without O_TMPFILE). A memfd comes
 * back with memfd_create() and its name. Either way on the same filesystem
 * kind as before, with the same bytes; seals go on last.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/log.h"
#include "carried_file.h"

#define DELETED_SUFFIX " (deleted)"
#define MEMFD_PREFIX "/memfd:"

/* The path without its " (deleted)" suffix, malloc'd. */
static char *live_path(const char *path)
{
	size_t n = strlen(path), k = strlen(DELETED_SUFFIX);

	if (n > k && strcmp(path + n - k, DELETED_SUFFIX) == 0)
		n -= k;
	return strndup(path, n);
}

static int create_unlinked(const struct st_file *f)
{
	char *path = f->path ? live_path(f->path) : NULL, *dir_copy = NULL, *dir;
	int fd = -1, e = 0;

	if (!path || path[0] != '/') {
		free(path);
		return glue_err(-EINVAL, "file %u: no directory to make the deleted file %s in",
				f->id, f->path ? f->path : "(no path)");
	}
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd >= 0) {
		if (unlink(path) < 0) {
			e = glue_err(-errno, "file %u: cannot unlink %s again", f->id, path);
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
		e = glue_err(-errno, "file %u: cannot make the deleted file %s again in %s", f->id,
			     f->path, dir);
out:
	free(dir_copy);
	free(path);
	return fd >= 0 ? fd : e;
}

static int create_memfd(const struct st_file *f)
{
	char name[256];
	int fd;

	if (f->name)
		snprintf(name, sizeof(name), "%s", f->name);
	else if (f->path && strncmp(f->path, MEMFD_PREFIX, strlen(MEMFD_PREFIX)) == 0)
		snprintf(name, sizeof(name), "%.*s", (int)(strlen(f->path + 7) >
			 strlen(DELETED_SUFFIX) ? strlen(f->path + 7) - strlen(DELETED_SUFFIX) : 0),
			 f->path + 7);
	else
		snprintf(name, sizeof(name), "ferry");
	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return glue_err(-errno, "file %u: cannot create the memfd '%s'", f->id, name);
	return fd;
}

int carried_create(const struct st_file *f)
{
	return f->type == ST_FILE_MEMFD ? create_memfd(f) : create_unlinked(f);
}

int carried_fill(const struct st_file *f, int fd)
{
	size_t done = 0;

	while (done < f->data_len) {
		ssize_t n = pwrite(fd, f->data + done, f->data_len - done, done);

		if (n <= 0)
			return glue_err(n < 0 ? -errno : -EIO, "file %u: cannot write its %zu bytes "
					"back", f->id, f->data_len);
		done += n;
	}
	if (ftruncate(fd, f->size) < 0)
		return glue_err(-errno, "file %u: cannot set its size to %llu", f->id,
				(unsigned long long)f->size);
	if (fchown(fd, f->uid, f->gid) < 0)
		glue_warn("file %u: cannot give it to %u:%u: %s", f->id, f->uid, f->gid,
			  strerror(errno));
	if (fchmod(fd, f->mode & 07777) < 0)
		return glue_err(-errno, "file %u: cannot set its mode %o", f->id, f->mode);
	if (f->type == ST_FILE_MEMFD && f->seals && fcntl(fd, F_ADD_SEALS, f->seals) < 0)
		return glue_err(-errno, "file %u: cannot seal it (%#x)", f->id, f->seals);
	return 0;
}
