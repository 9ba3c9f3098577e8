/* SPDX-License-Identifier: MIT */
/*
 * Freeze a selection of processes at one instant: PTRACE_SEIZE every
 * thread, PTRACE_INTERRUPT every thread, then wait until all have stopped.
 * Threads and children that appear meanwhile are caught by repeating until
 * nothing new shows up. A thread of a stopped process (SIGSTOP, SIGTSTP,
 * ...) reports its stop signal instead of SIGTRAP: the freeze keeps it.
 * Thaw is PTRACE_DETACH without a signal (the kernel puts a stopped
 * process back in its stop).
 *
 * The hold (freeze_hold): a frozen process is only traced, and when ferry
 * dies the kernel lets go of its threads at once; one in a group stop
 * stays stopped. So before ferry changes anything, a process that was
 * running is put in a group stop of its own: one thread is sent SIGSTOP
 * and lets it through (the other threads take part in the stop when they
 * next run, or at once when ferry's tracing goes). Nothing of it is seen
 * by the threads while traced but that stop. Letting go of it is SIGCONT,
 * sent to a thread that takes it under ferry's eyes, which drops it before
 * any handler runs. A signal of the process's own that a thread takes on
 * either way is held with its siginfo (common/inject.c's held_signals, as
 * for a lent thread) and queued again by the thread itself
 * (borrow_requeue()). What is seen outside: the parent is told (SIGCHLD,
 * waitid) of the stop and the continue, as of a SIGSTOP and SIGCONT.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
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

/* how long a thread in uninterruptible sleep is waited for */
#define FREEZE_TIMEOUT_MS 4000
/* how long killed processes are waited for, until their parents reap them */
#define KILL_TIMEOUT_MS 10000

struct frozen_task *freeze_find(struct freeze *fz, pid_t tid)
{
	for (size_t i = 0; i < fz->ntasks; i++)
		if (fz->tasks[i].tid == tid)
			return &fz->tasks[i];
	return NULL;
}

bool freeze_has_pid(const struct freeze *fz, pid_t pid)
{
	for (size_t i = 0; i < fz->npids; i++)
		if (fz->pids[i] == pid)
			return true;
	return false;
}

static bool is_zombie_of(const struct freeze *fz, pid_t pid)
{
	for (size_t i = 0; i < fz->nzombies; i++)
		if (fz->zombies[i] == pid)
			return true;
	return false;
}

/* Where a thread sleeps, for messages: " in FUNCTION" or "". */
static void task_wchan(pid_t tgid, pid_t tid, char *out, size_t size)
{
	char path[64], *buf;

	out[0] = 0;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/wchan", tgid, tid);
	if (proc_read_file(path, &buf, NULL) < 0)
		return;
	if (buf[0] && strcmp(buf, "0") != 0)
		snprintf(out, size, " in %s", buf);
	free(buf);
}

static int seize_task(struct freeze *fz, pid_t tgid, pid_t tid)
{
	struct frozen_task *t;
	int st = proc_task_state(tgid, tid);

	if (st == 'Z' || st == 'X') {
		if (tid != tgid)
			return 0; /* an exiting thread */
		log_error("pid %d: its main thread exited while others run: such a process cannot "
			   "be checkpointed", tgid);
		return -EOPNOTSUPP;
	}

	if (ptrace(PTRACE_SEIZE, tid, 0, (void *)(long)PTRACE_O_TRACESYSGOOD) < 0) {
		int r = -errno;

		if (r == -ESRCH)
			return 0; /* exited meanwhile */
		if (r == -EPERM)
			return log_error_errno(r, "pid %d tid %d: cannot attach (already traced by "
					   "another process, or not permitted)", tgid, tid);
		return log_error_errno(r, "pid %d tid %d: cannot attach", tgid, tid);
	}
	t = ST_PUSH(fz->tasks, fz->ntasks);
	if (!t) {
		ptrace(PTRACE_DETACH, tid, 0, 0);
		return -ENOMEM;
	}
	t->tid = tid;
	t->tgid = tgid;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0 && errno != ESRCH)
		return log_error_errno(-errno, "pid %d tid %d: cannot interrupt", tgid, tid);
	/* qemu-tests (FERRY_UPDATE_TEST=stop-in-freeze): ferry stops with the
	 * first thread seized and the others running, for a test to kill it */
	if (fz->ntasks == 1 && getenv("FERRY_TEST_FREEZE_STOP")) {
		fprintf(stderr, "ferry: test: stopped in the freeze, tid %d seized (pid %d)\n", tid,
			(int)getpid());
		raise(SIGSTOP);
	}
	return 0;
}

