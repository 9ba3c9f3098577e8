/* SPDX-License-Identifier: MIT */
/*
 * Interval timers (setitimer): ITIMER_REAL (alarm() is one), ITIMER_VIRTUAL
 * and ITIMER_PROF, one of each per process, read with getitimer() through a
 * borrowed thread right after the freeze and set again with setitimer()
 * injected once the process is complete.
 *
 * ITIMER_REAL counts CLOCK_MONOTONIC: it is recorded with the time it had
 * left at the freeze, and set at restore to expire as long after the
 * freeze, on the process's clock, which the restore's time namespace keeps
 * going from there (the time in the image is not counted). The CPU-time
 * ones keep the CPU time they had left.
 *
 * A periodic ITIMER_REAL that expired stops until its SIGALRM is taken
 * (getitimer() then shows no time left): with SIGALRM queued and about to
 * be taken it is set to expire at once, which queues SIGALRM again (one
 * SIGALRM: a queued one is not queued twice). Its phase is then the
 * restore's. When SIGALRM is held (blocked everywhere with no thread
 * waiting, or the process stopped) the kernel keeps the expiry it goes on
 * from where nothing reads it, and without SIGALRM (ignored) setitimer()
 * cannot stop a timer and keep its period: both are refused.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/timens.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

#define USEC 1000ull
#define NSEC 1000000000ull

enum { REAL, VIRTUAL, PROF, NTIMERS };

static const int which_of[NTIMERS] = { ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF };
static const char *const name_of[NTIMERS] = { "ITIMER_REAL", "ITIMER_VIRTUAL", "ITIMER_PROF" };

struct itimers_process {
	uint64_t t[NTIMERS][2]; /* time left (REAL: at the freeze), period; ns */
};

static bool real_set(const void *obj)
{
	const struct itimers_process *it = obj;

	return it->t[REAL][0] || it->t[REAL][1];
}

static bool virtual_set(const void *obj)
{
	const struct itimers_process *it = obj;

	return it->t[VIRTUAL][0] || it->t[VIRTUAL][1];
}

static bool prof_set(const void *obj)
{
	const struct itimers_process *it = obj;

	return it->t[PROF][0] || it->t[PROF][1];
}

static const struct meta_field itimers_fields[] = {
	META_WORDS(FM_P_ITIMER_REAL, struct itimers_process, t[REAL], 8, 0, .write_if = real_set),
	META_WORDS(FM_P_ITIMER_VIRTUAL, struct itimers_process, t[VIRTUAL], 8, 0,
		   .write_if = virtual_set),
	META_WORDS(FM_P_ITIMER_PROF, struct itimers_process, t[PROF], 8, 0, .write_if = prof_set),
	{ 0 },
};

extern const struct kind kind_itimers;

static uint64_t timeval_ns(const int64_t tv[2])
{
	return (uint64_t)tv[0] * NSEC + (uint64_t)tv[1] * USEC;
}

/* ---- checkpoint ---- */

struct captured {
	pid_t pid;
	struct itimers_process it;
};

struct ckpt_itimers {
	struct captured *v;
	size_t n;
};

static int read_itimers(struct ckpt *c, pid_t pid, struct itimers_process *it)
{
	struct borrow b;
	int e;

	e = borrow_leader(c, pid, &b);
	if (e < 0)
		return e;
	for (int i = 0; i < NTIMERS && e == 0; i++) {
		int64_t itv[4]; /* interval s, us, value s, us */
		long res = BORROW(&b, SYS_getitimer, which_of[i], b.scratch);

		if (res < 0)
			e = log_error_errno(res, "pid %d: getitimer(%s)", pid, name_of[i]);
		else
			e = borrow_read(&b, 0, itv, sizeof(itv));
		if (e < 0)
			break;
		it->t[i][1] = timeval_ns(itv);
		it->t[i][0] = timeval_ns(itv + 2);
	}
	if (borrow_end(&b) < 0 && e == 0)
		e = -EIO;
	/* the time REAL had left when the processes stopped */
	if (e == 0 && it->t[REAL][0]) {
		int64_t since = timens_process_clock_ns(pid, CLOCK_MONOTONIC) -
				(int64_t)c->img.clock_monotonic_ns;

		it->t[REAL][0] += since > 0 ? since : 0;
	}
	return e;
}

