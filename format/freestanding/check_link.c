/* SPDX-License-Identifier: MIT */
/*
 * Freestanding link check: references the whole format core so that the
 * build links it with -nostdlib -Wl,--no-undefined and fails on any symbol
 * that would need a C library. The program is built, never run.
 */
#include "ferry/handoff.h"
#include "ferry/image.h"

static unsigned char image_area[1 << 16];
static unsigned char out[1 << 16];
static unsigned char handoff_area[4096];
static struct ferry_inflater inflater;

__attribute__((noreturn)) void _start(void)
{
	struct ferry_image img;
	struct ferry_diag diag;
	struct ferry_chunk_cursor cur;
	struct ferry_chunk c;
	struct ferry_extent e;
	struct ferry_handoff h = { 0 };
	uint8_t digest[FERRY_DIGEST_SIZE];
	const void *fdt;
	size_t fdt_size;

	if (ferry_image_open(&img, image_area, sizeof(image_area), 0, &diag) == 0 &&
	    ferry_image_metadata(&img, &fdt, &fdt_size) == 0 &&
	    ferry_image_verify(&img, &diag) == 0 &&
	    ferry_image_compute_digest(&img, digest, &diag) == 0 &&
	    ferry_inflater_init(&inflater) == 0) {
		ferry_chunk_cursor_init(&img, &cur);
		while (ferry_chunk_next(&img, &cur, &c, &diag) > 0) {
			ferry_chunk_extent(&c, 0, &e);
			(void)ferry_chunk_check_payload(&c, &diag);
			(void)ferry_chunk_inflate(&inflater, &c, out, sizeof(out), &diag);
		}
		ferry_inflater_fini(&inflater);
	}
	(void)ferry_strerror(diag.code);
	if (ferry_handoff_write(handoff_area, sizeof(handoff_area), &h) > 0)
		(void)ferry_handoff_read(handoff_area, sizeof(handoff_area), &h);
	for (;;)
		__asm__ volatile("hlt");
}
