/* SPDX-License-Identifier: MIT */
/*
 * An inotify instance: its watches from the "inotify wd:" lines of fdinfo.
 * Each watched inode is found by its file handle (open_by_handle_at on the
 * mount of its device, from /proc/self/mountinfo) and recorded by path, so
 * restore adds the watch again by path. Events queued and not yet read are
 * not carried: the checkpoint says how many bytes of them are lost.
 *
 * At restore each watch is added again by path, with its watch descriptor.
 * The kernel hands out descriptors in increasing order, so a watch that
 * comes out with a lower number than recorded is removed and added again
 * until it has it; the IN_IGNORED events this leaves are read away before
 * the process gets the instance.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/mountinfo.h"
#include "../common/procfs.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

#define DELETED_SUFFIX " (deleted)"

struct inotify_watch {
	int32_t wd;
	uint32_t mask; /* IN_* */
	char *path;    /* of the watched inode, at checkpoint */
};

struct inotify_file {
	struct inotify_watch *watches;
	size_t nwatches;
};

static const struct meta_field watch_fields[] = {
	META_U32(FM_IW_WD, struct inotify_watch, wd, META_REQUIRED | META_UNIT),
	META_U32(FM_IW_MASK, struct inotify_watch, mask, META_REQUIRED),
	META_STR(FM_IW_PATH, struct inotify_watch, path, META_REQUIRED),
	{ 0 },
};

static const struct meta_node watch_node = {
	.name = FM_INOTIFY_WATCH, .size = sizeof(struct inotify_watch), .fields = watch_fields,
};

static const struct meta_field inotify_fields[] = {
	META_NODES(NULL, struct inotify_file, watches, nwatches, &watch_node, 0),
	{ 0 },
};

static bool inotify_match(const struct fd_probe *fd)
{
	return strcmp(fd->link, "anon_inode:inotify") == 0;
}

/* An fd of a mount point of device @dev (kernel encoding). */
static int open_mount_of(unsigned long dev)
{
	unsigned ma = dev >> 20, mi = dev & 0xfffff;
	struct mountinfo *v;
	size_t n;
	int fd = -ENOENT;

	if (mountinfo_read_self(&v, &n) < 0)
		return -EIO;
	for (size_t i = 0; i < n && fd < 0; i++)
		if (v[i].dev_major == ma && v[i].dev_minor == mi) {
			char point[MOUNTINFO_FIELD_MAX];

			mountinfo_unescape(v[i].point, point, sizeof(point));
			fd = open(point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		}
	free(v);
	return fd;
}

static int hexbytes(const char *s, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = v;
	}
	return 0;
}

/* The path of the inode of a watch line, or NULL (named). */
static char *watch_path(unsigned long sdev, unsigned bytes, int type, const char *hex)
{
	struct file_handle *fh = calloc(1, sizeof(*fh) + bytes);
	char link[64], *path = NULL;
	int mfd, fd;

	if (!fh)
		return NULL;
	fh->handle_bytes = bytes;
	fh->handle_type = type;
	if (hexbytes(hex, fh->f_handle, bytes) < 0) {
		free(fh);
		return NULL;
	}
	mfd = open_mount_of(sdev);
	if (mfd >= 0) {
		fd = open_by_handle_at(mfd, fh, O_PATH | O_CLOEXEC);
		if (fd >= 0) {
			snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
			if (proc_read_link(link, &path) < 0)
				path = NULL;
			close(fd);
		}
		close(mfd);
	}
	free(fh);
	return path;
}

