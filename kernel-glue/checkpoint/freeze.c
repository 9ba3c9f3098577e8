/* SPDX-License-Identifier: MIT */
/*
 * Freeze a selection of processes at one instant: PTRACE_SEIZE every
 * thread, PTRACE_INTERRUPT every thread, then wait until all have stopped.
 * Threads and children that appear meanwhile are caught by repeating until
 * nothing new shows up. Thaw is PTRACE_DETACH without a signal.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "internal.h"

#define FREEZE_TIMEOUT_MS 10000

struct frozen_task *freeze_find(struct freeze *fz, pid_t tid)
{
	for (size_t i = 0; i < fz->ntasks; i++)
		if (fz->tasks[i].tid == tid)
			return &fz->tasks[i];
	return NULL;
}

static bool have_pid(const struct freeze *fz, pid_t pid)
{
	for (size_t i = 0; i < fz->npids; i++)
		if (fz->pids[i] == pid)
			return true;
	return false;
}

static int seize_task(struct freeze *fz, pid_t tgid, pid_t tid)
{
	struct frozen_task *t;

	if (ptrace(PTRACE_SEIZE, tid, 0, (void *)(long)PTRACE_O_TRACESYSGOOD) < 0) {
		int r = -errno;

		if (r == -ESRCH)
			return 0; /* exited meanwhile */
		if (r == -EPERM)
			return glue_err(r, "pid %d tid %d: cannot attach (already traced by "
					   "another process, or not permitted)", tgid, tid);
		return glue_err(r, "pid %d tid %d: cannot attach", tgid, tid);
	}
	t = ST_PUSH(fz->tasks, fz->ntasks);
	if (!t) {
		ptrace(PTRACE_DETACH, tid, 0, 0);
		return -ENOMEM;
	}
	t->tid = tid;
	t->tgid = tgid;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 && errno != ESRCH)
		return glue_err(-errno, "pid %d tid %d: cannot interrupt", tgid, tid);
	return 0;
}

/* Seize what is not yet seized in the selection; sets *ret_new. */
static int seize_round(struct freeze *fz, bool tree, bool *ret_new)
{
	*ret_new = false;
	for (size_t i = 0; i < fz->npids; i++) {
		pid_t pid = fz->pids[i], *tids, *kids;
		size_t ntids, nkids;
		int r;

		r = proc_list_tasks(pid, &tids, &ntids);
		if (r < 0)
			return glue_err(r, "pid %d: cannot list threads", pid);
		for (size_t t = 0; t < ntids && r >= 0; t++)
			if (!freeze_find(fz, tids[t])) {
				r = seize_task(fz, pid, tids[t]);
				*ret_new = true;
			}
		free(tids);
		if (r < 0)
			return r;
		if (!tree)
			continue;
		r = proc_list_children(pid, &kids, &nkids);
		if (r < 0)
			return glue_err(r, "pid %d: cannot list children", pid);
		for (size_t k = 0; k < nkids && r >= 0; k++)
			if (!have_pid(fz, kids[k])) {
				pid_t *slot = ST_PUSH(fz->pids, fz->npids);

				if (!slot)
					r = -ENOMEM;
				else
					*slot = kids[k];
				*ret_new = true;
			}
		free(kids);
		if (r < 0)
			return r;
	}
	return 0;
}

static void remove_task(struct freeze *fz, size_t i)
{
	memmove(&fz->tasks[i], &fz->tasks[i + 1], (fz->ntasks - i - 1) * sizeof(fz->tasks[0]));
	fz->ntasks--;
}

