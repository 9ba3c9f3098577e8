/* SPDX-License-Identifier: MIT */
/*
 * POSIX timers (timer_create): per process, each with its id, clock, how it
 * notifies (sigevent: notify type, signal, value, target thread), its next
 * expiry and period, and its overrun count.
 *
 * Before the freeze the inventory offers each timer of /proc/PID/timers
 * (its clock and sigevent) to this kind's claim, which refuses by name what
 * a restore cannot make again: a CPU-time clock of another process or of
 * a thread not its own, a clock of a descriptor, CLOCK_THREAD_CPUTIME_ID in
 * a process of several threads, a target thread that is gone.
 *
 * Checkpoint, right after the freeze (dump_begin): /proc/PID/timers lists
 * the timers again; a borrowed thread asks timer_gettime() and
 * timer_getoverrun() of each; the queued signals, read after that, show
 * which timers have their signal pending. Refused by name there, besides
 * what the claim refuses (a timer made since): a periodic CPU-time timer
 * with an overrun count or its signal pending,
 * and a periodic timer whose signal is pending behind every thread's mask
 * with no thread waiting for it (or in a stopped process): the kernel
 * counts the periods it misses (the overrun its delivery reports) since an
 * expiry it does not show, and nothing reads that count.
 *
 * The next expiry is recorded on the timer's clock as the process reads
 * it (its time namespace for CLOCK_MONOTONIC and CLOCK_BOOTTIME), and
 * armed at restore with TIMER_ABSTIME: the restore's namespace goes on
 * from the freeze, so such a timer expires as long after the restore as
 * it had left; a CLOCK_REALTIME one keeps its wall-clock expiry. A
 * CPU-time timer keeps the CPU time it had left. A periodic timer whose
 * signal is pending (it came while the process was frozen, or is about to
 * be taken) is recorded at the expiry that queued it, its first one after
 * the freeze: armed there at restore, it queues its signal again, at once
 * if that time is past, and counts the periods from there.
 *
 * Restore, once the threads exist (a SIGEV_THREAD_ID target must): the
 * timers are created in id order, each with its id (PR_TIMER_CREATE_
 * RESTORE_IDS where the kernel has it; else the kernel hands out ids in
 * order, and the ones in gaps are deleted again). An overrun count comes
 * back the way the kernel makes it: the timer is armed periods enough in
 * the past, fires at once, and its signal is taken (rt_sigtimedwait,
 * injected) just before its recorded expiry, which leaves that count and
 * that expiry. The signal of a one-shot timer that fired is an ordinary
 * queued signal of the image; those of armed timers are made by the timers
 * again and left out of the image's queued signals.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "../common/timens.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

#define NSEC 1000000000ull
#define GLUE_PR_TIMER_CREATE_RESTORE_IDS 77
/* the sigevent notify types (asm-generic/siginfo.h) */
#define NOTIFY_SIGNAL 0
#define NOTIFY_NONE 1
#define NOTIFY_THREAD 2
#define NOTIFY_THREAD_ID 4
/* a timer's queued siginfo: si_code SI_TIMER at 8, the timer id at 16 */
#define SI_CODE_AT 8
#define SI_TIMERID_AT 16
/* CPU-time clocks (clock_getcpuclockid): ~pid << 3 | per-thread 4 | type */
#define CPUCLOCK_TYPE(c) ((c) & 3)
#define CPUCLOCK_PERTHREAD(c) ((c) & 4)
#define CPUCLOCK_PID(c) (~((c) >> 3))
#define CPUCLOCK_FD 3
/* sequential ids: how many a gap may hold, on a kernel that cannot be told */
#define MAX_ID_STEPS (1u << 20)

struct posix_timer {
	uint32_t id;
	uint32_t clock;       /* clockid_t as the kernel numbers it (CPU-time clocks < 0) */
	uint32_t notify;      /* sigev_notify */
	uint32_t signal;      /* sigev_signo */
	uint64_t sigval;      /* sigev_value */
	uint32_t notify_tid;  /* SIGEV_THREAD_ID: the thread it signals */
	uint64_t value_ns;    /* next expiry, 0: disarmed; CPU-time clocks: the time left */
	uint64_t interval_ns;
	uint32_t overrun;     /* timer_getoverrun() */
	bool signal_pending;  /* checkpoint only: its signal is queued */
};

