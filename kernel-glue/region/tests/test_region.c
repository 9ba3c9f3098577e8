// SPDX-License-Identifier: MIT
/* Host unit tests of libferry-region: ferry.region= on a command line,
 * /proc/iomem checks, the header read and written through a mapping, and
 * the command line handed to the next kernel. The header's own rules, the
 * SIZE@ADDR and command line parsers are format/'s (format/tests). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

	CHECK("region-cmdline", ferry_region_from_cmdline("console=ttyS0 memmap=64M$0x30000000 "
							  "ferry.region=64M@0x30000000 quiet", &s, &a) == 0 &&
				a == 0x30000000 && s == 64ull << 20);
	CHECK("region-cmdline-last-wins",
	      ferry_region_from_cmdline("ferry.region=4M@0x1000000 ferry.region=8M@0x2000000", &s, &a) == 0 &&
	      a == 0x2000000 && s == 8ull << 20);
	CHECK("region-cmdline-quoted",
	      ferry_region_from_cmdline("\"ferry.region=8M@0x2000000\" x", &s, &a) == 0 &&
	      a == 0x2000000 && s == 8ull << 20);
	CHECK("region-cmdline-absent", ferry_region_from_cmdline("console=ttyS0 ferry.regionx=1", &s, &a) == -ENOENT);
	CHECK("region-cmdline-after-dashes",
	      ferry_region_from_cmdline("quiet -- ferry.region=4M@0x1000000", &s, &a) == -ENOENT);
	CHECK("region-cmdline-unaligned",
	      ferry_region_from_cmdline("ferry.region=64M@0x30000100", &s, &a) == -EINVAL);
	CHECK("region-cmdline-no-value", ferry_region_from_cmdline("ferry.region", &s, &a) == -EINVAL);
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

/* The header through a mapping: a file standing in for /dev/mem. */
static void test_header_io(void)
{
	char path[] = "/tmp/ferry-test-region.XXXXXX";
	struct ferry_region r;
	struct ferry_region_header h, back;
	uint64_t size = 4ull << 20;
	int fd = mkstemp(path);

	if (fd < 0 || ftruncate(fd, (off_t)size) < 0) {
		CHECK("region-header-io-setup", 0);
		return;
	}
	close(fd);
	setenv("FERRY_DEVMEM", path, 1);
	ferry_region_init(&r, FERRY_REGION_MAP_NOCHECK | FERRY_REGION_MAP_CACHED);
	CHECK("region-map-file", ferry_region_map(&r, 0, size) == 0);
	if (!r.base) {
		unlink(path);
		return;
	}
	CHECK("region-header-unformatted", ferry_region_header_load(&r, &back) == -ENODATA);
	ferry_region_layout(size, &h);
	h.state = FERRY_REGION_SEALED;
	h.image_size = 4096;
	CHECK("region-header-store", ferry_region_header_store(&r, &h) == 0);
	CHECK("region-header-load", ferry_region_header_load(&r, &back) == 0 &&
				    back.state == FERRY_REGION_SEALED && back.image_size == 4096 &&
				    back.header_crc == h.header_crc);
	r.base[0x40] ^= 1;
	CHECK("region-header-damaged", ferry_region_header_load(&r, &back) == -EBADMSG);
	r.base[0x40] ^= 1;
	h.staging_size = size;
	CHECK("region-header-store-refuses-invalid", ferry_region_header_store(&r, &h) == -EINVAL &&
						     ferry_region_header_load(&r, &back) == 0 &&
						     back.staging_size != size);
	ferry_region_close(&r);
	unsetenv("FERRY_DEVMEM");
	unlink(path);
}

static void test_cmdline(void)
{
	char buf[512];
	const char *cur = "BOOT_IMAGE=/vmlinuz console=ttyS0 memmap=64M$0x30000000 "
			  "ferry.region=64M@0x30000000 ferry.handoff=0x30001000 quiet";
	const char *dashes = "BOOT_IMAGE=/vmlinuz root=/dev/vda1 memmap=64M$0x30000000 "
			     "ferry.region=64M@0x30000000 -- single memmap=1G$0x0";

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
	/* kernel parameters, the carried ones and --append's, go before the --;
	 * init's memmap=1G$0x0 is init's, not carried */
	CHECK("kexec-cmdline-append-before-dashes",
	      ferry_kexec_cmdline(NULL, dashes, "panic=10", buf, sizeof(buf)) == 0 &&
	      !strcmp(buf, "root=/dev/vda1 memmap=64M$0x30000000 ferry.region=64M@0x30000000 "
			   "panic=10 -- single memmap=1G$0x0"));
	CHECK("kexec-cmdline-carried-before-base-dashes",
	      ferry_kexec_cmdline("console=ttyS0 -- emergency", cur, "panic=10 -- x", buf,
				  sizeof(buf)) == 0 &&
	      !strcmp(buf, "console=ttyS0 memmap=64M$0x30000000 ferry.region=64M@0x30000000 "
			   "panic=10 -- emergency x"));
	CHECK("kexec-cmdline-quotes-kept",
	      ferry_kexec_cmdline(NULL, "a=\"b c\" \"d=e f\" -- \"g h\"", "x=\"y z\"", buf,
				  sizeof(buf)) == 0 &&
	      !strcmp(buf, "a=\"b c\" \"d=e f\" x=\"y z\" -- \"g h\""));
	CHECK("kexec-cmdline-open-quote-refused",
	      ferry_kexec_cmdline(NULL, "a=\"b c", "panic=10", buf, sizeof(buf)) == -EINVAL);
}

int main(void)
{
	test_parse();
	test_iomem();
	test_header_io();
	test_cmdline();
	return failed;
}
