/* SPDX-License-Identifier: MIT */
/*
 * Host side of `make bench-stage`: the stage core over a region holding the
 * image the OVMF scenario stages (guest-efi-stage, seed 7), best of N runs.
 * Prints "host: verify US inflate US raw BYTES" for bench-stage.sh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stage.h"
#include "stage_region.h"
#include "synth.h"

static struct ferry_stage stage;

static uint64_t now_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(void)
{
	/* the shape of efi-stage/tests/guest_efi_stage.c */
	struct synth_shape s = {
		.name = "efi-guest", .seed = 7, .created_sec = 1700000000, .page_size = 4096,
		.chunk_pages = 256, .level = 1, .mm_count = 2, .areas_per_mm = 4,
		.pages_per_area = 256, .hole_pct = 5, .zero_pct = 10, .random_pct = 15,
		.run_pages = 8, .batch_pages = 64,
	};
	const struct ferry_stage_env env = { .now_ns = now_ns, .stage = "efi", .stage_version = "bench" };
	uint64_t size = 64ull << 20, best_v = UINT64_MAX, best_i = UINT64_MAX;
	uint8_t *region = aligned_alloc(4096, size), *img;
	size_t len;

	if (!region || synth_image_alloc(&s, &img, &len, NULL) < 0)
		return 1;
	for (int i = 0; i < 10; i++) {
		stage_region_format(region, size, ((size - FERRY_REGION_CONTROL_SIZE) / 5 * 2) & ~4095ull);
		stage_region_put(region, img, len, FERRY_REGION_SEALED);
		if (ferry_stage_run(&stage, region, size, 0x30000000, &env) != FERRY_STAGE_EXPANDED)
			return 1;
		if (stage.stats.verify_ns < best_v)
			best_v = stage.stats.verify_ns;
		if (stage.stats.inflate_ns < best_i)
			best_i = stage.stats.inflate_ns;
	}
	printf("host: verify %llu us inflate %llu us staged %llu expanded %llu\n",
	       (unsigned long long)(best_v / 1000), (unsigned long long)(best_i / 1000),
	       (unsigned long long)stage.stats.staged_bytes,
	       (unsigned long long)stage.stats.expanded_bytes);
	return 0;
}
