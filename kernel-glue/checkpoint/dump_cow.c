/* SPDX-License-Identifier: MIT */
/*
 * Private pages a child still shares copy-on-write with its parent, after
 * fork(): the same page frame at the same address of both (the PFN of
 * /proc/PID/pagemap, which root reads; without it, a present page that is
 * not mapped exclusively, bit 56, in both). A restore writes each process's
 * pages into its own areas, so each of these becomes a copy of its own:
 * they are counted, and the checkpoint says how many for each child, with
 * the memory they will take, instead of doubling them silently.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../common/log.h"
#include "internal.h"

#define PAGE 4096ull
#define BATCH 512

#define PM_PRESENT (1ull << 63)
#define PM_EXCLUSIVE (1ull << 56)
#define PM_PFN ((1ull << 55) - 1)

static bool private_memory(const struct st_area *a)
{
	switch (a->kind) {
	case ST_AREA_ANON:
	case ST_AREA_HEAP:
	case ST_AREA_STACK:
		return true;
	case ST_AREA_FILE:
		return a->flags & MAP_PRIVATE;
	default:
		return false;
	}
}

/* One page of the child (@c) and of its parent (@p) at the same address. */
static bool shared_page(uint64_t c, uint64_t p)
{
	if (!(c & PM_PRESENT) || !(p & PM_PRESENT) || (c & PM_EXCLUSIVE) || (p & PM_EXCLUSIVE))
		return false;
	if ((c & PM_PFN) && (p & PM_PFN))
		return (c & PM_PFN) == (p & PM_PFN);
	return true; /* no PFN shown: both are mapped more than once */
}

static int count_area(int cfd, int pfd, const struct st_area *a, uint64_t *shared)
{
	uint64_t cm[BATCH], pm[BATCH];

	for (uint64_t addr = a->start; addr < a->end;) {
		size_t n = (a->end - addr) / PAGE;

		if (n > BATCH)
			n = BATCH;
		if (pread(cfd, cm, n * 8, addr / PAGE * 8) != (ssize_t)(n * 8) ||
		    pread(pfd, pm, n * 8, addr / PAGE * 8) != (ssize_t)(n * 8))
			return -EIO;
		for (size_t i = 0; i < n; i++)
			*shared += shared_page(cm[i], pm[i]);
		addr += n * PAGE;
	}
	return 0;
}

static const struct st_process *find_process(const struct st_image *img, pid_t pid)
{
	for (size_t i = 0; i < img->nprocs; i++)
		if (img->procs[i].pid == pid)
			return &img->procs[i];
	return NULL;
}

/* The child @p's pages shared with its parent @pp, counted into *shared. */
static int count_process(struct ckpt *c, const struct st_process *p,
			 const struct st_process *pp, uint64_t *shared)
{
	const struct st_mm *mm = st_find_mm(&c->img, p->mm_id);
	const struct st_mm *pmm = st_find_mm(&c->img, pp->mm_id);
	char path[64];
	int cfd, pfd, r = 0;

	if (!mm || !pmm || mm == pmm)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/pagemap", p->pid);
	cfd = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pp->pid);
	pfd = open(path, O_RDONLY | O_CLOEXEC);
	for (size_t i = 0; cfd >= 0 && pfd >= 0 && i < mm->nareas && r == 0; i++) {
		const struct st_area *a = &mm->areas[i];

		if (!private_memory(a))
			continue;
		/* the parent's area at the same place, of the same kind */
		for (size_t k = 0; k < pmm->nareas; k++) {
			const struct st_area *b = &pmm->areas[k];

			if (b->start < a->end && a->start < b->end && b->kind == a->kind) {
				struct st_area both = *a;

				both.start = a->start > b->start ? a->start : b->start;
				both.end = a->end < b->end ? a->end : b->end;
				r = count_area(cfd, pfd, &both, shared);
				if (r < 0)
					break;
			}
		}
	}
	if (cfd < 0 || pfd < 0)
		r = -errno;
	if (cfd >= 0)
		close(cfd);
	if (pfd >= 0)
		close(pfd);
	return r;
}

int dump_count_cow(struct ckpt *c)
{
	for (size_t i = 0; i < c->img.nprocs; i++) {
		const struct st_process *p = &c->img.procs[i];
		const struct st_process *pp = find_process(&c->img, p->ppid);
		uint64_t shared = 0;
		int r;

		if (!pp || pp == p)
			continue;
		r = count_process(c, p, pp, &shared);
		if (r < 0)
			return log_error_errno(r, "pid %d: cannot compare its pages with its "
					       "parent's (pid %d)", p->pid, pp->pid);
		c->cow_pages += shared;
		if (shared)
			log_warning("pid %d: %llu of its private pages are shared copy-on-write "
				    "with its parent (pid %d): the restore gives it a copy of "
				    "each (%llu KiB more memory)", p->pid,
				    (unsigned long long)shared, pp->pid,
				    (unsigned long long)(shared * PAGE / 1024));
	}
	return 0;
}
