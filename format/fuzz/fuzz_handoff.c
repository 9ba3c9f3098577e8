/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target of the handoff reader (format/src/handoff.c): the input is
 * the handoff area as ferry-init, `ferry efi status` and the stage read it,
 * at an 8-byte aligned address. Beyond "no crash": a handoff that reads
 * writes back to one that reads the same, and what it says holds (an image
 * lies inside the region, the strings are terminated). Seeds: the .dtb
 * files of format/fuzz/corpus (`mksample --fuzz-corpus`), among them two
 * findings: handoff-version-2.dtb (libfdt 1.6.1 dereferenced NULL on FDT
 * version 2) and handoff-property-length-overflow.dtb (found here: a
 * property length near 2^31 overflowed an int in libfdt's fdt_next_tag(),
 * before format/src/fdt_check.c walked the structure block first).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/handoff.h"
#include "ferry/image.h"
#include "fuzz_expect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void roundtrip(const struct ferry_handoff *h)
{
	static uint64_t out[4096 / 8];
	struct ferry_handoff back;
	int n;

	n = ferry_handoff_write(out, sizeof(out), h);
	expect(n > 0);
	expect(ferry_handoff_read(out, (size_t)n, &back) == 0);
	/* strings compare up to their NUL: a property may carry bytes after it */
	expect(h->region_base == back.region_base && h->region_size == back.region_size &&
	       h->image_state == back.image_state && h->verified == back.verified &&
	       h->image_address == back.image_address && h->image_size == back.image_size &&
	       h->stage_time_ns == back.stage_time_ns && strcmp(h->stage, back.stage) == 0 &&
	       strcmp(h->stage_version, back.stage_version) == 0 &&
	       strcmp(h->reason, back.reason) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ferry_handoff h;
	uint64_t *copy;

	/* a copy of exactly the input, aligned as the handoff area is */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (ferry_handoff_read(copy, size, &h) == 0) {
		expect(h.image_state <= FERRY_HANDOFF_IMAGE_EXPANDED && h.verified <= 1);
		expect(memchr(h.stage, '\0', sizeof(h.stage)) && memchr(h.reason, '\0', sizeof(h.reason)));
		if (h.image_state != FERRY_HANDOFF_IMAGE_NONE)
			expect(h.image_address >= h.region_base &&
			       h.image_address - h.region_base <= h.region_size &&
			       h.image_size <= h.region_size - (h.image_address - h.region_base));
		roundtrip(&h);
	}
	free(copy);
	return 0;
}
