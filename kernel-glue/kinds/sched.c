/* SPDX-License-Identifier: MIT */
/*
 * Scheduling, thread by thread: the policy (SCHED_OTHER, BATCH, IDLE, FIFO,
 * RR, DEADLINE) and its flags (reset-on-fork; a deadline thread's reclaim
 * and overrun signal), the nice value (getpriority(): every thread has one,
 * and a real-time thread gets its own back when it leaves its policy), the
 * real-time priority, a deadline thread's runtime, deadline and period, a
 * fair thread's own time slice (sched_runtime, Linux 6.12 and later) and
 * the utilization clamps, as sched_getattr() shows them. Only threads that
 * differ from a new process (SCHED_OTHER, nice 0, no flag, the kernel's
 * slice, no clamp) are written; a thread the image does not list gets that.
 *
 * Set from outside (setpriority, sched_setattr on the thread) once every
 * thread of the process exists, since a thread made later would inherit
 * its maker's and a reset-on-fork one would hand out the defaults, and
 * before the credentials change: the threads still have the restorer's
 * user, so CAP_SYS_NICE or the process's own RLIMIT_NICE and RLIMIT_RTPRIO
 * decide, as for the process itself. Each thread is read back: a value the
 * kernel did not take is an error. At the checkpoint a child of ferry
 * tries to give itself the same under the process's limits, and a thread
 * whose scheduling it cannot set (a lower nice value or a real-time policy
 * without CAP_SYS_NICE, SCHED_DEADLINE without it, a cgroup without
 * real-time runtime) is refused.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/sched_attr.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"

#ifndef SCHED_BATCH
#define SCHED_BATCH 3
#endif
#ifndef SCHED_IDLE
#define SCHED_IDLE 5
#endif
#define GLUE_SCHED_DEADLINE 6

#define FLAG_RESET_ON_FORK 0x01
#define FLAG_RECLAIM 0x02
#define FLAG_DL_OVERRUN 0x04
#define FLAG_KEEP_POLICY 0x08
#define FLAG_KEEP_PARAMS 0x10
#define FLAG_UTIL_CLAMP_MIN 0x20
#define FLAG_UTIL_CLAMP_MAX 0x40
#define CARRIED_FLAGS (FLAG_RESET_ON_FORK | FLAG_RECLAIM | FLAG_DL_OVERRUN)

#define ATTR_SIZE_VER0 GLUE_SCHED_ATTR_SIZE_VER0
#define ATTR_SIZE_VER1 sizeof(struct glue_sched_attr)
#define UTIL_UNKNOWN 0xffffffffu /* the kernel showed no clamps */
#define UTIL_MAX 1024

struct sched_thread {
	uint32_t tid;
	uint32_t policy;
	uint32_t flags;    /* CARRIED_FLAGS */
	int32_t nice;
	uint32_t priority; /* FIFO, RR */
	uint64_t runtime;  /* DEADLINE; a fair policy's own slice (0: the kernel's) */
	uint64_t deadline, period; /* DEADLINE */
	uint32_t util_min, util_max; /* UTIL_UNKNOWN: not shown */
};

struct sched_process {
	struct sched_thread *threads; /* only those that are not the default */
	size_t n;
};

static const struct meta_cell sched_cells[] = {
	META_CELL(struct sched_thread, tid, 4),      META_CELL(struct sched_thread, policy, 4),
	META_CELL(struct sched_thread, flags, 4),    META_CELL(struct sched_thread, nice, 4),
	META_CELL(struct sched_thread, priority, 4), META_CELL(struct sched_thread, runtime, 8),
	META_CELL(struct sched_thread, deadline, 8), META_CELL(struct sched_thread, period, 8),
	META_CELL(struct sched_thread, util_min, 4), META_CELL(struct sched_thread, util_max, 4),
};

