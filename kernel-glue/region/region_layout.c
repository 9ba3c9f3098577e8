// SPDX-License-Identifier: MIT
/* The control block header: default layout, validation, load/store. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <zlib.h>

#include "region.h"
#include "region_log.h"

#define PAGE_DOWN(x) ((x) & ~(uint64_t)(FERRY_REGION_PAGE - 1))

static uint32_t header_crc(const struct ferry_region_header *h)
{
	return (uint32_t)crc32(0L, (const Bytef *)h, offsetof(struct ferry_region_header, header_crc));
}

void ferry_region_header_seal(struct ferry_region_header *h)
{
	h->header_crc = header_crc(h);
}

int ferry_region_layout(uint64_t size, struct ferry_region_header *h)
{
	uint64_t rest;

	if (size < FERRY_REGION_MIN_SIZE)
		return -ENOSPC;
	size = PAGE_DOWN(size);
	rest = size - FERRY_REGION_CONTROL_SIZE;
	memset(h, 0, sizeof(*h));
	h->magic = FERRY_REGION_MAGIC;
	h->version = FERRY_REGION_VERSION;
	h->header_size = sizeof(*h);
	h->region_size = size;
	h->handoff_offset = FERRY_REGION_HANDOFF_OFFSET;
	h->handoff_size = FERRY_REGION_HANDOFF_SIZE;
	h->staging_offset = FERRY_REGION_CONTROL_SIZE;
	h->staging_size = PAGE_DOWN(rest / 5 * 2);
	h->expanded_offset = h->staging_offset + h->staging_size;
	h->expanded_size = size - h->expanded_offset;
	h->state = FERRY_REGION_EMPTY;
	ferry_region_header_seal(h);
	return 0;
}

static int area_ok(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off && !(off & (FERRY_REGION_PAGE - 1));
}

int ferry_region_header_check(const struct ferry_region_header *h, uint64_t size)
{
	if (h->magic != FERRY_REGION_MAGIC)
		return -EBADMSG;
	if (h->header_size < sizeof(*h) || h->header_size > FERRY_REGION_HEADER_AREA)
		return -EPROTO;
	if (h->header_crc != header_crc(h))
		return -EBADMSG;
	if (h->version != FERRY_REGION_VERSION)
		return -EPROTO;
	if (h->region_size > size)
		return -ERANGE;
	size = h->region_size;
	if (!area_ok(h->handoff_offset, h->handoff_size, size) ||
	    !area_ok(h->staging_offset, h->staging_size, size) ||
	    !area_ok(h->expanded_offset, h->expanded_size, size))
		return -ERANGE;
	/* fixed order: header page < handoff < staging < expanded */
	if (h->handoff_offset < FERRY_REGION_HEADER_AREA ||
	    h->handoff_offset + h->handoff_size > h->staging_offset ||
	    h->staging_offset + h->staging_size > h->expanded_offset ||
	    h->image_size > h->staging_size)
		return -ERANGE;
	return 0;
}

int ferry_region_header_load(const struct ferry_region *r, struct ferry_region_header *ret)
{
	int err;

	if (!r->base)
		return -EBADF;
	memcpy(ret, r->base, sizeof(*ret));
	err = ferry_region_header_check(ret, r->size);
	if (err == -EBADMSG && ret->magic != FERRY_REGION_MAGIC)
		return -ENODATA; /* never formatted: not an error worth logging */
	if (err < 0)
		return region_log_errno(err, "region: control block header at 0x%llx is invalid",
				 (unsigned long long)r->phys);
	return 0;
}

int ferry_region_header_store(struct ferry_region *r, struct ferry_region_header *h)
{
	int err;

	if (!r->base)
		return -EBADF;
	ferry_region_header_seal(h);
	err = ferry_region_header_check(h, r->size);
	if (err < 0)
		return region_log_errno(err, "region: refusing to store an invalid header");
	memcpy(r->base, h, sizeof(*h));
	ferry_region_flush(r, 0, sizeof(*h));
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
