/* SPDX-License-Identifier: MIT */
/*
 * checkpoint --pre-copy: the private anonymous pages of the selection are
 * copied while its processes still run, again and again while what they
 * change shrinks, and at the freeze only what they changed since the last
 * copy is read again.
 *
 * Round 1, for each process: its soft-dirty bits are cleared (writing "4"
 * to /proc/PID/clear_refs), then its areas are read from /proc/PID/smaps
 * and the pages of its private anonymous ones are copied, through the
 * ordinary page stream (dump_pages.c), into the chunks of an image of the
 * round's own in a file without a name (in the output's directory). A page
 * written after the clear has its soft-dirty bit set (pagemap bit 55), also
 * when it was written while it was being copied, or swapped.
 *
 * Round k > 1: the bits are read and cleared while the selection is
 * stopped for that alone (freeze.c's ptrace stop, let go at once), because
 * a page written between a read and a clear that run while the process
 * runs would be lost: its bit read clean, then cleared. Under the stop,
 * for each process: its areas, then its soft-dirty pages, then the clear.
 * Let go, the pages to copy again are the soft-dirty ones and every other
 * page of each copied chunk one of them falls in (a chunk is kept whole or
 * not at all), and each chunk whose area changed since its round; these
 * chunks are dropped, and the pages copied into the next round's image.
 * A page's copy is then at least as new as the last clear before it, and
 * a page written since shows soft-dirty at the next read: the stop of the
 * next round's, or the freeze's.
 *
 * How many rounds: another one is made while what it would copy (read
 * without a stop: the soft-dirty pages and the rest of their chunks) is
 * more than PC_SMALL_PAGES and at most 1/PC_SHRINK of what the round
 * before copied, up to PC_MAX_ROUNDS. A process that writes faster than
 * its pages are copied ends the rounds at once.
 *
 * At the freeze, each chunk of the last copy of a process still there (the
 * same PID and start time) goes into the image as it is, payload
 * untouched, when none of its pages changed: every one still lies in an
 * area with the same start, offset, protection, device, inode and name as
 * when it was copied, is present or swapped, anonymous, not the kernel's
 * zero page, and not soft-dirty. A new area (mmap, mremap) is all
 * soft-dirty (VM_SOFTDIRTY) besides. Every other page, including each page
 * of a chunk with one changed page, is read at the freeze as without
 * pre-copy, which then leaves out the pages of the chunks kept. The image
 * is an ordinary one: the chunks kept are chunks like the others,
 * renumbered in order (format/SPEC.md, 4.4).
 *
 * What the freeze still costs: the pages changed since the last round, and
 * copying the kept chunks' bytes (compressed as they are, no read of the
 * process, no zero test, no deflate) from the files into the image.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libfdt.h>

#include "ferry-glue/checkpoint.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "ferry/writer.h"
#include "internal.h"
#include "precopy.h"

#define PAGE 4096ull
#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_FILE_OR_SHARED (1ull << 61)
#define PM_SOFT_DIRTY (1ull << 55)
#define PM_PFN_MASK ((1ull << 55) - 1)

#define PC_MAX_ROUNDS FERRY_PRECOPY_MAX_ROUNDS
#define PC_SMALL_PAGES 512 /* 2 MiB: the freeze copies that faster than a round */
#define PC_SHRINK 2	   /* another round must copy at most half the last one */
/* pages per chunk of the rounds' images: a chunk is kept whole or not at
 * all, so a page written drops its chunk's other pages too */
#define PC_CHUNK_PAGES 64
#define PAGEMAP_BATCH 512

/* A chunk of a round's image that holds the newest copy of its pages. */
struct pc_chunk {
	struct ferry_chunk ch;
	unsigned round;
};

struct pc_proc {
	pid_t pid;
	uint64_t starttime; /* 0: not to be used at the freeze */
	struct proc_map *maps[PC_MAX_ROUNDS]; /* as at each round's clear */
	size_t nmaps[PC_MAX_ROUNDS];
	struct pc_chunk *live;
	size_t nlive;
	struct pc_range *dirty; /* soft-dirty at the last read, by address */
	size_t ndirty;
	struct pc_range *kept;
	size_t nkept;
};

struct pc_file {
	int fd;
	uint8_t *map;
	size_t len;
	struct ferry_image img;
};

