/* SPDX-License-Identifier: MIT */
/*
 * Per-thread signal state that needs the thread itself: the alternate
 * signal stack; and the signals that were queued at the checkpoint, queued
 * again from the leader (the kernel lets a process queue any siginfo to
 * itself, not to others) while every thread blocks everything, so none is
 * delivered before the process runs with its own masks. SIGSTOP and
 * SIGKILL cannot be blocked: queued by an injected call, they would be
 * taken on its way back, in the middle of the restore. They are held back
 * and sent by the restorer once nothing more is injected, just before the
 * process is let go (their siginfo reaches no handler: nothing of it is
 * lost).
 */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/log.h"
#include "internal.h"

struct kernel_stack_t {
	uint64_t sp;
	int32_t flags, pad;
	uint64_t size;
};

int restore_altstack(struct rproc *rp, struct inject *in, const struct st_thread *t)
{
	struct kernel_stack_t ss = {
		.sp = t->altstack_sp, .flags = t->altstack_flags, .size = t->altstack_size,
	};
	uint64_t addr;
	long res;
	int e;

	if (!t->altstack_size)
		return 0;
	e = tramp_data(rp, 0, &ss, sizeof(ss), &addr);
	if (e < 0)
		return e;
	res = INJECT(in, SYS_sigaltstack, addr, 0);
	if (res < 0)
		return log_error_errno(res, "pid %d tid %d: cannot set its alternate signal stack "
				"(%#llx, %llu bytes)", rp->pid, t->tid,
				(unsigned long long)t->altstack_sp,
				(unsigned long long)t->altstack_size);
	return 0;
}

static int signo_of(const uint8_t *info)
{
	int32_t sig;

	memcpy(&sig, info, sizeof(sig)); /* si_signo */
	return sig;
}

/* Taken even when blocked: held back until the process is let go. */
static bool unblockable(int sig)
{
	return sig == SIGSTOP || sig == SIGKILL;
}

static int queue_one(struct rproc *rp, const uint8_t *info, pid_t tid)
{
	int sig = signo_of(info);
	uint64_t addr;
	long res;
	int e;

	if (unblockable(sig))
		return 0;
	e = tramp_data(rp, 0, info, ST_SIGINFO_SIZE, &addr);
	if (e < 0)
		return e;
	if (tid)
		res = INJECT(&rp->in, SYS_rt_tgsigqueueinfo, rp->pid, tid, sig, addr);
	else
		res = INJECT(&rp->in, SYS_rt_sigqueueinfo, rp->pid, sig, addr);
	if (res < 0)
		return log_error_errno(res, "pid %d tid %d: cannot queue signal %d (%s) again", rp->pid,
				tid ? tid : rp->pid, sig, strsignal(sig));
	return 0;
}

int restore_pending(struct rproc *rp)
{
	const struct st_process *p = rp->p;
	int e = 0;

	for (size_t i = 0; i < p->nsigpending_shared && e == 0; i++)
		e = queue_one(rp, p->sigpending_shared + i * ST_SIGINFO_SIZE, 0);
	for (size_t t = 0; t < p->nthreads && e == 0; t++)
		for (size_t i = 0; i < p->threads[t].nsigpending && e == 0; i++)
			e = queue_one(rp, p->threads[t].sigpending + i * ST_SIGINFO_SIZE,
				      p->threads[t].tid);
	return e;
}

int restore_held_signals(struct rproc *rp)
{
	const struct st_process *p = rp->p;

	for (size_t i = 0; i < p->nsigpending_shared; i++) {
		int sig = signo_of(p->sigpending_shared + i * ST_SIGINFO_SIZE);

		if (unblockable(sig) && kill(rp->pid, sig) < 0)
			return log_error_errno(-errno, "pid %d: cannot send signal %d (%s) again", rp->pid,
					sig, strsignal(sig));
	}
	for (size_t t = 0; t < p->nthreads; t++)
		for (size_t i = 0; i < p->threads[t].nsigpending; i++) {
			int sig = signo_of(p->threads[t].sigpending + i * ST_SIGINFO_SIZE);
			pid_t tid = p->threads[t].tid;

			if (unblockable(sig) && syscall(SYS_tgkill, rp->pid, tid, sig) < 0)
				return log_error_errno(-errno, "pid %d tid %d: cannot send signal %d (%s) "
						"again", rp->pid, tid, sig, strsignal(sig));
		}
	return 0;
}
