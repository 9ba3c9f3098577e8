/* SPDX-License-Identifier: MIT */
/*
 * Job control: a process stopped by SIGSTOP, SIGTSTP, SIGTTIN or SIGTTOU
 * comes back stopped by the same signal, and its parent's waitpid(WUNTRACED)
 * sees the stop as before: reported already, or still to report.
 *
 * The stop is the process's state, kept by the kernel in its signal struct
 * (and the parent's wait reads it there), so it is recorded in the process
 * node; this file reads it, carries it and makes it again. The freeze sees
 * it: a thread of a stopped process reports its stop signal where a running
 * one reports SIGTRAP (checkpoint/freeze.c). Whether the parent has
 * collected the stop is asked of the parent itself, through a borrowed
 * thread: waitid(WSTOPPED | WNOWAIT) finds the stop only while it is not
 * yet reported, and leaves it so.
 *
 * Restore, once the process is complete: the leader sends itself SIGSTOP,
 * which is turned into the recorded signal when it is taken (ptrace lets
 * the tracer change it), starting a group stop as the kernel does for a
 * signal from a terminal or kill; every other thread takes part in it on
 * its way back from one more injected call. The kernel then reports the
 * stop to the parent and sends it SIGCHLD. A stop that was reported is
 * collected by the parent (waitid without WNOWAIT), and that SIGCHLD is
 * taken back from it, so the parent's queued signals are its own ones of
 * the image. Letting the process go (PTRACE_DETACH) puts it back in its
 * stop; SIGCONT resumes it.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

#define SIGINFO_SIZE 128
/* siginfo_t of SIGCHLD (waitid): si_pid at 16 */
#define SI_PID_AT 16

struct jobctl_process {
	uint32_t stop_signal; /* the signal of its stop, 0: running */
	bool stop_reported;   /* its parent has collected the stop */
};

static const struct meta_field jobctl_fields[] = {
	META_U32(FM_P_STOP_SIGNAL, struct jobctl_process, stop_signal, META_OMIT_ZERO),
	META_FLAG(FM_P_STOP_REPORTED, struct jobctl_process, stop_reported, 0),
	{ 0 },
};

extern const struct kind kind_jobctl;

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/* ---- checkpoint ---- */

/* The signal of the stop @pid was in at the freeze, or 0. */
static int frozen_stop(struct ckpt *c, pid_t pid)
{
	for (size_t i = 0; i < c->fz.ntasks; i++)
		if (c->fz.tasks[i].tgid == pid && c->fz.tasks[i].group_stop)
			return c->fz.tasks[i].group_stop;
	return 0;
}

/* Whether @parent has collected the stop of its child @pid: the stop is
 * waitable only until it is reported. */
static int stop_reported(struct ckpt *c, pid_t parent, pid_t pid, bool *ret)
{
	struct frozen_task *ft = freeze_find(&c->fz, parent);
	siginfo_t si;
	int e;

	if (!ft)
		return log_error_errno(-ESRCH, "pid %d: its parent %d is not frozen", pid, parent);
	e = borrow_waitid(c, ft, pid, WSTOPPED, "whether it saw its stop", &si);
	if (e < 0)
		return e;
	*ret = !(si.si_pid == pid && si.si_code == CLD_STOPPED);
	return 0;
}

static int jobctl_dump_check(struct ckpt *c)
{
	for (size_t i = 0; i < c->img.nprocs; i++) {
		struct st_process *p = &c->img.procs[i];
		int sig = frozen_stop(c, p->pid);
		struct jobctl_process *j;
		bool reported = false;
		int e;

		if (!sig)
			continue;
		if (!is_stop_signal(sig) ||
		    (sig != SIGSTOP && p->sigactions[sig - 1].handler != (uint64_t)(uintptr_t)SIG_DFL)) {
			ckpt_unsupported(c, "pid %d: stopped by signal %d (%s), which no longer "
					 "stops it: the stop cannot be made again", p->pid, sig,
					 strsignal(sig));
			continue;
		}
		/* a parent outside the image has no wait to keep */
		if (st_find_process(&c->img, p->ppid) && p->ppid != p->pid) {
			e = stop_reported(c, p->ppid, p->pid, &reported);
			if (e < 0)
				return e;
		}
		j = kind_process_data(p, &kind_jobctl);
		if (!j)
			return -ENOMEM;
		j->stop_signal = sig;
		j->stop_reported = reported;
		log_debug("pid %d: stopped by %s, %s its parent", p->pid, strsignal(sig),
			   reported ? "reported to" : "not yet reported to");
	}
	return 0;
}