struct precopy {
	struct pc_file files[PC_MAX_ROUNDS];
	unsigned rounds;
	struct pc_proc *procs;
	size_t nprocs;
	uint64_t zero_pfn;
	uint64_t round_pages[PC_MAX_ROUNDS];
	uint64_t stop_ns_max, stop_ns_total;
	enum ferry_precopy_end end;
	uint64_t pages_copied, pages_kept, chunks_kept, chunks_dropped;
};

static uint64_t starttime_of(pid_t pid)
{
	uint64_t f[23] = { 0 };

	return proc_stat_fields(pid, f, 23) < 0 ? 0 : f[22]; /* starttime */
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int write_clear_refs(pid_t pid)
{
	char path[64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/%d/clear_refs", pid);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "4", 1) != 1)
		r = -errno;
	close(fd);
	return r;
}

static int read_pagemap(int fd, uint64_t addr, uint64_t *pm)
{
	return pread(fd, pm, 8, addr / PAGE * 8) == 8 ? 0 : -EIO;
}

/* Does this kernel track soft-dirty bits (CONFIG_MEM_SOFT_DIRTY)? Tried on
 * a page of our own: written, cleared, clean, written, dirty. */
static bool soft_dirty_works(uint64_t *ret_zero_pfn)
{
	volatile uint8_t *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t before = 0, after = 0, zero = 0;
	bool ok = false;
	int fd;

	if (p == MAP_FAILED)
		return false;
	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	p[0] = 1;
	(void)p[PAGE]; /* a read fault maps the kernel's zero page */
	if (fd >= 0 && write_clear_refs(getpid()) == 0 &&
	    read_pagemap(fd, (uintptr_t)p, &before) == 0) {
		p[0] = 2;
		ok = read_pagemap(fd, (uintptr_t)p, &after) == 0 && (before & PM_PRESENT) &&
		     !(before & PM_SOFT_DIRTY) && (after & PM_SOFT_DIRTY);
		if (read_pagemap(fd, (uintptr_t)p + PAGE, &zero) == 0 && (zero & PM_PRESENT))
			*ret_zero_pfn = zero & PM_PFN_MASK;
	}
	if (fd >= 0)
		close(fd);
	munmap((void *)p, 2 * PAGE);
	return ok;
}

static bool precopied_kind(const struct proc_map *m)
{
	if (m->perms[3] != 'p' || m->ino)
		return false;
	return m->name[0] == 0 || strcmp(m->name, "[heap]") == 0 ||
	       strcmp(m->name, "[stack]") == 0 || strncmp(m->name, "[anon:", 6) == 0;
}

/* The processes of the selection as they are now: @root, and with @tree
 * its descendants. */
static int list_selection(pid_t root, bool tree, pid_t **ret, size_t *ret_n)
{
	pid_t *pids = malloc(sizeof(*pids));
	size_t n = 1;

	if (!pids)
		return -ENOMEM;
	pids[0] = root;
	for (size_t i = 0; tree && i < n; i++) {
		pid_t *kids = NULL, *more;
		size_t nkids = 0;

		if (proc_list_children(pids[i], &kids, &nkids) < 0)
			continue; /* gone: the freeze sees what is left */
		more = realloc(pids, (n + nkids) * sizeof(*pids));
		if (!more) {
			free(kids);
			free(pids);
			return -ENOMEM;
		}
		pids = more;
		memcpy(pids + n, kids, nkids * sizeof(*pids));
		n += nkids;
		free(kids);
	}
	*ret = pids;
	*ret_n = n;
	return 0;
}

static const struct proc_map *map_of(const struct proc_map *maps, size_t n, uint64_t addr)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < maps[mid].start)
			hi = mid;
		else if (addr >= maps[mid].end)
			lo = mid + 1;
		else
			return &maps[mid];
	}
	return NULL;
}

/* The area of @addr is the one it was copied from: same start, offset,
 * protection and sharing, file and name (its end may have moved). */
static bool same_area(const struct proc_map *was, const struct proc_map *now)
{
	return was && now && was->start == now->start && was->pgoff == now->pgoff &&
	       memcmp(was->perms, now->perms, sizeof(was->perms)) == 0 &&
	       was->dev_major == now->dev_major && was->dev_minor == now->dev_minor &&
	       was->ino == now->ino && strcmp(was->name, now->name) == 0 &&
	       precopied_kind(now);
}

