/* SPDX-License-Identifier: MIT */
/* The kernel's struct sched_attr (sched_getattr(2)), as of Linux 4.18 with
 * the utilization clamps; older kernels fill its first 48 bytes. */
#ifndef FERRY_GLUE_SCHED_ATTR_H
#define FERRY_GLUE_SCHED_ATTR_H

#include <stdint.h>

struct glue_sched_attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};

#define GLUE_SCHED_ATTR_SIZE_VER0 48 /* without the clamps */

#endif
