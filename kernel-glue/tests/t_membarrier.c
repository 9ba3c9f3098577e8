/* SPDX-License-Identifier: MIT */
/*
 * membarrier() registrations: the process registers for global expedited
 * and private expedited barriers. After the restore
 * MEMBARRIER_CMD_GET_REGISTRATIONS (Linux 6.3 and later) lists both, and
 * a private expedited barrier, which an unregistered process may not
 * issue, succeeds.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <linux/membarrier.h>

#include "tlib.h"

#define REGISTER_GLOBAL_EXPEDITED (1 << 2)
#define PRIVATE_EXPEDITED (1 << 3)
#define REGISTER_PRIVATE_EXPEDITED (1 << 4)
#define GET_REGISTRATIONS (1 << 9)

static long mb(int cmd)
{
	return syscall(SYS_membarrier, cmd, 0, 0);
}

int main(int argc, char **argv)
{
	long regs;

	t_init("membarrier", argc, argv);
	if (mb(REGISTER_GLOBAL_EXPEDITED) < 0 || mb(REGISTER_PRIVATE_EXPEDITED) < 0)
		t_fail("cannot register for membarriers: %s", strerror(errno));
	t_ready();
	t_wait_go();

	if (mb(PRIVATE_EXPEDITED) < 0)
		t_fail("a private expedited barrier: %s (it is not registered)", strerror(errno));
	regs = mb(GET_REGISTRATIONS);
	if (regs < 0 && errno != EINVAL)
		t_fail("MEMBARRIER_CMD_GET_REGISTRATIONS: %s", strerror(errno));
	if (regs >= 0 && (regs & (REGISTER_GLOBAL_EXPEDITED | REGISTER_PRIVATE_EXPEDITED)) !=
				 (REGISTER_GLOBAL_EXPEDITED | REGISTER_PRIVATE_EXPEDITED))
		t_fail("the registrations are %#lx", regs);
	t_pass();
}
