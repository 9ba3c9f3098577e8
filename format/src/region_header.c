/* SPDX-License-Identifier: MIT */
/* The region's control block header (SPEC.md §9.3): see ferry/region_header.h. */
#include <string.h>

#include <zlib.h>

#include "ferry/region_header.h"
#include "diag.h"
#include "le.h"

/* byte offsets of the fields */
#define RH_MAGIC 0x00
#define RH_VERSION 0x08
#define RH_HEADER_SIZE 0x0c
#define RH_REGION_SIZE 0x10
#define RH_HANDOFF_OFFSET 0x18
#define RH_HANDOFF_SIZE 0x20
#define RH_STAGING_OFFSET 0x28
#define RH_STAGING_SIZE 0x30
#define RH_EXPANDED_OFFSET 0x38
#define RH_EXPANDED_SIZE 0x40
#define RH_IMAGE_SIZE 0x48
#define RH_GENERATION 0x50
#define RH_STATE 0x58
#define RH_FLAGS 0x5c
#define RH_DIGEST 0x60
#define RH_RESERVED 0x80
#define RH_CRC 0x8c

_Static_assert(RH_CRC + 4 == FERRY_REGION_HEADER_SIZE, "the CRC ends the version 1 header");

static const char part[] = "region header";

static uint32_t header_crc(const uint8_t *raw)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), raw, RH_CRC);
}

static void decode_fields(const uint8_t *raw, struct ferry_region_header *h)
{
	memset(h, 0, sizeof(*h));
	h->magic = le64_load(raw + RH_MAGIC);
	h->version = le32_load(raw + RH_VERSION);
	h->header_size = le32_load(raw + RH_HEADER_SIZE);
	h->region_size = le64_load(raw + RH_REGION_SIZE);
	h->handoff_offset = le64_load(raw + RH_HANDOFF_OFFSET);
	h->handoff_size = le64_load(raw + RH_HANDOFF_SIZE);
	h->staging_offset = le64_load(raw + RH_STAGING_OFFSET);
	h->staging_size = le64_load(raw + RH_STAGING_SIZE);
	h->expanded_offset = le64_load(raw + RH_EXPANDED_OFFSET);
	h->expanded_size = le64_load(raw + RH_EXPANDED_SIZE);
	h->image_size = le64_load(raw + RH_IMAGE_SIZE);
	h->generation = le64_load(raw + RH_GENERATION);
	h->state = le32_load(raw + RH_STATE);
	h->flags = le32_load(raw + RH_FLAGS);
	memcpy(h->digest, raw + RH_DIGEST, sizeof(h->digest));
	for (int i = 0; i < 3; i++)
		h->reserved[i] = le32_load(raw + RH_RESERVED + 4 * i);
	h->header_crc = le32_load(raw + RH_CRC);
}

void ferry_region_header_encode(struct ferry_region_header *h, void *out)
{
	uint8_t raw[FERRY_REGION_HEADER_SIZE];

	le64_store(raw + RH_MAGIC, h->magic);
	le32_store(raw + RH_VERSION, h->version);
	le32_store(raw + RH_HEADER_SIZE, h->header_size);
	le64_store(raw + RH_REGION_SIZE, h->region_size);
	le64_store(raw + RH_HANDOFF_OFFSET, h->handoff_offset);
	le64_store(raw + RH_HANDOFF_SIZE, h->handoff_size);
	le64_store(raw + RH_STAGING_OFFSET, h->staging_offset);
	le64_store(raw + RH_STAGING_SIZE, h->staging_size);
	le64_store(raw + RH_EXPANDED_OFFSET, h->expanded_offset);
	le64_store(raw + RH_EXPANDED_SIZE, h->expanded_size);
	le64_store(raw + RH_IMAGE_SIZE, h->image_size);
	le64_store(raw + RH_GENERATION, h->generation);
	le32_store(raw + RH_STATE, h->state);
	le32_store(raw + RH_FLAGS, h->flags);
	memcpy(raw + RH_DIGEST, h->digest, sizeof(h->digest));
	for (int i = 0; i < 3; i++)
		le32_store(raw + RH_RESERVED + 4 * i, h->reserved[i]);
	h->header_crc = header_crc(raw);
	le32_store(raw + RH_CRC, h->header_crc);
	memcpy(out, raw, sizeof(raw));
}

/* [off, off + len) inside @size and @off page aligned */
static int area_ok(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off && !(off % FERRY_REGION_PAGE);
}

static int check_identity(const struct ferry_region_header *h, struct ferry_diag *diag)
{
	if (h->magic != FERRY_REGION_MAGIC)
		return diag_fail(diag, -FERRY_ERR_UNFORMATTED, part,
				 "no \"FERRYRGN\" magic: the region was never formatted", RH_MAGIC);
	if (h->header_size < FERRY_REGION_HEADER_SIZE || h->header_size > FERRY_REGION_HEADER_AREA)
		return diag_fail(diag, -FERRY_ERR_REGION, part,
				 "header_size is not between 0x90 and a page", RH_HEADER_SIZE);
	return 0;
}