static const struct meta_field sched_process_fields[] = {
	META_RECORDS(FM_P_SCHED, struct sched_process, threads, n, struct sched_thread,
		     sched_cells, META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_sched;

static const struct sched_thread default_thread = {
	.policy = SCHED_OTHER, .util_min = 0, .util_max = UTIL_MAX,
};

static bool is_fair(uint32_t policy)
{
	return policy == SCHED_OTHER || policy == SCHED_BATCH || policy == SCHED_IDLE;
}

static bool is_rt(uint32_t policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

static const char *policy_name(uint32_t policy)
{
	switch (policy) {
	case SCHED_OTHER:
		return "SCHED_OTHER";
	case SCHED_FIFO:
		return "SCHED_FIFO";
	case SCHED_RR:
		return "SCHED_RR";
	case SCHED_BATCH:
		return "SCHED_BATCH";
	case SCHED_IDLE:
		return "SCHED_IDLE";
	case GLUE_SCHED_DEADLINE:
		return "SCHED_DEADLINE";
	case 7:
		return "SCHED_EXT";
	default:
		return "an unknown policy";
	}
}

/* "SCHED_FIFO priority 10, reset-on-fork, nice -3" */
static void describe(const struct sched_thread *t, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s", policy_name(t->policy));

	if (is_rt(t->policy))
		n += snprintf(buf + n, size - n, " priority %u", t->priority);
	if (t->policy == GLUE_SCHED_DEADLINE)
		n += snprintf(buf + n, size - n, " runtime %llu deadline %llu period %llu ns",
			      (unsigned long long)t->runtime, (unsigned long long)t->deadline,
			      (unsigned long long)t->period);
	else if (t->runtime)
		n += snprintf(buf + n, size - n, " slice %llu ns", (unsigned long long)t->runtime);
	if (t->flags & FLAG_RESET_ON_FORK)
		n += snprintf(buf + n, size - n, ", reset-on-fork");
	if (t->flags & FLAG_RECLAIM)
		n += snprintf(buf + n, size - n, ", reclaim");
	if (t->flags & FLAG_DL_OVERRUN)
		n += snprintf(buf + n, size - n, ", overrun signal");
	n += snprintf(buf + n, size - n, ", nice %d", t->nice);
	if (t->util_min != UTIL_UNKNOWN && (t->util_min != 0 || t->util_max != UTIL_MAX))
		snprintf(buf + n, size - n, ", utilization clamp %u-%u", t->util_min, t->util_max);
}

/* Thread @tid (0: the caller) as the kernel shows it; *ret_flags gets
 * every flag, carried or not. */
static int read_thread(pid_t tid, struct sched_thread *t, uint64_t *ret_flags)
{
	struct glue_sched_attr a = { 0 };
	int prio;

	if (syscall(SYS_sched_getattr, tid, &a, sizeof(a), 0) < 0)
		return -errno;
	errno = 0;
	prio = getpriority(PRIO_PROCESS, tid);
	if (prio == -1 && errno)
		return -errno;
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	t->policy = a.policy;
	t->flags = a.flags & CARRIED_FLAGS;
	t->nice = prio;
	if (is_rt(a.policy))
		t->priority = a.priority;
	if (a.policy == GLUE_SCHED_DEADLINE) {
		t->runtime = a.runtime;
		t->deadline = a.deadline;
		t->period = a.period;
	} else if (is_fair(a.policy)) {
		t->runtime = a.runtime;
	}
	t->util_min = a.size >= ATTR_SIZE_VER1 ? a.util_min : UTIL_UNKNOWN;
	t->util_max = a.size >= ATTR_SIZE_VER1 ? a.util_max : UTIL_UNKNOWN;
	if (ret_flags)
		*ret_flags = a.flags;
	return 0;
}

static bool same_util(const struct sched_thread *a, const struct sched_thread *b)
{
	return a->util_min == b->util_min && a->util_max == b->util_max;
}

/* Where @want and @now differ, what: NULL when they do not. */
static const char *difference(const struct sched_thread *want, const struct sched_thread *now)
{
	if (want->policy != now->policy)
		return "policy";
	if (want->flags != now->flags)
		return "flags";
	if (want->nice != now->nice)
		return "nice value";
	if (want->priority != now->priority)
		return "real-time priority";
	if (want->policy == GLUE_SCHED_DEADLINE &&
	    (want->runtime != now->runtime || want->deadline != now->deadline ||
	     want->period != now->period))
		return "deadline parameters";
	if (is_fair(want->policy) && want->runtime && want->runtime != now->runtime)
		return "time slice";
	if (want->util_min == UTIL_UNKNOWN || same_util(want, now))
		return NULL;
	if (now->util_min != UTIL_UNKNOWN)
		return "utilization clamp";
	/* a kernel without clamps: only the default is the same */
	return same_util(want, &default_thread) ? NULL : "utilization clamp (this kernel has none)";
}

static int set_attr(pid_t tid, const struct sched_thread *t, uint64_t extra_flags, uint32_t size)
{
	struct glue_sched_attr a = {
		.size = size, .policy = t->policy, .flags = t->flags | extra_flags,
		.nice = t->nice, .priority = t->priority,
	};

	if (t->policy == GLUE_SCHED_DEADLINE) {
		a.runtime = t->runtime;
		a.deadline = t->deadline;
		a.period = t->period;
	} else if (is_fair(t->policy)) {
		a.runtime = t->runtime;
	}
	if (size >= ATTR_SIZE_VER1) {
		a.util_min = t->util_min;
		a.util_max = t->util_max;
	}
	return syscall(SYS_sched_setattr, tid, &a, 0) < 0 ? -errno : 0;
}

/*
 * Give thread @tid (0: the caller) the scheduling @t and read it back: 0,
 * or -errno with *ret_what naming what could not be set.
 */
static int apply(pid_t tid, const struct sched_thread *t, const char **ret_what)
{
	struct sched_thread now;
	int e;

	*ret_what = "nice value";
	if (setpriority(PRIO_PROCESS, tid, t->nice) < 0)
		return -errno;
	*ret_what = "policy";
	e = set_attr(tid, t, 0, ATTR_SIZE_VER0);
	if (e == 0)
		e = read_thread(tid, &now, NULL);
	if (e == 0 && t->util_min != UTIL_UNKNOWN && now.util_min != UTIL_UNKNOWN &&
	    !same_util(t, &now)) {
		/* the policy gave other clamps than the thread had: its own */
		*ret_what = "utilization clamp";
		e = set_attr(tid, t, FLAG_UTIL_CLAMP_MIN | FLAG_UTIL_CLAMP_MAX | FLAG_KEEP_POLICY |
				     FLAG_KEEP_PARAMS, ATTR_SIZE_VER1);
		if (e == 0)
			e = read_thread(tid, &now, NULL);
	}
	if (e < 0)
		return e;
	*ret_what = difference(t, &now);
	return *ret_what ? -EINVAL : 0;
}

/* ---- checkpoint ---- */

/*
 * The restorer's side, asked once per scheduling and limits (the
 * inventory asks for each key of each thread, the checkpoint again at the
 * freeze): ferry's own scheduling, what every stub starts with, and the
 * last answers of a child of ferry.
 */
struct probe_answer {
	bool used;
	struct sched_thread t;
	uint64_t limits[2];
	int result;
};

static struct {
	bool have_own;
	struct sched_thread own;
	uint64_t own_slice; /* the kernel's slice of a fair thread, as ferry has it */
	struct probe_answer answers[16];
	size_t next;
} probe;

struct try_arg {
	const struct sched_thread *t;
	uint64_t nice_limit, rtprio_limit;
};

/* The soft limit @resource of the process, which restore gives it before
 * its scheduling (one above ferry's hard limit it could not get anyway). */
static void take_limit(int resource, uint64_t limit)
{
	struct rlimit rl;

	if (getrlimit(resource, &rl) < 0)
		return;
	rl.rlim_cur = limit < rl.rlim_max ? limit : rl.rlim_max;
	setrlimit(resource, &rl);
}

static int try_sched(const void *arg)
{
	const struct try_arg *a = arg;
	const char *what;

	take_limit(RLIMIT_NICE, a->nice_limit);
	take_limit(RLIMIT_RTPRIO, a->rtprio_limit);
	return apply(0, a->t, &what);
}

static void read_own(void)
{
	if (probe.have_own)
		return;
	probe.have_own = read_thread(0, &probe.own, NULL) == 0;
	if (probe.have_own && is_fair(probe.own.policy)) {
		probe.own_slice = probe.own.runtime;
		probe.own.runtime = 0; /* the kernel's slice, as a new thread's */
	}
}

static bool is_default(const struct sched_thread *t)
{
	return t->policy == SCHED_OTHER && !t->flags && !t->nice && !t->runtime &&
	       (t->util_min == UTIL_UNKNOWN ||
		(t->util_min == default_thread.util_min && t->util_max == default_thread.util_max));
}

static bool same_sched(const struct sched_thread *a, const struct sched_thread *b)
{
	struct sched_thread x = *a, y = *b;

	x.tid = y.tid = 0;
	return memcmp(&x, &y, sizeof(x)) == 0;
}

/* Could the restorer give @t back to a process whose soft RLIMIT_NICE and
 * RLIMIT_RTPRIO are @limits? 0 or -errno. */
static int restorer_can(const struct sched_thread *t, const uint64_t limits[2])
{
	struct try_arg arg = { t, limits[0], limits[1] };
	struct probe_answer *a;

	if (probe.have_own && same_sched(t, &probe.own))
		return 0; /* what every stub has already */
	for (size_t i = 0; i < sizeof(probe.answers) / sizeof(probe.answers[0]); i++) {
		a = &probe.answers[i];
		if (a->used && same_sched(t, &a->t) &&
		    a->limits[0] == limits[0] && a->limits[1] == limits[1])
			return a->result;
	}
	a = &probe.answers[probe.next++ % (sizeof(probe.answers) / sizeof(probe.answers[0]))];
	a->used = true;
	a->t = *t;
	a->limits[0] = limits[0];
	a->limits[1] = limits[1];
	a->result = ckpt_restorer_can(try_sched, &arg);
	return a->result;
}

static const char *privilege_of(const struct sched_thread *t)
{
	if (t->policy == GLUE_SCHED_DEADLINE)
		return "SCHED_DEADLINE needs CAP_SYS_NICE and free deadline bandwidth";
	if (is_rt(t->policy))
		return "a real-time policy needs CAP_SYS_NICE, or an RLIMIT_RTPRIO that allows "
		       "the priority, and real-time runtime in the cgroup";
	if (t->nice < 0)
		return "a nice value below 0 needs CAP_SYS_NICE or an RLIMIT_NICE that allows it";
	return "see the error";
}

/*
 * Can thread @tid of @pid be given its scheduling back? 0 when it can (or
 * has nothing to give back), else -errno with @why (of @size) saying why.
 * Its soft limits are @limits, or read now when NULL.
 */
static int judge(pid_t pid, pid_t tid, const uint64_t *limits, struct sched_thread *ret,
		 char *why, size_t size)
{
	struct sched_thread t;
	uint64_t flags, own_limits[2];
	char what[160];
	int e;

	read_own();
	e = read_thread(tid, &t, &flags);
	if (e < 0) {
		snprintf(why, size, "cannot read its scheduling: %s", strerror(-e));
		return e;
	}
	t.tid = tid;
	if (is_fair(t.policy) && t.runtime == probe.own_slice)
		t.runtime = 0;
	*ret = t;
	describe(&t, what, sizeof(what));
	if (!is_fair(t.policy) && !is_rt(t.policy) && t.policy != GLUE_SCHED_DEADLINE) {
		snprintf(why, size, "its scheduling policy %u (%s) is not supported", t.policy,
			 policy_name(t.policy));
		return -EOPNOTSUPP;
	}
	if (flags & ~(uint64_t)CARRIED_FLAGS) {
		snprintf(why, size, "its scheduling flags %#llx (%s) are not supported",
			 (unsigned long long)(flags & ~(uint64_t)CARRIED_FLAGS), what);
		return -EOPNOTSUPP;
	}
	if (is_default(&t))
		return 0;
	if (!limits) {
		struct rlimit rl;

		own_limits[0] = prlimit(pid, RLIMIT_NICE, NULL, &rl) == 0 ? rl.rlim_cur : 0;
		own_limits[1] = prlimit(pid, RLIMIT_RTPRIO, NULL, &rl) == 0 ? rl.rlim_cur : 0;
		limits = own_limits;
	}
	e = restorer_can(&t, limits);
	if (e < 0)
		snprintf(why, size, "its scheduling (%s) could not be set again by a restorer "
			 "with ferry's privileges (%s): %s", what, privilege_of(&t), strerror(-e));
	return e;
}

/*
 * The inventory asks of each key of a thread's scheduling: carried when
 * the whole of it can be given back; else only a key at the value a new
 * thread has is, and the others are refused with the reason below (the
 * checkpoint, which asks again at the freeze, names the exact one).
 */
static bool thread_carried(const struct inv_item *it)
{
	struct sched_thread t;
	char why[512];

	if (judge(it->pid, it->tid, NULL, &t, why, sizeof(why)) == 0)
		return true;
	return strcmp(it->value, "0") == 0 ||
	       strcmp(it->value, inv_ferry_value(INV_SCHED, it->key)) == 0;
}

#define NOT_SETTABLE                                                                     \
	"ferry does not know this thread's scheduling policy or flags, or a restorer with " \
	"ferry's privileges could not give it back (a nice value below 0 needs "          \
	"CAP_SYS_NICE or RLIMIT_NICE; a real-time policy CAP_SYS_NICE or RLIMIT_RTPRIO, "  \
	"and real-time runtime in its cgroup; SCHED_DEADLINE CAP_SYS_NICE and free "       \
	"deadline bandwidth)"

static const struct inv_claim sched_claims[] = {
	INV_CLAIM_IF(INV_SCHED, "policy", thread_carried, NOT_SETTABLE),
	INV_CLAIM_IF(INV_SCHED, "flags", thread_carried, NOT_SETTABLE),
	INV_CLAIM_IF(INV_SCHED, "nice", thread_carried, NOT_SETTABLE),
	INV_CLAIM_IF(INV_SCHED, "rt_priority", thread_carried, NOT_SETTABLE),
	INV_CLAIM_IF(INV_SCHED, "runtime", thread_carried, NOT_SETTABLE),
	INV_CLAIM_IF(INV_SCHED, "deadline", thread_carried, NOT_SETTABLE),
	INV_CLAIM_IF(INV_SCHED, "period", thread_carried, NOT_SETTABLE),
	INV_CLAIM_IF(INV_SCHED, "util_min", thread_carried, NOT_SETTABLE),
	INV_CLAIM_IF(INV_SCHED, "util_max", thread_carried, NOT_SETTABLE),
	INV_CLAIMS_END,
};

static int sched_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	uint64_t limits[2] = { p->rlimits[RLIMIT_NICE][0], p->rlimits[RLIMIT_RTPRIO][0] };
	struct sched_process *sp;

	for (size_t i = 0; i < p->nthreads; i++) {
		pid_t tid = p->threads[i].tid;
		struct sched_thread t, *slot;
		char why[512];
		int e = judge(pid, tid, limits, &t, why, sizeof(why));

		if (e == -ESRCH)
			return log_error_errno(e, "pid %d tid %d: %s", pid, tid, why);
		if (e < 0) {
			ckpt_unsupported(c, "pid %d tid %d: %s", pid, tid, why);
			continue;
		}
		if (is_default(&t))
			continue;
		sp = kind_process_data(p, &kind_sched);
		slot = sp ? ST_PUSH(sp->threads, sp->n) : NULL;
		if (!slot)
			return -ENOMEM;
		*slot = t;
	}
	return 0;
}

/* ---- restore ---- */

static const struct sched_thread *find_thread(const struct sched_process *sp, pid_t tid)
{
	for (size_t i = 0; sp && i < sp->n; i++)
		if ((pid_t)sp->threads[i].tid == tid)
			return &sp->threads[i];
	return NULL;
}

static int sched_threads_made(struct rst *r, struct rproc *rp)
{
	const struct sched_process *sp = kind_process_data_if(rp->p, &kind_sched);

	(void)r;
	for (size_t i = 0; i < rp->p->nthreads; i++) {
		pid_t tid = rp->p->threads[i].tid;
		const struct sched_thread *t = find_thread(sp, tid);
		struct sched_thread now;
		const char *what;
		char desc[160];
		int e;

		if (!t)
			t = &default_thread;
		if (read_thread(tid, &now, NULL) == 0 && !difference(t, &now))
			continue; /* it has it already, as it came from the restorer */
		e = apply(tid, t, &what);
		if (e < 0) {
			describe(t, desc, sizeof(desc));
			if (e == -EINVAL && what)
				return log_error_errno(e, "pid %d tid %d: its scheduling (%s) did not take: "
						"its %s differs", rp->pid, tid, desc, what);
			return log_error_errno(e, "pid %d tid %d: cannot set its scheduling (%s): its %s",
					rp->pid, tid, desc, what);
		}
	}
	return 0;
}

const struct kind kind_sched = {
	.name = "sched",
	.claims = sched_claims,
	.dump_process = sched_dump_process,
	.process_size = sizeof(struct sched_process),
	.process_fields = sched_process_fields,
	.threads_made = sched_threads_made,
};
