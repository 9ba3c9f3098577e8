/* SPDX-License-Identifier: MIT */
/*
 * The vDSO at the freeze (see dump_vdso.h): threads frozen inside it are
 * stepped out of it, and the copy of an earlier vDSO that a restore onto
 * another vDSO left (restore/vdso_redirect.c) is recorded as the process's
 * vDSO in place of the kernel's, which its entry points jump to.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../arch/x86_64/vdso_stub.h"
#include "../common/inject.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "../common/vdso_elf.h"
#include "dump_vdso.h"

#define MAX_STEPS 100000
#define VDSO_MAX (1u << 20)

static int vdso_range(pid_t pid, uint64_t *ret_start, uint64_t *ret_end)
{
	struct proc_map *maps;
	size_t n;
	int r = proc_read_maps(pid, &maps, &n);

	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read its memory map", pid);
	*ret_start = *ret_end = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(maps[i].name, "[vdso]") == 0) {
			*ret_start = maps[i].start;
			*ret_end = maps[i].end;
		}
	proc_maps_free(maps, n);
	return 0;
}

/*
 * Single steps until the thread is out of the vDSO, every signal blocked
 * meanwhile (PTRACE_SETSIGMASK), so that none is taken off its queue (a
 * signal-delivery stop) on the way: it keeps them, with their siginfo,
 * for when it runs (but SIGSTOP, queued again at thaw). Its code there makes no system call that a mask
 * changes, and it is in none (a sigsuspend()'s saved mask to lose).
 */
static int step_steps(struct frozen_task *t, uint64_t start, uint64_t end, int *steps)
{
	int status, r;

	while (t->regs.rip >= start && t->regs.rip < end) {
		if (++*steps > MAX_STEPS) {
			log_warning("tid %d: still inside the vDSO at %#llx after %d steps", t->tid,
				  (unsigned long long)t->regs.rip, MAX_STEPS);
			return 0;
		}
		if (ptrace(PTRACE_SINGLESTEP, t->tid, 0, 0) < 0)
			return log_error_errno(-errno, "tid %d: cannot step it out of the vDSO", t->tid);
		r = ptrace_wait_stop(t->tid, &status);
		if (r < 0)
			return r;
		/* SIGSTOP, which no mask blocks: queued again at thaw */
		if ((status >> 16) == 0 && WSTOPSIG(status) != SIGTRAP) {
			r = held_signals_take(&t->held, t->tid, WSTOPSIG(status));
			if (r < 0)
				return r;
		}
		r = arch_get_regs(t->tid, &t->regs);
		if (r < 0)
			return log_error_errno(r, "tid %d: cannot read registers", t->tid);
	}
	return 0;
}

static int step_out(struct frozen_task *t, uint64_t start, uint64_t end)
{
	uint64_t from = t->regs.rip, mask, all = ~0ull;
	int steps = 0, r;

	if (ptrace(PTRACE_GETSIGMASK, t->tid, sizeof(mask), &mask) < 0 ||
	    ptrace(PTRACE_SETSIGMASK, t->tid, sizeof(all), &all) < 0)
		return log_error_errno(-errno, "tid %d: cannot block its signals", t->tid);
	r = step_steps(t, start, end, &steps);
	if (ptrace(PTRACE_SETSIGMASK, t->tid, sizeof(mask), &mask) < 0 && r == 0)
		r = log_error_errno(-errno, "tid %d: cannot put its signal mask back", t->tid);
	if (r < 0)
		return r;
	log_debug("tid %d: stepped out of the vDSO in %d steps (%#llx -> %#llx)", t->tid, steps,
		   (unsigned long long)from, (unsigned long long)t->regs.rip);
	return 0;
}

