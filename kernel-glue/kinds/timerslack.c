/* SPDX-License-Identifier: MIT */
/*
 * The timer slack of each thread (PR_GET_TIMERSLACK: how far the kernel
 * may delay its timers to group wakeups). Only a thread can be asked its
 * own, so each frozen thread is lent and asked; each is given its value
 * back from inside, once every thread exists and its scheduling is set,
 * and asked again. A real-time or deadline thread has the slack its
 * policy gives it (none, since Linux 6.7; PR_SET_TIMERSLACK leaves it
 * alone): that is kept as it comes, since sched.c gives it its policy.
 * The slack a thread's children start from is the one it has then, so it
 * comes back with it.
 */
#include <errno.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

#define GLUE_SCHED_DEADLINE 6

struct slack_thread {
	uint32_t tid;
	uint64_t slack_ns;
};

struct slack_process {
	struct slack_thread *threads;
	size_t n;
};

static const struct meta_cell slack_cells[] = {
	META_CELL(struct slack_thread, tid, 4),
	META_CELL(struct slack_thread, slack_ns, 8),
};

static const struct meta_field slack_process_fields[] = {
	META_RECORDS(FM_P_TIMER_SLACK, struct slack_process, threads, n, struct slack_thread,
		     slack_cells, META_OMIT_ZERO),
	{ 0 },
};

static const struct inv_claim slack_claims[] = {
	INV_CLAIM(INV_INSIDE, "timerslack"),
	INV_CLAIMS_END,
};

extern const struct kind kind_timerslack;

static int slack_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	struct slack_process *sp = kind_process_data(p, &kind_timerslack);

	if (!sp)
		return -ENOMEM;
	for (size_t i = 0; i < p->nthreads; i++) {
		pid_t tid = p->threads[i].tid;
		struct frozen_task *ft = freeze_find(&c->fz, tid);
		struct slack_thread *slot;
		struct borrow b;
		long res;
		int r;

		if (!ft)
			return log_error_errno(-ESRCH, "pid %d tid %d: it is not frozen", pid, tid);
		r = borrow_begin(c, ft, &b);
		if (r < 0)
			return r;
		res = BORROW(&b, SYS_prctl, PR_GET_TIMERSLACK, 0, 0, 0, 0);
		r = borrow_end(&b);
		if (res < 0)
			return log_error_errno(res, "pid %d tid %d: cannot ask its timer slack", pid, tid);
		if (r < 0)
			return r;
		slot = ST_PUSH(sp->threads, sp->n);
		if (!slot)
			return -ENOMEM;
		slot->tid = tid;
		slot->slack_ns = (unsigned long)res;
	}
	return 0;
}

static bool policy_sets_slack(pid_t tid)
{
	int policy = sched_getscheduler(tid) & ~SCHED_RESET_ON_FORK;

	return policy == SCHED_FIFO || policy == SCHED_RR || policy == GLUE_SCHED_DEADLINE;
}

static int slack_threads_made(struct rst *r, struct rproc *rp)
{
	const struct slack_process *sp = kind_process_data_if(rp->p, &kind_timerslack);

	(void)r;
	for (size_t i = 0; sp && i < sp->n; i++) {
		const struct slack_thread *t = &sp->threads[i];
		struct inject *in = NULL;
		long res;

		if ((pid_t)t->tid == rp->pid)
			in = &rp->in;
		for (size_t k = 0; !in && k < rp->nthreads; k++)
			if (rp->threads[k].tid == (pid_t)t->tid)
				in = &rp->threads[k].in;
		if (!in)
			return log_error_errno(-EINVAL, "pid %d: the image gives a timer slack to thread %u, "
					"which it does not have", rp->pid, t->tid);
		if (policy_sets_slack(t->tid))
			continue;
		/* 0 would ask for the default: a fair thread never has 0 */
		res = t->slack_ns ? INJECT(in, SYS_prctl, PR_SET_TIMERSLACK, t->slack_ns, 0, 0, 0)
				  : -EINVAL;
		if (res == 0) {
			res = INJECT(in, SYS_prctl, PR_GET_TIMERSLACK, 0, 0, 0, 0);
			if (res >= 0 && (unsigned long)res != t->slack_ns)
				res = -EINVAL;
		}
		if (res < 0)
			return log_error_errno(res, "pid %d tid %u: cannot give it its timer slack of %llu ns",
					rp->pid, t->tid, (unsigned long long)t->slack_ns);
	}
	return 0;
}

const struct kind kind_timerslack = {
	.name = "timerslack",
	.claims = slack_claims,
	.dump_process = slack_dump_process,
	.process_size = sizeof(struct slack_process),
	.process_fields = slack_process_fields,
	.threads_made = slack_threads_made,
};
