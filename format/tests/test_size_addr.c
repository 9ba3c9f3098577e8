/* SPDX-License-Identifier: MIT */
/* SIZE@ADDR (format/src/size_addr.c): what SPEC.md §9.1 accepts, what it
 * refuses, and that what the writer writes reads back. */
#include <stdio.h>
#include <string.h>

#include "ferry/size_addr.h"
#include "abi_tests.h"
#include "testlib.h"

struct parse_case {
	const char *text;
	char sep;
	int ok;
	uint64_t size, addr;
};

static const struct parse_case parse_cases[] = {
	{ "64M@0x30000000", '@', 1, 64ull << 20, 0x30000000 },
	{ "0x4000000@805306368", '@', 1, 64ull << 20, 0x30000000 },
	{ "64m@768M", '@', 1, 64ull << 20, 768ull << 20 },
	{ "1G$4G", '$', 1, 1ull << 30, 4ull << 30 },
	{ "2T!0X10000000", '!', 1, 2ull << 40, 0x10000000 },
	{ "4k@0", '@', 1, 4096, 0 },
	{ "0x1000@0xffffffffffffe000", '@', 1, 4096, 0xffffffffffffe000ull },
	{ "0x1000@0xfffffffffffff000", '@', 0, 0, 0 }, /* its end, 2^64, is no address */
	{ "64M$0x30000000", '@', 0, 0, 0 },  /* wrong separator */
	{ "64M@", '@', 0, 0, 0 },
	{ "@0x1000", '@', 0, 0, 0 },
	{ "64M", '@', 0, 0, 0 },
	{ "0@0x1000", '@', 0, 0, 0 },         /* size 0 */
	{ "4097@0", '@', 0, 0, 0 },           /* not 4 KiB aligned */
	{ "4K@0x1001", '@', 0, 0, 0 },
	{ "8K@0xfffffffffffff000", '@', 0, 0, 0 }, /* wraps */
	{ "64M@0x30000000 ", '@', 0, 0, 0 },  /* trailing text */
	{ "64MB@0", '@', 0, 0, 0 },
	{ "010M@0", '@', 0, 0, 0 },           /* octal to the kernel, decimal to a reader */
	{ "0x@0", '@', 0, 0, 0 },
	{ "-4K@0", '@', 0, 0, 0 },
	{ "+4K@0", '@', 0, 0, 0 },
	{ " 4K@0", '@', 0, 0, 0 },
	{ "18446744073709551616@0", '@', 0, 0, 0 }, /* 2^64 */
	{ "16777216T@0", '@', 0, 0, 0 },            /* 2^64 by its suffix */
	{ "0x10000000000000000@0", '@', 0, 0, 0 },
};

static int case_parse(const void *arg)
{
	(void)arg;
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *c = &parse_cases[i];
		struct ferry_diag diag = { 0 };
		uint64_t size = 0, addr = 0;
		int r = ferry_parse_size_addr(c->text, strlen(c->text), c->sep, &size, &addr, &diag);

		if (c->ok && (r != 0 || size != c->size || addr != c->addr))
			return test_fail("\"%s\": %d, 0x%llx@0x%llx", c->text, r,
					 (unsigned long long)size, (unsigned long long)addr);
		if (!c->ok && (r != -FERRY_ERR_SIZE || !diag.what))
			return test_fail("\"%s\" is not refused with a reason (%d)", c->text, r);
	}
	test_detail("%zu texts", sizeof(parse_cases) / sizeof(parse_cases[0]));
	return 0;
}

static int case_format_roundtrip(const void *arg)
{
	static const uint64_t values[][2] = {
		{ 4096, 0 }, { 64ull << 20, 0x30000000 }, { 0x1000, 0xffffffffffffe000ull },
		{ 0xfffffffffffff000ull, 0 },
	};
	char buf[FERRY_SIZE_ADDR_LEN];
	uint64_t size, addr;
	int n;

	(void)arg;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		n = ferry_format_size_addr(buf, sizeof(buf), values[i][0], '$', values[i][1]);
		if (n < 0 || (size_t)n != strlen(buf) ||
		    ferry_parse_size_addr(buf, (size_t)n, '$', &size, &addr, NULL) != 0 ||
		    size != values[i][0] || addr != values[i][1])
			return test_fail("\"%s\" does not read back", buf);
	}
	n = ferry_format_size_addr(buf, sizeof(buf), UINT64_MAX, '@', UINT64_MAX);
	if (n != FERRY_SIZE_ADDR_LEN - 1)
		return test_fail("the longest text is %d bytes, not %u", n, FERRY_SIZE_ADDR_LEN - 1);
	if (ferry_format_size_addr(buf, (size_t)n, UINT64_MAX, '@', UINT64_MAX) != -FERRY_ERR_NOSPACE)
		return test_fail("a buffer without room for the NUL is written");
	if (strcmp(buf, "0xffffffffffffffff@0xffffffffffffffff") != 0)
		return test_fail("a refused write changed the buffer: \"%s\"", buf);
	return 0;
}

void test_size_addr_cases(void)
{
	test_run_isolated("size-addr-parse", case_parse, NULL);
	test_run_isolated("size-addr-format-reads-back", case_format_roundtrip, NULL);
}