struct posix_timers_process {
	struct posix_timer *timers;
	size_t n;
};

static bool has_target(const void *obj)
{
	return ((const struct posix_timer *)obj)->notify & NOTIFY_THREAD_ID;
}

static const struct meta_field posix_timer_fields[] = {
	META_U32(FM_PT_ID, struct posix_timer, id, META_REQUIRED | META_UNIT),
	META_U32(FM_PT_CLOCK, struct posix_timer, clock, META_REQUIRED),
	META_U32(FM_PT_NOTIFY, struct posix_timer, notify, META_REQUIRED),
	META_U32(FM_PT_SIGNAL, struct posix_timer, signal, 0),
	META_U64(FM_PT_SIGVAL, struct posix_timer, sigval, META_HEX),
	META_U32(FM_PT_NOTIFY_TID, struct posix_timer, notify_tid, 0, .when = has_target,
		 .required_if = has_target),
	META_U64(FM_PT_VALUE, struct posix_timer, value_ns, 0),
	META_U64(FM_PT_INTERVAL, struct posix_timer, interval_ns, META_OMIT_ZERO),
	META_U32(FM_PT_OVERRUN, struct posix_timer, overrun, META_OMIT_ZERO),
	{ 0 },
};

static const struct meta_node posix_timer_node = {
	.name = FM_POSIX_TIMER, .size = sizeof(struct posix_timer), .fields = posix_timer_fields,
};

static const struct meta_field posix_timers_fields[] = {
	META_NODES(FM_POSIX_TIMERS, struct posix_timers_process, timers, n, &posix_timer_node,
		   META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_posix_timers;

static bool is_cpu_clock(int32_t clock)
{
	return clock < 0;
}

/* The clock whose reading an absolute expiry of @clock is on. */
static int base_clock(int32_t clock)
{
	switch (clock) {
	case CLOCK_REALTIME_ALARM:
		return CLOCK_REALTIME;
	case CLOCK_BOOTTIME_ALARM:
		return CLOCK_BOOTTIME;
	default:
		return clock;
	}
}

static bool known_clock(int32_t clock)
{
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
	case CLOCK_TAI:
		return true;
	default:
		return is_cpu_clock(clock);
	}
}

/* ---- checkpoint ---- */

/* What dump_begin read of one process, until dump_process takes it. */
struct captured {
	pid_t pid;
	struct posix_timers_process pt;
};

struct ckpt_timers {
	struct captured *v;
	size_t n;
};

static int32_t field_i32(const uint8_t *info, size_t at)
{
	int32_t v;

	memcpy(&v, info + at, sizeof(v));
	return v;
}

/* Whether the queued siginfos @q (@n of them) hold one of timer @id. */
static bool queued_for(const uint8_t *q, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++) {
		const uint8_t *info = q + i * ST_SIGINFO_SIZE;

		if (field_i32(info, SI_CODE_AT) == SI_TIMER &&
		    (uint32_t)field_i32(info, SI_TIMERID_AT) == id)
			return true;
	}
	return false;
}

static bool thread_of(struct ckpt *c, pid_t pid, pid_t tid)
{
	struct frozen_task *t = freeze_find(&c->fz, tid);

	return t && t->tgid == pid;
}

static size_t threads_of(struct ckpt *c, pid_t pid)
{
	size_t n = 0;

	for (size_t i = 0; i < c->fz.ntasks; i++)
		n += c->fz.tasks[i].tgid == pid;
	return n;
}

/* The "notify" of /proc/PID/timers ("signal/pid.12", "none/pid.12",
 * "signal/tid.15") into @t. */
static void parse_notify(const char *what, const char *whom, int num, struct posix_timer *t)
{
	t->notify = strcmp(what, "none") == 0	  ? NOTIFY_NONE
		    : strcmp(what, "thread") == 0 ? NOTIFY_THREAD
						  : NOTIFY_SIGNAL;
	if (strcmp(whom, "tid") == 0) {
		t->notify |= NOTIFY_THREAD_ID;
		t->notify_tid = num;
	}
}

