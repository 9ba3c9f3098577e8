/* SPDX-License-Identifier: MIT */
/*
 * The restore plan's checks (plan.h): every id and count of an image read
 * for what it means, where the metadata becomes what the restorer will do
 * and before the first process exists. The metadata reader (common/meta.c)
 * already checked each property's size and type; here they are checked
 * against each other and against what the restore does with them.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "../arch/x86_64/arch.h"
#include "../common/log.h"
#include "../common/meta.h"
#include "../kinds/kind.h"
#include "plan.h"

#define PAGE 4096ull
#define USER_TOP 0x7ffffffff000ull       /* the end of x86_64 user space (4-level) */
#define VSYSCALL 0xffffffffff600000ull    /* the one area above it */

static int refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int refuse(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("image refused: %s", msg);
	return -EINVAL;
}

/* ---- sorted ids ---- */

struct id_ref {
	uint64_t id;
	size_t index;
};

static int cmp_ref(const void *a, const void *b)
{
	const struct id_ref *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static const struct id_ref *find_ref(const struct id_ref *v, size_t n, uint64_t id)
{
	struct id_ref key = { .id = id };

	return n ? bsearch(&key, v, n, sizeof(*v), cmp_ref) : NULL;
}

/* The first id of @v (sorted) that appears twice, or NULL. */
static const struct id_ref *first_twice(const struct id_ref *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (v[i].id == v[i - 1].id)
			return &v[i];
	return NULL;
}

/* ---- strings ---- */

/* NULL when @path is acceptable as a path the restore uses, else why not. */
static const char *path_problem(const char *path, bool absolute)
{
	size_t len = strlen(path);
	const char *c;

	if (len >= PATH_MAX)
		return "longer than PATH_MAX";
	if (absolute && path[0] != '/')
		return "not absolute";
	for (c = path; (c = strstr(c, "..")); c += 2)
		if ((c == path || c[-1] == '/') && (c[2] == 0 || c[2] == '/' || c[2] == ' '))
			return "has a '..' component";
	return NULL;
}

#define CHECK_PATH(path, absolute, ...)                                                      \
	do {                                                                                  \
		const char *why_ = (path) ? path_problem((path), (absolute)) : NULL;          \
		if (why_)                                                                     \
			return refuse(__VA_ARGS__, why_);                                     \
	} while (0)

/* ---- address spaces ---- */

static int check_area(const struct st_mm *mm, const struct st_area *a, const struct st_area *prev,
		      const struct id_ref *files, size_t nfiles)
{
	unsigned long long s = a->start, e = a->end;
	uint32_t share = a->flags & (MAP_SHARED | MAP_PRIVATE);
	bool anon = a->flags & MAP_ANONYMOUS;

	if ((s | e | a->pgoff) & (PAGE - 1))
		return refuse("mm %u area %#llx-%#llx: not page-aligned", mm->id, s, e);
	if (a->kind == ST_AREA_VSYSCALL) {
		if (s != VSYSCALL || e != VSYSCALL + PAGE)
			return refuse("mm %u area %#llx-%#llx: a vsyscall area is at %#llx only",
				      mm->id, s, e, VSYSCALL);
	} else if (s < PLAN_MIN_ADDR) {
		return refuse("mm %u area %#llx-%#llx: below %#llx, the lowest address a process "
			      "may map (vm.mmap_min_addr)", mm->id, s, e, PLAN_MIN_ADDR);
	} else if (e > USER_TOP) {
		return refuse("mm %u area %#llx-%#llx: beyond the end of user space (%#llx)",
			      mm->id, s, e, USER_TOP);
	}
	if (prev && s < prev->end)
		return refuse("mm %u area %#llx-%#llx: overlaps area %#llx-%#llx, or is out of "
			      "order", mm->id, s, e, (unsigned long long)prev->start,
			      (unsigned long long)prev->end);
	if (a->prot & ~(uint32_t)(PROT_READ | PROT_WRITE | PROT_EXEC))
		return refuse("mm %u area %#llx: unknown protection bits %#x", mm->id, s, a->prot);
	if (a->flags & ~(uint32_t)(MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN |
				   MAP_NORESERVE))
		return refuse("mm %u area %#llx: unknown mapping flags %#x", mm->id, s, a->flags);
	if (share != MAP_SHARED && share != MAP_PRIVATE)
		return refuse("mm %u area %#llx: neither shared nor private", mm->id, s);
	if (a->advice & ~(uint32_t)((1u << MADV_RANDOM) | (1u << MADV_SEQUENTIAL) |
				    (1u << MADV_DONTFORK) | (1u << MADV_MERGEABLE) |
				    (1u << MADV_HUGEPAGE) | (1u << MADV_NOHUGEPAGE) |
				    (1u << MADV_DONTDUMP) | (1u << MADV_WIPEONFORK)))
		return refuse("mm %u area %#llx: advice %#x is not advice a checkpoint records "
			      "(some would discard or punch out data)", mm->id, s, a->advice);
	if (a->pgoff > UINT64_MAX - (e - s))
		return refuse("mm %u area %#llx: file offset %#llx runs past 2^64", mm->id, s,
			      (unsigned long long)a->pgoff);
	CHECK_PATH(a->path, a->kind == ST_AREA_FILE && !a->file_id, "mm %u area %#llx: path %s",
		   mm->id, s);
	switch (a->kind) {
	case ST_AREA_FILE:
		if (anon)
			return refuse("mm %u area %#llx: a file area marked anonymous", mm->id, s);
		if (!a->file_id && !a->path)
			return refuse("mm %u area %#llx: a file area without its file", mm->id, s);
		if (a->file_id && !find_ref(files, nfiles, a->file_id))
			return refuse("mm %u area %#llx: file %u is not in the image", mm->id, s,
				      a->file_id);
		break;
	case ST_AREA_ANON:
	case ST_AREA_HEAP:
	case ST_AREA_STACK:
		if (!anon || share != MAP_PRIVATE)
			return refuse("mm %u area %#llx: a %s area must be private and anonymous",
				      mm->id, s, st_area_kind_name(a->kind));
		break;
	case ST_AREA_SHMEM:
		if (!anon || share != MAP_SHARED)
			return refuse("mm %u area %#llx: a shmem area must be shared and anonymous",
				      mm->id, s);
		break;
	case ST_AREA_SYSV:
		/* the segment it names is checked with the segments (kinds/sysv_shm.c) */
		if (anon || share != MAP_SHARED)
			return refuse("mm %u area %#llx: a System V shared memory area must be "
				      "shared and of no anonymous mapping", mm->id, s);
		break;
	case ST_AREA_VDSO:
	case ST_AREA_VVAR:
	case ST_AREA_VSYSCALL:
		if (share != MAP_PRIVATE)
			return refuse("mm %u area %#llx: the kernel's %s area is private", mm->id,
				      s, st_area_kind_name(a->kind));
		break;
	default:
		return refuse("mm %u area %#llx: unknown kind %d", mm->id, s, (int)a->kind);
	}
	if (a->file_id && a->kind != ST_AREA_FILE)
		return refuse("mm %u area %#llx: a %s area with a file", mm->id, s,
			      st_area_kind_name(a->kind));
	return 0;
}

static int check_mm(const struct st_mm *mm, const struct id_ref *files, size_t nfiles)
{
	const struct st_mm_layout *l = &mm->layout;
	const uint64_t layout[] = { l->start_code, l->end_code, l->start_data, l->end_data,
				    l->start_brk, l->brk, l->start_stack, l->arg_start,
				    l->arg_end, l->env_start, l->env_end };

	if (mm->nareas > PLAN_MAX_AREAS)
		return refuse("mm %u: %zu areas, more than %u", mm->id, mm->nareas,
			      PLAN_MAX_AREAS);
	for (size_t i = 0; i < sizeof(layout) / sizeof(layout[0]); i++)
		if (layout[i] > USER_TOP)
			return refuse("mm %u: its memory layout points beyond user space (%#llx)",
				      mm->id, (unsigned long long)layout[i]);
	if (l->start_code > l->end_code || l->start_data > l->end_data ||
	    l->start_brk > l->brk || l->arg_start > l->arg_end || l->env_start > l->env_end)
		return refuse("mm %u: its memory layout has a range that ends before it starts",
			      mm->id);
	if (mm->auxv_len > PLAN_MAX_AUXV || mm->auxv_len % 16)
		return refuse("mm %u: an auxiliary vector of %zu bytes (pairs of 8 bytes, at "
			      "most %u)", mm->id, mm->auxv_len, PLAN_MAX_AUXV);
	CHECK_PATH(mm->exe, true, "mm %u: executable %s", mm->id);
	for (size_t i = 0; i < mm->nvdso_syms; i++) {
		const struct st_vdso_sym *v = &mm->vdso_syms[i];

		if (v->offset > mm->vdso_len || v->size > mm->vdso_len - v->offset)
			return refuse("mm %u: vDSO entry point %s lies outside its image", mm->id,
				      v->name);
	}
	for (size_t i = 0; i < mm->nareas; i++) {
		int e = check_area(mm, &mm->areas[i], i ? &mm->areas[i - 1] : NULL, files,
				   nfiles);

		if (e < 0)
			return e;
	}
	return 0;
}

/* ---- processes ---- */

static bool bad_id(uint32_t id)
{
	return id == (uint32_t)-1;
}

static int check_creds(const struct st_process *p)
{
	static const char *const which[] = { "real", "effective", "saved", "filesystem" };

	for (int i = 0; i < 4; i++) {
		if (bad_id(p->uids[i]))
			return refuse("pid %d: %s uid 4294967295 (-1) is no user: set, it would "
				      "leave the restorer's (root)", p->pid, which[i]);
		if (bad_id(p->gids[i]))
			return refuse("pid %d: %s gid 4294967295 (-1) is no group: set, it would "
				      "leave the restorer's (root)", p->pid, which[i]);
	}
	if (p->ngroups > PLAN_MAX_GROUPS)
		return refuse("pid %d: %zu supplementary groups, more than %u", p->pid, p->ngroups,
			      PLAN_MAX_GROUPS);
	for (size_t i = 0; i < p->ngroups; i++)
		if (bad_id(p->groups[i]))
			return refuse("pid %d: supplementary group 4294967295 (-1) is no group",
				      p->pid);
	return 0;
}

static int check_thread(const struct st_process *p, const struct st_thread *t)
{
	if (t->regs_len != sizeof(arch_regs_t))
		return refuse("pid %d thread %d: registers of %zu bytes, not %zu", p->pid, t->tid,
			      t->regs_len, sizeof(arch_regs_t));
	if (t->xsave_len > PLAN_MAX_XSAVE)
		return refuse("pid %d thread %d: extended state of %zu bytes, more than %u",
			      p->pid, t->tid, t->xsave_len, PLAN_MAX_XSAVE);
	if (t->nsigpending > PLAN_MAX_SIGPENDING)
		return refuse("pid %d thread %d: %zu pending signals, more than %u", p->pid,
			      t->tid, t->nsigpending, PLAN_MAX_SIGPENDING);
	if (t->pdeathsig >= ST_NSIG + 1)
		return refuse("pid %d thread %d: parent-death signal %u is no signal", p->pid,
			      t->tid, t->pdeathsig);
	return 0;
}

static int check_process(const struct st_process *p, const struct id_ref *files, size_t nfiles)
{
	struct id_ref *fds;
	const struct id_ref *twice;
	int e;

	if (!p->nthreads || p->threads[0].tid != p->pid)
		return refuse("pid %d: its first thread is not the process itself", p->pid);
	/* 0: in a namespace the checkpoint did not see */
	if (p->ppid < 0 || p->ppid >= PLAN_PID_LIMIT || p->pgid < 0 ||
	    p->pgid >= PLAN_PID_LIMIT || p->sid < 0 || p->sid >= PLAN_PID_LIMIT)
		return refuse("pid %d: parent %d, process group %d or session %d is no pid",
			      p->pid, p->ppid, p->pgid, p->sid);
	if (p->umask & ~0777u)
		return refuse("pid %d: umask %#o is no umask", p->pid, p->umask);
	e = check_creds(p);
	if (e < 0)
		return e;
	for (int i = 0; i < ST_NRLIMITS; i++)
		if (p->rlimits[i][0] > p->rlimits[i][1])
			return refuse("pid %d: resource limit %d: soft limit above the hard one",
				      p->pid, i);
	if (p->nsigpending_shared > PLAN_MAX_SIGPENDING)
		return refuse("pid %d: %zu pending signals, more than %u", p->pid,
			      p->nsigpending_shared, PLAN_MAX_SIGPENDING);
	CHECK_PATH(p->exe, true, "pid %d: executable %s", p->pid);
	CHECK_PATH(p->cwd, true, "pid %d: working directory %s", p->pid);
	CHECK_PATH(p->root, true, "pid %d: root directory %s", p->pid);
	for (size_t i = 0; i < p->nthreads; i++) {
		e = check_thread(p, &p->threads[i]);
		if (e < 0)
			return e;
	}
	if (p->nfds > PLAN_MAX_FD)
		return refuse("pid %d: %zu fds, more than %d", p->pid, p->nfds, PLAN_MAX_FD);
	fds = calloc(p->nfds ? p->nfds : 1, sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	for (size_t i = 0; i < p->nfds; i++) {
		const struct st_fd *fd = &p->fds[i];

		if (fd->num < 0 || fd->num >= PLAN_MAX_FD) {
			free(fds);
			return refuse("pid %d: fd %d is not below %d (fs.nr_open's default)",
				      p->pid, fd->num, PLAN_MAX_FD);
		}
		if (!find_ref(files, nfiles, fd->file_id)) {
			free(fds);
			return refuse("pid %d fd %d: file %u is not in the image", p->pid, fd->num,
				      fd->file_id);
		}
		fds[i] = (struct id_ref){ .id = (uint64_t)fd->num, .index = i };
	}
	qsort(fds, p->nfds, sizeof(*fds), cmp_ref);
	twice = first_twice(fds, p->nfds);
	e = twice ? refuse("pid %d: fd %d appears twice", p->pid, (int)twice->id) : 0;
	free(fds);
	return e;
}

/* The process of the image that is @p's parent, or NULL: its parent is
 * not in the image (or itself), and it becomes a child of the restorer. */
static const struct id_ref *parent_of(const struct st_image *img, const struct id_ref *pids,
				      const struct st_process *p)
{
	return p->ppid == p->pid ? NULL : find_ref(pids, img->nprocs, (uint64_t)p->ppid);
}

/* Every process's chain of parents ends outside the image: in a loop, no
 * stub of it could be made first. */
static int check_parents(const struct st_image *img, const struct id_ref *pids)
{
	uint8_t *state = calloc(img->nprocs ? img->nprocs : 1, 1); /* 0 new, 1 on this walk, 2 done */
	int e = 0;

	if (!state)
		return -ENOMEM;
	for (size_t i = 0; i < img->nprocs && !e; i++) {
		const struct id_ref *parent;
		bool loop = false;
		size_t k = i;

		while (state[k] != 2) {
			if (state[k] == 1) {
				loop = true;
				break;
			}
			state[k] = 1;
			parent = parent_of(img, pids, &img->procs[k]);
			if (!parent)
				break;
			k = parent->index;
		}
		for (k = i; state[k] == 1; k = parent->index) {
			state[k] = 2;
			parent = parent_of(img, pids, &img->procs[k]);
			if (!parent)
				break;
		}
		if (loop)
			e = refuse("pid %d: its parents form a loop", img->procs[i].pid);
	}
	free(state);
	return e;
}

/* Every pid and tid once, each in range; every address space claimed by
 * exactly one process (one restored process per mm: two processes sharing
 * one, CLONE_VM, are not carried). */
static int check_ids(const struct st_image *img, const struct id_ref *mms)
{
	struct id_ref *tids;
	const struct id_ref *twice;
	size_t ntids = 0, n = 0;
	uint32_t *claims;
	int e = 0;

	for (size_t i = 0; i < img->nprocs; i++)
		ntids += img->procs[i].nthreads;
	if (ntids > PLAN_MAX_THREADS)
		return refuse("%zu threads, more than %u", ntids, PLAN_MAX_THREADS);
	tids = calloc(ntids ? ntids : 1, sizeof(*tids));
	claims = calloc(img->nmms ? img->nmms : 1, sizeof(*claims));
	if (!tids || !claims) {
		free(tids);
		free(claims);
		return -ENOMEM;
	}
	for (size_t i = 0; i < img->nprocs && !e; i++) {
		const struct st_process *p = &img->procs[i];
		const struct id_ref *mm = find_ref(mms, img->nmms, p->mm_id);

		for (size_t t = 0; t < p->nthreads && !e; t++) {
			pid_t tid = p->threads[t].tid;

			if (tid <= 1 || tid >= PLAN_PID_LIMIT)
				e = refuse("pid %d: %s %d is not a pid a restored process may have "
					   "(2 to %d; 1 is the restorer's)", p->pid,
					   t ? "thread" : "pid", tid, PLAN_PID_LIMIT - 1);
			tids[n++] = (struct id_ref){ .id = (uint64_t)tid, .index = i };
		}
		if (!e && (!mm || claims[mm->index]++))
			e = refuse("pid %d: address space %u is %s", p->pid, p->mm_id,
				   mm ? "claimed by another process too" : "not in the image");
	}
	for (size_t i = 0; i < img->nmms && !e; i++)
		if (!claims[mms[i].index])
			e = refuse("address space %u belongs to no process", (uint32_t)mms[i].id);
	if (!e) {
		qsort(tids, n, sizeof(*tids), cmp_ref);
		twice = first_twice(tids, n);
		if (twice)
			e = refuse("pid or thread %d appears twice", (int)twice->id);
	}
	free(tids);
	free(claims);
	return e;
}

static int check_files(const struct st_image *img, const struct id_ref *files)
{
	const struct id_ref *twice = first_twice(files, img->nfiles);

	if (twice)
		return refuse("file %u appears twice", (uint32_t)twice->id);
	for (size_t i = 0; i < img->nfiles; i++) {
		const struct st_file *f = &img->files[i];

		CHECK_PATH(f->path, false, "file %u: path %s", f->id);
	}
	return 0;
}

/* @v[i] = the id of element i of @arr (of @n, each @size bytes, the id a
 * u32 at @off, or the pid of a process), sorted */
static struct id_ref *sorted_ids(const void *arr, size_t n, size_t size, size_t off)
{
	struct id_ref *v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		uint32_t id;

		memcpy(&id, (const char *)arr + i * size + off, sizeof(id));
		v[i] = (struct id_ref){ .id = id, .index = i };
	}
	qsort(v, n, sizeof(*v), cmp_ref);
	return v;
}

int restore_plan_check(const struct st_image *img)
{
	struct id_ref *pids = NULL, *mms = NULL, *files = NULL;
	const struct id_ref *twice;
	int e = 0;

	if (img->nprocs > PLAN_MAX_PROCESSES)
		return refuse("%zu processes, more than %u", img->nprocs, PLAN_MAX_PROCESSES);
	if (img->nfiles > PLAN_MAX_FILES)
		return refuse("%zu open files, more than %u", img->nfiles, PLAN_MAX_FILES);
	if (img->hostname && strlen(img->hostname) > HOST_NAME_MAX)
		return refuse("a host name longer than %d", HOST_NAME_MAX);
	pids = sorted_ids(img->procs, img->nprocs, sizeof(*img->procs),
			  offsetof(struct st_process, pid));
	mms = sorted_ids(img->mms, img->nmms, sizeof(*img->mms), offsetof(struct st_mm, id));
	files = sorted_ids(img->files, img->nfiles, sizeof(*img->files),
			   offsetof(struct st_file, id));
	if (!pids || !mms || !files) {
		e = -ENOMEM;
		goto out;
	}
	if ((twice = first_twice(mms, img->nmms)))
		e = refuse("address space %u appears twice", (uint32_t)twice->id);
	if (!e)
		e = check_files(img, files);
	if (!e)
		e = check_ids(img, mms);
	for (size_t i = 0; i < img->nmms && !e; i++)
		e = check_mm(&img->mms[i], files, img->nfiles);
	for (size_t i = 0; i < img->nprocs && !e; i++)
		e = check_process(&img->procs[i], files, img->nfiles);
	if (!e)
		e = check_parents(img, pids);
out:
	free(pids);
	free(mms);
	free(files);
	return e;
}

/* ---- the pages ---- */

static const struct st_area *area_at(const struct st_mm *mm, uint64_t addr)
{
	size_t lo = 0, hi = mm->nareas;

	/* the areas are in order (restore_plan_check) */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (addr < mm->areas[mid].start)
			hi = mid;
		else if (addr >= mm->areas[mid].end)
			lo = mid + 1;
		else
			return &mm->areas[mid];
	}
	return NULL;
}