static int itimers_dump_begin(struct ckpt *c)
{
	struct ckpt_itimers *ct = ckpt_kind_state(c, &kind_itimers, sizeof(*ct));

	if (!ct)
		return -ENOMEM;
	for (size_t i = 0; i < c->fz.npids; i++) {
		struct captured *cap = ST_PUSH(ct->v, ct->n);
		int e;

		if (!cap)
			return -ENOMEM;
		cap->pid = c->fz.pids[i];
		e = read_itimers(c, cap->pid, &cap->it);
		if (e < 0)
			return e;
	}
	return 0;
}

static int itimers_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	struct ckpt_itimers *ct = ckpt_kind_state(c, &kind_itimers, 0);

	for (size_t i = 0; ct && i < ct->n; i++) {
		struct itimers_process *it;

		if (ct->v[i].pid != pid || !(real_set(&ct->v[i].it) || virtual_set(&ct->v[i].it) ||
					     prof_set(&ct->v[i].it)))
			continue;
		it = kind_process_data(p, &kind_itimers);
		if (!it)
			return -ENOMEM;
		*it = ct->v[i].it;
	}
	return 0;
}

/* The SIGALRM of the interval timer (the kernel sends it as SI_KERNEL). */
static bool sigalrm_queued(const struct st_process *p)
{
	for (size_t i = 0; i < p->nsigpending_shared; i++) {
		const uint8_t *info = p->sigpending_shared + i * ST_SIGINFO_SIZE;
		int32_t signo, code;

		memcpy(&signo, info, sizeof(signo));
		memcpy(&code, info + 8, sizeof(code));
		if (signo == SIGALRM && code == SI_KERNEL)
			return true;
	}
	return false;
}

/*
 * ITIMER_REAL went on counting while the process was frozen: when it had
 * time left at the read but its SIGALRM was queued by the time the signals
 * were read, it may have expired in between. Read again: with no time left
 * now it did (a timer waits for its SIGALRM to be taken before it counts
 * again), and is recorded as expired, so that the restore does not add a
 * second SIGALRM to the queued one; still counting, it was set again after
 * an older SIGALRM and is kept as read.
 */
static int real_expired_since(struct ckpt *c, const struct st_process *p, struct itimers_process *it)
{
	struct itimers_process now = { 0 };
	int e;

	if (!it->t[REAL][0] || !sigalrm_queued(p))
		return 0;
	e = read_itimers(c, p->pid, &now);
	if (e == 0 && !now.t[REAL][0])
		it->t[REAL][0] = 0; /* a periodic one: due, below */
	return e;
}

static int itimers_dump_check(struct ckpt *c)
{
	for (size_t i = 0; i < c->img.nprocs; i++) {
		struct st_process *p = &c->img.procs[i];
		struct itimers_process *it = kind_process_data_if(p, &kind_itimers);
		struct frozen_task *leader = freeze_find(&c->fz, p->pid);
		int e = it ? real_expired_since(c, p, it) : 0;

		if (e < 0)
			return e;
		if (!it || it->t[REAL][0] || !it->t[REAL][1])
			continue;
		/* periodic, no time left: expired, waiting for its SIGALRM */
		if (!sigalrm_queued(p))
			ckpt_unsupported(c, "pid %d: ITIMER_REAL (period %llu us) stopped after an "
					 "expiry whose SIGALRM was not queued (ignored): setitimer() "
					 "cannot stop a timer and keep its period", p->pid,
					 (unsigned long long)(it->t[REAL][1] / USEC));
		else if ((leader && leader->group_stop) || !ckpt_signal_taken(c, p, SIGALRM, 0))
			ckpt_unsupported(c, "pid %d: ITIMER_REAL (period %llu us) waits for its "
					 "SIGALRM, held %s: the expiry it goes on from is nowhere to "
					 "read; let the process take it first", p->pid,
					 (unsigned long long)(it->t[REAL][1] / USEC),
					 leader && leader->group_stop ? "by the process's stop"
								      : "behind every thread's mask");
		else
			it->t[REAL][0] = 1; /* due: at once */
	}
	return 0;
}

static void itimers_dump_end(struct ckpt *c, bool kept)
{
	struct ckpt_itimers *ct = ckpt_kind_state(c, &kind_itimers, 0);

	(void)kept;
	if (ct)
		free(ct->v);
}