static int by_id(const void *a, const void *b)
{
	uint32_t x = ((const struct posix_timer *)a)->id, y = ((const struct posix_timer *)b)->id;

	return x < y ? -1 : x > y;
}

/* The entries of /proc/PID/timers, in id order (the kernel lists them in
 * its own). Returns the count or -errno. */
static int read_proc_timers(pid_t pid, struct posix_timer **ret)
{
	char path[64], *text, *line, *next;
	struct posix_timer *v = NULL, *t = NULL;
	size_t n = 0;
	int r;

	*ret = NULL;
	snprintf(path, sizeof(path), "/proc/%d/timers", pid);
	r = proc_read_file(path, &text, NULL);
	if (r < 0)
		return log_error_errno(r, "pid %d: cannot read %s", pid, path);
	for (line = text; line && *line; line = next) {
		char what[16], whom[8];
		unsigned long long val;
		int num, sig;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (sscanf(line, "ID: %d", &num) == 1) {
			t = ST_PUSH(v, n);
			if (!t) {
				r = -ENOMEM;
				break;
			}
			t->id = num;
		} else if (!t) {
			continue;
		} else if (sscanf(line, "signal: %d/%llx", &sig, &val) == 2) {
			t->signal = sig;
			t->sigval = val;
		} else if (sscanf(line, "notify: %15[a-z]/%7[a-z].%d", what, whom, &num) == 3) {
			parse_notify(what, whom, num, t);
		} else if (sscanf(line, "ClockID: %d", &num) == 1) {
			t->clock = (uint32_t)num;
		}
	}
	free(text);
	if (r < 0) {
		free(v);
		return r;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), by_id);
	*ret = v;
	return n;
}

/* The threads of a process, as the inventory (/proc) or the freeze knows them. */
struct timer_threads {
	bool (*has)(const struct timer_threads *th, pid_t tid); /* is @tid one of them? */
	size_t n;
	pid_t pid;
	struct ckpt *c; /* at the freeze */
};

/*
 * Why @t, a timer of th->pid, cannot be made again, written into @buf; NULL
 * when it can. Only what /proc/PID/timers shows of it (its clock and its
 * sigevent) is judged here: the inventory asks before the freeze, the
 * checkpoint again at it (a timer made in between).
 */
static const char *timer_refusal(const struct posix_timer *t, const struct timer_threads *th,
				 char *buf, size_t size)
{
	int32_t clock = (int32_t)t->clock;
	pid_t owner = CPUCLOCK_PID(clock);

	if (!known_clock(clock))
		snprintf(buf, size, "clock %d is not one a restore can make again", clock);
	else if (is_cpu_clock(clock) && CPUCLOCK_TYPE(clock) == CPUCLOCK_FD)
		snprintf(buf, size, "its clock is a clock device (a descriptor's clock id %d)",
			 clock);
	else if (is_cpu_clock(clock) && !CPUCLOCK_PERTHREAD(clock) && owner && owner != th->pid)
		snprintf(buf, size, "it counts the CPU time of another process, pid %d", owner);
	else if (is_cpu_clock(clock) && CPUCLOCK_PERTHREAD(clock) && owner && !th->has(th, owner))
		snprintf(buf, size, "it counts the CPU time of thread %d, which is not one of its "
			 "threads", owner);
	else if (is_cpu_clock(clock) && CPUCLOCK_PERTHREAD(clock) && !owner && th->n != 1)
		snprintf(buf, size, "it counts the CPU time of the thread that made it "
			 "(CLOCK_THREAD_CPUTIME_ID), which the kernel does not show in a process "
			 "of several threads");
	else if ((t->notify & NOTIFY_THREAD_ID) && !th->has(th, t->notify_tid))
		snprintf(buf, size, "the thread it signals, %d, is gone", t->notify_tid);
	else
		return NULL;
	return buf;
}

