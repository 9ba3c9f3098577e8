/* SPDX-License-Identifier: MIT */
/*
 * Clock continuity. A new kernel starts CLOCK_MONOTONIC and CLOCK_BOOTTIME
 * near zero; restored processes compare them with values they kept from
 * before. unshare(CLONE_NEWTIME) gives the restorer's future children a
 * namespace whose offsets (relative to the kernel's clocks, written before
 * any task enters it) make both clocks read, at restore, what they read at
 * the freeze: time goes on from there, and the time spent in the image is
 * not seen.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/timens.h"
#include "restore_time.h"

#define NSEC 1000000000ll
#define SHIFTED_UPTIME_NS NSEC /* clocks read 1 s after --test-clock-shift */

static bool env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") != 0;
}

/* Enter a namespace whose clocks read as on a kernel booted just now. */
static int shift_clocks_for_test(void)
{
	struct timens_offsets o;
	int fd, e;

	if (unshare(CLONE_NEWTIME) < 0)
		return log_error_errno(-errno, "--test-clock-shift: cannot create a time namespace");
	o.monotonic_ns = SHIFTED_UPTIME_NS - timens_clock_ns(CLOCK_MONOTONIC);
	o.boottime_ns = SHIFTED_UPTIME_NS - timens_clock_ns(CLOCK_BOOTTIME);
	{
		struct timens_offsets mine;

		timens_read(0, &mine);
		o.monotonic_ns += mine.monotonic_ns;
		o.boottime_ns += mine.boottime_ns;
	}
	e = timens_write_for_children(&o);
	if (e < 0)
		return log_error_errno(e, "--test-clock-shift: cannot set the time namespace's offsets");
	fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(-errno, "--test-clock-shift: cannot open the time namespace");
	e = setns(fd, CLONE_NEWTIME) < 0 ? -errno : 0;
	close(fd);
	if (e < 0)
		return log_error_errno(e, "--test-clock-shift: cannot enter the time namespace");
	log_debug("test clock shift: monotonic now %lld ns",
		   (long long)timens_clock_ns(CLOCK_MONOTONIC));
	return 0;
}

int restore_time_namespace(struct rst *r)
{
	struct timens_offsets mine, o;
	int64_t mono, boot;
	int e;

	if (env_flag("FERRY_TEST_CLOCK_SHIFT")) {
		e = shift_clocks_for_test();
		if (e < 0)
			return e;
	}
	if (!r->img.clock_monotonic_ns && !r->img.clock_boottime_ns)
		return 0; /* an image without clocks: nothing to continue from */
	e = timens_read(0, &mine);
	if (e == -ENOENT) {
		log_warning("this kernel has no time namespaces: the restored processes see its "
			  "clocks as they are");
		return 0;
	}
	if (unshare(CLONE_NEWTIME) < 0)
		return log_error_errno(-errno, "cannot create a time namespace for the restored processes");
	mono = timens_clock_ns(CLOCK_MONOTONIC);
	boot = timens_clock_ns(CLOCK_BOOTTIME);
	/* offsets are relative to the kernel's clocks, not to the restorer's */
	o.monotonic_ns = (int64_t)r->img.clock_monotonic_ns - mono + mine.monotonic_ns;
	o.boottime_ns = (int64_t)r->img.clock_boottime_ns - boot + mine.boottime_ns;
	e = timens_write_for_children(&o);
	if (e < 0)
		return log_error_errno(e, "cannot set the offsets of the restored processes' time "
				"namespace (monotonic %+lld ns, boottime %+lld ns)",
				(long long)o.monotonic_ns, (long long)o.boottime_ns);
	log_debug("time namespace: monotonic %+lld ns, boottime %+lld ns",
		   (long long)o.monotonic_ns, (long long)o.boottime_ns);
	return 0;
}
