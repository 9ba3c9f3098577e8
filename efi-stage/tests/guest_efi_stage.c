/* SPDX-License-Identifier: MIT */
/*
 * Guest helper of the OVMF scenarios (static, in the test initramfs).
 *
 *   guest-efi-stage stage SEED [corrupt]
 *       format the region named by ferry.region=, write a synthetic image
 *       (seeded) into staging and mark it SEALED; "corrupt" flips one byte
 *       of a chunk payload after sealing (a damaged staged image).
 *   guest-efi-stage handoff
 *       print the handoff named by ferry.handoff= (one key=value a line).
 *   guest-efi-stage check SEED
 *       the handoff says expanded and verified, and the expanded image in
 *       the region verifies and is byte for byte the expansion of the image
 *       written with SEED.
 *
 * Exit status 0 on success; the last line says what failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "ferry/cmdline.h"
#include "ferry/handoff.h"
#include "ferry/image.h"
#include "ferry/size_addr.h"
#include "stage.h"
#include "stage_region.h"
#include "synth.h"

static struct synth_shape shape_for(uint64_t seed)
{
	struct synth_shape s = {
		.name = "efi-guest",
		.seed = seed,
		.created_sec = 1700000000,
		.page_size = 4096,
		.chunk_pages = 256,
		.level = 1,
		.mm_count = 2,
		.areas_per_mm = 4,
		.pages_per_area = 256, /* 8 MiB of pages */
		.hole_pct = 5,
		.zero_pct = 10,
		.random_pct = 15,
		.run_pages = 8,
		.batch_pages = 64,
	};
	return s;
}

/* The last @key= among the kernel's parameters of /proc/cmdline. */
static int cmdline_value(const char *key, char *out, size_t cap)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return ferry_cmdline_value(buf, n, key, out, cap) == 1 ? 0 : -1;
}

static uint8_t *map_phys(uint64_t phys, uint64_t size)
{
	int fd = open("/dev/mem", O_RDWR | O_SYNC);
	void *p;

	if (fd < 0) {
		printf("cannot open /dev/mem: %s\n", strerror(errno));
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)phys);
	close(fd);
	if (p == MAP_FAILED) {
		printf("cannot map 0x%" PRIx64 "@0x%" PRIx64 ": %s\n", size, phys, strerror(errno));
		return NULL;
	}
	return p;
}

static uint8_t *map_region(uint64_t *ret_size, uint64_t *ret_phys)
{
	char spec[128];

	if (cmdline_value(FERRY_PARAM_REGION, spec, sizeof(spec)) < 0) {
		printf("no ferry.region= on the command line\n");
		return NULL;
	}
	if (ferry_parse_size_addr(spec, strlen(spec), '@', ret_size, ret_phys, NULL) < 0) {
		printf("ferry.region=%s is not SIZE@ADDR\n", spec);
		return NULL;
	}
	return map_phys(*ret_phys, *ret_size);
}

