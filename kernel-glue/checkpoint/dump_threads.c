/* SPDX-License-Identifier: MIT */
/*
 * Per-thread state: registers, extended state, signal mask, rseq, robust
 * list, name, queued signals; and, asked inside the thread (borrow.c), its
 * alternate signal stack, clear_child_tid address, parent-death signal and
 * securebits.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/ptrace.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
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

struct kernel_stack_t {
	uint64_t sp;
	int32_t flags, pad;
	uint64_t size;
};

const struct inv_claim dump_threads_claims[] = {
	INV_CLAIM(INV_STATUS, "SigBlk"),
	INV_CLAIM(INV_STATUS, "SigPnd"),
	/* a frozen thread is restored to go on as it was, in a system call
	 * or not */
	INV_CLAIM(INV_STATE, "running"),
	INV_CLAIM(INV_STATE, "sleeping"),
	INV_CLAIM(INV_STATE, "disk sleep"),
	/* keepcaps is one of the securebits */
	INV_CLAIM(INV_INSIDE, "securebits"),
	INV_CLAIM(INV_INSIDE, "keepcaps"),
	INV_CLAIMS_END,
};

static int dump_thread_inside(struct ckpt *c, pid_t pid, struct frozen_task *ft,
			      struct st_thread *t)
{
	struct kernel_stack_t ss;
	uint64_t tid_addr = 0;
	int32_t pdeathsig = 0;
	struct borrow b;
	long res;
	int r;

	r = borrow_begin(c, ft, &b);
	if (r < 0)
		return r;
	res = BORROW(&b, SYS_sigaltstack, 0, b.scratch);
	if (res == 0)
		r = borrow_read(&b, 0, &ss, sizeof(ss));
	else
		r = log_error_errno(res, "pid %d tid %d: cannot read its alternate signal stack", pid,
			     ft->tid);
	if (r == 0 && !(ss.flags & SS_DISABLE) && ss.size) {
		t->altstack_sp = ss.sp;
		t->altstack_flags = ss.flags & ~SS_ONSTACK;
		t->altstack_size = ss.size;
	}
	if (r == 0) {
		res = BORROW(&b, SYS_prctl, PR_GET_TID_ADDRESS, b.scratch, 0, 0, 0);
		if (res == 0)
			r = borrow_read(&b, 0, &tid_addr, sizeof(tid_addr));
		else
			log_warning("pid %d tid %d: cannot read its clear_child_tid address (%s); "
				  "it is not restored", pid, ft->tid, strerror((int)-res));
		t->clear_child_tid = tid_addr;
	}
	if (r == 0) {
		/* what only the thread can say of itself, carried or refused */
		int refused = inventory_inside(&b, c->fz.pids[0], pid, ft->tid);

		if (refused < 0)
			r = refused;
		else
			c->problems += refused;
	}
	if (r == 0) {
		res = BORROW(&b, SYS_prctl, PR_GET_PDEATHSIG, b.scratch, 0, 0, 0);
		if (res == 0)
			r = borrow_read(&b, 0, &pdeathsig, sizeof(pdeathsig));
		else
			r = log_error_errno(res, "pid %d tid %d: cannot read its parent-death signal", pid,
				     ft->tid);
		t->pdeathsig = pdeathsig;
	}
	if (r == 0) {
		res = BORROW(&b, SYS_prctl, PR_GET_SECUREBITS, 0, 0, 0, 0);
		if (res >= 0)
			t->securebits = res;
		else
			r = log_error_errno(res, "pid %d tid %d: cannot read its securebits", pid, ft->tid);
	}
	if (borrow_end(&b) < 0 && r == 0)
		r = -EIO;
	return r;
}

static int dump_thread_comm(pid_t pid, struct st_thread *t)
{
	char path[64], *s;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, t->tid);
	r = proc_read_file(path, &s, NULL);
	if (r < 0)
		return log_error_errno(r, "pid %d tid %d: cannot read %s", pid, t->tid, path);
	s[strcspn(s, "\n")] = 0;
	snprintf(t->comm, sizeof(t->comm), "%s", s);
	free(s);
	return 0;
}