static int push_range(struct pc_range **arr, size_t *n, uint64_t vaddr, uint64_t npages)
{
	struct pc_range *r;

	if (*n && (*arr)[*n - 1].vaddr + (*arr)[*n - 1].npages * PAGE == vaddr) {
		(*arr)[*n - 1].npages += npages;
		return 0;
	}
	r = ST_PUSH(*arr, *n);
	if (!r)
		return -ENOMEM;
	*r = (struct pc_range){ vaddr, npages };
	return 0;
}

/* The soft-dirty pages of the precopied areas of @maps, into *ret by
 * address; their count in *ret_pages. */
static int read_dirty(pid_t pid, const struct proc_map *maps, size_t nmaps,
		      struct pc_range **ret, size_t *ret_n, uint64_t *ret_pages)
{
	uint64_t *pm = malloc(PAGEMAP_BATCH * 8), pages = 0;
	struct pc_range *d = NULL;
	size_t nd = 0;
	char path[64];
	int fd, r = 0;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || !pm) {
		r = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nmaps && r == 0; i++) {
		if (!precopied_kind(&maps[i]))
			continue;
		for (uint64_t addr = maps[i].start; addr < maps[i].end && r == 0;) {
			size_t n = (maps[i].end - addr) / PAGE;

			if (n > PAGEMAP_BATCH)
				n = PAGEMAP_BATCH;
			if (pread(fd, pm, n * 8, addr / PAGE * 8) != (ssize_t)(n * 8)) {
				r = -EIO;
				break;
			}
			for (size_t j = 0; j < n && r == 0; j++)
				/* a page not there is not copied (a chunk
				 * that held it is dropped at the freeze) */
				if ((pm[j] & PM_SOFT_DIRTY) && (pm[j] & (PM_PRESENT | PM_SWAPPED))) {
					r = push_range(&d, &nd, addr + j * PAGE, 1);
					pages++;
				}
			addr += n * PAGE;
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(pm);
	if (r < 0) {
		free(d);
		return r;
	}
	*ret = d;
	*ret_n = nd;
	*ret_pages = pages;
	return 0;
}

/* Does [vaddr, vaddr + npages) meet a range of @d (sorted)? */
static bool meets(const struct pc_range *d, size_t nd, uint64_t vaddr, uint64_t npages)
{
	size_t lo = 0, hi = nd;

	/* the first range that ends after vaddr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d[mid].vaddr + d[mid].npages * PAGE <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < nd && d[lo].vaddr < vaddr + npages * PAGE;
}

/* A live chunk of @p holds a page written (in @d) or one whose area is not
 * the one it was copied from (@maps now). */
static bool chunk_stale(const struct pc_proc *p, const struct pc_chunk *lc,
			const struct pc_range *d, size_t nd, const struct proc_map *maps,
			size_t nmaps)
{
	for (uint32_t i = 0; i < lc->ch.extent_count; i++) {
		struct ferry_extent e;

		ferry_chunk_extent(&lc->ch, i, &e);
		if (meets(d, nd, e.vaddr, e.page_count))
			return true;
		for (uint64_t k = 0; k < e.page_count; k++) {
			uint64_t addr = e.vaddr + k * PAGE;

			if (!same_area(map_of(p->maps[lc->round], p->nmaps[lc->round], addr),
				       map_of(maps, nmaps, addr)))
				return true;
		}
	}
	return false;
}

/* Pages the next round would copy for @p, given the dirty pages @d: those
 * and the pages of the live chunks they drop (an estimate from above). */
static uint64_t round_cost(const struct pc_proc *p, const struct pc_range *d, size_t nd,
			   uint64_t dirty_pages, const struct proc_map *maps, size_t nmaps)
{
	uint64_t pages = dirty_pages;

	for (size_t i = 0; i < p->nlive; i++)
		if (chunk_stale(p, &p->live[i], d, nd, maps, nmaps))
			pages += p->live[i].ch.page_count;
	return pages;
}

/* A file without a name for a round's image: in o->pre_copy_dir ("": in
 * memory), else in the output's directory (or /var/tmp), else in memory. */
static int open_tmp(const struct ferry_checkpoint_options *o)
{
	char *dir = o->pre_copy_dir ? strdup(o->pre_copy_dir) :
		    strdup(o->output && !o->sink ? o->output : "/var/tmp/x");
	const char *d;
	int fd;

	if (!dir)
		return -ENOMEM;
	d = o->pre_copy_dir ? dir : dirname(dir);
	errno = ENOENT;
	fd = *d ? open(d, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600) : -1;
	if (fd < 0) {
		int e = errno;

		fd = memfd_create("ferry-precopy", MFD_CLOEXEC);
		if (fd < 0)
			fd = log_error_errno(-errno, "cannot make a file for the pages copied "
					     "before the freeze in %s (%s) nor in memory", d,
					     strerror(e));
		else
			log_debug("pages copied before the freeze: in memory (%s: %s)", d,
				  strerror(e));
	}
	free(dir);
	return fd;
}

/* Start round @k's image: its file, a writer into it. */
static int round_begin(struct ckpt *c, struct pc_file *f, struct ferry_fd_sink *sink_ctx,
		       struct ferry_sink *sink, struct ferry_writer **ret_w)
{
	struct ferry_writer_options wo = { .level = c->opts->level,
					   .chunk_pages = PC_CHUNK_PAGES };
	uint8_t fdt[128];
	int r;

	f->fd = open_tmp(c->opts);
	if (f->fd < 0)
		return f->fd;
	ferry_sink_fd(sink, sink_ctx, f->fd);
	wo.kernel_release = "";
	wo.machine = "";
	wo.ferry_version = FERRY_VERSION;
	/* an empty tree made with the sequential-write calls only: the copy of
	 * libfdt the fuzz targets link (third_party/libfdt) has no
	 * fdt_create_empty_tree() */
	if (fdt_create(fdt, sizeof(fdt)) || fdt_finish_reservemap(fdt) ||
	    fdt_begin_node(fdt, "") || fdt_end_node(fdt) || fdt_finish(fdt))
		return -EINVAL;
	r = ferry_writer_begin(ret_w, sink, &wo, fdt, fdt_totalsize(fdt));
	if (r < 0) {
		log_error("cannot copy pages before the freeze: %s", ferry_strerror(r));
		return -EIO;
	}
	return 0;
}

/* Seal round @k's image, map it, and make its chunks the live copies of
 * their pages. */
static int round_end(struct precopy *pc, unsigned k, struct ferry_writer *w,
		     struct ferry_fd_sink *sink_ctx)
{
	struct pc_file *f = &pc->files[k];
	struct ferry_chunk_cursor cur;
	struct ferry_chunk ch;
	struct stat st;
	int r = ferry_writer_seal(w);

	if (r < 0) {
		log_error("cannot copy pages before the freeze: %s%s%s", ferry_strerror(r),
			  sink_ctx->saved_errno ? ": " : "",
			  sink_ctx->saved_errno ? strerror(sink_ctx->saved_errno) : "");
		return -EIO;
	}
	if (fstat(f->fd, &st) < 0)
		return -errno;
	f->len = st.st_size;
	f->map = mmap(NULL, f->len, PROT_READ, MAP_SHARED, f->fd, 0);
	if (f->map == MAP_FAILED) {
		f->map = NULL;
		return log_error_errno(-errno, "cannot map the pages copied before the freeze");
	}
	r = ferry_image_open(&f->img, f->map, f->len, 0, NULL);
	if (r < 0) {
		log_error("the pages copied before the freeze: %s", ferry_strerror(r));
		return -EIO;
	}
	ferry_chunk_cursor_init(&f->img, &cur);
	while ((r = ferry_chunk_next(&f->img, &cur, &ch, NULL)) == 1) {
		struct pc_proc *p;
		struct pc_chunk *lc;

		if (ch.mm_id >= pc->nprocs)
			return -EIO;
		p = &pc->procs[ch.mm_id];
		lc = ST_PUSH(p->live, p->nlive);
		if (!lc)
			return -ENOMEM;
		*lc = (struct pc_chunk){ .ch = ch, .round = k };
	}
	if (r < 0) {
		log_error("the pages copied before the freeze: %s", ferry_strerror(r));
		return -EIO;
	}
	pc->rounds = k + 1;
	return 0;
}

/* Round 1 of @pid: the clear, then every page of its private anonymous
 * areas, as chunks of address space pc->nprocs. */
static int copy_process(struct ckpt *c, struct precopy *pc, pid_t pid, struct ferry_writer *w)
{
	struct pc_proc *p = &pc->procs[pc->nprocs];
	struct st_area *areas;
	size_t nareas = 0;
	uint64_t pages = 0;
	int r;

	*p = (struct pc_proc){ .pid = pid, .starttime = starttime_of(pid) };
	/* the clear first: a page written after it is soft-dirty at the freeze */
	r = write_clear_refs(pid);
	if (r == 0)
		r = proc_read_maps(pid, &p->maps[0], &p->nmaps[0]);
	if (r < 0 || !p->starttime) {
		/* gone, or going: the freeze finds out */
		log_debug("pid %d: not copied before the freeze: %s", pid,
			  r < 0 ? strerror(-r) : "gone");
		proc_maps_free(p->maps[0], p->nmaps[0]);
		*p = (struct pc_proc){ 0 };
		return 0;
	}
	areas = calloc(p->nmaps[0] ? p->nmaps[0] : 1, sizeof(*areas));
	if (!areas)
		return -ENOMEM;
	for (size_t i = 0; i < p->nmaps[0]; i++)
		if (precopied_kind(&p->maps[0][i]))
			areas[nareas++] = (struct st_area){ .start = p->maps[0][i].start,
							    .end = p->maps[0][i].end,
							    .flags = MAP_PRIVATE | MAP_ANONYMOUS,
							    .kind = ST_AREA_ANON };
	pc->nprocs++;
	r = dump_pages_running(c, pid, (uint32_t)(pc->nprocs - 1), areas, nareas, w, &pages);
	free(areas);
	if (r < 0 && starttime_of(pid) != p->starttime) {
		/* it ended while it was copied: its slot stays, matching no one */
		p->starttime = 0;
		r = 0;
	}
	if (r < 0)
		return r;
	pc->round_pages[0] += pages;
	return 0;
}

static int cmp_range(const void *a, const void *b)
{
	const struct pc_range *x = a, *y = b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/*
 * After round @k's read: drop the live chunks of @p its dirty pages fall
 * in or whose area changed, and copy those pages and the dirty ones again,
 * into @w, as far as they lie in precopied areas now.
 */
static int recopy_process(struct ckpt *c, struct precopy *pc, struct pc_proc *p, unsigned k,
			  struct ferry_writer *w)
{
	const struct proc_map *maps = p->maps[k];
	size_t nmaps = p->nmaps[k], nwant = 0, nareas = 0, kept = 0;
	struct pc_range *want = NULL;
	struct st_area *areas = NULL;
	uint64_t pages = 0;
	int r = 0;

	for (size_t i = 0; i < p->ndirty && r == 0; i++)
		r = push_range(&want, &nwant, p->dirty[i].vaddr, p->dirty[i].npages);
	for (size_t i = 0; i < p->nlive && r == 0; i++) {
		struct pc_chunk *lc = &p->live[i];

		if (!chunk_stale(p, lc, p->dirty, p->ndirty, maps, nmaps)) {
			p->live[kept++] = *lc;
			continue;
		}
		pc->chunks_dropped++;
		for (uint32_t e = 0; e < lc->ch.extent_count && r == 0; e++) {
			struct ferry_extent x;
			struct pc_range *slot;

			ferry_chunk_extent(&lc->ch, e, &x);
			slot = ST_PUSH(want, nwant);
			if (!slot)
				r = -ENOMEM;
			else
				*slot = (struct pc_range){ x.vaddr, x.page_count };
		}
	}
	if (r < 0)
		goto out;
	p->nlive = kept;
	qsort(want, nwant, sizeof(*want), cmp_range);
	/* merged, clipped to the precopied areas (both by address) */
	areas = calloc(nwant + nmaps + 1, sizeof(*areas));
	if (!areas) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0, m = 0; i < nwant; i++) {
		uint64_t start = want[i].vaddr, end = start + want[i].npages * PAGE;

		while (i + 1 < nwant && want[i + 1].vaddr <= end) {
			uint64_t e2 = want[i + 1].vaddr + want[i + 1].npages * PAGE;

			end = e2 > end ? e2 : end;
			i++;
		}
		while (m < nmaps && maps[m].end <= start)
			m++;
		for (size_t j = m; j < nmaps && maps[j].start < end; j++) {
			uint64_t s = start > maps[j].start ? start : maps[j].start;
			uint64_t e = end < maps[j].end ? end : maps[j].end;

			if (s < e && precopied_kind(&maps[j]))
				areas[nareas++] = (struct st_area){ .start = s, .end = e,
								    .flags = MAP_PRIVATE |
									     MAP_ANONYMOUS,
								    .kind = ST_AREA_ANON };
		}
	}
	r = dump_pages_running(c, p->pid, (uint32_t)(p - pc->procs), areas, nareas, w, &pages);
	if (r < 0 && starttime_of(p->pid) != p->starttime) {
		p->starttime = 0;
		r = 0;
	}
	pc->round_pages[k] += pages;
out:
	free(areas);
	free(want);
	return r;
}

/* The pages another round would copy, read while the processes run. */
static uint64_t next_round_cost(struct precopy *pc)
{
	uint64_t pages = 0;

	for (size_t i = 0; i < pc->nprocs; i++) {
		struct pc_proc *p = &pc->procs[i];
		struct proc_map *maps = NULL;
		struct pc_range *d = NULL;
		size_t nmaps = 0, nd = 0;
		uint64_t dirty = 0;

		if (!p->starttime || starttime_of(p->pid) != p->starttime)
			continue;
		if (proc_read_maps(p->pid, &maps, &nmaps) == 0 &&
		    read_dirty(p->pid, maps, nmaps, &d, &nd, &dirty) == 0)
			pages += round_cost(p, d, nd, dirty, maps, nmaps);
		free(d);
		proc_maps_free(maps, nmaps);
	}
	return pages;
}

/*
 * Round @k's read, the selection stopped: for each process its areas, its
 * soft-dirty pages, the clear. A process that could not be read is not
 * used at the freeze (its pages are all read then). Returns 0, or -errno
 * when the selection could not be stopped (nothing read).
 */
static int round_read(struct ckpt *c, struct precopy *pc, unsigned k)
{
	struct freeze fz;
	uint64_t t0 = now_ns(), dt;
	int r;

	r = freeze_selection(&fz, c->opts->pid, c->opts->tree);
	if (r < 0) {
		freeze_free(&fz);
		return r;
	}
	for (size_t i = 0; i < pc->nprocs; i++) {
		struct pc_proc *p = &pc->procs[i];
		uint64_t dirty;

		free(p->dirty);
		p->dirty = NULL;
		p->ndirty = 0;
		if (!p->starttime)
			continue;
		if (!freeze_has_pid(&fz, p->pid) || starttime_of(p->pid) != p->starttime ||
		    proc_read_maps(p->pid, &p->maps[k], &p->nmaps[k]) < 0 ||
		    read_dirty(p->pid, p->maps[k], p->nmaps[k], &p->dirty, &p->ndirty, &dirty) < 0 ||
		    write_clear_refs(p->pid) < 0) {
			log_debug("pid %d: left out of the pre-copy from round %u", p->pid, k + 1);
			p->starttime = 0;
		}
	}
	freeze_thaw(&fz);
	freeze_free(&fz);
	dt = now_ns() - t0;
	pc->stop_ns_total += dt;
	if (dt > pc->stop_ns_max)
		pc->stop_ns_max = dt;
	return 0;
}

static int run_round(struct ckpt *c, struct precopy *pc, unsigned k)
{
	struct ferry_fd_sink sink_ctx = { 0 };
	struct ferry_sink sink;
	struct ferry_writer *w = NULL;
	int r = round_begin(c, &pc->files[k], &sink_ctx, &sink, &w);

	for (size_t i = 0; i < pc->nprocs && r >= 0; i++)
		if (pc->procs[i].starttime)
			r = recopy_process(c, pc, &pc->procs[i], k, w);
	if (r >= 0)
		r = round_end(pc, k, w, &sink_ctx);
	ferry_writer_free(w);
	return r;
}

static int first_round(struct ckpt *c, struct precopy *pc)
{
	struct ferry_fd_sink sink_ctx = { 0 };
	struct ferry_sink sink;
	struct ferry_writer *w = NULL;
	pid_t *pids = NULL;
	size_t npids = 0;
	int r;

	r = list_selection(c->opts->pid, c->opts->tree, &pids, &npids);
	if (r < 0)
		return r;
	pc->procs = calloc(npids, sizeof(*pc->procs));
	if (!pc->procs) {
		free(pids);
		return -ENOMEM;
	}
	r = round_begin(c, &pc->files[0], &sink_ctx, &sink, &w);
	/* copy_process() says what failed itself */
	for (size_t i = 0; i < npids && r >= 0; i++)
		r = copy_process(c, pc, pids[i], w);
	if (r >= 0)
		r = round_end(pc, 0, w, &sink_ctx);
	ferry_writer_free(w);
	free(pids);
	return r;
}

int precopy_run(struct ckpt *c)
{
	struct precopy *pc;
	int r;

	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	for (unsigned k = 0; k < PC_MAX_ROUNDS; k++)
		pc->files[k].fd = -1;
	if (!soft_dirty_works(&pc->zero_pfn) || !pc->zero_pfn) {
		log_warning("--pre-copy: this kernel tracks no soft-dirty pages "
			    "(CONFIG_MEM_SOFT_DIRTY)%s; every page is copied once, at the freeze",
			    pc->zero_pfn ? "" : " or hides page frame numbers");
		free(pc);
		return 0;
	}
	c->precopy = pc;
	r = first_round(c, pc);
	pc->end = FERRY_PRECOPY_END_ROUNDS;
	for (unsigned k = 1; r >= 0 && k < PC_MAX_ROUNDS; k++) {
		uint64_t next = next_round_cost(pc), last = pc->round_pages[k - 1];

		if (next <= PC_SMALL_PAGES) {
			pc->end = FERRY_PRECOPY_END_SMALL;
			break;
		}
		if (next * PC_SHRINK > last) {
			pc->end = FERRY_PRECOPY_END_NOT_SHRINKING;
			break;
		}
		r = round_read(c, pc, k);
		if (r < 0) {
			log_warning("--pre-copy: the selection could not be stopped to read what "
				    "it changed; round %u is the last", k);
			pc->end = FERRY_PRECOPY_END_STOP_FAILED;
			r = 0;
			break;
		}
		r = run_round(c, pc, k);
	}
	if (r < 0) {
		precopy_free(c);
		return r;
	}
	for (unsigned k = 0; k < pc->rounds; k++)
		pc->pages_copied += pc->round_pages[k];
	log_info("%llu pages of %zu process%s copied before the freeze in %u round%s "
		 "(longest stop to read their soft-dirty bits %.1f ms)",
		 (unsigned long long)pc->pages_copied, pc->nprocs, pc->nprocs == 1 ? "" : "es",
		 pc->rounds, pc->rounds == 1 ? "" : "s", pc->stop_ns_max / 1e6);
	return 0;
}

/* No page of @ch changed since it was copied in its round. */
static bool chunk_clean(const struct precopy *pc, const struct pc_proc *p,
			const struct proc_map *now, size_t nnow, int pagemapfd,
			const struct pc_chunk *lc)
{
	const struct ferry_chunk *ch = &lc->ch;
	uint64_t pm[64];

	for (uint32_t i = 0; i < ch->extent_count; i++) {
		struct ferry_extent e;

		ferry_chunk_extent(ch, i, &e);
		for (uint64_t k = 0; k < e.page_count;) {
			uint64_t addr = e.vaddr + k * PAGE;
			size_t n = e.page_count - k < 64 ? e.page_count - k : 64;

			if (pread(pagemapfd, pm, n * 8, addr / PAGE * 8) != (ssize_t)(n * 8))
				return false;
			for (size_t j = 0; j < n; j++, addr += PAGE) {
				const struct proc_map *was =
					map_of(p->maps[lc->round], p->nmaps[lc->round], addr);

				if (!same_area(was, map_of(now, nnow, addr)))
					return false;
				if (!(pm[j] & (PM_PRESENT | PM_SWAPPED)) || (pm[j] & PM_SOFT_DIRTY) ||
				    (pm[j] & PM_FILE_OR_SHARED))
					return false;
				if ((pm[j] & PM_PRESENT) && (pm[j] & PM_PFN_MASK) == pc->zero_pfn)
					return false;
			}
			k += n;
		}
	}
	return true;
}

int precopy_emit(struct ckpt *c, pid_t pid, uint32_t mm_id, struct ferry_writer *w)
{
	struct precopy *pc = c->precopy;
	struct proc_map *now = NULL;
	size_t nnow = 0;
	struct pc_proc *p = NULL;
	char path[64];
	int fd, r = 0;

	if (!pc)
		return 0;
	for (size_t i = 0; i < pc->nprocs && !p; i++)
		if (pc->procs[i].pid == pid && pc->procs[i].starttime)
			p = &pc->procs[i];
	/* the same process, not another with its PID */
	if (!p || p->starttime != starttime_of(pid))
		return 0;
	r = proc_read_maps(pid, &now, &nnow);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read its areas", pid);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		proc_maps_free(now, nnow);
		return log_error_errno(-errno, "pid %d: cannot open its pagemap", pid);
	}
	for (size_t i = 0; i < p->nlive && r >= 0; i++) {
		const struct pc_chunk *lc = &p->live[i];

		if (!chunk_clean(pc, p, now, nnow, fd, lc)) {
			pc->chunks_dropped++;
			continue;
		}
		r = ferry_writer_add_chunk(w, mm_id, &lc->ch);
		if (r < 0) {
			log_error("pid %d: cannot put the pages copied before the freeze into the "
				  "image: %s", pid, ferry_strerror(r));
			r = -EIO;
			break;
		}
		for (uint32_t e = 0; e < lc->ch.extent_count && r >= 0; e++) {
			struct ferry_extent x;

			ferry_chunk_extent(&lc->ch, e, &x);
			r = push_range(&p->kept, &p->nkept, x.vaddr, x.page_count);
		}
		pc->chunks_kept++;
		pc->pages_kept += lc->ch.page_count;
	}
	qsort(p->kept, p->nkept, sizeof(*p->kept), cmp_range);
	close(fd);
	proc_maps_free(now, nnow);
	return r < 0 ? r : 0;
}

void precopy_kept(const struct ckpt *c, pid_t pid, const struct pc_range **ret, size_t *ret_n)
{
	*ret = NULL;
	*ret_n = 0;
	for (size_t i = 0; c->precopy && i < c->precopy->nprocs; i++)
		if (c->precopy->procs[i].pid == pid && c->precopy->procs[i].starttime) {
			*ret = c->precopy->procs[i].kept;
			*ret_n = c->precopy->procs[i].nkept;
		}
}

const char *ferry_precopy_end_name(enum ferry_precopy_end e)
{
	switch (e) {
	case FERRY_PRECOPY_END_ROUNDS: return "rounds";
	case FERRY_PRECOPY_END_SMALL: return "small";
	case FERRY_PRECOPY_END_NOT_SHRINKING: return "not-shrinking";
	case FERRY_PRECOPY_END_STOP_FAILED: return "stop-failed";
	}
	return "?";
}

void precopy_stats(const struct ckpt *c, struct ferry_checkpoint_stats *st)
{
	const struct precopy *pc = c->precopy;

	st->pre_copied = pc != NULL;
	if (!pc)
		return;
	st->pages_precopied = pc->pages_copied;
	st->pages_before = pc->pages_kept;
	st->rounds = pc->rounds;
	for (unsigned k = 0; k < pc->rounds; k++)
		st->round_pages[k] = pc->round_pages[k];
	st->round_end = pc->end;
	st->stop_ns_max = pc->stop_ns_max;
	st->stop_ns_total = pc->stop_ns_total;
}

uint64_t precopy_pages_kept(const struct ckpt *c)
{
	return c->precopy ? c->precopy->pages_kept : 0;
}

void precopy_free(struct ckpt *c)
{
	struct precopy *pc = c->precopy;

	if (!pc)
		return;
	if (pc->chunks_kept || pc->chunks_dropped)
		log_debug("pre-copy: %llu chunks kept, %llu changed", (unsigned long long)pc->chunks_kept,
			  (unsigned long long)pc->chunks_dropped);
	for (size_t i = 0; i < pc->nprocs; i++) {
		for (unsigned k = 0; k < PC_MAX_ROUNDS; k++)
			proc_maps_free(pc->procs[i].maps[k], pc->procs[i].nmaps[k]);
		free(pc->procs[i].live);
		free(pc->procs[i].dirty);
		free(pc->procs[i].kept);
	}
	free(pc->procs);
	for (unsigned k = 0; k < PC_MAX_ROUNDS; k++) {
		if (pc->files[k].map)
			munmap(pc->files[k].map, pc->files[k].len);
		if (pc->files[k].fd >= 0)
			close(pc->files[k].fd);
	}
	free(pc);
	c->precopy = NULL;
}
