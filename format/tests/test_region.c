/* SPDX-License-Identifier: MIT */
/*
 * The region header (format/src/region_header.c): the default layout, its
 * encoding byte by byte as SPEC.md §9.3 lays it out, and every rule of the
 * reader refused with its reason.
 */
#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include "ferry/region_header.h"
#include "abi_tests.h"
#include "le.h"
#include "testlib.h"

#define SIZE (64ull << 20)

static uint8_t page[FERRY_REGION_HEADER_AREA];

static int case_layout(const void *arg)
{
	struct ferry_region_header h;

	(void)arg;
	if (ferry_region_layout(FERRY_REGION_MIN_SIZE - 4096, &h) != -FERRY_ERR_NOSPACE)
		return test_fail("a range below the minimum gets a layout");
	if (ferry_region_layout(SIZE + 123, &h) != 0)
		return test_fail("no layout for 64 MiB");
	if (h.region_size != SIZE || h.handoff_offset != 0x1000 || h.handoff_size != 0xf000 ||
	    h.staging_offset != 0x10000 || h.expanded_offset != h.staging_offset + h.staging_size ||
	    h.expanded_offset + h.expanded_size != SIZE || h.staging_size % 4096 ||
	    h.staging_size != ((SIZE - 0x10000) / 5 * 2 & ~4095ull) || h.state != FERRY_REGION_EMPTY)
		return test_fail("the layout is not SPEC.md §9.2's");
	if (ferry_region_header_check(&h, SIZE, NULL) != 0)
		return test_fail("the default layout does not check");
	return 0;
}

/* the bytes of SPEC.md §9.3, written by hand */
static int case_encoding(const void *arg)
{
	struct ferry_region_header h, back;
	uint32_t crc;

	(void)arg;
	ferry_region_layout(SIZE, &h);
	h.image_size = 12345;
	h.generation = 7;
	h.state = FERRY_REGION_SEALED;
	memset(page, 0xa5, sizeof(page));
	ferry_region_header_encode(&h, page);
	if (memcmp(page, "FERRYRGN", 8) || le32_load(page + 0x08) != 1 ||
	    le32_load(page + 0x0c) != 0x90 || le64_load(page + 0x10) != SIZE ||
	    le64_load(page + 0x18) != 0x1000 || le64_load(page + 0x20) != 0xf000 ||
	    le64_load(page + 0x28) != 0x10000 || le64_load(page + 0x30) != h.staging_size ||
	    le64_load(page + 0x38) != h.expanded_offset || le64_load(page + 0x40) != h.expanded_size ||
	    le64_load(page + 0x48) != 12345 || le64_load(page + 0x50) != 7 ||
	    le32_load(page + 0x58) != 3 || le32_load(page + 0x5c) != 0)
		return test_fail("a field is not where SPEC.md §9.3 puts it");
	crc = (uint32_t)crc32(crc32(0, Z_NULL, 0), page, 0x8c);
	if (le32_load(page + 0x8c) != crc || h.header_crc != crc)
		return test_fail("the CRC is not zlib's over bytes 0x00..0x8b");
	if (page[0x90] != 0xa5 || page[4095] != 0xa5)
		return test_fail("the rest of the page was written");
	if (ferry_region_header_decode(page, SIZE, &back, NULL) != 0 ||
	    memcmp(&back, &h, sizeof(h)) != 0)
		return test_fail("the header does not read back as written");
	return 0;
}

struct damage {
	const char *name;
	unsigned offset, width;
	uint64_t value;
	int fix_crc;
	int expect;
	const char *reason;
};