static bool proc_has_thread(const struct timer_threads *th, pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d", th->pid, tid);
	return access(path, F_OK) == 0;
}

/* A timer of /proc/PID/timers as the inventory offers it ("ID 0, clock 1,
 * signal 34/00000000deadbeef, notify signal/pid.12"): one whose clock and
 * sigevent a restore makes again. What only the frozen process shows
 * (its expiry, overrun and queued signal) is judged at the freeze. */
static bool timer_carried(const struct inv_item *it)
{
	struct posix_timer t = { 0 };
	struct timer_threads th = { .has = proc_has_thread, .pid = it->pid };
	char what[16], whom[8], why[256];
	unsigned long long sigval;
	int id, clock, sig, num;
	pid_t *tids;

	if (sscanf(it->value, "ID %d, clock %d, signal %d/%llx, notify %15[a-z]/%7[a-z].%d", &id,
		   &clock, &sig, &sigval, what, whom, &num) != 7)
		return false;
	t.id = id;
	t.clock = (uint32_t)clock;
	parse_notify(what, whom, num, &t);
	if (proc_list_tasks(it->pid, &tids, &th.n) < 0)
		return false;
	free(tids);
	return !timer_refusal(&t, &th, why, sizeof(why));
}

static const struct inv_claim posix_timers_claims[] = {
	INV_CLAIM_IF(INV_TIMER, "timer", timer_carried,
		     "a POSIX timer whose clock or target a restore cannot make again: the CPU "
		     "time of another process or of a thread not its own, a clock device, "
		     "CLOCK_THREAD_CPUTIME_ID in a process of several threads, or a "
		     "SIGEV_THREAD_ID thread that is gone"),
	INV_CLAIMS_END,
};

static bool frozen_has_thread(const struct timer_threads *th, pid_t tid)
{
	return thread_of(th->c, th->pid, tid);
}

/* What cannot be made again of @t, a timer of @pid, named; true if so. */
static bool refuse_timer(struct ckpt *c, pid_t pid, const struct posix_timer *t)
{
	struct timer_threads th = { .has = frozen_has_thread, .n = threads_of(c, pid), .pid = pid,
				 .c = c };
	char why[256];

	if (timer_refusal(t, &th, why, sizeof(why)))
		ckpt_unsupported(c, "pid %d: POSIX timer %u: %s", pid, t->id, why);
	else if (is_cpu_clock((int32_t)t->clock) && t->interval_ns &&
		 (t->overrun || t->signal_pending))
		ckpt_unsupported(c, "pid %d: POSIX timer %u: a periodic CPU-time timer with %s: "
				 "a restored process has not used the CPU time to count it again",
				 pid, t->id, t->overrun ? "an overrun count" : "its signal pending");
	else
		return false;
	return true;
}

/* @t's expiry (the time left) as a time of its clock, as @pid reads it.
 * A periodic timer whose signal is queued is put back at the expiry that
 * queued it: the first after the freeze (the clocks of the image's root,
 * on this clock: as long ago as CLOCK_MONOTONIC says). It then counts the
 * periods from there again, and the overrun of its last delivery is that
 * signal's, not yet known. */
static void absolute_expiry(struct ckpt *c, pid_t pid, struct posix_timer *t)
{
	int clk = base_clock((int32_t)t->clock);
	int64_t now = timens_process_clock_ns(pid, clk);
	int64_t since = timens_process_clock_ns(pid, CLOCK_MONOTONIC) -
			(int64_t)c->img.clock_monotonic_ns;
	uint64_t freeze = now - (since > 0 ? since : 0), periods;

	t->value_ns += now;
	if (!t->signal_pending || !t->interval_ns || t->value_ns <= freeze)
		return;
	periods = (t->value_ns - freeze - 1) / t->interval_ns;
	t->value_ns -= periods * t->interval_ns;
	t->overrun = 0;
}

/*
 * Whether timer @t has its signal queued now, in the queue of @q (its
 * thread's own, or with @shared its process's), into t->signal_pending.
 * Asked after its time: a timer that fired since the queues were read at
 * the freeze has its signal added to what was read, so that the image's
 * queued signals and the timer agree.
 */
