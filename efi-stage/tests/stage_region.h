/* SPDX-License-Identifier: MIT */
/* Host-side helpers of the stage tests: a region in memory with a control
 * block and an image staged in it, as the old kernel leaves it. The header
 * is written with format/'s encoder; tests edit it in place through
 * stage_region_header() (the decoded struct has the on-disk layout on a
 * little-endian host) and reseal it. */
#ifndef FERRY_STAGE_REGION_H
#define FERRY_STAGE_REGION_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/region_header.h"

_Static_assert(sizeof(struct ferry_region_header) == FERRY_REGION_HEADER_SIZE &&
		       __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "stage_region_header() edits the header in place");

/* Format @region (@size bytes, which may be below the smallest region the
 * kernel side lays out) with a staging area of @staging bytes and the rest
 * (page aligned) as expanded; state EMPTY. */
static inline void stage_region_format(uint8_t *region, uint64_t size, uint64_t staging)
{
	struct ferry_region_header h = {
		.magic = FERRY_REGION_MAGIC,
		.version = FERRY_REGION_VERSION,
		.header_size = FERRY_REGION_HEADER_SIZE,
		.region_size = size & ~(uint64_t)(FERRY_REGION_PAGE - 1),
		.handoff_offset = FERRY_REGION_HANDOFF_OFFSET,
		.handoff_size = FERRY_REGION_HANDOFF_SIZE,
		.staging_offset = FERRY_REGION_CONTROL_SIZE,
		.state = FERRY_REGION_EMPTY,
	};

	h.staging_size = staging;
	h.expanded_offset = h.staging_offset + h.staging_size;
	h.expanded_size = h.region_size - h.expanded_offset;
	memset(region, 0, FERRY_REGION_CONTROL_SIZE);
	ferry_region_header_encode(&h, region);
}

static inline struct ferry_region_header *stage_region_header(uint8_t *region)
{
	return (struct ferry_region_header *)region;
}

/* The CRC again, after a test edited the header in place. */
static inline void stage_region_reseal(uint8_t *region)
{
	struct ferry_region_header h;

	memcpy(&h, region, sizeof(h));
	ferry_region_header_encode(&h, region);
}

/* Put @img (@len bytes) into staging and mark the region SEALED. */
static inline int stage_region_put(uint8_t *region, const uint8_t *img, uint64_t len, uint32_t state)
{
	struct ferry_region_header *h = stage_region_header(region);

	if (len > h->staging_size)
		return -1;
	memcpy(region + h->staging_offset, img, len);
	h->image_size = len;
	h->state = state;
	h->generation++;
	stage_region_reseal(region);
	return 0;
}

#endif
