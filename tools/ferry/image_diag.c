/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdio.h>

#include "image_diag.h"

void image_diag_init(struct ferry_diag *d)
{
	*d = (struct ferry_diag){ .part = "image", .what = "unknown problem", .chunk = UINT32_MAX };
}

const char *image_diag_describe(char *buf, size_t size, const struct ferry_diag *d, int code)
{
	char chunk[32] = "";

	if (d->code)
		code = d->code;
	if (d->chunk != UINT32_MAX)
		snprintf(chunk, sizeof(chunk), " chunk %" PRIu32, d->chunk);
	snprintf(buf, size, "%s at offset 0x%" PRIx64 "%s: %s (%s)", d->part, d->offset, chunk,
		 d->what, ferry_strerror(code));
	return buf;
}

const char *image_diag_hint(int code)
{
	switch (code < 0 ? -code : code) {
	case FERRY_ERR_TRUNCATED:
		return "the file is shorter than the image it holds; copy it again from its source";
	case FERRY_ERR_BADMAGIC:
		return "this file is not a ferry checkpoint image; check the path";
	case FERRY_ERR_VERSION:
		return "the image was written by a ferry with a newer image format; read it with that ferry";
	case FERRY_ERR_UNSEALED:
		return "the checkpoint was never completed and cannot be restored; 'ferry inspect' shows what it holds";
	default:
		return "the image is damaged and cannot be restored; take a new checkpoint or use another copy";
	}
}