/*
 * A child that exited and is not reaped, with no thread left: nothing to
 * seize, it is moved from the processes to the zombies (kinds/zombie.c
 * records it with its parent). The root is no child of the selection.
 */
static int take_zombie(struct freeze *fz, size_t i)
{
	pid_t pid = fz->pids[i], *slot;
	size_t ntids = 0;
	pid_t *tids;

	if (proc_task_state(pid, pid) != 'Z' || proc_list_tasks(pid, &tids, &ntids) < 0)
		return 0;
	free(tids);
	if (ntids != 1)
		return 0; /* its other threads run: refused by seize_task */
	if (i == 0) {
		log_error("cannot checkpoint pid %d: it is a zombie (it exited and its parent has "
			   "not reaped it yet); a zombie is carried as the child of a process "
			   "checkpointed with --tree", pid);
		return -EOPNOTSUPP;
	}
	slot = ST_PUSH(fz->zombies, fz->nzombies);
	if (!slot)
		return -ENOMEM;
	*slot = pid;
	memmove(&fz->pids[i], &fz->pids[i + 1], (fz->npids - i - 1) * sizeof(fz->pids[0]));
	fz->npids--;
	return 1;
}

/* Seize what is not yet seized in the selection; sets *ret_new. */
static int seize_round(struct freeze *fz, bool tree, bool *ret_new)
{
	*ret_new = false;
	for (size_t i = 0; i < fz->npids; i++) {
		pid_t pid = fz->pids[i], *tids, *kids;
		size_t ntids, nkids;
		int r;

		r = freeze_find(fz, pid) ? 0 : take_zombie(fz, i);
		if (r < 0)
			return r;
		if (r > 0) {
			i--;
			continue;
		}
		r = proc_list_tasks(pid, &tids, &ntids);
		if (r < 0)
			return log_error_errno(r, "pid %d: cannot list threads", pid);
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
			return log_error_errno(r, "pid %d: cannot list children", pid);
		for (size_t k = 0; k < nkids && r >= 0; k++)
			if (!freeze_has_pid(fz, kids[k]) && !is_zombie_of(fz, kids[k])) {
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
				return log_error_errno(-errno, "pid %d tid %d: waitpid", t->tgid, t->tid);
			if (r == 0) {
				pending = true;
				continue;
			}
			if (WIFEXITED(status) || WIFSIGNALED(status)) {
				if (t->tid == t->tgid) {
					log_error("pid %d exited while being frozen", t->tgid);
					remove_task(fz, i);
					return -ESRCH;
				}
				remove_task(fz, i--);
				continue;
			}
			if (status >> 16 == PTRACE_EVENT_STOP) {
				t->stopped = true;
				/* a group stop shows its signal, an interrupt SIGTRAP */
				if (WSTOPSIG(status) != SIGTRAP)
					t->group_stop = WSTOPSIG(status);
				continue;
			}
			/* a signal was being delivered: let it through, the
			 * interrupt stop follows */
			if (ptrace(PTRACE_CONT, t->tid, 0, (void *)(long)WSTOPSIG(status)) < 0)
				return log_error_errno(-errno, "pid %d tid %d: cannot resume", t->tgid,
						t->tid);
			pending = true;
		}
		if (!pending)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >
		    FREEZE_TIMEOUT_MS) {
			for (size_t i = 0; i < fz->ntasks; i++) {
				struct frozen_task *t = &fz->tasks[i];
				char wchan[128];

				if (t->stopped)
					continue;
				task_wchan(t->tgid, t->tid, wchan, sizeof(wchan));
				if (proc_task_state(t->tgid, t->tid) == 'D')
					log_error("pid %d tid %d: in uninterruptible sleep (state "
						   "D%s) for more than %d ms: it cannot be frozen; "
						   "every process was left running", t->tgid, t->tid,
						   wchan, FREEZE_TIMEOUT_MS);
				else
					log_error("pid %d tid %d: did not stop within %d ms%s; every "
						   "process was left running", t->tgid, t->tid,
						   FREEZE_TIMEOUT_MS, wchan);
			}
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
		return log_error_errno(-EINVAL, "pid %d is ferry itself", root);
	if (kill(root, 0) < 0)
		return log_error_errno(-errno, "pid %d", root);
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
			log_error_errno(r, "tid %d: cannot read registers", fz->tasks[i].tid);
			goto fail;
		}
	}
	log_debug("frozen %zu processes, %zu threads", fz->npids, fz->ntasks);
	return 0;
