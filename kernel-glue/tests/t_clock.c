/* SPDX-License-Identifier: MIT */
/*
 * Clock continuity: samples CLOCK_MONOTONIC, CLOCK_BOOTTIME and
 * CLOCK_REALTIME every millisecond across the checkpoint and restore.
 * Neither of the first two may ever go back, nor jump forward by more than
 * the time that really passed (CLOCK_REALTIME, which no namespace moves).
 * Run with FERRY_TEST_CLOCK_SHIFT=1 (t_clock_shift), the restore happens
 * where the kernel's clocks read as if it had booted a second ago.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include "tlib.h"

#ifndef CLOCK_TEST_NAME
#define CLOCK_TEST_NAME "clock"
#endif

#define SLACK_NS 50000000ll /* 50 ms between two samples of one round */

static long long ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct timespec tick = { 0, 1000 * 1000 };
	long long mono, boot, real, pmono, pboot, preal, max_real_gap = 0;
	unsigned long rounds = 0;

	t_init(CLOCK_TEST_NAME, argc, argv);
	pmono = ns(CLOCK_MONOTONIC);
	pboot = ns(CLOCK_BOOTTIME);
	preal = ns(CLOCK_REALTIME);
	while (!t_go) {
		nanosleep(&tick, NULL);
		mono = ns(CLOCK_MONOTONIC);
		boot = ns(CLOCK_BOOTTIME);
		real = ns(CLOCK_REALTIME);
		if (mono < pmono || boot < pboot)
			t_fail("time went back: monotonic %lld -> %lld, boottime %lld -> %lld", pmono,
			       mono, pboot, boot);
		if (mono - pmono > real - preal + SLACK_NS || boot - pboot > real - preal + SLACK_NS)
			t_fail("time jumped: monotonic +%lld ns, boottime +%lld ns in %lld ns",
			       mono - pmono, boot - pboot, real - preal);
		if (real - preal > max_real_gap)
			max_real_gap = real - preal;
		pmono = mono;
		pboot = boot;
		preal = real;
		if (++rounds == 100)
			t_ready();
	}
	printf("longest pause %lld ms, monotonic now %lld s\n", max_real_gap / 1000000,
	       pmono / 1000000000);
	if (max_real_gap < 5000000ll)
		t_fail("no pause of the process was seen (longest %lld ns)", max_real_gap);
	t_pass();
}
