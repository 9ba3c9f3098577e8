/* SPDX-License-Identifier: MIT */
#ifndef FERRY_GLUE_DUMP_TIME_H
#define FERRY_GLUE_DUMP_TIME_H

#include "internal.h"

/* Record CLOCK_MONOTONIC and CLOCK_BOOTTIME as @pid sees them (in its time
 * namespace) into the image. Call at the freeze. Returns 0 or -errno. */
int dump_clocks(struct ckpt *c, pid_t pid);

#endif