static int check_layout(const struct ferry_region_header *h, uint64_t region_size,
			struct ferry_diag *diag)
{
	uint64_t size = h->region_size;

	if (h->version != FERRY_REGION_VERSION)
		return diag_fail(diag, -FERRY_ERR_REGION, part, "version is not 1", RH_VERSION);
	if (size > region_size)
		return diag_fail(diag, -FERRY_ERR_REGION, part,
				 "region_size is larger than the range it is in", RH_REGION_SIZE);
	if (!area_ok(h->handoff_offset, h->handoff_size, size))
		return diag_fail(diag, -FERRY_ERR_REGION, part,
				 "handoff area is misaligned or outside the region", RH_HANDOFF_OFFSET);
	if (!area_ok(h->staging_offset, h->staging_size, size))
		return diag_fail(diag, -FERRY_ERR_REGION, part,
				 "staging area is misaligned or outside the region", RH_STAGING_OFFSET);
	if (!area_ok(h->expanded_offset, h->expanded_size, size))
		return diag_fail(diag, -FERRY_ERR_REGION, part,
				 "expanded area is misaligned or outside the region",
				 RH_EXPANDED_OFFSET);
	/* every sum below is at most region_size: the areas are inside it */
	if (h->handoff_offset < FERRY_REGION_HEADER_AREA ||
	    h->handoff_offset + h->handoff_size > h->staging_offset ||
	    h->staging_offset + h->staging_size > h->expanded_offset)
		return diag_fail(diag, -FERRY_ERR_REGION, part,
				 "areas overlap or are not in the order header, handoff, staging, expanded",
				 RH_HANDOFF_OFFSET);
	if (h->image_size > h->staging_size)
		return diag_fail(diag, -FERRY_ERR_REGION, part,
				 "image_size is larger than the staging area", RH_IMAGE_SIZE);
	return 0;
}

int ferry_region_header_check(const struct ferry_region_header *h, uint64_t region_size,
			      struct ferry_diag *diag)
{
	int r;

	if (!h)
		return diag_fail(diag, -FERRY_ERR_INVAL, part, "no header", 0);
	r = check_identity(h, diag);
	return r < 0 ? r : check_layout(h, region_size, diag);
}

int ferry_region_header_decode(const void *region, uint64_t region_size,
			       struct ferry_region_header *ret, struct ferry_diag *diag)
{
	struct ferry_region_header h;
	int r;

	if (!region || !ret)
		return diag_fail(diag, -FERRY_ERR_INVAL, part, "no region", 0);
	if (region_size < FERRY_REGION_HEADER_AREA)
		return diag_fail(diag, -FERRY_ERR_REGION, part,
				 "the range is smaller than the header page", 0);
	decode_fields(region, &h);
	r = check_identity(&h, diag);
	if (r < 0)
		return r;
	if (h.header_crc != header_crc(region))
		return diag_fail(diag, -FERRY_ERR_REGION, part, "header CRC mismatch", RH_CRC);
	r = check_layout(&h, region_size, diag);
	if (r < 0)
		return r;
	*ret = h;
	return 0;
}

#define PAGE_DOWN(x) ((x) & ~(uint64_t)(FERRY_REGION_PAGE - 1))

int ferry_region_layout(uint64_t size, struct ferry_region_header *ret)
{
	struct ferry_region_header h;
	uint64_t rest;

	if (!ret)
		return -FERRY_ERR_INVAL;
	if (size < FERRY_REGION_MIN_SIZE)
		return -FERRY_ERR_NOSPACE;
	size = PAGE_DOWN(size);
	rest = size - FERRY_REGION_CONTROL_SIZE;
	memset(&h, 0, sizeof(h));
	h.magic = FERRY_REGION_MAGIC;
	h.version = FERRY_REGION_VERSION;
	h.header_size = FERRY_REGION_HEADER_SIZE;
	h.region_size = size;
	h.handoff_offset = FERRY_REGION_HANDOFF_OFFSET;
	h.handoff_size = FERRY_REGION_HANDOFF_SIZE;
	h.staging_offset = FERRY_REGION_CONTROL_SIZE;
	h.staging_size = PAGE_DOWN(rest / 5 * 2);
	h.expanded_offset = h.staging_offset + h.staging_size;
	h.expanded_size = size - h.expanded_offset;
	h.state = FERRY_REGION_EMPTY;
	*ret = h;
	return 0;
}

const char *ferry_region_state_name(uint32_t state)
{
	switch (state) {
	case FERRY_REGION_EMPTY: return "empty";
	case FERRY_REGION_WRITING: return "writing";
	case FERRY_REGION_SEALED: return "sealed";
	case FERRY_REGION_EXPANDED: return "expanded";
	case FERRY_REGION_CONSUMED: return "consumed";
	case FERRY_REGION_TEST: return "test-pattern";
	default: return "unknown";
	}
}
