/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target of the stage core: the input is the whole region (control
 * block, staging, expanded). Whatever it holds, the stage must return one of
 * its statuses without reading or writing outside the region, and what it
 * says must hold: a handoff it wrote reads back, an image it calls expanded
 * verifies as an expanded image.
 *
 * Seeds in efi-stage/fuzz/corpus: `test-stage --write-corpus DIR` writes
 * the regions. Findings, kept as they were found: sealed-metadata-version-2
 * (the staged image's metadata FDT says version 2, last compatible 2) and
 * sealed-handoff-version-2 (an earlier handoff in the control block says
 * so): libfdt 1.6.1's fdt_check_full() dereferenced NULL on both, in the
 * verify and in the look for an earlier handoff.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/handoff.h"
#include "ferry/image.h"
#include "stage.h"

#define PHYS 0x40000000ull

static struct ferry_stage stage;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ferry_stage_env env = { .stage = "efi", .stage_version = "fuzz" };
	struct ferry_handoff h;
	struct ferry_image img;
	uint8_t *region;
	int s;

	/* exactly the input's size, so ASan sees any access past the region */
	region = malloc(size ? size : 1);
	if (!region)
		return 0;
	memcpy(region, data, size);
	s = ferry_stage_run(&stage, region, size, PHYS, &env);
	if (s < FERRY_STAGE_UNFORMATTED || s > FERRY_STAGE_BAD)
		abort();
	if (stage.handoff_written) {
		if (ferry_handoff_read(region + stage.handoff_offset, size - stage.handoff_offset, &h) < 0)
			abort();
		if ((s == FERRY_STAGE_BAD) != (h.image_state == FERRY_HANDOFF_IMAGE_NONE))
			abort();
		if (h.image_state == FERRY_HANDOFF_IMAGE_EXPANDED) {
			if (h.image_address < PHYS || h.image_address - PHYS > size ||
			    h.image_size > size - (h.image_address - PHYS))
				abort();
			if (ferry_image_open(&img, region + (h.image_address - PHYS), h.image_size, 0, NULL) < 0 ||
			    ferry_image_verify(&img, NULL) < 0 || !(img.hdr.flags & FERRY_FLAG_EXPANDED))
				abort();
		}
	} else if (s != FERRY_STAGE_UNFORMATTED && s != FERRY_STAGE_NOTHING &&
		   s != FERRY_STAGE_BAD) {
		/* a bad control block in a range too small for a handoff area
		 * is the one case without a handoff */
		abort();
	}
	free(region);
	return 0;
}
