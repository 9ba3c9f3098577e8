/* SPDX-License-Identifier: MIT */
/*
 * The stub: a copy of ferry made with clone3(set_tid) so it has the
 * original PID. It drops what it inherited that the kernel would keep
 * (rseq registration, fds), asks to be traced and stops; the restorer then
 * rebuilds it from the outside. The stub of a child process is made by its
 * parent's stub, with clone3(set_tid) injected there, so that the parent is
 * the real one; being traced with PTRACE_O_TRACEFORK, the new stub starts
 * traced too and stops before running anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/log.h"
#include "internal.h"

#define GLUE_PTRACE_GET_RSEQ_CONFIGURATION 0x420f
#define RSEQ_FLAG_UNREGISTER 1

/* clone3 arguments of a child stub, written into its parent stub: ferry's
 * copy of them has the same address in every stub */
static struct glue_clone_args child_args;
static pid_t child_set_tid;

__attribute__((noreturn)) static void stub_main(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	syscall(SYS_close_range, 0, ~0u, 0);
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) == 0)
		syscall(SYS_kill, syscall(SYS_getpid), SIGSTOP);
	_exit(127);
}

/* glibc registered an rseq area in ferry's TLS; the kernel would go on
 * writing there after the stub's memory is replaced. */
static int unregister_rseq(struct rproc *rp)
{
	struct {
		uint64_t addr;
		uint32_t len, sig, flags, pad;
	} conf = { 0 };
	long res;

	if (syscall(SYS_ptrace, GLUE_PTRACE_GET_RSEQ_CONFIGURATION, rp->pid, sizeof(conf),
		    &conf) <= 0 || !conf.addr)
		return 0;
	res = INJECT(&rp->in, SYS_rseq, conf.addr, conf.len, RSEQ_FLAG_UNREGISTER, conf.sig);
	if (res < 0)
		return log_error_errno(res, "pid %d: cannot unregister the rseq area it inherited",
				rp->pid);
	return 0;
}

static void report_in_use(pid_t want, int r)
{
	if (r == -EEXIST)
		log_error("pid %d: this pid is in use here; free it, or restore into a new "
			   "PID namespace with --pidns", want);
	else
		log_error_errno(r, "pid %d: cannot create the process (clone3 with set_tid)", want);
}

/* Record the new stub @pid (restoring @want) and wait for its first stop. */
static int stub_adopt(struct rproc *rp, pid_t pid, pid_t want)
{
	int status, r;

	rp->pid = pid;
	rp->created = true;
	rp->memfd = -1;
	rp->pidfd = -1;
	rp->uffd = -1;
	r = ptrace_wait_stop(pid, &status);
	if (r < 0)
		return r;
	if (WSTOPSIG(status) != SIGSTOP)
		return log_error_errno(-EPROTO, "pid %d: the new process stopped with signal %d", want,
				WSTOPSIG(status));
	return 0;
}

/* Drive the stopped stub through the syscall gadget from now on. */
static int stub_ready(struct rproc *rp)
{
	int r = inject_begin(&rp->in, rp->pid, (uintptr_t)arch_syscall_gadget, INJECT_TRAP);

	return r < 0 ? r : unregister_rseq(rp);
}

int stub_create(struct rproc *rp)
{
	pid_t want = rp->p->pid;
	struct glue_clone_args args = {
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)&want,
		.set_tid_size = 1,
	};
	int r;
	long pid;

	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		stub_main();
	if (pid < 0) {
		r = -errno;
		report_in_use(want, r);
		return r;
	}
	r = stub_adopt(rp, pid, want);
	if (r < 0)
		return r;
	if (ptrace(PTRACE_SETOPTIONS, pid, 0,
		   (void *)(long)(PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK |
				  PTRACE_O_TRACECLONE)) < 0)
		return log_error_errno(-errno, "pid %d: cannot set trace options", want);
	return stub_ready(rp);
}

int stub_clone(struct rproc *parent, struct rproc *rp, int exit_signal)
{
	struct glue_clone_args args = {
		.exit_signal = exit_signal,
		.set_tid = (uintptr_t)&child_set_tid,
		.set_tid_size = 1,
	};
	pid_t want = rp->p->pid;
	int memfd, r;
	long pid;

	memfd = mem_open(parent->pid, O_RDWR);
	if (memfd < 0)
		return log_error_errno(memfd, "pid %d: cannot open its memory", parent->pid);
	r = mem_write(memfd, (uintptr_t)&child_set_tid, &want, sizeof(want));
	if (r == 0)
		r = mem_write(memfd, (uintptr_t)&child_args, &args, sizeof(args));
	close(memfd);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot write into its parent %d", want, parent->pid);
	pid = INJECT(&parent->in, SYS_clone3, (uintptr_t)&child_args, sizeof(args));
	if (pid < 0) {
		report_in_use(want, pid);
		return pid;
	}
	/* a child of a traced stub inherits its trace options (a clone child,
	 * of another exit signal, through PTRACE_O_TRACECLONE) */
	r = stub_adopt(rp, pid, want);
	return r < 0 ? r : stub_ready(rp);
}

static void reap(pid_t tid)
{
	int status;

	while (waitpid(tid, &status, __WALL) < 0 && errno == EINTR)
		;
}

void stub_kill(struct rproc *rp)
{
	if (!rp->created)
		return;
	kill(rp->pid, SIGKILL);
	if (rp->detached)
		return; /* no longer traced */
	/* what ferry sees of it as its tracer; a traced leader is reported
	 * only after its traced threads */
	for (size_t i = 0; i < rp->nthreads; i++)
		if (rp->threads[i].created) {
			reap(rp->threads[i].tid);
			rp->threads[i].created = false;
		}
	reap(rp->pid);
}

/* Whether @pid is gone: reaped now (ferry's child), or not there at all. */
static bool pid_free(pid_t pid)
{
	char path[32];
	int status;

	if (waitpid(pid, &status, WNOHANG | __WALL) == pid)
		return true;
	snprintf(path, sizeof(path), "/proc/%d", pid);
	return access(path, F_OK) < 0 && errno == ENOENT;
}

#define REMOVE_WAIT_MS 5000

void restore_remove_all(struct rst *r)
{
	int was_subreaper = 0;
	bool all_free = false;

	/* the orphans of killed parents come to ferry, which reaps them */
	prctl(PR_GET_CHILD_SUBREAPER, &was_subreaper, 0, 0, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	/* children first: a parent's death would not take them along */
	for (size_t i = r->nprocs; i-- > 0;)
		stub_kill(&r->procs[i]);
	for (int ms = 0; ms < REMOVE_WAIT_MS && !all_free; ms++) {
		all_free = true;
		for (size_t i = 0; i < r->nprocs; i++) {
			struct rproc *rp = &r->procs[i];

			if (rp->created && !pid_free(rp->pid))
				all_free = false;
			else
				rp->created = false;
		}
		if (!all_free)
			usleep(1000);
	}
	for (size_t i = 0; i < r->nprocs; i++)
		if (r->procs[i].created)
			log_error("pid %d: killed, but still not reaped after %d ms", r->procs[i].pid,
				   REMOVE_WAIT_MS);
	prctl(PR_SET_CHILD_SUBREAPER, was_subreaper, 0, 0, 0);
}
