/* SPDX-License-Identifier: MIT */
/*
 * The address space: a trampoline page for injected system calls, then
 * everything the stub inherited goes, the vDSO moves to its old address,
 * every area of the image is mapped at its place; after the pages are in,
 * protections and the mm layout (PR_SET_MM_MAP, with auxv and exe) are set.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/meta.h"
#include "../common/procfs.h"
#include "internal.h"
#include "vdso_redirect.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define USER_TOP 0x7ffffffff000ull
#define P PAGE_SIZE_4K

static bool is_special(const char *name)
{
	return strcmp(name, "[vdso]") == 0 || strncmp(name, "[vvar", 5) == 0 ||
	       strcmp(name, "[vsyscall]") == 0;
}

/* The lowest @len bytes free of every range in @busy. */
static int find_free(const struct range *busy, size_t n, uint64_t len, uint64_t *ret)
{
	uint64_t cand = 1ull << 20;
	bool moved = true;

	while (moved) {
		moved = false;
		for (size_t i = 0; i < n; i++)
			if (cand < busy[i].end && busy[i].start < cand + len) {
				cand = (busy[i].end + P - 1) & ~(P - 1);
				moved = true;
			}
		if (cand + len > USER_TOP)
			return -ENOMEM;
	}
	*ret = cand;
	return 0;
}

/* Ranges taken in the target layout and in the stub as it is now. */
static int busy_ranges(struct rproc *rp, const struct proc_map *maps, size_t nmaps,
		       struct range **ret, size_t *ret_n)
{
	struct range *b = NULL;
	size_t n = 0;

	for (size_t i = 0; i < rp->mm->nareas + nmaps + 1; i++) {
		struct range *x = ST_PUSH(b, n);

		if (!x) {
			free(b);
			return -ENOMEM;
		}
		if (i < rp->mm->nareas) {
			x->start = rp->mm->areas[i].start;
			x->end = rp->mm->areas[i].end;
		} else if (i < rp->mm->nareas + nmaps) {
			x->start = maps[i - rp->mm->nareas].start;
			x->end = maps[i - rp->mm->nareas].end;
		} else {
			x->start = rp->tramp;
			x->end = rp->tramp ? rp->tramp + TRAMPOLINE_PAGES * P : 0;
		}
	}
	*ret = b;
	*ret_n = n;
	return 0;
}