fail:
	freeze_thaw(fz);
	return r;
}

/* Has a task that had not stopped reached its interrupt stop by now? */
static bool stopped_since(struct frozen_task *t)
{
	int status;

	for (;;) {
		pid_t r = waitpid(t->tid, &status, __WALL | WNOHANG);

		if (r <= 0 || WIFEXITED(status) || WIFSIGNALED(status))
			return false;
		if (status >> 16 == PTRACE_EVENT_STOP)
			return true;
		/* a signal on its way: let it through, the interrupt stop follows */
		if (ptrace(PTRACE_CONT, t->tid, 0, (void *)(long)WSTOPSIG(status)) < 0)
			return false;
	}
}

static pid_t parent_of(pid_t tid);

/* Limit on the stops one thread passes while a signal is sent through it. */
#define HOLD_MAX_STOPS 64

/*
 * Resume @t until it is in the signal-delivery stop of @sig (sent it just
 * before); other signals it takes meanwhile are held (t->held, with their
 * siginfo, in order) to be queued again. With @deliver, @sig is let
 * through then, and it is run on to the group stop that follows. Returns
 * 0 or -errno (logged).
 */
static int drive_signal(struct frozen_task *t, int sig, bool deliver)
{
	long pass = 0;
	bool seen = false;

	for (int n = 0; n < HOLD_MAX_STOPS; n++) {
		int status, s, r;

		if (ptrace(PTRACE_CONT, t->tid, 0, (void *)pass) < 0)
			return log_error_errno(-errno, "pid %d tid %d: cannot resume", t->tgid, t->tid);
		pass = 0;
		r = ptrace_wait_stop(t->tid, &status);
		if (r < 0)
			return r;
		s = WSTOPSIG(status);
		if (status >> 16) {
			/* an event stop; once @sig went through, its group stop */
			if (seen && status >> 16 == PTRACE_EVENT_STOP && s == sig)
				return 0;
			continue;
		}
		if (s == sig && !seen) {
			if (!deliver)
				return 0; /* left in its delivery stop: the detach drops it */
			seen = true;
			pass = sig;
			continue;
		}
		/* a signal of the process's own: held, queued again */
		r = held_signals_take(&t->held, t->tid, s);
		if (r < 0)
			return r;
	}
	return log_error_errno(-EPROTO, "pid %d tid %d: did not take %s within %d stops", t->tgid,
			       t->tid, strsignal(sig), HOLD_MAX_STOPS);
}

int freeze_hold(struct ckpt *c)
{
	struct freeze *fz = &c->fz;

	for (size_t p = 0; p < fz->npids; p++) {
		pid_t pid = fz->pids[p];
		struct frozen_task *t = NULL;
		bool stopped_before = false;
		int r;

		for (size_t i = 0; i < fz->ntasks; i++) {
			struct frozen_task *ft = &fz->tasks[i];

			if (ft->tgid != pid)
				continue;
			stopped_before |= ft->group_stop != 0;
			if (ft->stopped && (!t || ft->tid == pid))
				t = ft;
		}
		/* a stopped process stays so anyway; one with no thread ferry
		 * stopped cannot be lent or read. Not held either: a child of
		 * a process of the selection, whose stop and continue would
		 * each queue a SIGCHLD in its frozen parent that the thaw
		 * does not take back yet */
		if (stopped_before || !t || freeze_has_pid(fz, parent_of(pid)))
			continue;
		r = guardian_hold(&c->guardian, pid);
		if (r < 0)
			return r;
		if (syscall(SYS_tgkill, pid, t->tid, SIGSTOP) < 0)
			return log_error_errno(-errno, "pid %d: cannot send it SIGSTOP", pid);
		t->holds = true;
		r = drive_signal(t, SIGSTOP, true);
		if (r < 0)
			return log_error_errno(r, "pid %d: cannot hold it stopped", pid);
		/* what it took on the way goes back on its queue now, not at
		 * the thaw only: a killed ferry loses nothing */
		r = borrow_requeue(c, t);
		if (r < 0)
			return log_error_errno(r, "pid %d: cannot queue again the signals it took while "
					       "it was held", pid);
	}
	return 0;
}

