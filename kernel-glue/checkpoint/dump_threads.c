/* SPDX-License-Identifier: MIT */
/* Per-thread state: registers, extended state, signal mask, rseq, robust list. */
#include <errno.h>
#include <linux/ptrace.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "internal.h"

/* glibc's <sys/ptrace.h> and <linux/ptrace.h> do not mix: call by number */
#define GLUE_PTRACE_GETSIGMASK 0x420a
#define GLUE_PTRACE_GET_RSEQ_CONFIGURATION 0x420f

struct rseq_configuration {
	uint64_t rseq_abi_pointer;
	uint32_t rseq_abi_size;
	uint32_t signature;
	uint32_t flags;
	uint32_t pad;
};

static int dump_thread(struct ckpt *c, pid_t pid, struct frozen_task *ft, struct st_thread *t)
{
	struct rseq_configuration rseq;
	uint64_t head, len;
	long r;

	(void)c;
	t->tid = ft->tid;
	t->regs = malloc(sizeof(ft->regs));
	if (!t->regs)
		return -ENOMEM;
	memcpy(t->regs, &ft->regs, sizeof(ft->regs));
	t->regs_len = sizeof(ft->regs);
	r = arch_get_xstate(ft->tid, &t->xsave, &t->xsave_len);
	if (r < 0)
		return glue_err(r, "pid %d tid %d: cannot read the extended register state", pid,
				ft->tid);
	if (syscall(SYS_ptrace, GLUE_PTRACE_GETSIGMASK, ft->tid, sizeof(t->sigmask),
		    &t->sigmask) < 0)
		return glue_err(-errno, "pid %d tid %d: cannot read the signal mask", pid, ft->tid);
	memset(&rseq, 0, sizeof(rseq));
	r = syscall(SYS_ptrace, GLUE_PTRACE_GET_RSEQ_CONFIGURATION, ft->tid, sizeof(rseq), &rseq);
	if (r > 0) {
		t->rseq_addr = rseq.rseq_abi_pointer;
		t->rseq_len = rseq.rseq_abi_size;
		t->rseq_sig = rseq.signature;
	} else if (r < 0 && errno != EIO && errno != EINVAL) {
		return glue_err(-errno, "pid %d tid %d: cannot read the rseq registration", pid,
				ft->tid);
	}
	if (syscall(SYS_get_robust_list, ft->tid, &head, &len) < 0)
		return glue_err(-errno, "pid %d tid %d: cannot read the robust futex list", pid,
				ft->tid);
	t->robust_list = head;
	t->robust_len = len;
	return 0;
}

int dump_threads(struct ckpt *c, pid_t pid, struct st_process *p)
{
	/* the leader first: restore builds the others from it */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < c->fz.ntasks; i++) {
			struct frozen_task *ft = &c->fz.tasks[i];
			struct st_thread *t;
			int r;

			if (ft->tgid != pid || (pass == 0) != (ft->tid == pid))
				continue;
			t = ST_PUSH(p->threads, p->nthreads);
			if (!t)
				return -ENOMEM;
			r = dump_thread(c, pid, ft, t);
			if (r < 0)
				return r;
		}
	if (p->nthreads > 1)
		ckpt_unsupported(c, "pid %d: %zu threads: multi-threaded processes are not "
				 "supported yet", pid, p->nthreads);
	return 0;
}
