/* SPDX-License-Identifier: MIT */
#ifndef FERRY_GLUE_RESTORE_TIME_H
#define FERRY_GLUE_RESTORE_TIME_H

#include "internal.h"

/*
 * Give the processes about to be created a time namespace in which
 * CLOCK_MONOTONIC and CLOCK_BOOTTIME go on from their values at the
 * checkpoint. Call before the first process is created: the restorer stays
 * where it is, its children enter the new namespace. Returns 0 or -errno.
 *
 * FERRY_TEST_CLOCK_SHIFT=1 in the environment (ferry restore
 * --test-clock-shift) first moves the restorer into a namespace whose
 * clocks read as if the kernel had booted a second ago, as after an update:
 * for testing continuity on one kernel.
 */
int restore_time_namespace(struct rst *r);

#endif