/* glibc's <sys/ptrace.h> and <linux/ptrace.h> do not mix: call by number */
#define GLUE_PTRACE_GETSIGMASK 0x420a

/* Whether traced thread @tid blocks @sig (true when that cannot be read). */
static bool blocks(pid_t tid, int sig)
{
	uint64_t mask = 0;

	if (syscall(SYS_ptrace, GLUE_PTRACE_GETSIGMASK, tid, sizeof(mask), &mask) < 0)
		return true;
	return mask & (1ull << (sig - 1));
}

/*
 * Let go of the hold of @t's process: SIGCONT, sent to a thread of it that
 * does not block it, which is run to where it takes it and left there (the
 * detach drops it). Without such a thread it is sent to the process, and
 * taken as the process would take a SIGCONT.
 */
static void release_hold(struct freeze *fz, struct frozen_task *t)
{
	struct frozen_task *to = NULL;

	for (size_t i = 0; i < fz->ntasks && !to; i++)
		if (fz->tasks[i].tgid == t->tgid && fz->tasks[i].stopped &&
		    !blocks(fz->tasks[i].tid, SIGCONT))
			to = &fz->tasks[i];
	if (!to) {
		log_debug("pid %d: every thread blocks SIGCONT: continued by one it keeps", t->tgid);
		if (kill(t->tgid, SIGCONT) < 0)
			log_warning("pid %d: cannot continue it: %s", t->tgid, strerror(errno));
		return;
	}
	if (syscall(SYS_tgkill, to->tgid, to->tid, SIGCONT) < 0 ||
	    drive_signal(to, SIGCONT, false) < 0) {
		log_warning("pid %d: cannot take back the SIGCONT that continues it", t->tgid);
		/* it is continued still: SIGCONT acts when sent */
	}
}

/* The queued signals read at the freeze that no dump took, and those held. */
static void free_pending(struct freeze *fz)
{
	for (size_t i = 0; i < fz->ntasks; i++) {
		free(fz->tasks[i].held.si);
		fz->tasks[i].held.si = NULL;
		fz->tasks[i].held.n = 0;
		free(fz->tasks[i].sigpending);
		free(fz->tasks[i].sigpending_shared);
		fz->tasks[i].sigpending = fz->tasks[i].sigpending_shared = NULL;
	}
}

void freeze_let_go(struct ckpt *c)
{
	struct freeze *fz = &c->fz;

	/* first, while every thread is still traced */
	for (size_t i = 0; i < fz->ntasks; i++)
		if (fz->tasks[i].holds)
			release_hold(fz, &fz->tasks[i]);
	/* then what the threads took meanwhile (the SIGCONT's way, a step
	 * out of the vDSO): after the SIGCONT, which would drop a SIGSTOP */
	for (size_t i = 0; i < fz->ntasks; i++)
		if (fz->tasks[i].held.n && borrow_requeue(c, &fz->tasks[i]) < 0)
			log_warning("pid %d tid %d: the signals it took while ferry drove it are "
				    "sent again without their siginfo", fz->tasks[i].tgid,
				    fz->tasks[i].tid);
	freeze_thaw(fz);
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
				log_warning("tid %d: cannot put registers back", t->tid);
		}
		if (!t->stopped && !stopped_since(t)) {
			/* still asleep where no signal reaches: the interrupt is
			 * dropped when ferry exits and lets go of it */
			log_debug("tid %d: never stopped; released when ferry exits", t->tid);
			continue;
		}
		if (ptrace(PTRACE_DETACH, t->tid, 0, 0) < 0 && errno != ESRCH)
			log_warning("tid %d: cannot detach: %s", t->tid, strerror(errno));
		/* what could not be queued again as it was (freeze_let_go) */
		for (size_t k = 0; k < t->held.n; k++)
			syscall(SYS_tgkill, t->tgid, t->tid, t->held.si[k].si_signo);
	}
	free_pending(fz);
	fz->ntasks = 0;
}

