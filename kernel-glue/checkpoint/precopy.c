/* SPDX-License-Identifier: MIT */
/*
 * checkpoint --pre-copy: the private anonymous pages of the selection are
 * copied while its processes still run, and at the freeze only what they
 * changed since is read again.
 *
 * Before the freeze, for each process: its soft-dirty bits are cleared
 * (writing "4" to /proc/PID/clear_refs), then its areas are read from
 * /proc/PID/smaps and the pages of its private anonymous ones are copied,
 * through the ordinary page stream (dump_pages.c), into the chunks of an
 * image of their own in a file without a name (in the output's directory).
 * A page written after the clear has its soft-dirty bit set (pagemap bit
 * 55), also when it was written while it was being copied, or swapped.
 *
 * At the freeze, each copied chunk of a process still there (the same PID
 * and start time) goes into the image as it is, payload untouched, when
 * none of its pages changed: every one still lies in an area with the
 * same start, offset, protection, device, inode and name as when it was
 * copied, is present or swapped, anonymous, not the kernel's zero page,
 * and not soft-dirty. A new area (mmap, mremap) is all soft-dirty
 * (VM_SOFTDIRTY) besides. Every other page, including each page of a chunk
 * with one changed page, is read at the freeze as without pre-copy, which
 * then leaves out the pages of the chunks kept. The image is an ordinary
 * one: the chunks kept are chunks like the others, renumbered in order.
 *
 * One pass: the soft-dirty bits cannot be read and cleared at one instant
 * while a process runs, so a second pass (read the bits, clear, copy the
 * dirty pages again) would miss a page written between the read and the
 * clear. The freeze copies what the one pass saw change.
 *
 * What the freeze still costs: the pages changed since the pass, and
 * copying the kept chunks' bytes (compressed as they are, no read of the
 * process, no zero test, no deflate) from the file into the image.
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

#include <libfdt.h>

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

struct pc_proc {
	pid_t pid;
	uint64_t starttime;
	struct proc_map *maps; /* as after the clear */
	size_t nmaps;
	struct pc_range *kept;
	size_t nkept;
};

struct precopy {
	int fd;
	uint8_t *map;
	size_t len;
	struct ferry_image img;
	struct pc_proc *procs;
	size_t nprocs;
	uint64_t zero_pfn;
	uint64_t pages_copied, pages_kept, chunks_kept, chunks_dropped;
};

static uint64_t starttime_of(pid_t pid)
{
	uint64_t f[23] = { 0 };

	return proc_stat_fields(pid, f, 23) < 0 ? 0 : f[22]; /* starttime */
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

/* Copy the private anonymous pages of @pid, a chunk address space of @id. */
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
		r = proc_read_maps(pid, &p->maps, &p->nmaps);
	if (r < 0 || !p->starttime) {
		/* gone, or going: the freeze finds out */
		log_debug("pid %d: not copied before the freeze: %s", pid,
			  r < 0 ? strerror(-r) : "gone");
		proc_maps_free(p->maps, p->nmaps);
		return 0;
	}
	areas = calloc(p->nmaps ? p->nmaps : 1, sizeof(*areas));
	if (!areas)
		return -ENOMEM;
	for (size_t i = 0; i < p->nmaps; i++)
		if (precopied_kind(&p->maps[i]))
			areas[nareas++] = (struct st_area){ .start = p->maps[i].start,
							    .end = p->maps[i].end,
							    .flags = MAP_PRIVATE | MAP_ANONYMOUS,
							    .kind = ST_AREA_ANON };
	r = dump_pages_running(c, pid, (uint32_t)pc->nprocs, areas, nareas, w, &pages);
	free(areas);
	if (r < 0 && starttime_of(pid) != p->starttime) {
		/* it ended while it was copied: its slot stays, matching no one */
		p->starttime = 0;
		r = 0;
	}
	if (r < 0) {
		proc_maps_free(p->maps, p->nmaps);
		return r;
	}
	pc->pages_copied += pages;
	pc->nprocs++;
	return 0;
}