int dump_leave_vdso(struct ckpt *c)
{
	for (size_t p = 0; p < c->fz.npids; p++) {
		uint64_t start = 0, end = 0;
		int r = vdso_range(c->fz.pids[p], &start, &end);

		if (r < 0)
			return r;
		for (size_t i = 0; i < c->fz.ntasks && end; i++) {
			struct frozen_task *t = &c->fz.tasks[i];

			if (t->tgid != c->fz.pids[p] || !t->stopped || t->regs.rip < start ||
			    t->regs.rip >= end)
				continue;
			r = step_out(t, start, end);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* ---- ferry's copy of an earlier vDSO ---- */

/* An area that may be a copy: what vdso_redirect() maps. */
struct copy {
	uint8_t *img;
	struct st_vdso_sym *syms;
	size_t nsyms;
	enum { COPY_UNCHECKED, COPY_CHECKING, COPY_YES, COPY_NO } state;
};

struct copies {
	const struct ckpt *c;
	pid_t pid;
	int memfd;
	struct st_mm *mm;
	const struct st_area *kernel; /* [vdso], whose symbols mm->vdso_syms has */
	struct copy *v;               /* one per area of mm */
	size_t nv;
};

static bool may_be_copy(const struct st_area *a)
{
	return a->kind == ST_AREA_ANON && !a->name && !a->advice &&
	       a->flags == (MAP_PRIVATE | MAP_ANONYMOUS) && a->prot == (PROT_READ | PROT_EXEC) &&
	       a->end - a->start <= VDSO_MAX;
}

/* Area @i's contents and symbols, when it is an ELF vDSO image with the
 * system call instruction vdso_redirect() puts in its header. */
static int read_copy(struct copies *cs, size_t i)
{
	const struct st_area *a = &cs->mm->areas[i];
	struct copy *c = &cs->v[i];
	size_t len = a->end - a->start, n;
	uint8_t mark[16] = { 0 };
	int r;

	c->state = COPY_NO;
	c->img = malloc(len);
	if (!c->img)
		return -ENOMEM;
	r = mem_read(cs->memfd, a->start, c->img, len);
	if (r < 0)
		return 0; /* not readable: plain memory, as dump_pages will say */
	n = arch_vdso_syscall_insn(mark, sizeof(mark));
	if (len < VDSO_ELF_PAD_OFFSET + n || memcmp(c->img, ELFMAG, SELFMAG) != 0 ||
	    memcmp(c->img + VDSO_ELF_PAD_OFFSET, mark, n) != 0)
		return 0;
	r = vdso_elf_symbols(c->img, len, &c->syms, &c->nsyms);
	if (r == -ENOMEM)
		return r;
	if (r == 0 && c->nsyms)
		c->state = COPY_UNCHECKED; /* a candidate, its entry points still to check */
	return 0;
}

static int check_copy(struct copies *cs, size_t i, bool *ret);

/* Does a jump to @to, for the entry point @name, reach the kernel's
 * function of that name, straight or through the same entry of copies? */
static int lands_on(struct copies *cs, uint64_t to, const char *name, bool *ret)
{
	const struct st_mm *mm = cs->mm;
	const struct st_vdso_sym *t = vdso_sym_find(mm->vdso_syms, mm->nvdso_syms, name);

	*ret = t && to == cs->kernel->start + t->offset;
	if (*ret)
		return 0;
	for (size_t j = 0; j < mm->nareas; j++) {
		const struct st_area *b = &mm->areas[j];
		int r;

		if (to < b->start || to >= b->end)
			continue;
		if (!may_be_copy(b))
			return 0;
		if (!cs->v[j].img) {
			r = read_copy(cs, j);
			if (r < 0)
				return r;
		}
		t = vdso_sym_find(cs->v[j].syms, cs->v[j].nsyms, name);
		if (!t || to != b->start + t->offset)
			return 0;
		return check_copy(cs, j, ret);
	}
	return 0;
}

/* Is entry point @s of copy @i what vdso_redirect() writes: a jump that
 * lands on the kernel's function, the system call, or int3s? */
static int entry_redirected(struct copies *cs, size_t i, const struct st_vdso_sym *s, bool *ret)
{
	const struct st_area *a = &cs->mm->areas[i];
	size_t room = vdso_sym_room(s, a->end - a->start);
	const uint8_t *code = cs->v[i].img + s->offset;
	uint8_t stub[16];
	uint64_t to;
	int n;

	if (arch_vdso_jump_target(code, room, a->start + s->offset, &to) == 0)
		return lands_on(cs, to, s->name, ret);
	n = arch_vdso_syscall_stub(stub, room < sizeof(stub) ? room : sizeof(stub), s->name);
	*ret = n > 0 && memcmp(code, stub, n) == 0;
	for (size_t k = 0; !*ret && k < room && code[k] == 0xcc; k++)
		*ret = k + 1 == room;
	return 0;
}

/* Is area @i a copy of a vDSO redirected to the kernel's (marked
 * COPY_YES, as every copy it jumps through)? */
static int check_copy(struct copies *cs, size_t i, bool *ret)
{
	struct copy *c = &cs->v[i];
	int r = 0;

	*ret = c->state == COPY_YES;
	if (c->state != COPY_UNCHECKED)
		return 0; /* known, or a loop of copies: none reaches the kernel */
	c->state = COPY_CHECKING;
	*ret = true;
	for (size_t k = 0; k < c->nsyms && *ret && r == 0; k++)
		r = entry_redirected(cs, i, &c->syms[k], ret);
	c->state = r == 0 && *ret ? COPY_YES : COPY_NO;
	return r;
}

static uint64_t auxv_value(const struct st_mm *mm, uint64_t type)
{
	for (size_t i = 0; i + 16 <= mm->auxv_len; i += 16) {
		uint64_t t, v;

		memcpy(&t, mm->auxv + i, 8);
		memcpy(&v, mm->auxv + i + 8, 8);
		if (t == type)
			return v;
		if (t == AT_NULL)
			break;
	}
	return 0;
}

/* Is a thread of the process at the freeze in a copy between copy @i and
 * the kernel's (at a jump it was about to take)? Those copies go. */
static bool runs_in_between(const struct copies *cs, size_t i)
{
	const struct st_mm *mm = cs->mm;

	for (size_t t = 0; t < cs->c->fz.ntasks; t++) {
		const struct frozen_task *ft = &cs->c->fz.tasks[t];

		for (size_t j = 0; ft->tgid == cs->pid && j < mm->nareas; j++)
			if (j != i && cs->v[j].state == COPY_YES && ft->regs.rip >= mm->areas[j].start &&
			    ft->regs.rip < mm->areas[j].end)
				return true;
	}
	return false;
}

/* The process's vDSO is now copy @i: its image and entry points, kind and
 * name; the kernel's vDSO and vvar and the copies between go. */
static int record_copy(struct copies *cs, size_t i)
{
	struct st_mm *mm = cs->mm;
	struct st_area *a = &mm->areas[i];
	uint64_t start = a->start, kernel = cs->kernel->start;
	size_t kept = 0, dropped = 0;
	char *name = strdup("[vdso]");

	if (!name)
		return -ENOMEM;
	free(mm->vdso);
	vdso_syms_free(mm->vdso_syms, mm->nvdso_syms);
	mm->vdso = cs->v[i].img;
	mm->vdso_len = a->end - a->start;
	mm->vdso_syms = cs->v[i].syms;
	mm->nvdso_syms = cs->v[i].nsyms;
	cs->v[i] = (struct copy){ .state = COPY_YES };
	a->kind = ST_AREA_VDSO;
	a->name = name;
	a->flags = MAP_PRIVATE;
	a->pgoff = 0;
	for (size_t j = 0; j < mm->nareas; j++) {
		struct st_area *b = &mm->areas[j];

		if (b->kind == ST_AREA_VVAR || (b->kind == ST_AREA_VDSO && j != i) ||
		    (j != i && cs->v[j].state == COPY_YES)) {
			dropped += b->kind == ST_AREA_ANON;
			free(b->path);
			free(b->name);
			continue;
		}
		mm->areas[kept++] = *b;
	}
	mm->nareas = kept;
	log_debug("pid %d: its vDSO at %#llx is a copy a restore left, redirected to this "
		  "kernel's at %#llx through %zu copies more: recorded as its vDSO",
		  cs->pid, (unsigned long long)start, (unsigned long long)kernel,
		  dropped);
	return 0;
}

int dump_vdso_copy(const struct ckpt *c, pid_t pid, struct st_mm *mm)
{
	struct copies cs = { .c = c, .pid = pid, .mm = mm, .memfd = -1 };
	uint64_t ehdr = auxv_value(mm, AT_SYSINFO_EHDR);
	size_t i = mm->nareas;
	bool yes = false;
	int r = 0;

	for (size_t j = 0; j < mm->nareas; j++) {
		if (mm->areas[j].kind == ST_AREA_VDSO)
			cs.kernel = &mm->areas[j];
		if (mm->areas[j].start == ehdr)
			i = j;
	}
	if (!cs.kernel || !mm->nvdso_syms || i == mm->nareas || !may_be_copy(&mm->areas[i]))
		return 0; /* the kernel's vDSO is the process's (or unreadable: nothing to do) */
	cs.nv = mm->nareas;
	cs.v = calloc(cs.nv, sizeof(*cs.v));
	cs.memfd = mem_open(pid, O_RDONLY);
	if (!cs.v || cs.memfd < 0) {
		r = cs.v ? log_error_errno(cs.memfd, "pid %d: cannot open its memory", pid) : -ENOMEM;
		goto out;
	}
	r = read_copy(&cs, i);
	if (r == 0)
		r = check_copy(&cs, i, &yes);
	if (r == 0 && yes && runs_in_between(&cs, i))
		log_debug("pid %d: a thread runs in a copy of a vDSO its vDSO at %#llx jumps "
			  "through: its areas are kept as they are", pid,
			  (unsigned long long)mm->areas[i].start);
	else if (r == 0 && yes)
		r = record_copy(&cs, i);
out:
	if (cs.memfd >= 0)
		close(cs.memfd);
	for (size_t j = 0; cs.v && j < cs.nv; j++) {
		free(cs.v[j].img);
		vdso_syms_free(cs.v[j].syms, cs.v[j].nsyms);
	}
	free(cs.v);
	return r;
}
