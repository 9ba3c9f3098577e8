/* SPDX-License-Identifier: MIT */
/*
 * An inotify instance: its watches from the "inotify wd:" lines of fdinfo.
 * Each watched inode is found by its file handle (open_by_handle_at on the
 * mount of its device, from /proc/self/mountinfo) and recorded by path, so
 * restore adds the watch again by path. Events queued and not yet read are
 * not carried: the checkpoint says how many bytes of them are lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "../common/state_events.h"
#include "dump_events.h"

#define DELETED_SUFFIX " (deleted)"

/* An fd of a mount point of device @dev (kernel encoding). */
static int open_mount_of(unsigned long dev)
{
	unsigned ma = dev >> 20, mi = dev & 0xfffff;
	char *info, *line;
	int fd = -ENOENT;

	if (proc_read_file("/proc/self/mountinfo", &info, NULL) < 0)
		return -EIO;
	for (line = info; line && *line && fd < 0;) {
		unsigned a, b;
		char mnt[4096];

		if (sscanf(line, "%*d %*d %u:%u %*s %4095s", &a, &b, mnt) == 3 && a == ma &&
		    b == mi)
			fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	free(info);
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

int dump_inotify(struct ckpt *c, pid_t pid, int fd, const char *fdinfo, struct st_file *f)
{
	struct st_file_ext *x = f->ext;
	const char *line = fdinfo;
	int bfd, queued = 0;

	while (line && *line) {
		unsigned wd, mask, ignored, bytes;
		unsigned long ino, sdev;
		int type, n = 0;

		if (sscanf(line, "inotify wd:%x ino:%lx sdev:%lx mask:%x ignored_mask:%x "
				 "fhandle-bytes:%x fhandle-type:%x f_handle:%n",
			   &wd, &ino, &sdev, &mask, &ignored, &bytes, &type, &n) == 7 && n > 0) {
			struct st_inotify_watch *w = ST_PUSH(x->watches, x->nwatches);

			if (!w)
				return -ENOMEM;
			w->wd = wd;
			w->mask = mask;
			w->path = bytes <= 128 ? watch_path(sdev, bytes, type, line + n) : NULL;
			if (!w->path || w->path[0] != '/' ||
			    strstr(w->path, DELETED_SUFFIX))
				ckpt_unsupported(c, "pid %d fd %d: inotify watch %u: inode %lu of "
						 "device %lu:%lu has no path here (deleted, or its "
						 "filesystem gives no file handles)", pid, fd, wd, ino,
						 sdev >> 20, sdev & 0xfffff);
		} else if (strncmp(line, "inotify wd:", 11) == 0) {
			ckpt_unsupported(c, "pid %d fd %d: an inotify watch without a file handle "
					 "in fdinfo cannot be found by path", pid, fd);
		}
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	bfd = dump_borrow_fd(pid, fd);
	if (bfd >= 0) {
		if (ioctl(bfd, FIONREAD, &queued) == 0 && queued > 0)
			glue_warn("pid %d fd %d: %d bytes of inotify events not yet read are not "
				  "carried over", pid, fd, queued);
		close(bfd);
	}
	return 0;
}
