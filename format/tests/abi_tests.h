/* SPDX-License-Identifier: MIT */
/* The cases of test-abi, one function per ABI the stage and the kernel
 * side share (format/tests/test_*.c); test_abi.c runs them all. */
#ifndef FERRY_ABI_TESTS_H
#define FERRY_ABI_TESTS_H

void test_cmdline_cases(void);
void test_size_addr_cases(void);
void test_region_cases(void);
void test_conf_cases(void);

#endif