static bool takes_pages(const struct st_area *a)
{
	switch (a->kind) {
	case ST_AREA_ANON:
	case ST_AREA_HEAP:
	case ST_AREA_STACK:
	case ST_AREA_SHMEM:
		return true;
	case ST_AREA_FILE:
		/* a shared file's pages are the file's: writing them writes it */
		return a->flags & MAP_PRIVATE;
	default:
		return false;
	}
}

int restore_plan_check_pages(const struct ferry_image *image, const struct st_image *img)
{
	struct ferry_chunk_cursor cur;
	struct ferry_chunk ch;
	struct ferry_diag diag = { 0 };
	uint64_t page_size = image->hdr.page_size;
	int k;

	ferry_chunk_cursor_init(image, &cur);
	while ((k = ferry_chunk_next(image, &cur, &ch, &diag)) == 1) {
		const struct st_mm *mm = NULL;

		for (size_t i = 0; i < img->nmms && !mm; i++)
			if (img->mms[i].id == ch.mm_id)
				mm = &img->mms[i];
		if (!mm)
			return refuse("chunk %u: address space %u is not in the image", ch.index,
				      ch.mm_id);
		for (uint32_t i = 0; i < ch.extent_count; i++) {
			struct ferry_extent x;
			uint64_t addr, end;

			ferry_chunk_extent(&ch, i, &x);
			end = x.vaddr + (uint64_t)x.page_count * page_size;
			if (end < x.vaddr)
				return refuse("chunk %u: pages at %#llx run past 2^64", ch.index,
					      (unsigned long long)x.vaddr);
			/* an extent may span adjacent areas */
			for (addr = x.vaddr; addr < end;) {
				const struct st_area *a = area_at(mm, addr);

				if (!a || !takes_pages(a))
					return refuse("chunk %u: pages at %#llx of address space %u "
						      "are %s", ch.index, (unsigned long long)addr,
						      mm->id, a ? "in an area that takes none"
								: "outside its areas");
				addr = a->end;
			}
		}
	}
	if (k < 0)
		return refuse("the chunks: %s", ferry_strerror(k));
	return 0;
}

/* ---- against this system ---- */

/*
 * Files are not refused by their permissions: a service started as root
 * keeps what it opened before it dropped its privileges (its log files,
 * its stdout, a key it mapped, a working directory only root may enter),
 * and the restorer opens each for it with its own rights, as the process
 * held it. An image names its processes' credentials and memory anyway:
 * whoever may have one restored may run code as the users it names.
 */
static int check_process_here(const struct st_process *p)
{
	for (size_t t = 0; t < p->nthreads; t++)
		if (kill(p->threads[t].tid, 0) == 0 || errno != ESRCH)
			return refuse("pid %d: %s %d is taken here", p->pid,
				      t ? "thread" : "pid", p->threads[t].tid);
	return 0;
}

int restore_plan_check_here(const struct st_image *img)
{
	for (size_t i = 0; i < img->nprocs; i++) {
		int e = check_process_here(&img->procs[i]);

		if (e < 0)
			return e;
	}
	return 0;
}
