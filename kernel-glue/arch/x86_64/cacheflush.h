/* SPDX-License-Identifier: MIT */
/* Write CPU caches back to memory (x86_64). */
#ifndef FERRY_ARCH_CACHEFLUSH_H
#define FERRY_ARCH_CACHEFLUSH_H

#include <stddef.h>

/*
 * Write back (and invalidate) every cache line over [p, p+len), then fence
 * so the writes are globally visible before anything that follows (kexec,
 * reboot). Uses clflushopt when the CPU has it, clflush otherwise.
 */
void ferry_arch_flush_range(const void *p, size_t len);

/* "clflushopt" or "clflush": what ferry_arch_flush_range() uses here. */
const char *ferry_arch_flush_method(void);

#endif