static const struct damage damages[] = {
	{ "no magic", 0x00, 8, 0, 1, -FERRY_ERR_UNFORMATTED, "never formatted" },
	{ "crc", 0x8c, 4, 0xdeadbeef, 0, -FERRY_ERR_REGION, "CRC" },
	{ "byte under the crc", 0x60, 1, 1, 0, -FERRY_ERR_REGION, "CRC" },
	{ "version 2", 0x08, 4, 2, 1, -FERRY_ERR_REGION, "version" },
	{ "header_size small", 0x0c, 4, 0x8c, 1, -FERRY_ERR_REGION, "header_size" },
	{ "header_size past a page", 0x0c, 4, 4097, 1, -FERRY_ERR_REGION, "header_size" },
	{ "region larger than the range", 0x10, 8, SIZE + 4096, 1, -FERRY_ERR_REGION, "region_size" },
	{ "handoff unaligned", 0x18, 8, 0x1800, 1, -FERRY_ERR_REGION, "handoff" },
	{ "handoff in the header page", 0x18, 8, 0, 1, -FERRY_ERR_REGION, "order" },
	{ "handoff into staging", 0x20, 8, 0x10000, 1, -FERRY_ERR_REGION, "order" },
	{ "handoff huge", 0x20, 8, UINT64_MAX, 1, -FERRY_ERR_REGION, "handoff" },
	{ "staging wraps", 0x28, 8, UINT64_MAX & ~4095ull, 1, -FERRY_ERR_REGION, "staging" },
	{ "staging into expanded", 0x30, 8, SIZE, 1, -FERRY_ERR_REGION, "staging" },
	{ "expanded past the end", 0x40, 8, SIZE, 1, -FERRY_ERR_REGION, "expanded" },
	{ "expanded before staging", 0x38, 8, 0x10000, 1, -FERRY_ERR_REGION, "order" },
	{ "image larger than staging", 0x48, 8, SIZE, 1, -FERRY_ERR_REGION, "image_size" },
};

static void store(uint8_t *p, unsigned width, uint64_t v)
{
	for (unsigned i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int case_damages(const void *arg)
{
	struct ferry_region_header h, back;

	(void)arg;
	ferry_region_layout(SIZE, &h);
	for (size_t i = 0; i < sizeof(damages) / sizeof(damages[0]); i++) {
		const struct damage *d = &damages[i];
		struct ferry_diag diag = { 0 };
		int r;

		ferry_region_header_encode(&h, page);
		store(page + d->offset, d->width, d->value);
		if (d->fix_crc)
			le32_store(page + 0x8c, (uint32_t)crc32(crc32(0, Z_NULL, 0), page, 0x8c));
		r = ferry_region_header_decode(page, SIZE, &back, &diag);
		if (r != d->expect || !diag.what || !strstr(diag.what, d->reason))
			return test_fail("%s: %d (%s), not %d naming \"%s\"", d->name, r,
					 diag.what ? diag.what : "-", d->expect, d->reason);
	}
	ferry_region_header_encode(&h, page);
	if (ferry_region_header_decode(page, 4095, &back, NULL) != -FERRY_ERR_REGION)
		return test_fail("a range smaller than the header page is read");
	test_detail("%zu damaged headers", sizeof(damages) / sizeof(damages[0]));
	return 0;
}

/* A later minor version: a longer header, the same first 0x90 bytes. */
static int case_longer_header(const void *arg)
{
	struct ferry_region_header h, back;

	(void)arg;
	ferry_region_layout(SIZE, &h);
	h.header_size = 0x200;
	ferry_region_header_encode(&h, page);
	if (ferry_region_header_decode(page, SIZE, &back, NULL) != 0 || back.header_size != 0x200)
		return test_fail("a longer header is refused");
	return 0;
}

static int case_state_names(const void *arg)
{
	static const char *const names[] = { "unknown", "empty", "writing", "sealed", "expanded",
					     "consumed", "unknown" };

	(void)arg;
	for (uint32_t s = 0; s < 7; s++)
		if (strcmp(ferry_region_state_name(s), names[s]))
			return test_fail("state %u is \"%s\"", s, ferry_region_state_name(s));
	if (strcmp(ferry_region_state_name(FERRY_REGION_TEST), "test-pattern"))
		return test_fail("the test state has no name");
	return 0;
}

void test_region_cases(void)
{
	test_run_isolated("region-header-default-layout", case_layout, NULL);
	test_run_isolated("region-header-encoding-is-spec", case_encoding, NULL);
	test_run_isolated("region-header-damage-refused", case_damages, NULL);
	test_run_isolated("region-header-longer-accepted", case_longer_header, NULL);
	test_run_isolated("region-header-state-names", case_state_names, NULL);
}