static int cmd_stage(uint64_t seed, int corrupt)
{
	struct synth_shape s = shape_for(seed);
	struct ferry_region_header *h;
	struct synth_stats stats;
	uint64_t size, phys;
	uint8_t *region, *img;
	size_t len;
	struct timespec t0, t1;

	region = map_region(&size, &phys);
	if (!region)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (synth_image_alloc(&s, &img, &len, &stats) < 0) {
		printf("synthetic image failed\n");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	stage_region_format(region, size, ((size - FERRY_REGION_CONTROL_SIZE) / 5 * 2) & ~4095ull);
	h = stage_region_header(region);
	if (stage_region_put(region, img, len, FERRY_REGION_SEALED) < 0) {
		printf("image of %zu bytes does not fit staging\n", len);
		return 1;
	}
	if (corrupt) {
		/* a byte in the middle of the chunk area: a payload */
		struct ferry_image im;

		ferry_image_open(&im, img, len, 0, NULL);
		region[h->staging_offset + im.hdr.chunks_offset + im.hdr.chunks_size / 2] ^= 0x40;
	}
	printf("staged: %zu bytes (%" PRIu64 " data pages, %.1f s to make) at 0x%" PRIx64
	       ", expanded area %" PRIu64 " bytes%s\n", len, stats.data_pages,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9, phys + h->staging_offset,
	       h->expanded_size, corrupt ? ", one payload byte flipped" : "");
	free(img);
	return 0;
}

static int read_handoff(struct ferry_handoff *ho)
{
	char v[64];
	uint64_t addr;
	uint8_t *p;

	if (cmdline_value(FERRY_PARAM_HANDOFF, v, sizeof(v)) < 0) {
		printf("no ferry.handoff= on the command line\n");
		return -1;
	}
	addr = strtoull(v, NULL, 0);
	p = map_phys(addr & ~4095ull, FERRY_REGION_HANDOFF_SIZE + 4096);
	if (!p)
		return -1;
	if (ferry_handoff_read(p + (addr & 4095), FERRY_REGION_HANDOFF_SIZE, ho) < 0) {
		printf("the handoff at 0x%" PRIx64 " does not read\n", addr);
		return -1;
	}
	return 0;
}

static const char *state_name(uint32_t s)
{
	return s == FERRY_HANDOFF_IMAGE_EXPANDED ? "expanded" :
	       s == FERRY_HANDOFF_IMAGE_COMPRESSED ? "compressed" : "none";
}

static int cmd_handoff(void)
{
	struct ferry_handoff ho;

	if (read_handoff(&ho) < 0)
		return 1;
	printf("image-state=%s\nverified=%u\nimage=0x%" PRIx64 "+%" PRIu64 "\nstage=%s %s\n"
	       "stage-time-ms=%.1f\nreason=%s\n", state_name(ho.image_state), ho.verified,
	       ho.image_address, ho.image_size, ho.stage, ho.stage_version,
	       ho.stage_time_ns / 1e6, ho.reason);
	return 0;
}

static int cmd_check(uint64_t seed)
{
	static struct ferry_inflater inf;
	struct synth_shape s = shape_for(seed);
	struct ferry_handoff ho;
	struct ferry_image src, got;
	struct ferry_diag diag = { 0 };
	uint64_t size, phys, want_size;
	uint8_t *region, *img, *want;
	size_t len;

	if (cmd_handoff() != 0 || read_handoff(&ho) < 0)
		return 1;
	if (ho.image_state != FERRY_HANDOFF_IMAGE_EXPANDED || !ho.verified) {
		printf("handoff: image %s, verified %u: expected an expanded, verified image\n",
		       state_name(ho.image_state), ho.verified);
		return 1;
	}
	region = map_region(&size, &phys);
	if (!region)
		return 1;
	if (ho.image_address < phys || ho.image_address - phys + ho.image_size > size) {
		printf("handoff image lies outside the region\n");
		return 1;
	}
	if (ferry_image_open(&got, region + (ho.image_address - phys), ho.image_size, 0, &diag) < 0 ||
	    ferry_image_verify(&got, &diag) < 0) {
		printf("expanded image in the region does not verify: %s (%s)\n",
		       ferry_strerror(diag.code), diag.what ? diag.what : "?");
		return 1;
	}
	if (synth_image_alloc(&s, &img, &len, NULL) < 0 ||
	    ferry_image_open(&src, img, len, 0, NULL) < 0 ||
	    ferry_expand_size(&src, &want_size, NULL) < 0 || !(want = malloc(want_size)) ||
	    ferry_inflater_init(&inf) < 0 ||
	    ferry_expand_image(&src, &inf, want, want_size, &want_size, NULL) < 0) {
		printf("cannot rebuild the expected expanded image\n");
		return 1;
	}
	if (want_size != ho.image_size || memcmp(want, region + (ho.image_address - phys), want_size)) {
		printf("expanded image differs from the expected one (%" PRIu64 " vs %" PRIu64
		       " bytes)\n", ho.image_size, want_size);
		return 1;
	}
	printf("check: expanded image of %" PRIu64 " bytes verifies and matches (%" PRIu64
	       " page bytes, %u chunks)\n", want_size, got.hdr.page_bytes_raw, got.hdr.chunk_count);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "stage"))
		return cmd_stage(strtoull(argv[2], NULL, 0), argc > 3 && !strcmp(argv[3], "corrupt"));
	if (argc == 2 && !strcmp(argv[1], "handoff"))
		return cmd_handoff();
	if (argc == 3 && !strcmp(argv[1], "check"))
		return cmd_check(strtoull(argv[2], NULL, 0));
	fprintf(stderr, "usage: guest-efi-stage stage SEED [corrupt] | handoff | check SEED\n");
	return 2;
}