/* ---- restore ---- */

static uint64_t sigbit(int sig)
{
	return 1ull << (sig - 1);
}

/*
 * Run system call @nr in the thread of @in (at its trampoline, which ends
 * on a breakpoint) and let it stop on its way back: the SIGSTOP it takes
 * is turned into @sig, and the group stop that starts (here or in another
 * thread) is reported as a stop without siginfo; it is let go on to the
 * breakpoint. *ret_stopped says whether it took part in a group stop.
 * Returns the call's result, or -errno when it could not be driven.
 */
static long inject_through_stop(struct inject *in, long nr, const uint64_t args[6], int sig,
				bool *ret_stopped)
{
	arch_regs_t regs = in->saved;
	long deliver = 0;
	int status, e;

	*ret_stopped = false;
	arch_regs_syscall(&regs, in->insn, nr, args);
	e = arch_set_regs(in->tid, &regs);
	if (e < 0)
		return log_error_errno(e, "tid %d: cannot set registers for system call %ld", in->tid, nr);
	for (;;) {
		siginfo_t si;
		int s;

		if (ptrace(PTRACE_CONT, in->tid, 0, (void *)deliver) < 0)
			return log_error_errno(-errno, "tid %d: cannot resume", in->tid);
		deliver = 0;
		e = ptrace_wait_stop(in->tid, &status);
		if (e < 0)
			return e;
		s = WSTOPSIG(status);
		if (status >> 16)
			continue;
		if (ptrace(PTRACE_GETSIGINFO, in->tid, 0, &si) < 0) {
			if (errno != EINVAL)
				return log_error_errno(-errno, "tid %d: cannot read why it stopped", in->tid);
			*ret_stopped = true; /* a group stop: no siginfo */
			continue;
		}
		if (s == SIGTRAP)
			break; /* the breakpoint after the call */
		if (s != SIGSTOP)
			return log_error_errno(-EPROTO, "tid %d: took signal %d (%s) while being stopped",
					in->tid, s, strsignal(s));
		deliver = sig;
	}
	e = arch_get_regs(in->tid, &regs);
	if (e < 0)
		return log_error_errno(e, "tid %d: cannot read registers", in->tid);
	return arch_regs_retval(&regs);
}

/* Leader: SIGSTOP to itself, taken as @sig; *ret_stopped when it stopped. */
static int stop_leader(struct rproc *rp, int sig, bool *ret_stopped)
{
	uint64_t mask;
	long res;
	int e;

	/* only @sig may be taken (SIGSTOP cannot be blocked anyway) */
	e = thread_sigmask(rp->pid, &mask);
	if (e == 0)
		e = set_thread_sigmask(rp->pid, ~0ull & ~sigbit(sig));
	if (e < 0)
		return e;
	res = inject_through_stop(&rp->in, SYS_tgkill,
				  (const uint64_t[6]){ rp->pid, rp->pid, SIGSTOP }, sig, ret_stopped);
	e = set_thread_sigmask(rp->pid, mask);
	if (res < 0)
		return log_error_errno(res, "pid %d: cannot stop it with %s", rp->pid, strsignal(sig));
	return e;
}

