/* SPDX-License-Identifier: MIT */
/*
 * Timer slack, thread by thread: the main thread at 1000 ns, one thread
 * at 7777777 ns, one left with the slack it was made with (the main
 * thread's before it changed: ferry's default). After the restore each
 * thread asks PR_GET_TIMERSLACK again: all the same.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <pthread.h>
#include <sys/prctl.h>

#include "tlib.h"

struct tinfo {
	unsigned long set; /* 0: left alone */
	volatile int ready;
	unsigned long before, after;
};

static struct tinfo ti[2] = { { 7777777, 0, 0, 0 }, { 0, 0, 0, 0 } };
static volatile int checked;

static void *run(void *arg)
{
	struct tinfo *t = arg;
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	if (t->set && prctl(PR_SET_TIMERSLACK, t->set, 0, 0, 0) < 0)
		t_fail("PR_SET_TIMERSLACK(%lu): %s", t->set, strerror(errno));
	t->before = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	t->ready = 1;
	while (!t_go)
		nanosleep(&ts, NULL);
	t->after = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	t->ready = 2;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[2];
	long main_after;

	t_init("timerslack", argc, argv);
	for (int i = 0; i < 2; i++) {
		if (pthread_create(&th[i], NULL, run, &ti[i]) != 0)
			t_fail("pthread_create");
		while (!ti[i].ready)
			usleep(1000);
	}
	if (prctl(PR_SET_TIMERSLACK, 1000, 0, 0, 0) < 0)
		t_fail("PR_SET_TIMERSLACK(1000): %s", strerror(errno));
	if (ti[0].before != 7777777 || ti[1].before == 1000 || ti[1].before == 7777777)
		t_fail("the threads did not get their slack: %lu, %lu", ti[0].before, ti[1].before);

	t_ready();
	t_wait_go();

	main_after = prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	if (main_after != 1000)
		t_fail("the main thread's slack is %ld, not 1000", main_after);
	for (int i = 0; i < 2; i++)
		if (ti[i].after != ti[i].before)
			t_fail("thread %d's slack is %lu, not %lu", i, ti[i].after, ti[i].before);
	t_pass();
}