static int queued_now(struct frozen_task *q, bool shared, struct posix_timer *t)
{
	uint8_t **image = shared ? &q->sigpending_shared : &q->sigpending;
	size_t *nimage = shared ? &q->nsigpending_shared : &q->nsigpending;
	uint8_t *now, *grown;
	size_t nnow;
	int e = dump_pending(q->tid, shared, &now, &nnow);

	if (e < 0)
		return e;
	t->signal_pending = false;
	for (size_t i = 0; i < nnow && !t->signal_pending; i++) {
		const uint8_t *info = now + i * ST_SIGINFO_SIZE;

		if (field_i32(info, SI_CODE_AT) != SI_TIMER ||
		    (uint32_t)field_i32(info, SI_TIMERID_AT) != t->id)
			continue;
		t->signal_pending = true;
		if (queued_for(*image, *nimage, t->id))
			break;
		grown = realloc(*image, (*nimage + 1) * ST_SIGINFO_SIZE);
		if (!grown) {
			e = -ENOMEM;
			break;
		}
		memcpy(grown + *nimage * ST_SIGINFO_SIZE, info, ST_SIGINFO_SIZE);
		*image = grown;
		(*nimage)++;
	}
	free(now);
	return e;
}

/* Each timer's state through a borrowed thread of @pid, then whether its
 * signal is queued. */
static int read_timers(struct ckpt *c, pid_t pid, struct posix_timers_process *pt)
{
	struct frozen_task *ft = freeze_find(&c->fz, pid);
	struct borrow b;
	int e;

	if (!ft)
		return log_error_errno(-ESRCH, "pid %d: its main thread is gone", pid);
	e = borrow_begin(c, ft, &b);
	if (e < 0)
		return e;
	for (size_t i = 0; i < pt->n && e == 0; i++) {
		struct posix_timer *t = &pt->timers[i];
		int64_t its[4]; /* interval s, ns, value s, ns */
		long res;

		res = BORROW(&b, SYS_timer_gettime, t->id, b.scratch);
		if (res == 0)
			e = borrow_read(&b, 0, its, sizeof(its));
		else
			e = log_error_errno(res, "pid %d: POSIX timer %u: timer_gettime", pid, t->id);
		if (e < 0)
			break;
		t->interval_ns = its[0] * NSEC + its[1];
		t->value_ns = its[2] * NSEC + its[3];
		res = BORROW(&b, SYS_timer_getoverrun, t->id);
		if (res < 0)
			e = log_error_errno(res, "pid %d: POSIX timer %u: timer_getoverrun", pid, t->id);
		t->overrun = res;
	}
	if (borrow_end(&b) < 0 && e == 0)
		e = -EIO;
	for (size_t i = 0; i < pt->n && e == 0; i++) {
		struct posix_timer *t = &pt->timers[i];
		struct frozen_task *target = NULL;

		if ((t->notify & NOTIFY_THREAD_ID) && thread_of(c, pid, t->notify_tid))
			target = freeze_find(&c->fz, t->notify_tid);
		e = target ? queued_now(target, false, t) : queued_now(ft, true, t);
		if (e == 0 && t->value_ns && !is_cpu_clock((int32_t)t->clock))
			absolute_expiry(c, pid, t);
	}
	return e;
}

static int posix_timers_dump_begin(struct ckpt *c)
{
	struct ckpt_timers *ct = ckpt_kind_state(c, &kind_posix_timers, sizeof(*ct));

	if (!ct)
		return -ENOMEM;
	for (size_t i = 0; i < c->fz.npids; i++) {
		pid_t pid = c->fz.pids[i];
		struct captured *cap;
		struct posix_timer *v;
		int n = read_proc_timers(pid, &v), e;

		if (n <= 0) {
			if (n < 0)
				return n;
			continue;
		}
		cap = ST_PUSH(ct->v, ct->n);
		if (!cap) {
			free(v);
			return -ENOMEM;
		}
		cap->pid = pid;
		cap->pt.timers = v;
		cap->pt.n = n;
		e = read_timers(c, pid, &cap->pt);
		if (e < 0)
			return e;
		for (size_t k = 0; k < cap->pt.n; k++)
			refuse_timer(c, pid, &cap->pt.timers[k]);
	}
	return 0;
}

