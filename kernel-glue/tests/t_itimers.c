/* SPDX-License-Identifier: MIT */
/*
 * Interval timers, set once the program is ready:
 *   ITIMER_REAL     first in 4 s, then every 0.3 s (SIGALRM, a handler)
 *   ITIMER_VIRTUAL  100 s of user CPU time, then every 7 s (not reached)
 *   ITIMER_PROF     0.4 s of CPU time, then every 0.2 s (SIGPROF, a handler)
 * The program sleeps, so neither CPU-time timer moves before the check.
 * After the restore: ITIMER_VIRTUAL has its period and nearly all its
 * time; ITIMER_PROF fires once the program has used the CPU time it had
 * left, then after each period; ITIMER_REAL fires 4 s after ready as the
 * process's clock reads (the restore's time namespace hides the downtime),
 * then every 0.3 s.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <sys/time.h>

#include "tlib.h"

static volatile sig_atomic_t alarms, profs;
static double alarm_at[3];

static void on_signal(int sig)
{
	if (sig == SIGALRM && alarms < 3)
		alarm_at[alarms] = t_now(CLOCK_MONOTONIC);
	if (sig == SIGALRM)
		alarms++;
	else
		profs++;
}

static void set(int which, double value, double interval)
{
	struct itimerval itv = {
		.it_value = { (time_t)value, (long)((value - (time_t)value) * 1e6) },
		.it_interval = { (time_t)interval, (long)((interval - (time_t)interval) * 1e6) },
	};

	if (setitimer(which, &itv, NULL) < 0)
		t_fail("setitimer %d: %s", which, strerror(errno));
}

static double tv(struct timeval t)
{
	return t.tv_sec + t.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	struct timespec tick = { 0, 1000 * 1000 };
	double ready_at, cpu0, cpu_first = 0, cpu_left, late = 0.5;
	struct itimerval v, virt0, prof0;
	volatile unsigned long spin = 0;

	t_init("itimers", argc, argv);
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGPROF, &sa, NULL);
	cpu0 = t_now(CLOCK_PROCESS_CPUTIME_ID);
	set(ITIMER_VIRTUAL, 100, 7);
	set(ITIMER_PROF, 0.4, 0.2);
	/* the kernel gives them a tick more: what getitimer() says is the reference */
	getitimer(ITIMER_VIRTUAL, &virt0);
	getitimer(ITIMER_PROF, &prof0);
	ready_at = t_now(CLOCK_MONOTONIC);
	set(ITIMER_REAL, 4, 0.3);
	t_ready();
	t_wait_go();

	if (t_now(CLOCK_MONOTONIC) - ready_at > 3.5)
		t_fail("too late to check (%.2f s)", t_now(CLOCK_MONOTONIC) - ready_at);
	if (alarms)
		t_fail("ITIMER_REAL fired early");
	if (getitimer(ITIMER_VIRTUAL, &v) < 0 || tv(v.it_interval) != 7 ||
	    tv(v.it_value) > tv(virt0.it_value) || tv(v.it_value) < tv(virt0.it_value) - 0.05)
		t_fail("ITIMER_VIRTUAL: %.6f s left (%.6f at ready), period %.6f", tv(v.it_value),
		       tv(virt0.it_value), tv(v.it_interval));
	if (getitimer(ITIMER_PROF, &v) < 0 || tv(v.it_interval) != 0.2 ||
	    tv(v.it_value) > tv(prof0.it_value) || tv(v.it_value) < tv(prof0.it_value) - 0.05)
		t_fail("ITIMER_PROF: %.6f s left (%.6f at ready), period %.6f", tv(v.it_value),
		       tv(prof0.it_value), tv(v.it_interval));
	/* what ITIMER_PROF had left: the CPU time used since it was set, less */
	cpu_left = 0.4 - (t_now(CLOCK_PROCESS_CPUTIME_ID) - cpu0);
	cpu0 = t_now(CLOCK_PROCESS_CPUTIME_ID);
	while (profs < 2 && t_now(CLOCK_PROCESS_CPUTIME_ID) - cpu0 < 2) {
		spin++;
		if (profs == 1 && !cpu_first)
			cpu_first = t_now(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
	}
	if (profs < 2)
		t_fail("ITIMER_PROF fired %d times in 2 s of CPU time", (int)profs);
	(void)cpu_left;
	if (cpu_first > tv(prof0.it_value) + 0.05)
		t_fail("ITIMER_PROF fired after %.3f s of CPU time, it had %.3f left", cpu_first,
		       tv(prof0.it_value));
	while (alarms < 3 && t_now(CLOCK_MONOTONIC) - ready_at < 4.6 + 2 * late)
		nanosleep(&tick, NULL);
	if (alarms < 3)
		t_fail("ITIMER_REAL fired %d times by %.2f s", (int)alarms,
		       t_now(CLOCK_MONOTONIC) - ready_at);
	if (alarm_at[0] - ready_at < 4 - 0.01 || alarm_at[0] - ready_at > 4 + late)
		t_fail("ITIMER_REAL fired at %.3f s instead of 4", alarm_at[0] - ready_at);
	for (int i = 1; i < 3; i++)
		if (alarm_at[i] - alarm_at[i - 1] < 0.3 - 0.01 || alarm_at[i] - alarm_at[i - 1] > 0.3 + 0.1)
			t_fail("ITIMER_REAL: %.3f s between expiries %d and %d, not 0.3",
			       alarm_at[i] - alarm_at[i - 1], i, i + 1);
	if (getitimer(ITIMER_REAL, &v) < 0 || tv(v.it_interval) != 0.3)
		t_fail("ITIMER_REAL: period %.6f", tv(v.it_interval));
	t_pass();
}
