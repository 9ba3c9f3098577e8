/* SPDX-License-Identifier: MIT */
/* Filling a struct ferry_diag in one line: return diag_fail(...). */
#ifndef FERRY_DIAG_H
#define FERRY_DIAG_H

#include <stdint.h>

#include "ferry/image.h"

static inline int diag_fail_chunk(struct ferry_diag *diag, int code, const char *part,
				  const char *what, uint64_t offset, uint32_t chunk)
{
	if (diag) {
		diag->code = code;
		diag->part = part;
		diag->what = what;
		diag->offset = offset;
		diag->chunk = chunk;
	}
	return code;
}

static inline int diag_fail(struct ferry_diag *diag, int code, const char *part,
			    const char *what, uint64_t offset)
{
	return diag_fail_chunk(diag, code, part, what, offset, UINT32_MAX);
}

uint32_t ferry_header_crc(const uint8_t *raw);

#endif