static int open_tmp(const struct ferry_checkpoint_options *o)
{
	char *dir = strdup(o->output && !o->sink ? o->output : "/var/tmp/x");
	int fd;

	if (!dir)
		return -ENOMEM;
	fd = open(dirname(dir), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		fd = log_error_errno(-errno, "cannot make a file for the pages copied before "
				     "the freeze in %s", dir);
	free(dir);
	return fd;
}

int precopy_run(struct ckpt *c)
{
	struct ferry_writer_options wo = { .level = c->opts->level };
	struct ferry_fd_sink sink_ctx = { 0 };
	struct ferry_sink sink;
	struct ferry_writer *w = NULL;
	struct precopy *pc;
	uint8_t fdt[128];
	pid_t *pids = NULL;
	size_t npids = 0;
	struct stat st;
	int r;

	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	pc->fd = -1;
	if (!soft_dirty_works(&pc->zero_pfn) || !pc->zero_pfn) {
		log_warning("--pre-copy: this kernel tracks no soft-dirty pages "
			    "(CONFIG_MEM_SOFT_DIRTY)%s; every page is copied at the freeze",
			    pc->zero_pfn ? "" : " or hides page frame numbers");
		free(pc);
		return 0;
	}
	r = list_selection(c->opts->pid, c->opts->tree, &pids, &npids);
	if (r < 0)
		goto fail;
	pc->procs = calloc(npids, sizeof(*pc->procs));
	pc->fd = open_tmp(c->opts);
	if (!pc->procs || pc->fd < 0) {
		r = pc->fd < 0 ? pc->fd : -ENOMEM;
		goto fail;
	}
	ferry_sink_fd(&sink, &sink_ctx, pc->fd);
	wo.kernel_release = "";
	wo.machine = "";
	wo.ferry_version = FERRY_VERSION;
	/* an empty tree made with the sequential-write calls only: the copy of
	 * libfdt the fuzz targets link (third_party/libfdt) has no
	 * fdt_create_empty_tree() */
	if (fdt_create(fdt, sizeof(fdt)) || fdt_finish_reservemap(fdt) ||
	    fdt_begin_node(fdt, "") || fdt_end_node(fdt) || fdt_finish(fdt)) {
		r = -EINVAL;
		goto fail;
	}
	r = ferry_writer_begin(&w, &sink, &wo, fdt, fdt_totalsize(fdt));
	if (r == 0) {
		/* copy_process() says what failed itself */
		for (size_t i = 0; i < npids && r >= 0; i++)
			r = copy_process(c, pc, pids[i], w);
		if (r < 0)
			goto fail;
		r = ferry_writer_seal(w);
	}
	if (r < 0) {
		log_error("cannot copy pages before the freeze: %s%s%s", ferry_strerror(r),
			  sink_ctx.saved_errno ? ": " : "",
			  sink_ctx.saved_errno ? strerror(sink_ctx.saved_errno) : "");
		r = -EIO;
		goto fail;
	}
	ferry_writer_free(w);
	w = NULL;
	if (fstat(pc->fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	pc->len = st.st_size;
	pc->map = mmap(NULL, pc->len, PROT_READ, MAP_SHARED, pc->fd, 0);
	if (pc->map == MAP_FAILED) {
		pc->map = NULL;
		r = log_error_errno(-errno, "cannot map the pages copied before the freeze");
		goto fail;
	}
	r = ferry_image_open(&pc->img, pc->map, pc->len, 0, NULL);
	if (r < 0) {
		log_error("the pages copied before the freeze: %s", ferry_strerror(r));
		r = -EIO;
		goto fail;
	}
	log_info("%llu pages of %zu process%s copied before the freeze",
		 (unsigned long long)pc->pages_copied, pc->nprocs, pc->nprocs == 1 ? "" : "es");
	free(pids);
	c->precopy = pc;
	return 0;
fail:
	ferry_writer_free(w);
	free(pids);
	c->precopy = pc;
	precopy_free(c);
	return r;
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

/* No page of @ch changed since it was copied. */
static bool chunk_clean(const struct precopy *pc, const struct pc_proc *p,
			const struct proc_map *now, size_t nnow, int pagemapfd,
			const struct ferry_chunk *ch)
{
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
				const struct proc_map *was = map_of(p->maps, p->nmaps, addr);

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

static int cmp_range(const void *a, const void *b)
{
	const struct pc_range *x = a, *y = b;

	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

int precopy_emit(struct ckpt *c, pid_t pid, uint32_t mm_id, struct ferry_writer *w)
{
	struct precopy *pc = c->precopy;
	struct proc_map *now = NULL;
	size_t nnow = 0, cap = 0;
	struct ferry_chunk_cursor cur;
	struct ferry_chunk ch;
	struct pc_proc *p = NULL;
	char path[64];
	int fd, r;
	uint32_t id;

	if (!pc)
		return 0;
	for (size_t i = 0; i < pc->nprocs && !p; i++)
		if (pc->procs[i].pid == pid)
			p = &pc->procs[i];
	/* the same process, not another with its PID */
	if (!p || p->starttime != starttime_of(pid))
		return 0;
	id = (uint32_t)(p - pc->procs);
	r = proc_read_maps(pid, &now, &nnow);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read its areas", pid);
	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		proc_maps_free(now, nnow);
		return log_error_errno(-errno, "pid %d: cannot open its pagemap", pid);
	}
	ferry_chunk_cursor_init(&pc->img, &cur);
	while ((r = ferry_chunk_next(&pc->img, &cur, &ch, NULL)) == 1) {
		if (ch.mm_id != id)
			continue;
		if (!chunk_clean(pc, p, now, nnow, fd, &ch)) {
			pc->chunks_dropped++;
			continue;
		}
		r = ferry_writer_add_chunk(w, mm_id, &ch);
		if (r < 0)
			break;
		for (uint32_t i = 0; i < ch.extent_count; i++) {
			struct ferry_extent e;

			if (p->nkept == cap) {
				struct pc_range *more;

				cap = cap ? 2 * cap : 64;
				more = realloc(p->kept, cap * sizeof(*more));
				if (!more) {
					r = -ENOMEM;
					goto out;
				}
				p->kept = more;
			}
			ferry_chunk_extent(&ch, i, &e);
			p->kept[p->nkept++] = (struct pc_range){ e.vaddr, e.page_count };
		}
		pc->chunks_kept++;
		pc->pages_kept += ch.page_count;
	}
	if (r < 0 && r != -ENOMEM) {
		log_error("pid %d: cannot put the pages copied before the freeze into the image: %s",
			  pid, ferry_strerror(r));
		r = -EIO;
	}
	qsort(p->kept, p->nkept, sizeof(*p->kept), cmp_range);
out:
	close(fd);
	proc_maps_free(now, nnow);
	return r < 0 ? r : 0;
}

void precopy_kept(const struct ckpt *c, pid_t pid, const struct pc_range **ret, size_t *ret_n)
{
	*ret = NULL;
	*ret_n = 0;
	for (size_t i = 0; c->precopy && i < c->precopy->nprocs; i++)
		if (c->precopy->procs[i].pid == pid) {
			*ret = c->precopy->procs[i].kept;
			*ret_n = c->precopy->procs[i].nkept;
		}
}

uint64_t precopy_pages_kept(const struct ckpt *c)
{
	return c->precopy ? c->precopy->pages_kept : 0;
}

uint64_t precopy_pages_copied(const struct ckpt *c)
{
	return c->precopy ? c->precopy->pages_copied : 0;
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
		proc_maps_free(pc->procs[i].maps, pc->procs[i].nmaps);
		free(pc->procs[i].kept);
	}
	free(pc->procs);
	if (pc->map)
		munmap(pc->map, pc->len);
	if (pc->fd >= 0)
		close(pc->fd);
	free(pc);
	c->precopy = NULL;
}
