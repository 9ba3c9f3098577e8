// SPDX-License-Identifier: MIT
#include <cpuid.h>
#include <stdint.h>

#include "cacheflush.h"

static int flush_kind = -1; /* 0 clflush, 1 clflushopt */
static unsigned line_size = 64;

static void detect(void)
{
	unsigned a, b, c, d;

	if (flush_kind >= 0)
		return;
	flush_kind = 0;
	if (__get_cpuid(1, &a, &b, &c, &d) && ((b >> 8) & 0xff))
		line_size = ((b >> 8) & 0xff) * 8;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 23)))
		flush_kind = 1;
}

const char *ferry_arch_flush_method(void)
{
	detect();
	return flush_kind ? "clflushopt" : "clflush";
}

void ferry_arch_flush_range(const void *p, size_t len)
{
	uintptr_t a, end = (uintptr_t)p + len;

	if (len == 0)
		return;
	detect();
	a = (uintptr_t)p & ~((uintptr_t)line_size - 1);
	if (flush_kind) {
		for (; a < end; a += line_size)
			__asm__ volatile("clflushopt %0" : "+m"(*(volatile char *)a));
		__asm__ volatile("sfence" ::: "memory");
	} else {
		__asm__ volatile("mfence" ::: "memory");
		for (; a < end; a += line_size)
			__asm__ volatile("clflush %0" : "+m"(*(volatile char *)a));
		__asm__ volatile("mfence" ::: "memory");
	}
}
