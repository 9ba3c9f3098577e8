/* SPDX-License-Identifier: MIT */
/*
 * CPU affinity, thread by thread: the main thread on the last CPU, a
 * thread on the first, one left on every CPU it was made with. After the
 * restore each reads sched_getaffinity() again: all the same. With one
 * CPU every mask is that CPU, and the test says so.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <pthread.h>
#include <sched.h>

#include "tlib.h"

struct tinfo {
	int cpu; /* -1: left alone */
	pid_t tid;
	volatile int set;
	cpu_set_t before;
};

static struct tinfo ti[2] = { { 0, 0, 0, { { 0 } } }, { -1, 0, 0, { { 0 } } } };
static volatile int done;

static void *run(void *arg)
{
	struct tinfo *t = arg;
	struct timespec ts = { 0, 5 * 1000 * 1000 };
	cpu_set_t set;

	t->tid = syscall(SYS_gettid);
	CPU_ZERO(&set);
	if (t->cpu >= 0)
		CPU_SET(t->cpu, &set);
	t->set = t->cpu >= 0 && sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 1;
	sched_getaffinity(0, sizeof(t->before), &t->before);
	while (!done)
		nanosleep(&ts, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	cpu_set_t main_before, now, set;
	int ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	pthread_t th[2];

	t_init("affinity", argc, argv);
	if (ncpus < 2)
		printf("one CPU: every mask is CPU 0\n");
	for (int i = 0; i < 2; i++) {
		if (pthread_create(&th[i], NULL, run, &ti[i]) != 0)
			t_fail("pthread_create");
		while (!ti[i].set)
			usleep(1000);
		if (ti[i].set < 0)
			t_fail("sched_setaffinity(CPU %d): %s", ti[i].cpu, strerror(-ti[i].set));
	}
	CPU_ZERO(&set);
	CPU_SET(ncpus - 1, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		t_fail("sched_setaffinity(CPU %d): %s", ncpus - 1, strerror(errno));
	sched_getaffinity(0, sizeof(main_before), &main_before);
	if (ncpus >= 2 && (CPU_EQUAL(&main_before, &ti[0].before) ||
			   CPU_EQUAL(&ti[0].before, &ti[1].before)))
		t_fail("the threads' masks are not all different");
	t_ready();
	t_wait_go();

	if (sched_getaffinity(0, sizeof(now), &now) < 0 || !CPU_EQUAL(&now, &main_before))
		t_fail("the main thread's CPU affinity changed (%d CPUs, was %d)", CPU_COUNT(&now),
		       CPU_COUNT(&main_before));
	for (int i = 0; i < 2; i++)
		if (sched_getaffinity(ti[i].tid, sizeof(now), &now) < 0 ||
		    !CPU_EQUAL(&now, &ti[i].before))
			t_fail("thread %d's CPU affinity changed (%d CPUs, was %d)", i,
			       CPU_COUNT(&now), CPU_COUNT(&ti[i].before));
	done = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	t_pass();
}