/* ---- restore ---- */

/* @ns as a timeval, rounded up to a microsecond (0 stays 0). */
static void ns_timeval(uint64_t ns, int64_t tv[2])
{
	uint64_t us = (ns + USEC - 1) / USEC;

	tv[0] = us / 1000000;
	tv[1] = us % 1000000;
}

/* CLOCK_MONOTONIC as @rp reads it (its time namespace): asked of it. */
static int process_monotonic(struct rproc *rp, int64_t *ret)
{
	int64_t ts[2] = { 0, 0 };
	uint64_t addr;
	long res;
	int e = tramp_data(rp, 0, ts, sizeof(ts), &addr);

	if (e < 0)
		return e;
	res = INJECT(&rp->in, SYS_clock_gettime, CLOCK_MONOTONIC, addr);
	if (res == 0)
		e = mem_read(rp->memfd, addr, ts, sizeof(ts));
	if (res < 0 || e < 0)
		return log_error_errno(res < 0 ? res : e, "pid %d: cannot read its clock", rp->pid);
	*ret = ts[0] * (int64_t)NSEC + ts[1];
	return 0;
}

/* setitimer(@i) with @left and the period; the time it then has left
 * (getitimer) in *ret_left. */
static int set_one(struct rproc *rp, int i, uint64_t left, uint64_t interval, uint64_t *ret_left)
{
	uint64_t addr;
	int64_t itv[4];
	long res;
	int e;

	ns_timeval(interval, itv);
	ns_timeval(left, itv + 2);
	e = tramp_data(rp, 0, itv, sizeof(itv), &addr);
	if (e < 0)
		return e;
	res = INJECT(&rp->in, SYS_setitimer, which_of[i], addr, 0);
	if (res == 0)
		res = INJECT(&rp->in, SYS_getitimer, which_of[i], addr);
	if (res == 0)
		e = mem_read(rp->memfd, addr, itv, sizeof(itv));
	if (res < 0 || e < 0)
		return log_error_errno(res < 0 ? res : e, "pid %d: cannot set %s", rp->pid, name_of[i]);
	*ret_left = timeval_ns(itv + 2);
	return 0;
}

static int itimers_process_ready(struct rst *r, struct rproc *rp)
{
	const struct itimers_process *it = kind_process_data_if(rp->p, &kind_itimers);
	int e;

	if (!it)
		return 0;
	e = block_all_signals(rp); /* one due at once fires right away */
	if (e < 0)
		return e;
	for (int i = 0; i < NTIMERS; i++) {
		uint64_t left = it->t[i][0], got;

		if (!left && !it->t[i][1])
			continue;
		if (i == REAL && left) {
			/* its expiry on the process's clock, which went on from the freeze */
			int64_t now = 0, due;

			e = process_monotonic(rp, &now);
			if (e < 0)
				return e;
			due = (int64_t)(r->img.clock_monotonic_ns + left) - now;
			left = due > 0 ? (uint64_t)due : 1;
		}
		e = set_one(rp, i, left, it->t[i][1], &got);
		/* the kernel gives a CPU-time timer a tick more than it is set to
		 * (and shows it): set it again for what it had left */
		if (e == 0 && i != REAL && left && got > left && got - left < left)
			e = set_one(rp, i, left - (got - left), it->t[i][1], &got);
		if (e < 0)
			return e;
	}
	return 0;
}

/* Every value of the three (the inventory asks them in the frozen leader):
 * what cannot be set again, a periodic ITIMER_REAL whose SIGALRM is held,
 * is refused at the freeze (itimers_dump_check) */
static const struct inv_claim itimers_claims[] = {
	INV_CLAIM(INV_INSIDE, "itimer_real"),
	INV_CLAIM(INV_INSIDE, "itimer_virtual"),
	INV_CLAIM(INV_INSIDE, "itimer_prof"),
	INV_CLAIMS_END,
};

const struct kind kind_itimers = {
	.name = "interval timers",
	.claims = itimers_claims,
	.dump_begin = itimers_dump_begin,
	.dump_process = itimers_dump_process,
	.dump_check = itimers_dump_check,
	.dump_end = itimers_dump_end,
	.process_size = sizeof(struct itimers_process),
	.process_fields = itimers_fields,
	.process_ready = itimers_process_ready,
};
