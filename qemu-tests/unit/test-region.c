// SPDX-License-Identifier: MIT
/* Host unit tests: ferry.region= parsing, /proc/iomem checks, the region
 * layout, and the command line handed to the next kernel. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kexec.h"
#include "region.h"

static int failed;

#define CHECK(name, cond)                                                     \
	do {                                                                  \
		if (cond)                                                     \
			printf("PASS: %s\n", name);                           \
		else {                                                        \
			printf("FAIL: %s: %s (line %d)\n", name, #cond, __LINE__); \
			failed = 1;                                           \
		}                                                             \
	} while (0)

static const char iomem[] =
	"00000000-00000fff : Reserved\n"
	"00001000-0009fbff : System RAM\n"
	"00100000-2fffffff : System RAM\n"
	"  01000000-01ffffff : Kernel code\n"
	"30000000-33ffffff : Reserved\n"
	"34000000-3ffdffff : System RAM\n"
	"38000000-38ffffff : Persistent Memory (legacy)\n"
	"  38000000-38ffffff : namespace0.0\n"
	"fd000000-fdffffff : 0000:00:02.0\n";

static void test_parse(void)
{
	uint64_t s = 0, a = 0;
	const char *end;

	CHECK("region-size-suffix", ferry_region_parse_size("64M", &end, &s) == 0 && s == 64ull << 20);
	CHECK("region-size-hex", ferry_region_parse_size("0x1000", &end, &s) == 0 && s == 4096);
	CHECK("region-size-g", ferry_region_parse_size("2G", &end, &s) == 0 && s == 2ull << 30);
	CHECK("region-size-bad", ferry_region_parse_size("M", &end, &s) == -EINVAL);
	CHECK("region-size-overflow", ferry_region_parse_size("99999999999T", &end, &s) == -ERANGE);
	CHECK("region-spec", ferry_region_parse_spec("64M@0x30000000", &s, &a) == 0 &&
			     s == 64ull << 20 && a == 0x30000000);
	CHECK("region-spec-decimal", ferry_region_parse_spec("4096@805306368", &s, &a) == 0 &&
				     s == 4096 && a == 0x30000000);
	CHECK("region-spec-unaligned", ferry_region_parse_spec("64M@0x30000100", &s, &a) == -EINVAL);
	CHECK("region-spec-noat", ferry_region_parse_spec("64M", &s, &a) == -EINVAL);
	CHECK("region-spec-zero", ferry_region_parse_spec("0@0x1000", &s, &a) == -ERANGE);
	CHECK("region-cmdline", ferry_region_from_cmdline("console=ttyS0 memmap=64M$0x30000000 "
							  "ferry.region=64M@0x30000000 quiet", &s, &a) == 0 &&
				a == 0x30000000 && s == 64ull << 20);
	CHECK("region-cmdline-last-wins",
	      ferry_region_from_cmdline("ferry.region=4M@0x1000000 ferry.region=8M@0x2000000", &s, &a) == 0 &&
	      a == 0x2000000 && s == 8ull << 20);
	CHECK("region-cmdline-absent", ferry_region_from_cmdline("console=ttyS0 ferry.regionx=1", &s, &a) == -ENOENT);
	CHECK("region-cmdline-after-dashes",
	      ferry_region_from_cmdline("quiet -- ferry.region=4M@0x1000000", &s, &a) == -ENOENT);
}

static void test_iomem(void)
{
	enum ferry_region_reservation k = FERRY_RESERVED_NONE;

	CHECK("iomem-reserved", ferry_region_check_iomem(iomem, 0x30000000, 64 << 20, &k) == 0 &&
				k == FERRY_RESERVED_E820);
	CHECK("iomem-reserved-part", ferry_region_check_iomem(iomem, 0x31000000, 1 << 20, &k) == 0);
	CHECK("iomem-ram", ferry_region_check_iomem(iomem, 0x20000000, 1 << 20, &k) == -EADDRINUSE);
	CHECK("iomem-straddle", ferry_region_check_iomem(iomem, 0x33f00000, 2 << 20, &k) == -EADDRINUSE);
	CHECK("iomem-pmem", ferry_region_check_iomem(iomem, 0x38000000, 16 << 20, &k) == -EADDRINUSE);
	CHECK("iomem-none", ferry_region_check_iomem(iomem, 0x50000000, 1 << 20, &k) == -ENOENT);
	CHECK("iomem-unprivileged", ferry_region_check_iomem("00000000-00000000 : System RAM\n",
							     0x30000000, 4096, &k) == -EPERM);
	CHECK("iomem-pmem-only",
	      ferry_region_check_iomem("40000000-4fffffff : Persistent Memory (legacy)\n",
				       0x40000000, 1 << 20, &k) == 0 && k == FERRY_RESERVED_PMEM);
}

static void test_layout(void)
{
	struct ferry_region_header h, c;
	uint64_t size = 64ull << 20;

	CHECK("layout-too-small", ferry_region_layout(FERRY_REGION_MIN_SIZE - 4096, &h) == -ENOSPC);
	CHECK("layout-default", ferry_region_layout(size, &h) == 0 &&
				ferry_region_header_check(&h, size) == 0);
	CHECK("layout-order", h.handoff_offset == 4096 && h.staging_offset == FERRY_REGION_CONTROL_SIZE &&
			      h.expanded_offset == h.staging_offset + h.staging_size &&
			      h.expanded_offset + h.expanded_size == size &&
			      h.expanded_size > h.staging_size);
	c = h;
	c.state = FERRY_REGION_SEALED;
	CHECK("layout-crc", ferry_region_header_check(&c, size) == -EBADMSG);
	ferry_region_header_seal(&c);
	CHECK("layout-reseal", ferry_region_header_check(&c, size) == 0);
	c = h;
	c.staging_size += 4096;
	ferry_region_header_seal(&c);
	CHECK("layout-overlap", ferry_region_header_check(&c, size) == -ERANGE);
	CHECK("layout-larger-than-region", ferry_region_header_check(&h, size / 2) == -ERANGE);
	c = h;
	c.version = 2;
	ferry_region_header_seal(&c);
	CHECK("layout-version", ferry_region_header_check(&c, size) == -EPROTO);
}

static void test_cmdline(void)
{
	char buf[512];
	const char *cur = "BOOT_IMAGE=/vmlinuz console=ttyS0 memmap=64M$0x30000000 "
			  "ferry.region=64M@0x30000000 ferry.handoff=0x30001000 quiet";

	CHECK("kexec-cmdline-inherit",
	      ferry_kexec_cmdline(NULL, cur, NULL, buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "console=ttyS0 quiet memmap=64M$0x30000000 ferry.region=64M@0x30000000"));
	CHECK("kexec-cmdline-base",
	      ferry_kexec_cmdline("console=ttyS0 init=/init", cur, "x=1", buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "console=ttyS0 init=/init memmap=64M$0x30000000 "
			   "ferry.region=64M@0x30000000 x=1"));
	CHECK("kexec-cmdline-no-dup",
	      ferry_kexec_cmdline("memmap=64M$0x30000000 ferry.region=64M@0x30000000", cur, NULL,
				  buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "memmap=64M$0x30000000 ferry.region=64M@0x30000000"));
	CHECK("kexec-cmdline-too-long", ferry_kexec_cmdline(NULL, cur, NULL, buf, 20) == -E2BIG);
}

int main(void)
{
	test_parse();
	test_iomem();
	test_layout();
	test_cmdline();
	return failed;
}
