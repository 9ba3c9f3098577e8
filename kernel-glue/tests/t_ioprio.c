/* SPDX-License-Identifier: MIT */
/*
 * I/O priorities, thread by thread: the main thread in the idle class, a
 * thread best-effort at level 2, one real-time at level 3, one left as it
 * was made (0: it follows its nice value). After the restore each reads
 * ioprio_get() again: all the same.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <pthread.h>

#include "tlib.h"

#define IOPRIO_WHO_PROCESS 1
#define PRIO(class, level) (((class) << 13) | (level))

struct tinfo {
	int want;
	pid_t tid;
	volatile int set;
};

static struct tinfo ti[] = { { PRIO(2, 2), 0, 0 }, { PRIO(1, 3), 0, 0 }, { 0, 0, 0 } };
#define NT (sizeof(ti) / sizeof(ti[0]))
static volatile int done;

static void *run(void *arg)
{
	struct tinfo *t = arg;
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	t->tid = syscall(SYS_gettid);
	t->set = t->want && syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, t->want) < 0 ? -errno
											 : 1;
	while (!done)
		nanosleep(&ts, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[NT];
	long now;

	t_init("ioprio", argc, argv);
	for (size_t i = 0; i < NT; i++) {
		if (pthread_create(&th[i], NULL, run, &ti[i]) != 0)
			t_fail("pthread_create");
		while (!ti[i].set)
			usleep(1000);
		if (ti[i].set < 0)
			t_fail("ioprio_set(%#x): %s", ti[i].want, strerror(-ti[i].set));
	}
	if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, PRIO(3, 0)) < 0)
		t_fail("ioprio_set(idle): %s", strerror(errno));
	t_ready();
	t_wait_go();

	now = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
	if (now != PRIO(3, 0))
		t_fail("the main thread's I/O priority is %#lx, not %#x", now, PRIO(3, 0));
	for (size_t i = 0; i < NT; i++) {
		now = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, ti[i].tid);
		if (now != ti[i].want)
			t_fail("thread %zu's I/O priority is %#lx, not %#x", i, now, ti[i].want);
	}
	done = 1;
	for (size_t i = 0; i < NT; i++)
		pthread_join(th[i], NULL);
	t_pass();
}