/*
 * A thread in restart_syscall(): a stop (SIGSTOP and SIGCONT, a tracer,
 * an earlier checkpoint that let it run on) interrupted a call that keeps
 * a restart block in the kernel, and the call goes on from there. A new
 * process has no restart block: restart_syscall() would return EINTR. The
 * image records the call it restarts instead, read from the code that made
 * it, and the restore issues that one again (arch_rewind_syscall()): a
 * call whose arguments say what it waits for (a sleep's time left is in
 * its rem); a timeout starts again whole. Another is refused by name.
 */
static int dump_restarted_call(struct ckpt *c, pid_t pid, pid_t tid, arch_regs_t *regs)
{
	uint8_t code[ARCH_RESTARTED_CODE];
	long nr = -1;
	int fd, r;

	if (!arch_in_restarted_syscall(regs))
		return 0;
	fd = mem_open(pid, O_RDONLY);
	if (fd < 0)
		return log_error_errno(fd, "pid %d: cannot open its memory", pid);
	r = mem_read(fd, regs->rip - ARCH_RESTARTED_CODE, code, sizeof(code));
	close(fd);
	if (r == 0 && arch_restarted_call(code, &nr) &&
	    (nr == SYS_poll || nr == SYS_nanosleep || nr == SYS_clock_nanosleep || nr == SYS_futex)) {
		log_debug("pid %d tid %d: in restart_syscall() of system call %ld", pid, tid, nr);
		regs->orig_rax = nr;
		return 0;
	}
	if (nr >= 0)
		ckpt_unsupported(c, "pid %d tid %d: it is in system call %ld, restarted after a stop "
				 "(restart_syscall()), which a restore cannot issue again: it "
				 "would return EINTR", pid, tid, nr);
	else
		ckpt_unsupported(c, "pid %d tid %d: it is in a system call restarted after a stop "
				 "(restart_syscall()) that its code does not name: a restore "
				 "would end it with EINTR", pid, tid);
	return 0;
}

static int dump_thread(struct ckpt *c, pid_t pid, struct frozen_task *ft, struct st_thread *t)
{
	struct rseq_configuration rseq;
	uint64_t head, len;
	long r;

	t->tid = ft->tid;
	t->regs = malloc(sizeof(ft->regs));
	if (!t->regs)
		return -ENOMEM;
	memcpy(t->regs, &ft->regs, sizeof(ft->regs));
	t->regs_len = sizeof(ft->regs);
	r = dump_restarted_call(c, pid, ft->tid, (arch_regs_t *)t->regs);
	if (r < 0)
		return r;
	r = arch_get_xstate(ft->tid, &t->xsave, &t->xsave_len);
	if (r < 0)
		return log_error_errno(r, "pid %d tid %d: cannot read the extended register state", pid,
				ft->tid);
	if (syscall(SYS_ptrace, GLUE_PTRACE_GETSIGMASK, ft->tid, sizeof(t->sigmask),
		    &t->sigmask) < 0)
		return log_error_errno(-errno, "pid %d tid %d: cannot read the signal mask", pid, ft->tid);
	memset(&rseq, 0, sizeof(rseq));
	r = syscall(SYS_ptrace, GLUE_PTRACE_GET_RSEQ_CONFIGURATION, ft->tid, sizeof(rseq), &rseq);
	if (r > 0) {
		t->rseq_addr = rseq.rseq_abi_pointer;
		t->rseq_len = rseq.rseq_abi_size;
		t->rseq_sig = rseq.signature;
	} else if (r < 0 && errno != EIO && errno != EINVAL) {
		return log_error_errno(-errno, "pid %d tid %d: cannot read the rseq registration", pid,
				ft->tid);
	}
	if (syscall(SYS_get_robust_list, ft->tid, &head, &len) < 0)
		return log_error_errno(-errno, "pid %d tid %d: cannot read the robust futex list", pid,
				ft->tid);
	t->robust_list = head;
	t->robust_len = len;
	r = dump_thread_comm(pid, t);
	t->sigpending = ft->sigpending; /* read at the freeze */
	t->nsigpending = ft->nsigpending;
	ft->sigpending = NULL;
	ft->nsigpending = 0;
	if (r == 0)
		r = dump_thread_inside(c, pid, ft, t);
	return r;
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
	return 0;
}