static int stop_process(struct rproc *rp, int sig)
{
	bool stopped;
	int e = stop_leader(rp, sig, &stopped);

	if (e == 0 && !stopped && sig != SIGSTOP) {
		/* the kernel drops SIGTSTP, SIGTTIN and SIGTTOU sent to a process
		 * group with no parent in another group of its session */
		log_warning("pid %d: its process group is orphaned here, where %s does not stop "
			  "it: stopped with SIGSTOP instead", rp->pid, strsignal(sig));
		e = stop_leader(rp, SIGSTOP, &stopped);
	}
	if (e == 0 && !stopped)
		e = log_error_errno(-EPROTO, "pid %d: SIGSTOP did not stop it", rp->pid);
	/* the other threads take part in the stop on their way back */
	for (size_t i = 0; i < rp->nthreads && e == 0; i++) {
		long res = inject_through_stop(&rp->threads[i].in, SYS_getpid,
					       (const uint64_t[6]){ 0 }, sig, &stopped);

		if (res < 0)
			e = res;
		else if (!stopped)
			e = log_error_errno(-EPROTO, "pid %d tid %d: did not take part in its stop",
				     rp->pid, rp->threads[i].tid);
	}
	return e;
}

/* The parent of the stopped @rp: the stop collected if it was, and the
 * SIGCHLD the stop sent it taken back. */
static int settle_parent(struct rproc *parent, struct rproc *rp, bool reported)
{
	static const uint8_t zeros[SIGINFO_SIZE];
	uint64_t set = sigbit(SIGCHLD), ts[2] = { 0, 0 }, info, set_addr, ts_addr, mask;
	int32_t who = 0;
	long res;
	int e;

	e = thread_sigmask(parent->pid, &mask);
	if (e == 0)
		e = set_thread_sigmask(parent->pid, mask | sigbit(SIGCHLD));
	if (e == 0)
		e = tramp_data(parent, 0, zeros, sizeof(zeros), &info);
	if (e == 0)
		e = tramp_data(parent, SIGINFO_SIZE, &set, sizeof(set), &set_addr);
	if (e == 0)
		e = tramp_data(parent, SIGINFO_SIZE + 8, ts, sizeof(ts), &ts_addr);
	if (e < 0)
		return e;
	if (reported) {
		res = INJECT(&parent->in, SYS_waitid, P_PID, rp->pid, info, WSTOPPED | WNOHANG | __WALL,
			     0);
		if (res == 0)
			e = mem_read(parent->memfd, info + SI_PID_AT, &who, sizeof(who));
		if (res < 0 || e < 0 || who != rp->pid)
			return log_error_errno(res < 0 ? res : -EPROTO, "pid %d: its parent %d cannot "
					"collect its stop again", rp->pid, parent->pid);
	}
	res = INJECT(&parent->in, SYS_rt_sigtimedwait, set_addr, 0, ts_addr, 8);
	if (res < 0 && res != -EAGAIN)
		return log_error_errno(res, "pid %d: cannot take back the SIGCHLD its child %d's stop sent "
				"it", parent->pid, rp->pid);
	return set_thread_sigmask(parent->pid, mask);
}

static int jobctl_process_ready(struct rst *r, struct rproc *rp)
{
	const struct jobctl_process *j = kind_process_data_if(rp->p, &kind_jobctl);
	int sig, e;

	(void)r;
	if (!j || !j->stop_signal)
		return 0;
	sig = j->stop_signal;
	if (!is_stop_signal(sig) ||
	    (sig != SIGSTOP && rp->p->sigactions[sig - 1].handler != (uint64_t)(uintptr_t)SIG_DFL))
		return log_error_errno(-EINVAL, "pid %d: stopped by signal %d, which cannot stop it "
				"(image)", rp->pid, sig);
	e = stop_process(rp, sig);
	if (e == 0 && rp->parent)
		e = settle_parent(rp->parent, rp, j->stop_reported);
	if (e == 0)
		log_debug("pid %d: stopped by %s again", rp->pid, strsignal(sig));
	return e;
}

/* A stopped thread: its process's stop is made again (the stop signal is
 * checked at the freeze, jobctl_dump_check) */
static const struct inv_claim jobctl_claims[] = {
	INV_CLAIM(INV_STATE, "stopped"),
	INV_CLAIMS_END,
};

const struct kind kind_jobctl = {
	.name = "job control",
	.claims = jobctl_claims,
	.dump_check = jobctl_dump_check,
	.process_size = sizeof(struct jobctl_process),
	.process_fields = jobctl_fields,
	.process_ready = jobctl_process_ready,
};
