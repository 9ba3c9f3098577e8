/* SPDX-License-Identifier: MIT */
/*
 * vDSO redirection. A program keeps pointers into its vDSO: glibc looks up
 * clock_gettime, gettimeofday, time, getcpu (and more) once at startup and
 * calls them through those pointers ever after. On another kernel the vDSO
 * has other code at other offsets, and expects its own vvar next to it.
 * So this kernel's vDSO and vvar move, together, to a free place near the
 * old address, and the old address gets the old vDSO image (still a valid
 * ELF object for anyone who parses it) whose every function symbol is
 * overwritten by a jump to the function of the same name in the new vDSO,
 * or by the system call it stands for when the new vDSO lacks it.
 * Checkpointed again, that copy is the process's vDSO (dump_vdso_copy()),
 * so the next update redirects it in turn, straight to its kernel's: one
 * copy however many updates.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "../arch/x86_64/vdso_stub.h"
#include "../common/log.h"
#include "../common/vdso_elf.h"
#include "vdso_redirect.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define P PAGE_SIZE_4K
#define LOWEST (1ull << 20)
#define USER_TOP 0x7ffffffff000ull
#define NEAR_LIMIT (ARCH_VDSO_JUMP_RANGE - (64ull << 20)) /* leave room for the image */

static bool env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") != 0;
}

static bool is_moved(const char *name)
{
	return strcmp(name, "[vdso]") == 0 || strncmp(name, "[vvar", 5) == 0;
}

static const struct st_area *old_vdso(const struct st_mm *mm)
{
	for (size_t i = 0; i < mm->nareas; i++)
		if (mm->areas[i].kind == ST_AREA_VDSO)
			return &mm->areas[i];
	return NULL;
}

static const struct proc_map *new_vdso(const struct proc_map *maps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(maps[i].name, "[vdso]") == 0)
			return &maps[i];
	return NULL;
}

bool vdso_redirect_wanted(struct rproc *rp, const struct proc_map *maps, size_t n)
{
	const struct st_area *old = old_vdso(rp->mm);
	const struct proc_map *cur = new_vdso(maps, n);
	uint8_t *buf;
	bool differ;

	if (!old || !cur)
		return false;
	if (env_flag("FERRY_FORCE_VDSO_REDIRECT"))
		return true;
	if (!rp->mm->vdso)
		return false; /* nothing to compare with: the sizes decide, as before */
	if (rp->mm->vdso_len != cur->end - cur->start)
		return true;
	buf = malloc(rp->mm->vdso_len);
	if (!buf)
		return true;
	differ = mem_read(rp->memfd, cur->start, buf, rp->mm->vdso_len) < 0 ||
		 memcmp(buf, rp->mm->vdso, rp->mm->vdso_len) != 0;
	free(buf);
	return differ;
}

static const struct range *overlap(const struct range *busy, size_t n, uint64_t s, uint64_t len)
{
	for (size_t i = 0; i < n; i++)
		if (s < busy[i].end && busy[i].start < s + len)
			return &busy[i];
	return NULL;
}

/* @len free bytes within NEAR_LIMIT of @near: below it first, then above. */
static int find_free_near(const struct range *busy, size_t n, uint64_t len, uint64_t near,
			  uint64_t *ret)
{
	const struct range *o;
	uint64_t cand;

	for (cand = (near - len) & ~(P - 1); cand >= LOWEST && near - cand < NEAR_LIMIT;) {
		o = overlap(busy, n, cand, len);
		if (!o) {
			*ret = cand;
			return 0;
		}
		if (o->start < len + LOWEST)
			break;
		cand = (o->start - len) & ~(P - 1);
	}
	for (cand = (near + P - 1) & ~(P - 1); cand + len <= USER_TOP && cand - near < NEAR_LIMIT;) {
		o = overlap(busy, n, cand, len);
		if (!o) {
			*ret = cand;
			return 0;
		}
		cand = (o->end + P - 1) & ~(P - 1);
	}
	return -ENOMEM;
}

/* Move this kernel's vDSO and vvar by one offset to @dest (for their
 * lowest start); returns the new address of the vDSO in *ret_vdso. */
static int move_block(struct rproc *rp, const struct proc_map *maps, size_t n, uint64_t lo,
		      uint64_t dest, uint64_t *ret_vdso)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t len = maps[i].end - maps[i].start, to = dest + (maps[i].start - lo);
		long res;

		if (!is_moved(maps[i].name))
			continue;
		res = INJECT(&rp->in, SYS_mremap, maps[i].start, len, len,
			     MREMAP_MAYMOVE | MREMAP_FIXED, to);
		if (res != (long)to)
			return log_error_errno(res < 0 ? res : -EFAULT, "pid %d: cannot move this kernel's "
					"%s to %#llx", rp->pid, maps[i].name, (unsigned long long)to);
		if (strcmp(maps[i].name, "[vdso]") == 0)
			*ret_vdso = to;
	}
	return 0;
}

