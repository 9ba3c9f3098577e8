/* SPDX-License-Identifier: MIT */
/*
 * vDSO entry points glibc cached at startup keep working after restore:
 * clock_gettime, gettimeofday, time and getcpu, called through glibc in a
 * loop, agree with the system calls. Run with FERRY_FORCE_VDSO_REDIRECT=1
 * (t_vdso_redirect), the vDSO must also have moved away from the address
 * glibc found it at, which then only holds jumps to it.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <sched.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/time.h>

#include "tlib.h"

#ifndef VDSO_TEST_NAME
#define VDSO_TEST_NAME "vdso"
#endif

static long long ns(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000ll + ts->tv_nsec;
}

static void check_calls(long rounds)
{
	struct timespec a, b, prev = { 0, 0 };
	struct timeval tv;
	unsigned cpu, node;

	for (long i = 0; i < rounds; i++) {
		if (clock_gettime(CLOCK_MONOTONIC, &a) < 0)
			t_fail("clock_gettime: %s", strerror(errno));
		if (ns(&a) < ns(&prev))
			t_fail("CLOCK_MONOTONIC went back: %lld -> %lld", ns(&prev), ns(&a));
		prev = a;
		if (i % 1000)
			continue;
		syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b);
		if (ns(&b) < ns(&a) || ns(&b) - ns(&a) > 100000000ll)
			t_fail("vDSO and system call disagree: %lld vs %lld", ns(&a), ns(&b));
		clock_gettime(CLOCK_REALTIME, &a);
		gettimeofday(&tv, NULL);
		if (tv.tv_sec < a.tv_sec || tv.tv_sec - a.tv_sec > 1)
			t_fail("gettimeofday %ld vs clock_gettime %ld", (long)tv.tv_sec,
			       (long)a.tv_sec);
		/* time() reads the clock of the last tick: a little behind */
		if (time(NULL) + 1 < a.tv_sec || time(NULL) - a.tv_sec > 1)
			t_fail("time() is off");
		if (getcpu(&cpu, &node) < 0 || cpu >= (unsigned)CPU_SETSIZE)
			t_fail("getcpu: %s", strerror(errno));
	}
}

int main(int argc, char **argv)
{
	uint64_t ehdr = getauxval(AT_SYSINFO_EHDR), now;
	const char *forced = getenv("FERRY_FORCE_VDSO_REDIRECT");

	t_init(VDSO_TEST_NAME, argc, argv);
	if (!ehdr || t_vdso_start() != ehdr)
		t_fail("no vDSO at AT_SYSINFO_EHDR %#llx", (unsigned long long)ehdr);
	check_calls(10000);
	t_ready();
	while (!t_go)
		check_calls(1000);
	now = t_vdso_start();
	if (forced && *forced == '1' && now == ehdr)
		t_fail("the vDSO was not redirected: still at %#llx", (unsigned long long)ehdr);
	if (!now)
		t_fail("no vDSO after restore");
	check_calls(1000000);
	printf("vDSO found at %#llx, now at %#llx\n", (unsigned long long)ehdr,
	       (unsigned long long)now);
	t_pass();
}
