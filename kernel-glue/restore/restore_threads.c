/* SPDX-License-Identifier: MIT */
/*
 * Threads, and the last steps of a process. Every thread other than the
 * leader is made by the leader with clone3(CLONE_THREAD | ..., set_tid)
 * injected at the trampoline; being traced with PTRACE_O_TRACECLONE, it
 * starts traced and stops before running anything. Each thread then gets
 * its kernel registrations (rseq, robust futex list, clear_child_tid),
 * alternate signal stack, name and credentials, its parent-death signal
 * last. Then the trampoline goes away (with the `syscall` of the restored
 * vDSO, as nothing of ferry is left), queued signals are queued again, and
 * registers, extended state and signal masks are set. Once every process
 * is complete, the threads are let go, untraced.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "internal.h"

#define THREAD_CLONE_FLAGS \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

/* The inject handle of thread @i of @rp: 0 is the leader. */
static struct inject *thread_in(struct rproc *rp, size_t i)
{
	return i ? &rp->threads[i - 1].in : &rp->in;
}

static int create_thread(struct rproc *rp, struct rthread *th)
{
	struct glue_clone_args args = { .flags = THREAD_CLONE_FLAGS, .set_tid_size = 1 };
	pid_t want = th->t->tid;
	uint64_t args_addr;
	int e, status;
	long tid;

	e = tramp_data(rp, 0, &want, sizeof(want), &args.set_tid);
	/* in a user namespace of its own the process lacks the right to
	 * set_tid: the restorer sets the PID namespace's last id instead */
	if (e == 0 && rp->userns) {
		args.set_tid = 0;
		args.set_tid_size = 0;
		e = user_ns_next_tid(rp, want);
	}
	if (e == 0)
		e = tramp_data(rp, 64, &args, sizeof(args), &args_addr);
	if (e < 0)
		return e;
	tid = INJECT(&rp->in, SYS_clone3, args_addr, sizeof(args));
	if (tid > 0 && tid != want) {
		th->tid = tid;
		th->created = true;
		return log_error_errno(-EEXIST, "pid %d tid %d: the thread was given id %ld (another "
				"process took the id meanwhile, or it is in use)", rp->pid, want, tid);
	}
	if (tid < 0) {
		if (tid == -EEXIST)
			return log_error_errno(tid, "pid %d tid %d: this thread id is in use here; free it, "
					"or restore into a new PID namespace with --pidns", rp->pid,
					want);
		return log_error_errno(tid, "pid %d tid %d: cannot create the thread (clone3 with "
				"set_tid)", rp->pid, want);
	}
	th->tid = tid;
	th->created = true;
	e = ptrace_wait_stop(tid, &status);
	if (e < 0)
		return e;
	if (WSTOPSIG(status) != SIGSTOP)
		return log_error_errno(-EPROTO, "pid %d tid %d: the new thread stopped with signal %d",
				rp->pid, want, WSTOPSIG(status));
	return inject_begin(&th->in, tid, rp->tramp, INJECT_TRAP);
}

int restore_create_threads(struct rst *r, struct rproc *rp)
{
	(void)r;
	if (rp->p->nthreads < 2)
		return 0;
	rp->threads = calloc(rp->p->nthreads - 1, sizeof(*rp->threads));
	if (!rp->threads)
		return -ENOMEM;
	rp->nthreads = rp->p->nthreads - 1;
	for (size_t i = 0; i < rp->nthreads; i++) {
		int e;

		rp->threads[i].t = &rp->p->threads[i + 1];
		e = create_thread(rp, &rp->threads[i]);
		if (e < 0)
			return e;
	}
	return 0;
}

/* Registrations the kernel keeps per thread. */
static int restore_registrations(struct rproc *rp, struct inject *in, const struct st_thread *t,
				 bool leader)
{
	char comm[16] = { 0 };
	uint64_t addr;
	long res;
	int e;

	if (t->rseq_addr) {
		res = INJECT(in, SYS_rseq, t->rseq_addr, t->rseq_len, 0, t->rseq_sig);
		if (res < 0)
			return log_error_errno(res, "pid %d tid %d: cannot register rseq at %#llx", rp->pid,
					t->tid, (unsigned long long)t->rseq_addr);
	}
	if (t->robust_list) {
		res = INJECT(in, SYS_set_robust_list, t->robust_list, t->robust_len);
		if (res < 0)
			return log_error_errno(res, "pid %d tid %d: cannot set its robust futex list",
					rp->pid, t->tid);
	}
	if (t->clear_child_tid)
		INJECT(in, SYS_set_tid_address, t->clear_child_tid);
	e = restore_altstack(rp, in, t);
	if (e < 0)
		return e;
	if (leader || !t->comm[0])
		return 0; /* the leader's name is the process's, already set */
	memcpy(comm, t->comm, strnlen(t->comm, 15));
	e = tramp_data(rp, 0, comm, sizeof(comm), &addr);
	if (e < 0)
		return e;
	res = INJECT(in, SYS_prctl, PR_SET_NAME, addr, 0, 0, 0);
	if (res < 0)
		return log_error_errno(res, "pid %d tid %d: cannot set its name", rp->pid, t->tid);
	return 0;
}

