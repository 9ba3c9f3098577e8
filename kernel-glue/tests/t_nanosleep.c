/* SPDX-License-Identifier: MIT */
/* In nanosleep() at the checkpoint: after restore the sleep finishes
 * (restarted with the time that was left) and returns 0, not EINTR.
 *
 * host-test: run none 1
 * host-test: run LIVE_FIRST=1 none 1
 * host-test: run none 2
 */
#include "tlib.h"

int main(int argc, char **argv)
{
	struct timespec req = { 2, 0 }, rem = { 0, 0 };
	double start;
	int r;

	t_init("nanosleep", argc, argv);
	start = t_now(CLOCK_MONOTONIC);
	t_ready();
	r = nanosleep(&req, &rem);
	if (r != 0)
		t_fail("nanosleep returned %d (%s)", r, strerror(errno));
	if (t_now(CLOCK_MONOTONIC) - start < 1.9)
		t_fail("slept only %.3f s of 2", t_now(CLOCK_MONOTONIC) - start);
	t_pass();
}
