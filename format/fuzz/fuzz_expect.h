/* SPDX-License-Identifier: MIT */
/* The fuzz targets' check of a promise: a broken one crashes loudly, so the
 * fuzzer keeps the input as a finding. */
#ifndef FERRY_FUZZ_EXPECT_H
#define FERRY_FUZZ_EXPECT_H

#define expect(cond)                       \
	do {                               \
		if (!(cond))               \
			__builtin_trap();  \
	} while (0)

#endif
