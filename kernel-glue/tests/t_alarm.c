/* SPDX-License-Identifier: MIT */
/*
 * A pending alarm(): 4 s once ready, then the program waits in pause() for
 * SIGALRM. After the restore the alarm is still pending and comes 4 s after
 * ready as the process's clock reads: the program does not wait forever.
 *
 * host-test: run none 1
 * host-test: run LIVE_FIRST=1 none 1
 * host-test: run none 2
 */
#include "tlib.h"

static volatile sig_atomic_t rang;

static void on_alarm(int sig)
{
	(void)sig;
	rang = 1;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	double ready_at, at;

	t_init("alarm", argc, argv);
	sigaction(SIGALRM, &sa, NULL);
	ready_at = t_now(CLOCK_MONOTONIC);
	alarm(4);
	t_ready();
	while (!rang)
		pause();
	at = t_now(CLOCK_MONOTONIC) - ready_at;
	if (at < 4 - 0.01 || at > 4 + 0.5)
		t_fail("SIGALRM came %.3f s after alarm(4)", at);
	if (alarm(0) != 0)
		t_fail("another alarm is pending");
	t_pass();
}