/* The old image with its entry points redirected to the vDSO at @vdso. */
static int build_stubs(struct rproc *rp, const struct st_area *old, const uint8_t *new_img,
		       size_t new_len, uint64_t vdso, uint8_t *img)
{
	const struct st_mm *mm = rp->mm;
	size_t len = old->end - old->start, nsyms = 0, jumps = 0, calls = 0;
	struct st_vdso_sym *syms = NULL;
	int e;

	e = vdso_elf_symbols(new_img, new_len, &syms, &nsyms);
	if (e < 0)
		return log_error_errno(e, "pid %d: cannot read the symbols of this kernel's vDSO", rp->pid);
	if (mm->vdso && mm->vdso_len == len) {
		memcpy(img, mm->vdso, len);
		arch_vdso_syscall_insn(img + VDSO_ELF_PAD_OFFSET, len - VDSO_ELF_PAD_OFFSET);
	} else {
		memset(img, 0xcc, len); /* int3 */
		arch_vdso_syscall_insn(img, len);
	}
	for (size_t i = 0; i < mm->nvdso_syms && e >= 0; i++) {
		const struct st_vdso_sym *s = &mm->vdso_syms[i];
		const struct st_vdso_sym *t = vdso_sym_find(syms, nsyms, s->name);
		size_t room = vdso_sym_room(s, len);

		if (t) {
			e = arch_vdso_jump(img + s->offset, room, old->start + s->offset,
					   vdso + t->offset);
			jumps++;
		} else {
			e = arch_vdso_syscall_stub(img + s->offset, room, s->name);
			calls++;
			if (e == -ENOENT) {
				log_warning("pid %d: vDSO entry %s has no counterpart on this kernel; "
					  "calling it will trap", rp->pid, s->name);
				memset(img + s->offset, 0xcc, room);
				e = 0;
			}
		}
		if (e < 0)
			e = log_error_errno(e, "pid %d: cannot redirect vDSO entry %s at %#llx", rp->pid,
				     s->name, (unsigned long long)(old->start + s->offset));
	}
	vdso_syms_free(syms, nsyms);
	if (e >= 0)
		log_debug("pid %d: vDSO at %#llx redirected to %#llx: %zu jumps, %zu system calls",
			   rp->pid, (unsigned long long)old->start, (unsigned long long)vdso,
			   jumps, calls);
	return e < 0 ? e : 0;
}

int vdso_redirect(struct rproc *rp, const struct proc_map *maps, size_t n,
		  const struct range *busy, size_t nbusy)
{
	const struct st_area *old = old_vdso(rp->mm);
	const struct proc_map *cur = new_vdso(maps, n);
	uint64_t lo = UINT64_MAX, hi = 0, dest, vdso = 0, len;
	uint8_t *new_img = NULL, *img = NULL;
	long res;
	int e;

	if (!old || !cur)
		return log_error_errno(-EINVAL, "pid %d: no vDSO to redirect", rp->pid);
	if (!rp->mm->nvdso_syms)
		return log_error_errno(-EOPNOTSUPP, "pid %d: this kernel's vDSO differs from the one at "
				"%#llx, and the image does not list that one's entry points",
				rp->pid, (unsigned long long)old->start);
	for (size_t i = 0; i < n; i++)
		if (is_moved(maps[i].name)) {
			lo = maps[i].start < lo ? maps[i].start : lo;
			hi = maps[i].end > hi ? maps[i].end : hi;
		}
	e = find_free_near(busy, nbusy, hi - lo, old->start, &dest);
	if (e < 0)
		return log_error_errno(e, "pid %d: no room for this kernel's vDSO within reach of %#llx",
				rp->pid, (unsigned long long)old->start);
	e = move_block(rp, maps, n, lo, dest, &vdso);
	if (e < 0)
		return e;
	len = cur->end - cur->start;
	new_img = malloc(len);
	img = malloc(old->end - old->start);
	if (!new_img || !img) {
		e = -ENOMEM;
		goto out;
	}
	e = mem_read(rp->memfd, vdso, new_img, len);
	if (e < 0) {
		log_error_errno(e, "pid %d: cannot read this kernel's vDSO", rp->pid);
		goto out;
	}
	e = build_stubs(rp, old, new_img, len, vdso, img);
	if (e < 0)
		goto out;
	res = INJECT(&rp->in, SYS_mmap, old->start, old->end - old->start, PROT_READ | PROT_EXEC,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (res != (long)old->start) {
		e = log_error_errno(res < 0 ? res : -EFAULT, "pid %d: cannot map the old vDSO's entry "
			     "points at %#llx", rp->pid, (unsigned long long)old->start);
		goto out;
	}
	e = mem_write(rp->memfd, old->start, img, old->end - old->start);
	if (e < 0)
		log_error_errno(e, "pid %d: cannot write the old vDSO's entry points", rp->pid);
out:
	free(new_img);
	free(img);
	return e;
}
