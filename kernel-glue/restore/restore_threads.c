/* SPDX-License-Identifier: MIT */
/*
 * The last steps of a process: per-thread kernel registrations (rseq,
 * robust futex list), the trampoline goes away (with the `syscall` of the
 * restored vDSO, as nothing of ferry is left), then registers, extended
 * state and signal mask are set and the process is let go, untraced.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "internal.h"

#define GLUE_PTRACE_SETSIGMASK 0x420b

static int find_restored_vdso_syscall(struct rproc *rp, uint64_t *ret)
{
	for (size_t i = 0; i < rp->mm->nareas; i++) {
		const struct st_area *a = &rp->mm->areas[i];
		size_t len = a->end - a->start;
		uint8_t *code;
		long off;
		int e;

		if (a->kind != ST_AREA_VDSO || len > (1u << 20))
			continue;
		code = malloc(len);
		if (!code)
			return -ENOMEM;
		e = mem_read(rp->memfd, a->start, code, len);
		off = e == 0 ? arch_find_syscall_insn(code, len) : -1;
		free(code);
		if (off >= 0) {
			*ret = a->start + off;
			return 0;
		}
	}
	return glue_err(-ENOENT, "pid %d: no system call instruction in its vDSO", rp->pid);
}

int restore_threads_and_go(struct rst *r, struct rproc *rp)
{
	const struct st_thread *t = &rp->p->threads[0];
	arch_regs_t regs;
	uint64_t insn = 0;
	long res;
	int e;

	(void)r;
	if (t->regs_len != sizeof(regs))
		return glue_err(-EINVAL, "pid %d tid %d: registers of %zu bytes, expected %zu",
				rp->pid, t->tid, t->regs_len, sizeof(regs));
	if (t->rseq_addr) {
		res = INJECT(&rp->in, SYS_rseq, t->rseq_addr, t->rseq_len, 0, t->rseq_sig);
		if (res < 0)
			return glue_err(res, "pid %d tid %d: cannot register rseq at %#llx", rp->pid,
					t->tid, (unsigned long long)t->rseq_addr);
	}
	if (t->robust_list) {
		res = INJECT(&rp->in, SYS_set_robust_list, t->robust_list, t->robust_len);
		if (res < 0)
			return glue_err(res, "pid %d tid %d: cannot set its robust futex list",
					rp->pid, t->tid);
	}

	e = find_restored_vdso_syscall(rp, &insn);
	if (e < 0)
		return e;
	rp->in.insn = insn;
	rp->in.mode = INJECT_SYSCALL_STOPS;
	res = INJECT(&rp->in, SYS_munmap, rp->tramp, TRAMPOLINE_PAGES * PAGE_SIZE_4K);
	if (res < 0)
		return glue_err(res, "pid %d: cannot unmap the trampoline", rp->pid);

	memcpy(&regs, t->regs, sizeof(regs));
	arch_rewind_syscall(&regs, true);
	arch_regs_debug("restore", t->tid, &regs);
	e = arch_set_regs(rp->pid, &regs);
	if (e < 0)
		return glue_err(e, "pid %d tid %d: cannot set registers", rp->pid, t->tid);
	if (t->xsave_len) {
		e = arch_set_xstate(rp->pid, t->xsave, t->xsave_len);
		if (e < 0)
			return glue_err(e, "pid %d tid %d: cannot set the extended register state",
					rp->pid, t->tid);
	}
	if (syscall(SYS_ptrace, GLUE_PTRACE_SETSIGMASK, rp->pid, sizeof(t->sigmask),
		    &t->sigmask) < 0)
		return glue_err(-errno, "pid %d tid %d: cannot set its signal mask", rp->pid,
				t->tid);
	close(rp->memfd);
	rp->memfd = -1;
	if (ptrace(PTRACE_DETACH, rp->pid, 0, 0) < 0)
		return glue_err(-errno, "pid %d: cannot let it go", rp->pid);
	rp->detached = true;
	return 0;
}
