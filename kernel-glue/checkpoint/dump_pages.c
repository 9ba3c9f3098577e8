/* SPDX-License-Identifier: MIT */
/*
 * Page contents, read straight into the image writer's chunk buffers: one
 * copy from the frozen process to the chunk, where the writer tests each
 * page for zero and computes its CRC while it is in cache, and its workers
 * deflate and write full chunks while the next ones are read. Memory use
 * is the writer's few chunks whatever the size of the target.
 *
 * /proc/PID/pagemap says which pages exist: private areas keep the pages
 * that are present or swapped and anonymous (for a private file mapping:
 * only the pages that were written to, the rest comes back from the file);
 * a shared anonymous area's object (dump_shmem.c) keeps every page it has
 * (SEEK_DATA on the object), once, from the first area that maps them;
 * shared file mappings and the kernel's own areas keep none. A page that only maps the kernel's
 * shared zero page (read, never written) is left out unread.
 *
 * A private page the process may share copy-on-write with another (not
 * mapped by it alone, pagemap bit 56, or swapped out) is read through
 * /proc/PID/mem, never with process_vm_readv: that one pins the pages it
 * reads, and the kernel gives a pinned page that is shared copy-on-write
 * a copy of its own first, so a checkpoint that leaves the processes
 * running would have doubled the memory a parent shares with its children.
 * /proc/PID/mem reads a page without pinning it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../common/inject.h"
#include "../common/log.h"
#include "ferry/writer.h"
#include "internal.h"
#include "precopy.h"

#define PAGE 4096ull
#define PAGEMAP_BATCH 512
#define MAX_RUNS 512 /* remote iovecs per process_vm_readv (IOV_MAX is 1024) */

#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_FILE_OR_SHARED (1ull << 61)
#define PM_EXCLUSIVE (1ull << 56)
#define PM_PFN_MASK ((1ull << 55) - 1)

struct page_run {
	uint64_t addr;
	size_t npages;
	bool unpinned; /* through /proc/PID/mem: it may be shared copy-on-write */
};

struct page_stream {
	struct ckpt *c;
	pid_t pid;
	int memfd, pagemapfd;
	uint32_t mm_id;
	uint64_t zero_pfn; /* 0: not known (PFNs need CAP_SYS_ADMIN) */
	struct ferry_writer *w;
	uint64_t pagemap[PAGEMAP_BATCH];
	/* runs gathered for one read into the writer's page space */
	uint8_t *space;
	size_t space_pages, used;
	struct page_run runs[MAX_RUNS];
	struct iovec local[MAX_RUNS], remote[MAX_RUNS]; /* of the runs that may be pinned */
	size_t nruns;
	uint64_t pages_read, zero_pfn_pages, unpinned_pages;
	/* before the freeze (dump_pages_running): the process runs, and a page
	 * it unmaps while it is read is left out, not an error; the freeze
	 * reads whatever is there then, as no chunk holds it */
	bool running;
	uint64_t pages_gone;
	const struct st_area *area; /* a shared object's: the area, the object */
	int objfd;
	/* pages already in the image, copied before the freeze (precopy.c) */
	const struct pc_range *kept;
	size_t nkept;
};

/* The frame number of the kernel's zero page, from a page of our own. */
static uint64_t find_zero_pfn(void)
{
	volatile uint8_t *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t pm = 0;
	int fd;

	if (p == MAP_FAILED)
		return 0;
	(void)p[0]; /* a read fault maps the zero page */
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && pread(fd, &pm, sizeof(pm), (uintptr_t)p / PAGE * 8) != sizeof(pm))
		pm = 0;
	if (fd >= 0)
		close(fd);
	munmap((void *)p, PAGE);
	return (pm & PM_PRESENT) ? pm & PM_PFN_MASK : 0;
}

