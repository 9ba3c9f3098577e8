/* SPDX-License-Identifier: MIT */
/* t_clock, restored by run.sh with FERRY_TEST_CLOCK_SHIFT=1: the clocks of
 * the restoring side start near zero, as on a freshly booted kernel.
 *
 * host-test: run FERRY_TEST_CLOCK_SHIFT=1 usr1 1
 * host-test: run FERRY_TEST_CLOCK_SHIFT=1 usr1 2
 */
#define CLOCK_TEST_NAME "clock_shift"
#include "t_clock.c"