static int inotify_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f)
{
	struct inotify_file *x = f->kind_data;
	const char *line = fd->fdinfo;
	int bfd, queued = 0;

	f->path = strdup(fd->link);
	if (!f->path)
		return -ENOMEM;
	while (line && *line) {
		unsigned wd, mask, ignored, bytes;
		unsigned long ino, sdev;
		int type, n = 0;

		if (sscanf(line, "inotify wd:%x ino:%lx sdev:%lx mask:%x ignored_mask:%x "
				 "fhandle-bytes:%x fhandle-type:%x f_handle:%n",
			   &wd, &ino, &sdev, &mask, &ignored, &bytes, &type, &n) == 7 && n > 0) {
			struct inotify_watch *w = ST_PUSH(x->watches, x->nwatches);

			if (!w)
				return -ENOMEM;
			w->wd = wd;
			w->mask = mask;
			w->path = bytes <= 128 ? watch_path(sdev, bytes, type, line + n) : NULL;
			if (!w->path || w->path[0] != '/' ||
			    strstr(w->path, DELETED_SUFFIX))
				ckpt_unsupported(c, "pid %d fd %d: inotify watch %u: inode %lu of "
						 "device %lu:%lu has no path here (deleted, or its "
						 "filesystem gives no file handles)", fd->pid, fd->fd,
						 wd, ino, sdev >> 20, sdev & 0xfffff);
		} else if (strncmp(line, "inotify wd:", 11) == 0) {
			ckpt_unsupported(c, "pid %d fd %d: an inotify watch without a file handle "
					 "in fdinfo cannot be found by path", fd->pid, fd->fd);
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	bfd = dump_borrow_fd(fd->pid, fd->fd);
	if (bfd >= 0) {
		if (ioctl(bfd, FIONREAD, &queued) == 0 && queued > 0)
			log_warning("pid %d fd %d: %d bytes of inotify events not yet read are not "
				  "carried over", fd->pid, fd->fd, queued);
		close(bfd);
	}
	return 0;
}

#define WD_TRIES (1 << 16)
#define USER_MASK (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK)

static int cmp_wd(const void *a, const void *b)
{
	const struct inotify_watch *x = a, *y = b;

	return (x->wd > y->wd) - (x->wd < y->wd);
}

static int add_watch(int fd, const struct inotify_watch *w)
{
	for (int i = 0; i < WD_TRIES; i++) {
		int wd = inotify_add_watch(fd, w->path, w->mask & USER_MASK);

		if (wd < 0)
			return log_error_errno(-errno, "inotify watch %d: cannot watch %s", w->wd, w->path);
		if (wd == w->wd)
			return 0;
		if (wd > w->wd)
			return log_error_errno(-EEXIST, "inotify watch %d on %s came out as %d (two watches "
					"of one inode?)", w->wd, w->path, wd);
		inotify_rm_watch(fd, wd);
	}
	return log_error_errno(-ERANGE, "inotify watch %d: too far to reach", w->wd);
}

static int inotify_open(struct rst *r, const struct st_file *f)
{
	struct inotify_file *x = f->kind_data;
	char buf[4096];
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK), e = 0;

	(void)r;
	if (fd < 0)
		return log_error_errno(-errno, "file %u: cannot create an inotify instance", f->id);
	qsort(x->watches, x->nwatches, sizeof(*x->watches), cmp_wd);
	for (size_t i = 0; i < x->nwatches && e == 0; i++)
		e = add_watch(fd, &x->watches[i]);
	while (e == 0 && read(fd, buf, sizeof(buf)) > 0)
		; /* the IN_IGNORED of removed watches */
	if (e < 0) {
		close(fd);
		return e;
	}
	return restore_file_flags(fd, f);
}

/* Every watch, with its mask. */
static int inotify_verify(struct rst *r, struct rproc *rp, int fd, const struct st_file *f,
			  const char *fdinfo)
{
	const struct inotify_file *x = f->kind_data;
	size_t n = 0;

	(void)r;
	for (const char *line = fdinfo; line && *line; line = strchr(line, '\n'), line += !!line) {
		const char *m = strstr(line, " mask:");
		bool found = false;
		unsigned mask;

		if (strncmp(line, "inotify wd:", 11) != 0 || !m || sscanf(m, " mask:%x", &mask) != 1)
			continue;
		n++;
		for (size_t i = 0; i < x->nwatches && !found; i++)
			found = (int)strtol(line + 11, NULL, 10) == x->watches[i].wd &&
				(x->watches[i].mask & ~IN_ONESHOT & ~IN_MASK_ADD) ==
					(mask & ~IN_ONESHOT & ~IN_MASK_ADD);
		if (!found)
			return verify_differs(rp, "fd %d (inotify): %.60s is not a watch of the image",
					      fd, line);
	}
	if (n != x->nwatches)
		return verify_differs(rp, "fd %d (inotify): it has %zu watches, not %zu", fd, n,
				      x->nwatches);
	return 0;
}

static const struct inv_claim inotify_claims[] = {
	INV_CLAIM(INV_FD, "filesystem"), /* its own, not opened by path */
	INV_CLAIM(INV_FD, "inotify wd"),
	INV_CLAIMS_END,
};

const struct kind kind_inotify = {
	.name = "inotify",
	.claims = inotify_claims,
	.verify = inotify_verify,
	.match = inotify_match,
	.dump = inotify_dump,
	.file_size = sizeof(struct inotify_file),
	.file_fields = inotify_fields,
	.open = inotify_open,
};