/* The parent of the thread group of @tid; 0 if gone. */
static pid_t parent_of(pid_t tid)
{
	uint64_t stat[5];

	return proc_stat_fields(tid, stat, 5) < 0 ? 0 : (pid_t)stat[4];
}

/*
 * Could PID 1 of ferry's PID namespace end with the selection? It could if
 * every child it has is in the selection and ferry does not descend from
 * it: an init that ends with its last child (the init of `restore
 * --pidns`, as tini does) takes its namespace along, ferry too if ferry
 * waits in it. Known before the kill, as its children go with it.
 */
static bool init_may_end(const struct freeze *fz)
{
	pid_t *kids, p = getppid();
	size_t nkids;
	bool others = false;

	while (p > 1)
		p = parent_of(p);
	if (p == 1 || getpid() == 1 || proc_list_children(1, &kids, &nkids) < 0)
		return false;
	for (size_t i = 0; i < nkids; i++)
		others |= !freeze_has_pid(fz, kids[i]);
	free(kids);
	return !others;
}

/*
 * Is any id of the selection still taken (a process, a thread, a zombie)?
 * Each is waited for until its parent, or the reaper it went to, reaps it
 * (PID 1 as any other), but for the children of a PID 1 that may end with
 * them (init_may_end): its end frees them, and would end a ferry waiting.
 */
static pid_t first_left(const struct freeze *fz, bool init_ends)
{
	char path[64];

	for (size_t i = 0; i < fz->ntasks; i++) {
		snprintf(path, sizeof(path), "/proc/%d", fz->tasks[i].tid);
		if (access(path, F_OK) == 0 && !(init_ends && parent_of(fz->tasks[i].tgid) == 1))
			return fz->tasks[i].tid;
	}
	/* the zombies, whose parents died: reaped by whoever adopts them */
	for (size_t i = 0; i < fz->nzombies; i++) {
		snprintf(path, sizeof(path), "/proc/%d", fz->zombies[i]);
		if (access(path, F_OK) == 0 && parent_of(fz->zombies[i]) != 1)
			return fz->zombies[i];
	}
	return 0;
}

/* The command name of @pid, for messages: "?" if gone. */
static void comm_of(pid_t pid, char *out, size_t size)
{
	char path[64], *buf;

	snprintf(out, size, "?");
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if (proc_read_file(path, &buf, NULL) < 0)
		return;
	buf[strcspn(buf, "\n")] = 0;
	snprintf(out, size, "%s", buf);
	free(buf);
}

void freeze_kill(struct freeze *fz)
{
	struct timespec start, now;
	bool init_ends = init_may_end(fz);
	pid_t left;

	for (size_t i = 0; i < fz->npids; i++)
		kill(fz->pids[i], SIGKILL);
	/* collect each tracee's death so it never runs again; a traced leader is
	 * reported only once its threads are, so threads first */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < fz->ntasks; i++) {
			struct frozen_task *t = &fz->tasks[i];
			int status;

			if ((t->tid == t->tgid) != (pass == 1))
				continue;
			while (waitpid(t->tid, &status, __WALL) > 0 && !WIFEXITED(status) &&
			       !WIFSIGNALED(status))
				;
		}
	/* dead to ferry, their ids are free only once their parents reaped
	 * them: a restore started now would meet them in use */
	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((left = first_left(fz, init_ends))) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >
		    KILL_TIMEOUT_MS) {
			pid_t parent = parent_of(left);
			char comm[64];

			comm_of(parent, comm, sizeof(comm));
			log_warning("pid %d is still there %d ms after the kill: its parent %d (%s) "
				  "has not reaped it; the image is complete, but a restore here "
				  "meets pid %d in use until %d reaps it", left, KILL_TIMEOUT_MS,
				  parent, comm, left, parent);
			break;
		}
		usleep(1000);
	}
	free_pending(fz);
	fz->ntasks = 0;
}

void freeze_free(struct freeze *fz)
{
	free_pending(fz);
	free(fz->pids);
	free(fz->zombies);
	free(fz->tasks);
	memset(fz, 0, sizeof(*fz));
}
