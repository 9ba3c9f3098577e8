/* SPDX-License-Identifier: MIT */
/* Host-side helpers of the stage tests: a region in memory with a control
 * block and an image staged in it, as the old kernel leaves it. */
#ifndef FERRY_STAGE_REGION_H
#define FERRY_STAGE_REGION_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "region.h"

/* Format @region (@size bytes) with a staging area of @staging bytes and
 * the rest (page aligned) as expanded; state EMPTY. */
static inline void stage_region_format(uint8_t *region, uint64_t size, uint64_t staging)
{
	struct ferry_region_header h;

	memset(&h, 0, sizeof(h));
	h.magic = FERRY_REGION_MAGIC;
	h.version = FERRY_REGION_VERSION;
	h.header_size = sizeof(h);
	h.region_size = size & ~(uint64_t)(FERRY_REGION_PAGE - 1);
	h.handoff_offset = FERRY_REGION_HANDOFF_OFFSET;
	h.handoff_size = FERRY_REGION_HANDOFF_SIZE;
	h.staging_offset = FERRY_REGION_CONTROL_SIZE;
	h.staging_size = staging;
	h.expanded_offset = h.staging_offset + h.staging_size;
	h.expanded_size = h.region_size - h.expanded_offset;
	h.state = FERRY_REGION_EMPTY;
	h.header_crc = (uint32_t)crc32(0L, (const Bytef *)&h, offsetof(struct ferry_region_header, header_crc));
	memset(region, 0, FERRY_REGION_CONTROL_SIZE);
	memcpy(region, &h, sizeof(h));
}

static inline struct ferry_region_header *stage_region_header(uint8_t *region)
{
	return (struct ferry_region_header *)region;
}

static inline void stage_region_reseal(uint8_t *region)
{
	struct ferry_region_header *h = stage_region_header(region);

	h->header_crc = (uint32_t)crc32(0L, (const Bytef *)h, offsetof(struct ferry_region_header, header_crc));
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