int restore_trampoline(struct rst *r, struct rproc *rp)
{
	struct proc_map *maps;
	struct range *busy;
	size_t nmaps, nbusy;
	uint64_t tramp;
	long res;
	int e;

	(void)r;
	rp->memfd = mem_open(rp->pid, O_RDWR);
	if (rp->memfd < 0)
		return log_error_errno(rp->memfd, "pid %d: cannot open its memory", rp->pid);
	e = proc_read_maps(rp->pid, &maps, &nmaps);
	if (e < 0)
		return log_error_errno(e, "pid %d: cannot read its memory map", rp->pid);
	e = busy_ranges(rp, maps, nmaps, &busy, &nbusy);
	proc_maps_free(maps, nmaps);
	if (e < 0)
		return e;
	e = find_free(busy, nbusy, TRAMPOLINE_PAGES * P, &tramp);
	free(busy);
	if (e < 0)
		return log_error_errno(e, "pid %d: no room for a trampoline", rp->pid);
	res = INJECT(&rp->in, SYS_mmap, tramp, TRAMPOLINE_PAGES * P, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (res != (long)tramp)
		return log_error_errno(res < 0 ? res : -EFAULT,
				       "pid %d: cannot map a trampoline at %#llx", rp->pid,
				       (unsigned long long)tramp);
	e = mem_write(rp->memfd, tramp, arch_gadget_code, arch_gadget_size);
	if (e < 0)
		return log_error_errno(e, "pid %d: cannot write the trampoline", rp->pid);
	res = INJECT(&rp->in, SYS_mprotect, tramp, P, PROT_READ | PROT_EXEC);
	if (res < 0)
		return log_error_errno(res, "pid %d: cannot protect the trampoline", rp->pid);
	rp->tramp = tramp;
	rp->in.insn = tramp;
	log_debug("pid %d: trampoline at %#llx", rp->pid, (unsigned long long)tramp);
	return 0;
}

/* Unmap what the stub inherited from ferry, keeping the kernel's areas. */
static int unmap_inherited(struct rproc *rp, struct proc_map **ret_maps, size_t *ret_n)
{
	struct proc_map *maps;
	size_t n;
	int e = proc_read_maps(rp->pid, &maps, &n);

	if (e < 0)
		return log_error_errno(e, "pid %d: cannot read its memory map", rp->pid);
	for (size_t i = 0; i < n; i++) {
		long res;

		if (is_special(maps[i].name) ||
		    (maps[i].start >= rp->tramp &&
		     maps[i].end <= rp->tramp + TRAMPOLINE_PAGES * P))
			continue;
		res = INJECT(&rp->in, SYS_munmap, maps[i].start, maps[i].end - maps[i].start);
		if (res < 0) {
			proc_maps_free(maps, n);
			return log_error_errno(res, "pid %d: cannot unmap %#llx-%#llx", rp->pid,
					(unsigned long long)maps[i].start,
					(unsigned long long)maps[i].end);
		}
	}
	*ret_maps = maps;
	*ret_n = n;
	return 0;
}

/*
 * Move the kernel's own areas ([vdso], [vvar], ...) of the stub to the
 * addresses they had in the checkpointed process. On the same kernel they
 * are identical, so moving is enough. When this kernel's vDSO differs (or
 * FERRY_FORCE_VDSO_REDIRECT=1), the old addresses keep working for entry
 * points the process cached: vdso_redirect().
 */
static int move_special_areas(struct rproc *rp, struct proc_map *maps, size_t n)
{
	struct range *busy;
	uint64_t *temp;
	size_t nbusy;
	int e;

	temp = calloc(n, sizeof(*temp));
	if (!temp)
		return -ENOMEM;
	e = busy_ranges(rp, maps, n, &busy, &nbusy);
	if (e < 0)
		goto out;
	if (vdso_redirect_wanted(rp, maps, n)) {
		e = vdso_redirect(rp, maps, n, busy, nbusy);
		free(busy);
		goto out;
	}
	/* first out of the way of every final address, then into place */
	for (size_t i = 0; i < n && e == 0; i++) {
		uint64_t len = maps[i].end - maps[i].start;
		struct range *slot;
		long res;

		if (!is_special(maps[i].name) || strcmp(maps[i].name, "[vsyscall]") == 0)
			continue;
		e = find_free(busy, nbusy, len, &temp[i]);
		if (e < 0)
			break;
		res = INJECT(&rp->in, SYS_mremap, maps[i].start, len, len,
			     MREMAP_MAYMOVE | MREMAP_FIXED, temp[i]);
		if (res != (long)temp[i]) {
			e = log_error_errno(res < 0 ? res : -EFAULT, "pid %d: cannot move %s",
					    rp->pid, maps[i].name);
			break;
		}
		slot = ST_PUSH(busy, nbusy);
		if (!slot) {
			e = -ENOMEM;
			break;
		}
		slot->start = temp[i];
		slot->end = temp[i] + len;
	}
	for (size_t a = 0; a < rp->mm->nareas && e == 0; a++) {
		const struct st_area *area = &rp->mm->areas[a];
		uint64_t len = area->end - area->start;
		size_t i;
		long res;

		if (area->kind != ST_AREA_VDSO && area->kind != ST_AREA_VVAR)
			continue;
		for (i = 0; i < n; i++)
			if (temp[i] && area->name && strcmp(maps[i].name, area->name) == 0)
				break;
		if (i == n || maps[i].end - maps[i].start != len) {
			e = log_error_errno(-EOPNOTSUPP,
					    "pid %d area %#llx %s: this kernel's %s differs "
					    "and the image has no vDSO to compare (restore with "
					    "--force-vdso-redirect)",
					    rp->pid, (unsigned long long)area->start,
					    area->name ? area->name : "?",
					    area->name ? area->name : "?");
			break;
		}
		res = INJECT(&rp->in, SYS_mremap, temp[i], len, len,
			     MREMAP_MAYMOVE | MREMAP_FIXED, area->start);
		if (res != (long)area->start)
			e = log_error_errno(res < 0 ? res : -EFAULT,
					    "pid %d: cannot move %s to %#llx", rp->pid, area->name,
					    (unsigned long long)area->start);
		temp[i] = 0;
	}
	free(busy);
out:
	free(temp);
	return e;
}

/* The protection an area is mapped with while its pages are written. */
static uint32_t prot_while_filling(const struct st_area *a)
{
	if (a->kind == ST_AREA_FILE && (a->flags & MAP_SHARED))
		return a->prot;
	/* what shmat() gives; the restorer filled the segment itself */
	if (a->kind == ST_AREA_SYSV)
		return PROT_READ | (a->shm_rdonly ? 0 : PROT_WRITE);
	return a->prot | PROT_READ | PROT_WRITE;
}

/* madvise() what the area had; a kernel without the advice fails it. */
static int advise_area(struct rproc *rp, const struct st_area *a)
{
	for (int advice = 0; advice < 32; advice++) {
		long res;

		if (!(a->advice & (1u << advice)))
			continue;
		res = INJECT(&rp->in, SYS_madvise, a->start, a->end - a->start, advice);
		if (res < 0)
			return log_error_errno(res,
					       "pid %d area %#llx-%#llx: cannot give it advice %d "
					       "(madvise)",
					       rp->pid, (unsigned long long)a->start,
					       (unsigned long long)a->end, advice);
	}
	return 0;
}

static int map_area(struct rst *r, struct rproc *rp, const struct st_area *a)
{
	uint64_t len = a->end - a->start;
	uint32_t prot = prot_while_filling(a);
	uint32_t noreserve = a->flags & MAP_NORESERVE;
	long res, tfd = -1;

	switch (a->kind) {
	case ST_AREA_ANON:
	case ST_AREA_HEAP:
	case ST_AREA_STACK:
		res = INJECT(&rp->in, SYS_mmap, a->start, len, prot,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | (a->flags & MAP_GROWSDOWN) |
				     noreserve, -1, 0);
		break;
	case ST_AREA_SHMEM: {
		int fd, e;

		if (!a->object) { /* an object of its own */
			res = INJECT(&rp->in, SYS_mmap, a->start, len, prot,
				     MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED | noreserve, -1, 0);
			break;
		}
		/* the object every area with its id maps (restore_shmem.c) */
		fd = restore_shmem_fd(r, a->object);
		if (fd < 0)
			return fd;
		e = restore_pull_fd(r, rp, fd, &tfd);
		if (e < 0)
			return e;
		res = INJECT(&rp->in, SYS_mmap, a->start, len, prot,
			     MAP_SHARED | MAP_FIXED | noreserve, tfd, a->pgoff);
		INJECT(&rp->in, SYS_close, tfd);
		break;
	}
	case ST_AREA_FILE: {
		bool rw = (a->flags & MAP_SHARED) && (a->prot & PROT_WRITE);
		int fd, e;

		/* a carried file (memfd, deleted): the one the restorer made */
		if (a->file_id)
			fd = restore_reopen(r, a->file_id, rw ? O_RDWR : O_RDONLY);
		else
			fd = open(a->path, (rw ? O_RDWR : O_RDONLY) | O_CLOEXEC);
		if (fd < 0)
			return log_error_errno(a->file_id ? fd : -errno,
					       "pid %d area %#llx: cannot open %s", rp->pid,
					       (unsigned long long)a->start, a->path);
		e = restore_pull_fd(r, rp, fd, &tfd);
		close(fd);
		if (e < 0)
			return e;
		res = INJECT(&rp->in, SYS_mmap, a->start, len, prot,
			     (a->flags & (MAP_SHARED | MAP_PRIVATE)) | MAP_FIXED | noreserve, tfd,
			     a->pgoff);
		INJECT(&rp->in, SYS_close, tfd);
		break;
	}
	case ST_AREA_SYSV:
		/* the attachment begins at the segment's first byte: the areas
		 * after it are its other parts, mapped with it (sysv_shm.c checks
		 * that every attachment is whole) */
		if (a->pgoff)
			return advise_area(rp, a);
		res = INJECT(&rp->in, SYS_shmat, a->shmid, a->start, a->shm_rdonly ? SHM_RDONLY : 0);
		break;
	default:
		return 0;
	}
	if (res != (long)a->start)
		return log_error_errno(res < 0 ? res : -EFAULT,
				       "pid %d area %#llx-%#llx (%s%s%s): cannot "
				       "map it",
				       rp->pid, (unsigned long long)a->start,
				       (unsigned long long)a->end, st_area_kind_name(a->kind),
				       a->path ? " " : "", a->path ? a->path : "");
	return advise_area(rp, a);
}

int restore_mm(struct rst *r, struct rproc *rp)
{
	struct proc_map *maps = NULL;
	size_t n = 0;
	int e;

	e = unmap_inherited(rp, &maps, &n);
	if (e < 0)
		return e;
	e = move_special_areas(rp, maps, n);
	proc_maps_free(maps, n);
	for (size_t i = 0; i < rp->mm->nareas && e == 0; i++)
		e = map_area(r, rp, &rp->mm->areas[i]);
	return e;
}

int restore_mm_finish(struct rst *r, struct rproc *rp)
{
	const struct st_mm_layout *l = &rp->mm->layout;
	struct prctl_mm_map map = {
		.start_code = l->start_code, .end_code = l->end_code,
		.start_data = l->start_data, .end_data = l->end_data,
		.start_brk = l->start_brk, .brk = l->brk,
		.start_stack = l->start_stack,
		.arg_start = l->arg_start, .arg_end = l->arg_end,
		.env_start = l->env_start, .env_end = l->env_end,
		.exe_fd = (uint32_t)-1,
	};
	uint64_t map_addr, auxv_addr;
	long res, tfd = -1;
	int e;

	for (size_t i = 0; i < rp->mm->nareas; i++) {
		const struct st_area *a = &rp->mm->areas[i];

		if (a->kind == ST_AREA_VDSO || a->kind == ST_AREA_VVAR ||
		    a->kind == ST_AREA_VSYSCALL || prot_while_filling(a) == a->prot)
			continue;
		res = INJECT(&rp->in, SYS_mprotect, a->start, a->end - a->start, a->prot);
		if (res < 0)
			return log_error_errno(
				res, "pid %d area %#llx-%#llx: cannot set its protection", rp->pid,
				(unsigned long long)a->start, (unsigned long long)a->end);
	}

	if (rp->mm->exe) {
		int fd = open(rp->mm->exe, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return log_error_errno(-errno, "pid %d: cannot open its executable %s",
					       rp->pid, rp->mm->exe);
		e = restore_pull_fd(r, rp, fd, &tfd);
		close(fd);
		if (e < 0)
			return e;
		map.exe_fd = tfd;
	}
	e = tramp_data(rp, 256, rp->mm->auxv, rp->mm->auxv_len, &auxv_addr);
	if (e < 0)
		return e;
	map.auxv = (__u64 *)(uintptr_t)auxv_addr;
	map.auxv_size = rp->mm->auxv_len;
	e = tramp_data(rp, 0, &map, sizeof(map), &map_addr);
	if (e < 0)
		return e;
	res = INJECT(&rp->in, SYS_prctl, PR_SET_MM, PR_SET_MM_MAP, map_addr, sizeof(map), 0);
	if (tfd >= 0)
		INJECT(&rp->in, SYS_close, tfd);
	if (res < 0)
		return log_error_errno(res,
				       "pid %d: cannot set its memory layout (PR_SET_MM_MAP: code "
				       "%#llx-%#llx, brk %#llx-%#llx, stack %#llx)",
				       rp->pid, (unsigned long long)l->start_code,
				       (unsigned long long)l->end_code,
				       (unsigned long long)l->start_brk, (unsigned long long)l->brk,
				       (unsigned long long)l->start_stack);
	return 0;
}
