/* SPDX-License-Identifier: MIT */
/* Time namespace offsets of CLOCK_MONOTONIC and CLOCK_BOOTTIME. */
#ifndef FERRY_GLUE_TIMENS_H
#define FERRY_GLUE_TIMENS_H

#include <stdint.h>
#include <sys/types.h>

struct timens_offsets {
	int64_t monotonic_ns, boottime_ns;
};

/* The offsets of the time namespace @pid lives in (0 for self). Returns
 * -ENOENT (and zero offsets) on kernels without time namespaces, and
 * -EXDEV when @pid's namespace for children is not its own, so its own
 * offsets cannot be read. */
int timens_read(pid_t pid, struct timens_offsets *ret);

/* Write the offsets of the time namespace the caller's next children will
 * enter (after unshare(CLONE_NEWTIME), before any child). 0 or -errno. */
int timens_write_for_children(const struct timens_offsets *o);

/* CLOCK_* now, in the caller's namespace, in nanoseconds. */
int64_t timens_clock_ns(int clock);

/* CLOCK_* now as @pid sees it: CLOCK_MONOTONIC and CLOCK_BOOTTIME (and
 * CLOCK_BOOTTIME_ALARM) through its time namespace, the others as they
 * are. */
int64_t timens_process_clock_ns(pid_t pid, int clock);

#endif
