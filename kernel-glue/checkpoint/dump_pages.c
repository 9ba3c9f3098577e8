/* SPDX-License-Identifier: MIT */
/*
 * Page contents, streamed into the image writer a batch at a time (memory
 * use is one batch whatever the size of the target). /proc/PID/pagemap
 * says which pages exist: private areas keep the pages that are present or
 * swapped and anonymous (for a private file mapping: only the pages that
 * were written to, the rest comes back from the file); shared anonymous
 * areas keep every present page; shared file mappings and the kernel's own
 * areas keep none.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../common/inject.h"
#include "../common/log.h"
#include "ferry/writer.h"
#include "internal.h"

#define PAGE 4096ull
#define BATCH_PAGES 512

#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_FILE_OR_SHARED (1ull << 61)

struct page_stream {
	pid_t pid;
	int memfd, pagemapfd;
	uint32_t mm_id;
	struct ferry_writer *w;
	uint64_t pagemap[BATCH_PAGES];
	uint8_t *buf; /* BATCH_PAGES pages */
	uint64_t pages_written;
};

static bool page_wanted(const struct st_area *a, uint64_t pm)
{
	if (!(pm & (PM_PRESENT | PM_SWAPPED)))
		return false;
	switch (a->kind) {
	case ST_AREA_SHMEM:
		return true;
	case ST_AREA_ANON:
	case ST_AREA_HEAP:
	case ST_AREA_STACK:
		return true;
	case ST_AREA_FILE:
		return (a->flags & MAP_PRIVATE) && !(pm & PM_FILE_OR_SHARED);
	default:
		return false;
	}
}

static int stream_run(struct page_stream *s, uint64_t addr, size_t npages)
{
	int r = mem_read(s->memfd, addr, s->buf, npages * PAGE);

	if (r < 0)
		return glue_err(r, "pid %d: cannot read memory at %#llx (%zu pages)", s->pid,
				(unsigned long long)addr, npages);
	r = ferry_writer_add_pages(s->w, s->mm_id, addr, s->buf, npages);
	if (r < 0) {
		glue_error("pid %d: cannot write pages at %#llx to the image: %s", s->pid,
			   (unsigned long long)addr, ferry_strerror(r));
		return -EIO;
	}
	s->pages_written += npages;
	return 0;
}

static bool area_has_pages(const struct st_area *a)
{
	switch (a->kind) {
	case ST_AREA_VDSO:
	case ST_AREA_VVAR:
	case ST_AREA_VSYSCALL:
		return false;
	case ST_AREA_FILE:
		return a->flags & MAP_PRIVATE;
	default:
		return true;
	}
}

static int stream_area(struct page_stream *s, const struct st_area *a)
{
	if (!area_has_pages(a))
		return 0;
	for (uint64_t addr = a->start; addr < a->end;) {
		size_t n = (a->end - addr) / PAGE, run = 0;
		ssize_t got;

		if (n > BATCH_PAGES)
			n = BATCH_PAGES;
		got = pread(s->pagemapfd, s->pagemap, n * 8, addr / PAGE * 8);
		if (got != (ssize_t)(n * 8))
			return glue_err(got < 0 ? -errno : -EIO, "pid %d: cannot read pagemap at %#llx",
					s->pid, (unsigned long long)addr);
		for (size_t i = 0; i <= n; i++) {
			if (i < n && page_wanted(a, s->pagemap[i])) {
				run++;
				continue;
			}
			if (run) {
				int r = stream_run(s, addr + (i - run) * PAGE, run);

				if (r < 0)
					return r;
				run = 0;
			}
		}
		addr += n * PAGE;
	}
	return 0;
}

int dump_pages(struct ckpt *c, pid_t pid, const struct st_mm *mm, struct ferry_writer *w)
{
	struct page_stream s = { .pid = pid, .mm_id = mm->id, .w = w };
	char path[64];
	int r = 0;

	(void)c;
	s.buf = malloc(BATCH_PAGES * PAGE);
	if (!s.buf)
		return -ENOMEM;
	s.memfd = mem_open(pid, O_RDONLY);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	s.pagemapfd = open(path, O_RDONLY | O_CLOEXEC);
	if (s.memfd < 0 || s.pagemapfd < 0) {
		r = glue_err(s.memfd < 0 ? s.memfd : -errno, "pid %d: cannot open its memory", pid);
		goto out;
	}
	for (size_t i = 0; i < mm->nareas && r >= 0; i++)
		r = stream_area(&s, &mm->areas[i]);
	glue_debug("pid %d: %llu pages read", pid, (unsigned long long)s.pages_written);
out:
	if (s.memfd >= 0)
		close(s.memfd);
	if (s.pagemapfd >= 0)
		close(s.pagemapfd);
	free(s.buf);
	return r;
}