/* Set last: a change of credentials clears it. Only where the parent is
 * restored too: the restorer, parent of the others, is about to exit. */
static int restore_pdeathsig(struct rproc *rp, struct inject *in, const struct st_thread *t)
{
	long res;

	if (t->pdeathsig && !rp->parent) {
		log_warning("pid %d tid %d: parent-death signal %d not restored: its parent %d is "
			  "not in the image", rp->pid, t->tid, t->pdeathsig, rp->p->ppid);
		return 0;
	}
	res = INJECT(in, SYS_prctl, PR_SET_PDEATHSIG, t->pdeathsig, 0, 0, 0);
	if (res < 0)
		return log_error_errno(res, "pid %d tid %d: cannot set its parent-death signal %u",
				rp->pid, t->tid, t->pdeathsig);
	return 0;
}

int restore_thread_state(struct rst *r, struct rproc *rp)
{
	(void)r;
	if (rp->pidfd >= 0) {
		INJECT(&rp->in, SYS_close, rp->pidfd);
		rp->pidfd = -1;
	}
	for (size_t i = 0; i < rp->p->nthreads; i++) {
		struct inject *in = thread_in(rp, i);
		const struct st_thread *t = &rp->p->threads[i];
		int e;

		e = restore_registrations(rp, in, t, i == 0);
		if (e == 0)
			e = restore_creds(rp, in, t);
		if (e == 0)
			e = restore_pdeathsig(rp, in, t);
		if (e < 0)
			return e;
	}
	return 0;
}

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
	return log_error_errno(-ENOENT, "pid %d: no system call instruction in its vDSO", rp->pid);
}

static int set_registers(struct rproc *rp, pid_t tid, const struct st_thread *t)
{
	arch_regs_t regs;
	int e;

	if (t->regs_len != sizeof(regs))
		return log_error_errno(-EINVAL, "pid %d tid %d: registers of %zu bytes, expected %zu",
				rp->pid, t->tid, t->regs_len, sizeof(regs));
	memcpy(&regs, t->regs, sizeof(regs));
	arch_rewind_syscall(&regs, true);
	arch_regs_debug("restore", tid, &regs);
	e = arch_set_regs(tid, &regs);
	if (e < 0)
		return log_error_errno(e, "pid %d tid %d: cannot set registers", rp->pid, t->tid);
	if (t->xsave_len) {
		e = arch_set_xstate(tid, t->xsave, t->xsave_len);
		if (e < 0)
			return log_error_errno(e, "pid %d tid %d: cannot set the extended register state",
					rp->pid, t->tid);
	}
	return set_thread_sigmask(tid, t->sigmask);
}

int restore_threads_finish(struct rst *r, struct rproc *rp)
{
	uint64_t insn = 0;
	long res;
	int e;

	/* nothing is delivered while signals are queued again and the
	 * trampoline goes: every thread blocks everything until the end */
	for (size_t i = 0; i < rp->p->nthreads; i++) {
		e = set_thread_sigmask(thread_in(rp, i)->tid, ~0ull);
		if (e < 0)
			return e;
	}
	e = restore_pending(rp);
	if (e < 0)
		return e;
	e = find_restored_vdso_syscall(rp, &insn);
	if (e < 0)
		return e;
	rp->in.insn = insn;
	rp->in.mode = INJECT_SYSCALL_STOPS;
	res = INJECT(&rp->in, SYS_munmap, rp->tramp, TRAMPOLINE_PAGES * PAGE_SIZE_4K);
	if (res < 0)
		return log_error_errno(res, "pid %d: cannot unmap the trampoline", rp->pid);
	for (size_t i = 1; i < rp->p->nthreads; i++) {
		thread_in(rp, i)->insn = insn;
		thread_in(rp, i)->mode = INJECT_SYSCALL_STOPS;
	}
	for (size_t k = 0; k < kind_count; k++)
		if (kind_registry[k]->process_sealed) {
			e = kind_registry[k]->process_sealed(r, rp);
			if (e < 0)
				return e;
		}
	for (size_t i = 0; i < rp->p->nthreads; i++) {
		e = set_registers(rp, thread_in(rp, i)->tid, &rp->p->threads[i]);
		if (e < 0)
			return e;
	}
	close(rp->memfd);
	rp->memfd = -1;
	return 0;
}

int restore_let_go(struct rst *r, struct rproc *rp)
{
	int e;

	(void)r;
	/* nothing more is injected: what cannot be blocked may come now */
	e = restore_held_signals(rp);
	if (e < 0)
		return e;
	/* from here on it runs */
	rp->detached = true;
	for (size_t i = rp->p->nthreads; i-- > 0;) {
		pid_t tid = thread_in(rp, i)->tid;

		if (ptrace(PTRACE_DETACH, tid, 0, 0) < 0)
			return log_error_errno(-errno, "pid %d tid %d: cannot let it go", rp->pid, tid);
	}
	return 0;
}
