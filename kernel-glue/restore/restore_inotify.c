/* SPDX-License-Identifier: MIT */
/*
 * An inotify instance: each watch added again by path, with its watch
 * descriptor. The kernel hands out descriptors in increasing order, so a
 * watch that comes out with a lower number than recorded is removed and
 * added again until it has it; the IN_IGNORED events this leaves are read
 * away before the process gets the instance.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/state_events.h"
#include "restore_events.h"

#define WD_TRIES (1 << 16)
#define USER_MASK (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK)

static int cmp_wd(const void *a, const void *b)
{
	const struct st_inotify_watch *x = a, *y = b;

	return (x->wd > y->wd) - (x->wd < y->wd);
}

static int add_watch(int fd, const struct st_inotify_watch *w)
{
	for (int i = 0; i < WD_TRIES; i++) {
		int wd = inotify_add_watch(fd, w->path, w->mask & USER_MASK);

		if (wd < 0)
			return glue_err(-errno, "inotify watch %d: cannot watch %s", w->wd, w->path);
		if (wd == w->wd)
			return 0;
		if (wd > w->wd)
			return glue_err(-EEXIST, "inotify watch %d on %s came out as %d (two watches "
					"of one inode?)", w->wd, w->path, wd);
		inotify_rm_watch(fd, wd);
	}
	return glue_err(-ERANGE, "inotify watch %d: too far to reach", w->wd);
}

int restore_inotify_open(const struct st_file *f)
{
	struct st_file_ext *x = f->ext;
	char buf[4096];
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK), e = 0;

	if (fd < 0)
		return glue_err(-errno, "file %u: cannot create an inotify instance", f->id);
	qsort(x->watches, x->nwatches, sizeof(*x->watches), cmp_wd);
	for (size_t i = 0; i < x->nwatches && e == 0; i++)
		e = add_watch(fd, &x->watches[i]);
	while (e == 0 && read(fd, buf, sizeof(buf)) > 0)
		; /* the IN_IGNORED of removed watches */
	if (e < 0) {
		close(fd);
		return e;
	}
	return fd;
}