static int posix_timers_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	struct ckpt_timers *ct = ckpt_kind_state(c, &kind_posix_timers, 0);
	struct posix_timers_process *pt;

	for (size_t i = 0; ct && i < ct->n; i++) {
		if (ct->v[i].pid != pid || !ct->v[i].pt.n)
			continue;
		pt = kind_process_data(p, &kind_posix_timers);
		if (!pt)
			return -ENOMEM;
		*pt = ct->v[i].pt;
		ct->v[i].pt = (struct posix_timers_process){ 0 };
	}
	return 0;
}

/* Drop from @q the queued signals of timer @id: the timer makes them again. */
static void drop_queued(uint8_t *q, size_t *n, uint32_t id)
{
	size_t out = 0;

	for (size_t i = 0; i < *n; i++) {
		uint8_t *info = q + i * ST_SIGINFO_SIZE;

		if (field_i32(info, SI_CODE_AT) == SI_TIMER &&
		    (uint32_t)field_i32(info, SI_TIMERID_AT) == id)
			continue;
		if (out != i)
			memmove(q + out * ST_SIGINFO_SIZE, info, ST_SIGINFO_SIZE);
		out++;
	}
	*n = out;
}

static int posix_timers_dump_check(struct ckpt *c)
{
	for (size_t i = 0; i < c->img.nprocs; i++) {
		struct st_process *p = &c->img.procs[i];
		struct posix_timers_process *pt = kind_process_data_if(p, &kind_posix_timers);
		struct frozen_task *leader = freeze_find(&c->fz, p->pid);

		for (size_t k = 0; pt && k < pt->n; k++) {
			struct posix_timer *t = &pt->timers[k];

			if (t->signal_pending && t->interval_ns &&
			    ((leader && leader->group_stop) ||
			     !ckpt_signal_taken(c, p, t->signal,
						t->notify & NOTIFY_THREAD_ID ? (pid_t)t->notify_tid : 0)))
				ckpt_unsupported(c, "pid %d: POSIX timer %u: its signal %u (%s) is "
						 "pending %s: the periods it misses meanwhile (the "
						 "overrun its delivery reports) are counted where "
						 "nothing can read them; let the process take it first",
						 p->pid, t->id, t->signal, strsignal(t->signal),
						 leader && leader->group_stop
							 ? "in a stopped process"
							 : "behind every thread's signal mask, and no "
							   "thread waits for it");
			if (!t->value_ns)
				continue; /* a one-shot that fired: its signal stays queued */
			drop_queued(p->sigpending_shared, &p->nsigpending_shared, t->id);
			for (size_t th = 0; th < p->nthreads; th++)
				drop_queued(p->threads[th].sigpending, &p->threads[th].nsigpending,
					    t->id);
		}
	}
	return 0;
}

static void posix_timers_dump_end(struct ckpt *c, bool kept)
{
	struct ckpt_timers *ct = ckpt_kind_state(c, &kind_posix_timers, 0);

	(void)kept;
	for (size_t i = 0; ct && i < ct->n; i++)
		free(ct->v[i].pt.timers);
	if (ct)
		free(ct->v);
}

/* ---- restore ---- */

/* struct sigevent as the kernel takes it */
struct kernel_sigevent {
	uint64_t value;
	int32_t signo, notify;
	int32_t tid;
	uint8_t pad[44];
};

struct kernel_itimerspec {
	int64_t interval_sec, interval_nsec, value_sec, value_nsec;
};

/* The inject handle of thread @tid of @rp (the leader's when it is not one). */
static struct inject *thread_in(struct rproc *rp, pid_t tid)
{
	for (size_t i = 0; i < rp->nthreads; i++)
		if (rp->threads[i].tid == tid)
			return &rp->threads[i].in;
	return &rp->in;
}

