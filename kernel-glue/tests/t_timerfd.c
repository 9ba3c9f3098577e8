/* SPDX-License-Identifier: MIT */
/*
 * Timerfds: relative one-shot (4 s), absolute CLOCK_MONOTONIC (4.5 s), a
 * periodic one (50 ms) and an absolute CLOCK_REALTIME one (5 s). After
 * restore none has fired early and each fires on time, as the process's
 * own clocks read (the restore's time namespace hides the downtime from
 * CLOCK_MONOTONIC; CLOCK_REALTIME goes on through it).
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <stdint.h>
#include <sys/timerfd.h>

#include "tlib.h"

static int arm(int clk, int flags, double value, double interval)
{
	struct itimerspec its = {
		.it_value = { (time_t)value, (long)((value - (time_t)value) * 1e9) },
		.it_interval = { (time_t)interval, (long)((interval - (time_t)interval) * 1e9) },
	};
	int fd = timerfd_create(clk, 0);

	if (fd < 0 || timerfd_settime(fd, flags, &its, NULL) < 0)
		t_fail("timerfd: %s", strerror(errno));
	return fd;
}

static double wait_fire(int fd, int clk)
{
	uint64_t n;

	if (read(fd, &n, 8) != 8)
		t_fail("read: %s", strerror(errno));
	return t_now(clk);
}

int main(int argc, char **argv)
{
	double t0, rt0, at, late = 0.5;
	int rel, abs_m, per, abs_r;
	uint64_t n;

	t_init("timerfd", argc, argv);
	t0 = t_now(CLOCK_MONOTONIC);
	rt0 = t_now(CLOCK_REALTIME);
	rel = arm(CLOCK_MONOTONIC, 0, 4.0, 0);
	abs_m = arm(CLOCK_MONOTONIC, TFD_TIMER_ABSTIME, t0 + 4.5, 0);
	per = arm(CLOCK_MONOTONIC, 0, 0.05, 0.05);
	abs_r = arm(CLOCK_REALTIME, TFD_TIMER_ABSTIME, rt0 + 5.0, 0);
	t_ready();
	t_wait_go();

	if (t_now(CLOCK_MONOTONIC) - t0 > 3.5)
		t_fail("too late to check (%.2f s)", t_now(CLOCK_MONOTONIC) - t0);
	fcntl(rel, F_SETFL, O_NONBLOCK);
	if (read(rel, &n, 8) != -1 || errno != EAGAIN)
		t_fail("the relative timer fired early");
	fcntl(rel, F_SETFL, 0);
	if (read(per, &n, 8) != 8 || n < 1)
		t_fail("the periodic timer does not tick");
	at = wait_fire(rel, CLOCK_MONOTONIC) - t0;
	if (at < 4.0 - 0.01 || at > 4.0 + late)
		t_fail("the relative timer fired at %.3f s instead of 4", at);
	at = wait_fire(abs_m, CLOCK_MONOTONIC) - t0;
	if (at < 4.5 - 0.01 || at > 4.5 + late)
		t_fail("the absolute monotonic timer fired at %.3f s instead of 4.5", at);
	at = wait_fire(abs_r, CLOCK_REALTIME) - rt0;
	if (at < 5.0 - 0.01 || at > 5.0 + late)
		t_fail("the absolute realtime timer fired at %.3f s instead of 5", at);
	t_pass();
}