/* Wait until every seized task is in its interrupt stop, with a bound. */
static int wait_stops(struct freeze *fz)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		bool pending = false;

		for (size_t i = 0; i < fz->ntasks; i++) {
			struct frozen_task *t = &fz->tasks[i];
			int status;
			pid_t r;

			if (t->stopped)
				continue;
			r = waitpid(t->tid, &status, __WALL | WNOHANG);
			if (r < 0)
				return glue_err(-errno, "pid %d tid %d: waitpid", t->tgid, t->tid);
			if (r == 0) {
				pending = true;
				continue;
			}
			if (WIFEXITED(status) || WIFSIGNALED(status)) {
				if (t->tid == t->tgid) {
					glue_error("pid %d exited while being frozen", t->tgid);
					remove_task(fz, i);
					return -ESRCH;
				}
				remove_task(fz, i--);
				continue;
			}
			if (status >> 16 == PTRACE_EVENT_STOP) {
				t->stopped = true;
				continue;
			}
			/* a signal was being delivered: let it through, the
			 * interrupt stop follows */
			if (ptrace(PTRACE_CONT, t->tid, 0, (void *)(long)WSTOPSIG(status)) < 0)
				return glue_err(-errno, "pid %d tid %d: cannot resume", t->tgid,
						t->tid);
			pending = true;
		}
		if (!pending)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >
		    FREEZE_TIMEOUT_MS) {
			for (size_t i = 0; i < fz->ntasks; i++)
				if (!fz->tasks[i].stopped)
					glue_error("pid %d tid %d: did not stop within %d ms (in "
						   "uninterruptible sleep?)",
						   fz->tasks[i].tgid, fz->tasks[i].tid,
						   FREEZE_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		usleep(1000);
	}
}

int freeze_selection(struct freeze *fz, pid_t root, bool tree)
{
	pid_t *slot;
	bool more;
	int r;

	memset(fz, 0, sizeof(*fz));
	if (root == getpid())
		return glue_err(-EINVAL, "pid %d is ferry itself", root);
	if (kill(root, 0) < 0)
		return glue_err(-errno, "pid %d", root);
	slot = ST_PUSH(fz->pids, fz->npids);
	if (!slot)
		return -ENOMEM;
	*slot = root;
	do {
		do {
			r = seize_round(fz, tree, &more);
			if (r < 0)
				goto fail;
		} while (more);
		r = wait_stops(fz);
		if (r < 0)
			goto fail;
		/* everything is stopped now; one more look for late arrivals */
		r = seize_round(fz, tree, &more);
		if (r < 0)
			goto fail;
	} while (more);
	for (size_t i = 0; i < fz->ntasks; i++) {
		r = arch_get_regs(fz->tasks[i].tid, &fz->tasks[i].regs);
		if (r < 0) {
			glue_err(r, "tid %d: cannot read registers", fz->tasks[i].tid);
			goto fail;
		}
	}
	glue_debug("frozen %zu processes, %zu threads", fz->npids, fz->ntasks);
	return 0;
fail:
	freeze_thaw(fz);
	return r;
}

void freeze_thaw(struct freeze *fz)
{
	for (size_t i = 0; i < fz->ntasks; i++) {
		struct frozen_task *t = &fz->tasks[i];

		if (t->regs_changed) {
			arch_regs_t regs = t->regs;

			/* the task now sits in a system call exit of ours, where the
			 * kernel restarts nothing: do what it would have done */
			arch_rewind_syscall(&regs, false);
			if (arch_set_regs(t->tid, &regs) < 0)
				glue_warn("tid %d: cannot put registers back", t->tid);
		}
		if (ptrace(PTRACE_DETACH, t->tid, 0, 0) < 0 && errno != ESRCH)
			glue_warn("tid %d: cannot detach: %s", t->tid, strerror(errno));
		if (t->deferred_signal)
			syscall(SYS_tgkill, t->tgid, t->tid, t->deferred_signal);
	}
	fz->ntasks = 0;
}

void freeze_kill(struct freeze *fz)
{
	for (size_t i = 0; i < fz->npids; i++)
		kill(fz->pids[i], SIGKILL);
	for (size_t i = 0; i < fz->ntasks; i++) {
		int status;

		/* collect the tracee's death so it never runs again */
		while (waitpid(fz->tasks[i].tid, &status, __WALL) > 0 && !WIFEXITED(status) &&
		       !WIFSIGNALED(status))
			;
	}
	fz->ntasks = 0;
}

void freeze_free(struct freeze *fz)
{
	free(fz->pids);
	free(fz->tasks);
	memset(fz, 0, sizeof(*fz));
}
