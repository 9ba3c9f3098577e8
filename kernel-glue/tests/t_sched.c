/* SPDX-License-Identifier: MIT */
/*
 * Scheduling, thread by thread: the main thread at nice 5; threads under
 * SCHED_BATCH (nice 3), SCHED_IDLE (nice 7), SCHED_FIFO priority 10 with
 * reset-on-fork (and nice -2 kept under it), SCHED_RR priority 5,
 * SCHED_OTHER at nice -4 with a utilization clamp of 100-800 (where the
 * kernel has clamps), SCHED_OTHER with a time slice of its own (3 ms,
 * where the kernel takes one) and SCHED_DEADLINE (2 ms every 20 ms). Each
 * is checked as set up, then after the restore the process reads every
 * thread's sched_getattr() and getpriority() again: all the same.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "tlib.h"

#define SCHED_FLAG_RESET_ON_FORK 0x01
#define SCHED_FLAG_UTIL_CLAMP_MIN 0x20
#define SCHED_FLAG_UTIL_CLAMP_MAX 0x40
#define SCHED_DEADLINE_POLICY 6

struct attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};

struct tinfo {
	const char *name;
	struct attr want; /* what it gives itself */
	int nice;         /* set first, with setpriority() */
	bool optional;    /* the kernel may not take all of it (clamps, slice) */
	pid_t tid;
	volatile int set; /* 1 done, -errno failed */
	struct attr before;
	int nice_before;
};

static struct tinfo ti[] = {
	{ .name = "batch", .want = { .policy = SCHED_BATCH, .nice = 3 }, .nice = 3 },
	{ .name = "idle", .want = { .policy = SCHED_IDLE }, .nice = 7 },
	{ .name = "fifo", .want = { .policy = SCHED_FIFO, .priority = 10,
				    .flags = SCHED_FLAG_RESET_ON_FORK }, .nice = -2 },
	{ .name = "rr", .want = { .policy = SCHED_RR, .priority = 5 } },
	{ .name = "clamped", .want = { .policy = SCHED_OTHER, .nice = -4, .util_min = 100,
				       .util_max = 800, .flags = SCHED_FLAG_UTIL_CLAMP_MIN |
								SCHED_FLAG_UTIL_CLAMP_MAX },
	  .nice = -4, .optional = true },
	{ .name = "slice", .want = { .policy = SCHED_OTHER, .runtime = 3000000 },
	  .optional = true },
	{ .name = "deadline", .want = { .policy = SCHED_DEADLINE_POLICY, .runtime = 2000000,
					.deadline = 20000000, .period = 20000000 } },
};

#define NT (sizeof(ti) / sizeof(ti[0]))

static volatile int done;

static int get(pid_t tid, struct attr *a, int *nice)
{
	memset(a, 0, sizeof(*a));
	if (syscall(SYS_sched_getattr, tid, a, sizeof(*a), 0) < 0)
		return -1;
	errno = 0;
	*nice = getpriority(PRIO_PROCESS, tid);
	return errno ? -1 : 0;
}

static void *run(void *arg)
{
	struct tinfo *t = arg;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	t->tid = syscall(SYS_gettid);
	t->want.size = sizeof(t->want);
	if (setpriority(PRIO_PROCESS, 0, t->nice) < 0 ||
	    syscall(SYS_sched_setattr, 0, &t->want, 0) < 0) {
		int e = errno;

		/* a kernel without clamps or slices: what it took is checked */
		if (!t->optional) {
			t->set = -e;
			return NULL;
		}
		t->want.flags = 0;
		t->want.util_min = t->want.util_max = 0;
		syscall(SYS_sched_setattr, 0, &t->want, 0);
	}
	t->set = 1;
	while (!done)
		nanosleep(&ts, NULL);
	return NULL;
}

static bool same(const struct attr *a, int na, const struct attr *b, int nb)
{
	return a->policy == b->policy && a->flags == b->flags && a->nice == b->nice &&
	       a->priority == b->priority && a->runtime == b->runtime &&
	       a->deadline == b->deadline && a->period == b->period && a->util_min == b->util_min &&
	       a->util_max == b->util_max && na == nb;
}

static void show(const char *what, const struct attr *a, int nice, char *buf, size_t size)
{
	snprintf(buf, size, "%s policy %u flags %#llx nice %d/%d prio %u runtime %llu deadline %llu "
		 "period %llu util %u-%u", what, a->policy, (unsigned long long)a->flags, a->nice,
		 nice, a->priority, (unsigned long long)a->runtime, (unsigned long long)a->deadline,
		 (unsigned long long)a->period, a->util_min, a->util_max);
}

int main(int argc, char **argv)
{
	struct attr main_before, now;
	int main_nice_before, nice;
	pthread_t th[NT];
	char a[256], b[256];

	t_init("sched", argc, argv);
	if (setpriority(PRIO_PROCESS, 0, 5) < 0)
		t_fail("setpriority(5): %s", strerror(errno));
	for (size_t i = 0; i < NT; i++)
		if (pthread_create(&th[i], NULL, run, &ti[i]) != 0)
			t_fail("pthread_create");
	for (size_t i = 0; i < NT; i++) {
		while (!ti[i].set)
			usleep(1000);
		if (ti[i].set < 0)
			t_fail("thread %s cannot set its scheduling: %s", ti[i].name,
			       strerror(-ti[i].set));
		if (get(ti[i].tid, &ti[i].before, &ti[i].nice_before) < 0)
			t_fail("sched_getattr of %s: %s", ti[i].name, strerror(errno));
		if (ti[i].before.policy != ti[i].want.policy ||
		    ti[i].before.priority != ti[i].want.priority ||
		    ti[i].nice_before != ti[i].nice)
			t_fail("thread %s did not get policy %u priority %u nice %d", ti[i].name,
			       ti[i].want.policy, ti[i].want.priority, ti[i].nice);
	}
	if (ti[2].before.flags != SCHED_FLAG_RESET_ON_FORK)
		t_fail("the fifo thread has no reset-on-fork");
	if (get(0, &main_before, &main_nice_before) < 0 || main_nice_before != 5)
		t_fail("the main thread is not at nice 5");

	t_ready();
	t_wait_go();

	if (get(0, &now, &nice) < 0)
		t_fail("sched_getattr: %s", strerror(errno));
	if (!same(&main_before, main_nice_before, &now, nice)) {
		show("was", &main_before, main_nice_before, a, sizeof(a));
		show("is", &now, nice, b, sizeof(b));
		t_fail("main thread: %s, %s", a, b);
	}
	for (size_t i = 0; i < NT; i++) {
		if (get(ti[i].tid, &now, &nice) < 0)
			t_fail("sched_getattr of %s: %s", ti[i].name, strerror(errno));
		if (!same(&ti[i].before, ti[i].nice_before, &now, nice)) {
			show("was", &ti[i].before, ti[i].nice_before, a, sizeof(a));
			show("is", &now, nice, b, sizeof(b));
			t_fail("thread %s: %s, %s", ti[i].name, a, b);
		}
	}
	done = 1;
	for (size_t i = 0; i < NT; i++)
		pthread_join(th[i], NULL);
	t_pass();
}