static int create_one(struct rproc *rp, const struct posix_timer *t, bool exact_ids)
{
	struct kernel_sigevent sev = {
		.value = t->sigval, .signo = t->signal, .notify = t->notify, .tid = t->notify_tid,
	};
	int32_t id = t->id;
	uint64_t sev_addr, id_addr;
	int e;

	e = tramp_data(rp, 0, &sev, sizeof(sev), &sev_addr);
	if (e < 0)
		return e;
	for (unsigned steps = 0; steps < MAX_ID_STEPS; steps++) {
		long res;

		e = tramp_data(rp, sizeof(sev), &id, sizeof(id), &id_addr);
		if (e < 0)
			return e;
		res = INJECT(&rp->in, SYS_timer_create, (int32_t)t->clock, sev_addr, id_addr);
		if (res == 0)
			e = mem_read(rp->memfd, id_addr, &id, sizeof(id));
		if (res < 0 || e < 0)
			return log_error_errno(res < 0 ? res : e, "pid %d: cannot make POSIX timer %u "
					"(clock %d)", rp->pid, t->id, (int32_t)t->clock);
		if ((uint32_t)id == t->id)
			return 0;
		if (exact_ids || (uint32_t)id > t->id)
			return log_error_errno(-EPROTO, "pid %d: POSIX timer %u came back as timer %d",
					rp->pid, t->id, id);
		/* an id in a gap: given back, the next one comes */
		INJECT(&rp->in, SYS_timer_delete, id);
	}
	return log_error_errno(-E2BIG, "pid %d: POSIX timer %u: an id this far needs a kernel with "
			"PR_TIMER_CREATE_RESTORE_IDS", rp->pid, t->id);
}

static int settime(struct rproc *rp, const struct posix_timer *t, uint64_t value,
		   uint64_t interval)
{
	struct kernel_itimerspec its = {
		.interval_sec = interval / NSEC, .interval_nsec = interval % NSEC,
		.value_sec = value / NSEC, .value_nsec = value % NSEC,
	};
	int flags = is_cpu_clock((int32_t)t->clock) ? 0 : TIMER_ABSTIME;
	uint64_t addr;
	long res;
	int e;

	e = tramp_data(rp, 0, &its, sizeof(its), &addr);
	if (e < 0)
		return e;
	res = INJECT(&rp->in, SYS_timer_settime, t->id, flags, addr, 0);
	if (res < 0)
		return log_error_errno(res, "pid %d: cannot arm POSIX timer %u", rp->pid, t->id);
	return 0;
}

/* Overrun @t->overrun: armed that many periods and one before its
 * expiry, it fires at once, and taking its signal just before the expiry
 * leaves that count and the timer armed at its expiry. */
static int restore_overrun(struct rproc *rp, const struct posix_timer *t)
{
	uint64_t periods = (uint64_t)t->overrun + 1, set = 1ull << (t->signal - 1), mask = 0;
	struct inject *in = thread_in(rp, t->notify & NOTIFY_THREAD_ID ? (pid_t)t->notify_tid : 0);
	uint64_t ts[2] = { 1, 0 }, set_addr, ts_addr, info_addr;
	uint8_t info[ST_SIGINFO_SIZE] = { 0 };
	long res;
	int e;

	/* not before the clock's zero */
	if (periods > (t->value_ns - 1) / t->interval_ns)
		periods = (t->value_ns - 1) / t->interval_ns;
	e = thread_sigmask(in->tid, &mask);
	if (e == 0)
		e = set_thread_sigmask(in->tid, ~0ull);
	if (e == 0)
		e = settime(rp, t, t->value_ns - periods * t->interval_ns, t->interval_ns);
	if (e == 0)
		e = tramp_data(rp, 256, &set, sizeof(set), &set_addr);
	if (e == 0)
		e = tramp_data(rp, 264, ts, sizeof(ts), &ts_addr);
	if (e == 0)
		e = tramp_data(rp, 512, info, sizeof(info), &info_addr);
	if (e < 0)
		return e;
	res = INJECT(in, SYS_rt_sigtimedwait, set_addr, info_addr, ts_addr, 8);
	if (res == (long)t->signal)
		e = mem_read(rp->memfd, info_addr, info, sizeof(info));
	if (res != (long)t->signal || e < 0 || field_i32(info, SI_CODE_AT) != SI_TIMER ||
	    (uint32_t)field_i32(info, SI_TIMERID_AT) != t->id)
		e = log_error_errno(res < 0 ? res : -EPROTO, "pid %d: POSIX timer %u: its overrun count "
			     "cannot be made again (its signal did not come)", rp->pid, t->id);
	if (set_thread_sigmask(in->tid, mask) < 0 && e == 0)
		e = -EIO;
	return e;
}