static bool page_kept(const struct page_stream *s, uint64_t addr)
{
	size_t lo = 0, hi = s->nkept;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct pc_range *k = &s->kept[mid];

		if (addr < k->vaddr)
			hi = mid;
		else if (addr >= k->vaddr + k->npages * PAGE)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static bool page_wanted(struct page_stream *s, const struct st_area *a, uint64_t pm)
{
	if (!(pm & (PM_PRESENT | PM_SWAPPED)))
		return false;
	switch (a->kind) {
	case ST_AREA_SHMEM:
		return true;
	case ST_AREA_ANON:
	case ST_AREA_HEAP:
	case ST_AREA_STACK:
		if (s->zero_pfn && (pm & PM_PRESENT) && (pm & PM_PFN_MASK) == s->zero_pfn) {
			s->zero_pfn_pages++;
			return false;
		}
		return true;
	case ST_AREA_FILE:
		return (a->flags & MAP_PRIVATE) && !(pm & PM_FILE_OR_SHARED);
	default:
		return false;
	}
}

/* A wanted private page (@pm) that another process may map too: one it
 * maps alone is present and exclusive. */
static bool maybe_cow_shared(const struct st_area *a, uint64_t pm)
{
	return a->kind != ST_AREA_SHMEM && (!(pm & PM_PRESENT) || !(pm & PM_EXCLUSIVE));
}

/*
 * Read the gathered runs into the page space: those that may be pinned
 * with one process_vm_readv (a single copy, no bounce page), the others
 * and what it cannot read (an area without PROT_READ) through
 * /proc/PID/mem, which reads whatever the protection and pins nothing.
 * Then the writer takes them where they are.
 */
static int read_runs(struct page_stream *s)
{
	size_t at = 0, npinned = 0, pinned_at = 0;
	ssize_t got = 0;
	int r;

	if (!s->nruns)
		return 0;
	for (size_t i = 0; i < s->nruns; i++) {
		const struct page_run *run = &s->runs[i];

		if (!run->unpinned) {
			s->local[npinned] = (struct iovec){ .iov_base = s->space + at,
							    .iov_len = run->npages * PAGE };
			s->remote[npinned++] = (struct iovec){
				.iov_base = (void *)(uintptr_t)run->addr,
				.iov_len = run->npages * PAGE
			};
		}
		at += run->npages * PAGE;
	}
	if (npinned)
		got = process_vm_readv(s->pid, s->local, npinned, s->remote, npinned, 0);
	if (got < 0)
		got = 0;
	at = 0;
	for (size_t i = 0; i < s->nruns; i++) {
		const struct page_run *run = &s->runs[i];
		size_t len = run->npages * PAGE, done = 0, keep = len;

		/* what process_vm_readv read of this run, in order */
		if (!run->unpinned) {
			done = (size_t)got > pinned_at ? (size_t)got - pinned_at : 0;
			done = done < len ? done : len;
			pinned_at += len;
		} else
			s->unpinned_pages += run->npages;
		if (done < len) {
			r = mem_read(s->memfd, run->addr + done, s->space + at + done, len - done);
			if (r < 0 && s->running) {
				/* what process_vm_readv read of it goes in, the rest waits for
				 * the freeze (pages after it in the space move down) */
				s->pages_gone += (len - done) / PAGE;
				keep = done;
				r = 0;
			}
			if (r < 0)
				return log_error_errno(
					r, "pid %d: cannot read memory at %#llx (%zu pages)",
					s->pid, (unsigned long long)run->addr, run->npages);
		}
		r = ferry_writer_add_pages(s->w, s->mm_id, run->addr, s->space + at, keep / PAGE);
		if (r < 0) {
			log_error("pid %d: cannot write pages at %#llx to the image: %s", s->pid,
				  (unsigned long long)run->addr, ferry_strerror(r));
			return -EIO;
		}
		at += len;
	}
	s->pages_read += s->used;
	s->nruns = 0;
	s->used = 0;
	s->space = NULL;
	return 0;
}

/* Gather a run of wanted pages, reading whenever the page space is full;
 * @unpinned: through /proc/PID/mem. */
static int gather_run(struct page_stream *s, uint64_t addr, size_t npages, bool unpinned)
{
	while (npages) {
		size_t n;
		int r;

		if (!s->space) {
			void *space;

			r = ferry_writer_page_space(s->w, s->mm_id, &space, &s->space_pages);
			if (r < 0) {
				log_error("pid %d: cannot write pages to the image: %s", s->pid,
					  ferry_strerror(r));
				return -EIO;
			}
			s->space = space;
		}
		n = s->space_pages - s->used;
		if (n > npages)
			n = npages;
		s->runs[s->nruns++] = (struct page_run){ .addr = addr, .npages = n,
							 .unpinned = unpinned };
		s->used += n;
		addr += n * PAGE;
		npages -= n;
		if (s->used == s->space_pages || s->nruns == MAX_RUNS) {
			r = read_runs(s);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static bool area_has_pages(const struct st_area *a)
{
	switch (a->kind) {
	case ST_AREA_VDSO:
	case ST_AREA_VVAR:
	case ST_AREA_VSYSCALL:
	case ST_AREA_SYSV: /* the segment's bytes are in its record (kinds/sysv_shm.c) */
		return false;
	case ST_AREA_FILE:
		return a->flags & MAP_PRIVATE;
	default:
		return true;
	}
}

/* The pages of a shared object at bytes [start, end) of it, through the
 * area s->area that maps them: those the object has (s->objfd). */
static int stream_object_part(void *arg, uint64_t start, uint64_t end)
{
	struct page_stream *s = arg;
	const struct st_area *a = s->area;

	for (off_t at = start; (uint64_t)at < end;) {
		off_t data = lseek(s->objfd, at, SEEK_DATA), hole;
		int r;

		if (data < 0 && errno == ENXIO)
			return 0; /* nothing more up to its end */
		if (data < 0)
			return log_error_errno(-errno, "pid %d area %#llx: cannot find the pages "
					       "of its shared object", s->pid,
					       (unsigned long long)a->start);
		if ((uint64_t)data >= end)
			return 0;
		hole = lseek(s->objfd, data, SEEK_HOLE);
		if (hole < 0 || (uint64_t)hole > end)
			hole = end;
		data &= ~(off_t)(PAGE - 1);
		r = gather_run(s, a->start + (data - a->pgoff), (hole - data + PAGE - 1) / PAGE,
			       false);
		if (r < 0)
			return r;
		at = hole;
	}
	return 0;
}

static int stream_shared(struct page_stream *s, const struct st_area *a)
{
	char path[96];
	int r;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", s->pid,
		 (unsigned long long)a->start, (unsigned long long)a->end);
	s->objfd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->objfd < 0)
		return log_error_errno(-errno, "pid %d area %#llx: cannot open its shared object %s",
				       s->pid, (unsigned long long)a->start, path);
	s->area = a;
	r = shm_object_fresh(s->c, a->object, a->pgoff, a->pgoff + (a->end - a->start),
			     stream_object_part, s);
	close(s->objfd);
	s->objfd = -1;
	return r;
}

static int stream_area(struct page_stream *s, const struct st_area *a)
{
	if (!area_has_pages(a))
		return 0;
	if (a->kind == ST_AREA_SHMEM && a->object)
		return stream_shared(s, a);
	for (uint64_t addr = a->start; addr < a->end;) {
		size_t n = (a->end - addr) / PAGE, run = 0;
		bool run_unpinned = false;
		ssize_t got;

		if (n > PAGEMAP_BATCH)
			n = PAGEMAP_BATCH;
		got = pread(s->pagemapfd, s->pagemap, n * 8, addr / PAGE * 8);
		if (got != (ssize_t)(n * 8))
			return log_error_errno(got < 0 ? -errno : -EIO,
					       "pid %d: cannot read pagemap at %#llx", s->pid,
					       (unsigned long long)addr);
		for (size_t i = 0; i <= n; i++) {
			bool want = i < n && page_wanted(s, a, s->pagemap[i]) &&
				    !(s->nkept && page_kept(s, addr + i * PAGE));
			bool unpinned = want && maybe_cow_shared(a, s->pagemap[i]);

			/* a run is read one way: it ends where the way changes */
			if (run && (!want || unpinned != run_unpinned)) {
				int r = gather_run(s, addr + (i - run) * PAGE, run, run_unpinned);

				if (r < 0)
					return r;
				run = 0;
			}
			if (want) {
				run_unpinned = run ? run_unpinned : unpinned;
				run++;
			}
		}
		addr += n * PAGE;
	}
	return 0;
}

static int stream_pages(struct ckpt *c, pid_t pid, uint32_t mm_id, const struct st_area *areas,
			size_t nareas, bool running, struct ferry_writer *w, uint64_t *ret_pages)
{
	struct page_stream *s = calloc(1, sizeof(*s));
	char path[64];
	int r = 0;

	if (!s)
		return -ENOMEM;
	*s = (struct page_stream){ .c = c, .pid = pid, .mm_id = mm_id, .w = w,
				   .zero_pfn = find_zero_pfn(), .objfd = -1, .running = running };
	precopy_kept(c, pid, &s->kept, &s->nkept);
	s->memfd = mem_open(pid, O_RDONLY);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	s->pagemapfd = open(path, O_RDONLY | O_CLOEXEC);
	if (s->memfd < 0 || s->pagemapfd < 0) {
		r = log_error_errno(s->memfd < 0 ? s->memfd : -errno,
				    "pid %d: cannot open its memory", pid);
		goto out;
	}
	for (size_t i = 0; i < nareas && r >= 0; i++)
		r = stream_area(s, &areas[i]);
	if (r >= 0)
		r = read_runs(s);
	log_debug("pid %d: %llu pages read (%llu of them maybe shared, through /proc/PID/mem), "
		  "%llu zero pages left unread, %zu runs already in the image, "
		  "%llu pages unmapped while they were read", pid,
		  (unsigned long long)s->pages_read, (unsigned long long)s->unpinned_pages,
		  (unsigned long long)s->zero_pfn_pages, s->nkept,
		  (unsigned long long)s->pages_gone);
	if (ret_pages)
		*ret_pages = s->pages_read - s->pages_gone;
out:
	if (s->memfd >= 0)
		close(s->memfd);
	if (s->pagemapfd >= 0)
		close(s->pagemapfd);
	free(s);
	return r;
}

int dump_pages(struct ckpt *c, pid_t pid, const struct st_mm *mm, struct ferry_writer *w)
{
	return stream_pages(c, pid, mm->id, mm->areas, mm->nareas, false, w, NULL);
}

/* Before the freeze (precopy.c): the pages of @areas, private anonymous ones
 * of a running process, as chunks of @mm_id; the count read in *ret_pages.
 * Pages it unmaps meanwhile are left for the freeze. */
int dump_pages_running(struct ckpt *c, pid_t pid, uint32_t mm_id, const struct st_area *areas,
		       size_t nareas, struct ferry_writer *w, uint64_t *ret_pages)
{
	return stream_pages(c, pid, mm_id, areas, nareas, true, w, ret_pages);
}
