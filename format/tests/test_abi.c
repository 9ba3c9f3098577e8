/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the ABIs the boot stage and the kernel side share, each
 * with its one home in format/: the kernel command line, SIZE@ADDR, the
 * region header and ferry.conf. One line per case (mk/run-tests.sh), each
 * case in a child process.
 */
#include "abi_tests.h"
#include "testlib.h"

int main(void)
{
	test_cmdline_cases();
	test_size_addr_cases();
	test_region_cases();
	test_conf_cases();
	return test_exit_status();
}
