/* SPDX-License-Identifier: MIT */
/*
 * The userfaultfd of a lazy restore (restore_lazy.c): made inside the stub
 * (a uffd serves the address space of the process that makes it), taken by
 * the restorer with pidfd_getfd and closed in the stub again. It reports
 * what the process does to its memory once it runs (fork, mremap, munmap,
 * madvise), and the areas it can serve (anonymous, heap, stack, shared
 * anonymous mapped by this one area) are registered for missing pages;
 * the others (file mappings, a shared object mapped by more than one area)
 * get their pages written before the process runs.
 *
 * Where the kernel refuses (no userfaultfd, an older kernel without those
 * reports, no permission), everything is written before the processes run,
 * as without --lazy, and a warning says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "internal.h"

#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW _IO(0xAA, 0x00)
#endif

/*
 * Can userfaultfd serve the missing pages of this area? A shared memory
 * object that more than one area maps (restore_shmem.c) is written before
 * the processes run: the image has its pages once, under the first area
 * that maps them, and a touch through another area, served by the uffd of
 * that area's process, would find none there and put a zero page into the
 * object that every area sees.
 */
static bool area_servable(const struct rst *r, const struct st_area *a)
{
	switch (a->kind) {
	case ST_AREA_ANON:
	case ST_AREA_HEAP:
	case ST_AREA_STACK:
		return true;
	case ST_AREA_SHMEM:
		return !a->object || restore_shmem_areas(r, a->object) == 1;
	default:
		return false;
	}
}

/*
 * A uffd made by the stub, in the stub: the system call where it is
 * allowed, else through /dev/userfaultfd (root, without CAP_SYS_PTRACE,
 * when vm.unprivileged_userfaultfd is 0). Its number there, or -errno.
 */
static long uffd_make_in_stub(struct rproc *rp)
{
	static const char dev[] = "/dev/userfaultfd";
	uint64_t path;
	long fd, dfd;
	int e;

	fd = INJECT(&rp->in, SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0 || (fd != -EPERM && fd != -EACCES))
		return fd;
	e = tramp_data(rp, 0, dev, sizeof(dev), &path);
	if (e < 0)
		return e;
	dfd = INJECT(&rp->in, SYS_openat, AT_FDCWD, path, O_RDWR | O_CLOEXEC);
	if (dfd < 0)
		return fd;
	fd = INJECT(&rp->in, SYS_ioctl, dfd, USERFAULTFD_IOC_NEW, O_CLOEXEC | O_NONBLOCK);
	INJECT(&rp->in, SYS_close, dfd);
	return fd;
}

/* The stub's uffd @tfd, taken into the restorer; -errno. */
static int uffd_take(struct rproc *rp, long tfd)
{
	int pidfd = syscall(SYS_pidfd_open, rp->pid, 0), fd;

	if (pidfd < 0)
		return -errno;
	fd = syscall(SYS_pidfd_getfd, pidfd, (int)tfd, 0);
	fd = fd < 0 ? -errno : fd;
	close(pidfd);
	return fd;
}

#define LAZY_FEATURES                                                                     \
	(UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_REMOVE |   \
	 UFFD_FEATURE_EVENT_UNMAP)

int restore_uffd_attach(struct rst *r, struct rproc *rp)
{
	struct uffdio_api api = { .api = UFFD_API, .features = UFFD_FEATURE_MISSING_SHMEM };
	long tfd;
	int fd;

	rp->uffd = -1;
	if (!r->lazy)
		return 0;
	api.features |= LAZY_FEATURES;
	tfd = uffd_make_in_stub(rp);
	if (tfd < 0) {
		log_warning("pid %d: no userfaultfd here (%s): its pages are written now, not lazily",
			  rp->pid, strerror((int)-tfd));
		return 0;
	}
	fd = uffd_take(rp, tfd);
	INJECT(&rp->in, SYS_close, tfd);
	if (fd < 0)
		return log_error_errno(fd, "pid %d: cannot take its userfaultfd", rp->pid);
	if (ioctl(fd, UFFDIO_API, &api) < 0) {
		close(fd);
		log_warning("pid %d: this kernel's userfaultfd does not follow forks, moves and "
			  "removals (UFFDIO_API: %s): its pages are written now, not lazily",
			  rp->pid, strerror(errno));
		return 0;
	}
	rp->uffd_areas = calloc(rp->mm->nareas ? rp->mm->nareas : 1, 1);
	if (!rp->uffd_areas) {
		close(fd);
		return -ENOMEM;
	}
	for (size_t i = 0; i < rp->mm->nareas; i++) {
		const struct st_area *a = &rp->mm->areas[i];
		struct uffdio_register reg = {
			.range = { .start = a->start, .len = a->end - a->start },
			.mode = UFFDIO_REGISTER_MODE_MISSING,
		};

		if (!area_servable(r, a))
			continue;
		if (ioctl(fd, UFFDIO_REGISTER, &reg) == 0)
			rp->uffd_areas[i] = 1;
		else
			log_debug("pid %d area %#llx: UFFDIO_REGISTER: %s", rp->pid,
				   (unsigned long long)a->start, strerror(errno));
	}
	rp->uffd = fd;
	return 0;
}

int restore_uffd_area(const struct rproc *rp, uint64_t start, uint64_t end)
{
	const struct st_mm *mm = rp->mm;
	size_t lo = 0, hi = mm->nareas;

	if (rp->uffd < 0)
		return -1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (mm->areas[mid].end <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == mm->nareas || start < mm->areas[lo].start || end > mm->areas[lo].end ||
	    !rp->uffd_areas[lo])
		return -1;
	return (int)lo;
}

bool restore_uffd_spans(const struct rproc *rp, uint64_t start, uint64_t end)
{
	bool some = false, all = true;

	if (rp->uffd < 0)
		return false;
	for (size_t i = 0; i < rp->mm->nareas; i++) {
		const struct st_area *a = &rp->mm->areas[i];

		if (a->end <= start || a->start >= end)
			continue;
		if (rp->uffd_areas[i])
			some = true;
		else
			all = false;
	}
	/* registered, but not in one area */
	return some && (!all || restore_uffd_area(rp, start, end) < 0);
}

void restore_uffd_release(struct rproc *rp)
{
	if (rp->uffd >= 0)
		close(rp->uffd);
	rp->uffd = -1;
	free(rp->uffd_areas);
	rp->uffd_areas = NULL;
}

void restore_uffd_detach(struct rproc *rp)
{
	if (rp->uffd < 0)
		return;
	for (size_t i = 0; i < rp->mm->nareas; i++) {
		const struct st_area *a = &rp->mm->areas[i];
		struct uffdio_range range = { .start = a->start, .len = a->end - a->start };

		if (rp->uffd_areas[i] && ioctl(rp->uffd, UFFDIO_UNREGISTER, &range) < 0)
			log_warning("pid %d area %#llx: UFFDIO_UNREGISTER: %s", rp->pid,
				  (unsigned long long)a->start, strerror(errno));
	}
	close(rp->uffd);
	rp->uffd = -1;
	free(rp->uffd_areas);
	rp->uffd_areas = NULL;
}
