// SPDX-License-Identifier: MIT
/*
 * region-probe: exercise the marked range inside a test guest.
 *
 *   region-probe info
 *   region-probe write-pattern [SEED]   format the region, fill staging and
 *                                       expanded with a pattern, flush
 *   region-probe check-pattern [SEED]   verify the pattern and its SHA-256
 *   region-probe kexec KERNEL [INITRD] [-- EXTRA ARGS...]
 *                                       load with kernel-glue/kexec and jump,
 *                                       carrying memmap= and ferry.region=
 *     env FERRY_KEXEC_FORCE_TOOLS=1     load through kexec-tools instead
 *     env FERRY_KEXEC_UNSAFE_NO_MEMMAX=1  ... without keeping it below the
 *                                       region (negative control)
 *
 * Lines starting "FERRY-TIME: " report phase timings for the runner.
 * Exit status 0 on success, 1 on failure (with the reason on stderr).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mbedtls/sha256.h>

#include "ferry/cmdline.h"
#include "cacheflush.h"
#include "kexec.h"
#include "region.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Word i of the pattern: splitmix64 of (seed, i), so any word can be checked alone. */
static inline uint64_t pattern_word(uint64_t seed, uint64_t i)
{
	uint64_t z = seed + (i + 1) * 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void sha256(const uint8_t *p, uint64_t len, uint8_t out[32])
{
	mbedtls_sha256_context c;

	mbedtls_sha256_init(&c);
	(void)mbedtls_sha256_starts_ret(&c, 0);
	(void)mbedtls_sha256_update_ret(&c, p, len);
	(void)mbedtls_sha256_finish_ret(&c, out);
	mbedtls_sha256_free(&c);
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static int open_region(struct ferry_region *r)
{
	const char *cached = getenv("FERRY_REGION_CACHED");

	ferry_region_init(r, cached && *cached == '1' ? FERRY_REGION_MAP_CACHED : 0);
	return ferry_region_open(r);
}

static int cmd_info(void)
{
	struct ferry_region r;
	struct ferry_region_header h;
	int err;

	err = open_region(&r);
	if (err < 0)
		return 1;
	printf("region: 0x%" PRIx64 " bytes at 0x%" PRIx64 " via %s (%s, flush: %s)\n", r.size,
	       r.phys, r.device, r.flags & FERRY_REGION_MAP_CACHED ? "cached" : "O_SYNC",
	       ferry_arch_flush_method());
	err = ferry_region_header_load(&r, &h);
	if (err == -ENODATA)
		printf("header: none (never formatted)\n");
	else if (err == 0)
		printf("header: v%u state %s generation %" PRIu64 " staging 0x%" PRIx64 "+0x%" PRIx64
		       " expanded 0x%" PRIx64 "+0x%" PRIx64 "\n",
		       h.version, ferry_region_state_name(h.state), h.generation, h.staging_offset,
		       h.staging_size, h.expanded_offset, h.expanded_size);
	ferry_region_close(&r);
	return 0;
}

static int cmd_write(uint64_t seed)
{
	struct ferry_region r;
	struct ferry_region_header h;
	uint64_t i, words, *p;
	double t0, t1, t2, t3;
	char dhex[65];

	if (open_region(&r) < 0)
		return 1;
	if (ferry_region_layout(r.size, &h) < 0) {
		fprintf(stderr, "region-probe: region too small\n");
		return 1;
	}
	t0 = now_ms();
	p = (uint64_t *)(r.base + h.staging_offset);
	words = (h.region_size - h.staging_offset) / 8;
	for (i = 0; i < words; i++)
		p[i] = pattern_word(seed, i);
	t1 = now_ms();
	ferry_region_flush(&r, h.staging_offset, h.region_size - h.staging_offset);
	t2 = now_ms();
	h.state = FERRY_REGION_TEST;
	h.generation = seed;
	h.image_size = h.staging_size;
	sha256(r.base + h.staging_offset, h.staging_size, h.digest);
	t3 = now_ms();
	if (ferry_region_header_store(&r, &h) < 0)
		return 1;
	hex(h.digest, 32, dhex);
	printf("write-pattern: seed %" PRIu64 ", 0x%" PRIx64 " bytes at 0x%" PRIx64 " via %s, "
	       "staging sha256 %s\n",
	       seed, words * 8, r.phys + h.staging_offset, r.device, dhex);
	printf("FERRY-TIME: region-write %.0f ms, flush (%s) %.0f ms, sha256 %.0f ms\n", t1 - t0,
	       ferry_arch_flush_method(), t2 - t1, t3 - t2);
	ferry_region_close(&r);
	return 0;
}

static int cmd_check(uint64_t seed)
{
	struct ferry_region r;
	struct ferry_region_header h;
	uint64_t i, words, bad = 0, first_bad = 0, *p;
	uint8_t digest[32];
	char want[65], got[65];
	double t0, t1;
	int err;

	if (open_region(&r) < 0)
		return 1;
	err = ferry_region_header_load(&r, &h);
	if (err < 0) {
		fprintf(stderr, "check-pattern: no valid region header (%s): the control block "
			"did not survive\n", err == -ENODATA ? "magic missing" : strerror(-err));
		return 1;
	}
	if (h.state != FERRY_REGION_TEST || h.generation != seed) {
		fprintf(stderr, "check-pattern: header state %s generation %" PRIu64
			", expected test-pattern %" PRIu64 "\n",
			ferry_region_state_name(h.state), h.generation, seed);
		return 1;
	}
	t0 = now_ms();
	sha256(r.base + h.staging_offset, h.image_size, digest);
	p = (uint64_t *)(r.base + h.staging_offset);
	words = (h.region_size - h.staging_offset) / 8;
	for (i = 0; i < words; i++) {
		if (p[i] != pattern_word(seed, i)) {
			if (!bad)
				first_bad = i;
			bad++;
		}
	}
	t1 = now_ms();
	hex(h.digest, 32, want);
	hex(digest, 32, got);
	printf("FERRY-TIME: region-check %.0f ms\n", t1 - t0);
	if (bad) {
		fprintf(stderr, "check-pattern: %" PRIu64 " of %" PRIu64 " words differ, first at "
			"physical 0x%" PRIx64 "\n", bad, words,
			r.phys + h.staging_offset + first_bad * 8);
		return 1;
	}
	if (memcmp(digest, h.digest, 32)) {
		fprintf(stderr, "check-pattern: staging sha256 %s, header says %s\n", got, want);
		return 1;
	}
	printf("check-pattern: seed %" PRIu64 ", 0x%" PRIx64 " bytes intact, sha256 %s\n", seed,
	       words * 8, got);
	ferry_region_close(&r);
	return 0;
}

/* Does the line `extra` set the parameter `p` (a NAME=VALUE) again? */
static int set_again(const struct ferry_cmdline_param *p, void *extra)
{
	struct ferry_cmdline_cursor c;
	struct ferry_cmdline_param q;

	ferry_cmdline_cursor_init(&c, extra, strlen(extra));
	while (p->value && ferry_cmdline_next(&c, &q) > 0)
		if (q.value && ferry_cmdline_same_name(p, &q))
			return 1;
	return 0;
}

static int keep_running(const struct ferry_cmdline_param *p, void *extra)
{
	return !ferry_cmdline_is(p, "BOOT_IMAGE") && !set_again(p, extra);
}

/*
 * The next kernel's line: the running one, without the parameters `extra`
 * sets again and without BOOT_IMAGE=, then memmap=/ferry.region= carried
 * over by kernel-glue/kexec, then extra (format/'s ferry/cmdline.h: every
 * kernel parameter before the --).
 */
static int build_base(const char *current, const char *extra, char *out, size_t len)
{
	struct ferry_cmdline_builder b;
	char base[4096];
	const char *init;
	size_t n;

	ferry_cmdline_builder_init(&b, base, sizeof(base));
	ferry_cmdline_add_line(&b, current, strlen(current), keep_running, (void *)extra);
	n = ferry_cmdline_init_part(current, strlen(current), &init);
	ferry_cmdline_add_init(&b, init, n);
	if (ferry_cmdline_builder_end(&b) < 0)
		return -E2BIG;
	return ferry_kexec_cmdline(NULL, base, extra, out, len);
}

static int cmd_kexec(int argc, char **argv)
{
	struct ferry_kexec_load_opts o = { 0 };
	enum ferry_kexec_method method;
	char current[4096], cmdline[4096], extra[2048] = "";
	uint64_t rsize, rphys;
	double t0;
	int i;

	if (argc < 1) {
		fprintf(stderr, "usage: region-probe kexec KERNEL [INITRD] [-- ARGS...]\n");
		return 2;
	}
	o.kernel = argv[0];
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			for (i++; i < argc; i++) {
				if (*extra)
					strncat(extra, " ", sizeof(extra) - strlen(extra) - 1);
				strncat(extra, argv[i], sizeof(extra) - strlen(extra) - 1);
			}
			break;
		}
		o.initrd = argv[i];
	}
	if (ferry_region_read_cmdline(current, sizeof(current)) < 0)
		return 1;
	if (ferry_region_from_cmdline(current, &rsize, &rphys) == 0)
		o.region_phys = rphys;
	if (build_base(current, extra, cmdline, sizeof(cmdline)) < 0) {
		fprintf(stderr, "region-probe: command line too long\n");
		return 1;
	}
	o.cmdline = cmdline;
	o.no_fallback = getenv("FERRY_KEXEC_NO_FALLBACK") != NULL;
	o.force_tools = getenv("FERRY_KEXEC_FORCE_TOOLS") != NULL;
	/* negative control only: let kexec-tools use the whole firmware map */
	if (getenv("FERRY_KEXEC_UNSAFE_NO_MEMMAX"))
		o.region_phys = 0;
	t0 = now_ms();
	if (ferry_kexec_load(&o, &method) < 0)
		return 1;
	printf("kexec: loaded %s%s%s with %s in %.0f ms\n", o.kernel, o.initrd ? " + " : "",
	       o.initrd ? o.initrd : "", ferry_kexec_method_name(method), now_ms() - t0);
	printf("kexec: command line: %s\n", cmdline);
	printf("FERRY-KEXEC: jumping\n");
	fflush(stdout);
	ferry_kexec_execute();
	return 1;
}

int main(int argc, char **argv)
{
	uint64_t seed = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: region-probe info|write-pattern [SEED]|check-pattern [SEED]|"
			"kexec KERNEL [INITRD] [-- ARGS]\n");
		return 2;
	}
	if (argc > 2 && strcmp(argv[1], "kexec"))
		seed = strtoull(argv[2], NULL, 0);
	if (!strcmp(argv[1], "info"))
		return cmd_info();
	if (!strcmp(argv[1], "write-pattern"))
		return cmd_write(seed);
	if (!strcmp(argv[1], "check-pattern"))
		return cmd_check(seed);
	if (!strcmp(argv[1], "kexec"))
		return cmd_kexec(argc - 2, argv + 2);
	fprintf(stderr, "region-probe: unknown command %s\n", argv[1]);
	return 2;
}