/* What the image says of @t is a timer (after @prev, in id order, so that
 * ids handed out in order come right). */
static int check_timer(struct rproc *rp, const struct posix_timer *t, const struct posix_timer *prev)
{
	uint32_t how = t->notify & ~NOTIFY_THREAD_ID;

	if (t->id > INT32_MAX || (prev && t->id <= prev->id))
		return log_error_errno(-EINVAL, "pid %d: POSIX timer %u: not an id in order (image)",
				rp->pid, t->id);
	if (how > NOTIFY_THREAD || ((t->notify & NOTIFY_THREAD_ID) && how != NOTIFY_SIGNAL))
		return log_error_errno(-EINVAL, "pid %d: POSIX timer %u: notify %u is not a sigevent "
				"notify type (image)", rp->pid, t->id, t->notify);
	if (t->notify != NOTIFY_NONE && (t->signal < 1 || t->signal > 64))
		return log_error_errno(-EINVAL, "pid %d: POSIX timer %u: signal %u (image)", rp->pid,
				t->id, t->signal);
	return 0;
}

/* An overrun count comes back only through a delivery of its signal. */
static bool takes_overrun(const struct posix_timer *t)
{
	return t->value_ns && t->interval_ns && t->overrun && t->notify != NOTIFY_NONE &&
	       !is_cpu_clock((int32_t)t->clock);
}

static int posix_timers_process_ready(struct rst *r, struct rproc *rp)
{
	const struct posix_timers_process *pt = kind_process_data_if(rp->p, &kind_posix_timers);
	bool exact_ids;
	long res;
	int e = 0;

	(void)r;
	if (!pt || !pt->n)
		return 0;
	e = block_all_signals(rp); /* a timer armed in the past fires right away */
	if (e < 0)
		return e;
	res = INJECT(&rp->in, SYS_prctl, GLUE_PR_TIMER_CREATE_RESTORE_IDS, 1, 0, 0, 0);
	exact_ids = res == 0;
	for (size_t i = 0; i < pt->n && e == 0; i++)
		e = check_timer(rp, &pt->timers[i], i ? &pt->timers[i - 1] : NULL);
	for (size_t i = 0; i < pt->n && e == 0; i++)
		e = create_one(rp, &pt->timers[i], exact_ids);
	if (exact_ids)
		INJECT(&rp->in, SYS_prctl, GLUE_PR_TIMER_CREATE_RESTORE_IDS, 0, 0, 0, 0);
	/* those whose signal is taken first, before another timer's signal of
	 * the same number may be queued */
	for (size_t i = 0; i < pt->n && e == 0; i++)
		if (takes_overrun(&pt->timers[i]))
			e = restore_overrun(rp, &pt->timers[i]);
	for (size_t i = 0; i < pt->n && e == 0; i++) {
		const struct posix_timer *t = &pt->timers[i];

		if (t->value_ns && !takes_overrun(t))
			e = settime(rp, t, t->value_ns, t->interval_ns);
	}
	return e;
}

const struct kind kind_posix_timers = {
	.name = "POSIX timers",
	.claims = posix_timers_claims,
	.dump_begin = posix_timers_dump_begin,
	.dump_process = posix_timers_dump_process,
	.dump_check = posix_timers_dump_check,
	.dump_end = posix_timers_dump_end,
	.process_size = sizeof(struct posix_timers_process),
	.process_fields = posix_timers_fields,
	.process_ready = posix_timers_process_ready,
};
