/* SPDX-License-Identifier: MIT */
/* The history of the last updates in a file (ferry-glue/update.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* The history is kept on the side: a failure to keep it is a warning, and
 * the update goes on. */
static int __attribute__((format(printf, 2, 3))) history_err(int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warning("%s: %s", msg, strerror(-err));
	return err;
}

#define DEFAULT_STATE_DIR "/var/lib/ferry"

static const char *state_dir(void)
{
	const char *dir = getenv("FERRY_STATE_DIR");

	return dir && *dir ? dir : DEFAULT_STATE_DIR;
}

const char *ferry_history_path(char *buf, size_t len)
{
	snprintf(buf, len, "%s/history", state_dir());
	return buf;
}

int ferry_history_load(struct ferry_update_record *recs, size_t *ret_n, size_t *ret_damaged)
{
	/* the records one after another, each as long as its size says (an
	 * older ferry's are shorter); never more than this */
	const size_t cap = (FERRY_HISTORY_MAX + 1) * FERRY_UPDATE_RECORD_MAX;
	struct ferry_update_record rec;
	char path[4096];
	size_t n = 0, damaged = 0, len = 0, at = 0;
	uint8_t *buf;
	ssize_t got;
	int fd, r = 0;

	*ret_n = 0;
	if (ret_damaged)
		*ret_damaged = 0;
	ferry_history_path(path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : history_err(-errno, "cannot open the history %s", path);
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return history_err(-ENOMEM, "cannot read the history %s", path);
	}
	while (len < cap && (got = read(fd, buf + len, cap - len)) > 0)
		len += (size_t)got;
	if (got < 0)
		r = history_err(-errno, "cannot read the history %s", path);
	close(fd);
	while (r == 0 && at < len) {
		size_t size = 0;
		int e = ferry_update_record_read(buf + at, len - at, &rec, &size);

		damaged += e < 0;
		if (e == 0)
			ferry_history_merge(recs, &n, &rec);
		else if (!size)
			break; /* what follows cannot be told apart any more */
		at += size;
	}
	free(buf);
	*ret_n = n;
	if (ret_damaged)
		*ret_damaged = damaged;
	return r;
}

void ferry_history_merge(struct ferry_update_record *recs, size_t *n,
			 const struct ferry_update_record *rec)
{
	for (size_t i = 0; i < *n; i++)
		if (recs[i].start.realtime_ns == rec->start.realtime_ns &&
		    recs[i].start.tsc == rec->start.tsc) {
			recs[i] = *rec;
			return;
		}
	if (*n == FERRY_HISTORY_MAX) {
		memmove(recs, recs + 1, (FERRY_HISTORY_MAX - 1) * sizeof(*recs));
		(*n)--;
	}
	recs[(*n)++] = *rec;
}

/* @dir and the directories above it, as mkdir -p */
static int make_dirs(const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Replace the file: a temporary one beside it, fsynced (unless the caller
 * syncs everything next, as the point of no return does), renamed over it,
 * the directory fsynced.
 */
static int history_write(const struct ferry_update_record *recs, size_t n, bool durable)
{
	char path[4096], tmp[4200];
	size_t len = n * sizeof(*recs);
	int fd, r = 0, dfd;

	ferry_history_path(path, sizeof(path));
	r = make_dirs(state_dir());
	if (r < 0)
		return history_err(r, "cannot create %s for the history", state_dir());
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return history_err(-errno, "cannot create %s", tmp);
	if (write(fd, recs, len) != (ssize_t)len)
		r = history_err(errno ? -errno : -EIO, "cannot write %s", tmp);
	if (r == 0 && durable && fsync(fd) < 0)
		r = history_err(-errno, "cannot write %s", tmp);
	close(fd);
	if (r == 0 && rename(tmp, path) < 0)
		r = history_err(-errno, "cannot rename %s to %s", tmp, path);
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	dfd = open(state_dir(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		if (durable)
			fsync(dfd);
		close(dfd);
	}
	return 0;
}

int ferry_history_add(const struct ferry_update_record *rec, bool durable)
{
	struct ferry_update_record *recs = calloc(FERRY_HISTORY_MAX, sizeof(*recs));
	struct ferry_update_record sealed = *rec;
	size_t n;
	int r;

	if (!recs)
		return -ENOMEM;
	ferry_update_record_seal(&sealed);
	r = ferry_history_load(recs, &n, NULL);
	if (r == 0) {
		ferry_history_merge(recs, &n, &sealed);
		r = history_write(recs, n, durable);
	}
	free(recs);
	return r;
}
