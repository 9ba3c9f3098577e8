/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the device tree gate (SPEC.md §3.0, format/src/fdt_check.c):
 * every header field libfdt 1.6.1 trusts, changed in a real image's
 * metadata (resealed, so nothing but the metadata is wrong) and in a real
 * handoff, is refused with the rule it breaks, by the reader, the verifier
 * and the handoff reader alike, and never crashes. Each case runs in a
 * child process: before the gate, a version of 2 to 15 made libfdt's
 * fdt_check_full() dereference NULL, which shows here as a FAIL naming
 * SIGSEGV.
 *
 * Usage: test-fdt-check [SAMPLE]  (default format/tests/data/sample.ferry)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "ferry/handoff.h"
#include "ferry/image.h"
#include "ferry/writer.h"
#include "be.h"
#include "synth.h"
#include "testlib.h"

static const char *sample_path = "format/tests/data/sample.ferry";

/* header fields (devicetree specification §5.2) */
enum {
	F_MAGIC = 0,
	F_TOTALSIZE = 4,
	F_OFF_STRUCT = 8,
	F_OFF_STRINGS = 12,
	F_OFF_RSVMAP = 16,
	F_VERSION = 20,
	F_LAST_COMP = 24,
	F_SIZE_STRINGS = 32,
	F_SIZE_STRUCT = 36,
};

/* An edit of the blob's header: set @field to @value, or add @delta to it. */
struct edit {
	const char *name;
	unsigned field;
	uint32_t value;
	int32_t delta;
	int relative;
	const char *expect; /* a phrase of the refusal, NULL: only the code counts */
};

#define SET(n, f, v, e) { n, f, v, 0, 0, e }
#define ADD(n, f, d, e) { n, f, 0, d, 1, e }

static const struct edit edits[] = {
	SET("magic", F_MAGIC, 0xd00dfeee, "magic"),
	SET("version-16", F_VERSION, 16, "version is not 17"),
	SET("version-18", F_VERSION, 18, "version is not 17"),
	SET("version-0", F_VERSION, 0, "version is not 17"),
	SET("version-max", F_VERSION, UINT32_MAX, "version is not 17"),
	SET("last-comp-2", F_LAST_COMP, 2, "last compatible version is not 16"),
	SET("last-comp-17", F_LAST_COMP, 17, "last compatible version is not 16"),
	SET("last-comp-0", F_LAST_COMP, 0, "last compatible version is not 16"),
	SET("totalsize-39", F_TOTALSIZE, 39, "totalsize"),
	ADD("totalsize-past-space", F_TOTALSIZE, 1, "totalsize"),
	SET("totalsize-2g", F_TOTALSIZE, 0x80000000u, "totalsize"),
	SET("totalsize-max", F_TOTALSIZE, UINT32_MAX, "totalsize"),
	SET("rsvmap-in-header", F_OFF_RSVMAP, 0, "reservation map"),
	SET("rsvmap-unaligned", F_OFF_RSVMAP, 44, "reservation map"),
	ADD("rsvmap-on-struct", F_OFF_RSVMAP, 16, "reservation map"),
	SET("rsvmap-huge", F_OFF_RSVMAP, 0xfffffff8u, "reservation map"),
	ADD("struct-unaligned", F_OFF_STRUCT, 2, "structure block"),
	ADD("struct-before-rsvmap-end", F_OFF_STRUCT, -8, "reservation map"),
	SET("struct-huge", F_OFF_STRUCT, 0xfffffff0u, "structure block"),
	ADD("struct-size-unaligned", F_SIZE_STRUCT, -2, "structure block"),
	ADD("struct-into-strings", F_SIZE_STRUCT, 4, "structure block"),
	SET("struct-size-wraps", F_SIZE_STRUCT, 0xfffffffcu, "structure block"),
	ADD("strings-past-totalsize", F_SIZE_STRINGS, 1, "strings block"),
	SET("strings-size-wraps", F_SIZE_STRINGS, UINT32_MAX, "strings block"),
	SET("strings-before-struct", F_OFF_STRINGS, 0, "structure block"),
	SET("strings-huge", F_OFF_STRINGS, 0xfffffff0u, "strings block"),
	/* a structure block libfdt must still check: cut off before FDT_END */
	ADD("struct-cut", F_SIZE_STRUCT, -4, "ends before its FDT_END"),
};

static void apply(uint8_t *fdt, const struct edit *e)
{
	uint32_t v = e->relative ? be32_load(fdt + e->field) + (uint32_t)e->delta : e->value;

	be32_store(fdt + e->field, v);
}

/* ---- the metadata of an image ------------------------------------------------ */

struct image {
	uint8_t *buf;
	size_t len;
	uint64_t meta; /* metadata offset */
};

static int load_image(struct image *im)
{
	struct ferry_image img;

	if (test_read_file(sample_path, &im->buf, &im->len) < 0)
		return test_fail("cannot read %s", sample_path);
	if (ferry_image_open(&img, im->buf, im->len, 0, NULL) < 0)
		return test_fail("%s does not open", sample_path);
	im->meta = img.hdr.metadata_offset;
	return 0;
}

/* Open, verify and ask for the metadata of @buf: each must refuse it as
 * METADATA, the verifier with @expect in its reason. */
static int expect_metadata_refused(const uint8_t *buf, size_t len, const char *expect)
{
	struct ferry_image img;
	struct ferry_diag diag = { 0 };
	const void *fdt;
	size_t size;
	int r;

	test_reseal((uint8_t *)buf, len);
	if (ferry_image_open(&img, buf, len, 0, &diag) < 0)
		return test_fail("the image no longer opens: %s", diag.what);
	r = ferry_image_verify(&img, &diag);
	if (r != -FERRY_ERR_METADATA)
		return test_fail("verify returns %d (%s), not METADATA", r,
				 diag.what ? diag.what : "-");
	if (expect && (!diag.what || !strstr(diag.what, expect)))
		return test_fail("verify says \"%s\", not \"%s\"", diag.what ? diag.what : "",
				 expect);
	if (!diag.part || strcmp(diag.part, "metadata") != 0)
		return test_fail("verify blames \"%s\", not the metadata", diag.part ? diag.part : "");
	r = ferry_image_metadata(&img, &fdt, &size);
	if (r != -FERRY_ERR_METADATA)
		return test_fail("ferry_image_metadata() returns %d, not METADATA", r);
	return 0;
}

static int case_metadata_edit(const void *arg)
{
	const struct edit *e = arg;
	struct image im;
	int r;

	if (load_image(&im) < 0)
		return -1;
	apply(im.buf + im.meta, e);
	r = expect_metadata_refused(im.buf, im.len, e->expect);
	free(im.buf);
	return r;
}

/* Every version and last compatible version from 0 to 20: only 17 and 16
 * open, whatever the pair (libfdt's own check takes 2..17 with last <= version). */
static int case_metadata_versions(const void *arg)
{
	struct image im;
	uint8_t *buf;
	int refused = 0;

	(void)arg;
	if (load_image(&im) < 0)
		return -1;
	buf = malloc(im.len);
	for (uint32_t v = 0; buf && v <= 20; v++) {
		for (uint32_t last = 0; last <= 20; last++) {
			if (v == 17 && last == 16)
				continue;
			memcpy(buf, im.buf, im.len);
			be32_store(buf + im.meta + F_VERSION, v);
			be32_store(buf + im.meta + F_LAST_COMP, last);
			if (expect_metadata_refused(buf, im.len, NULL) < 0) {
				free(buf);
				free(im.buf);
				return test_fail("version %u, last compatible %u: accepted", v, last);
			}
			refused++;
		}
	}
	free(buf);
	free(im.buf);
	if (!buf)
		return test_fail("out of memory");
	test_detail("%d version pairs refused", refused);
	return 0;
}

/* The exact input of the crash: two bytes of a real image changed. */
static int case_metadata_crash_input(const void *arg)
{
	struct image im;
	int r = 0;

	(void)arg;
	for (uint32_t v = 2; v <= 15 && r == 0; v++) {
		if (load_image(&im) < 0)
			return -1;
		im.buf[im.meta + F_VERSION + 3] = (uint8_t)v;
		im.buf[im.meta + F_LAST_COMP + 3] = 2;
		r = expect_metadata_refused(im.buf, im.len, "version is not 17");
		free(im.buf);
	}
	return r;
}

static int case_metadata_rsvmap_entry(const void *arg)
{
	struct image im;
	uint32_t off;
	int r;

	(void)arg;
	if (load_image(&im) < 0)
		return -1;
	off = be32_load(im.buf + im.meta + F_OFF_RSVMAP);
	be64_store(im.buf + im.meta + off + 8, 4096); /* a reservation of 4 KiB at 0 */
	r = expect_metadata_refused(im.buf, im.len, "reservation map is not empty");
	free(im.buf);
	return r;
}

/* The image 4 bytes off an 8-byte boundary: its metadata is too. */
static int case_metadata_unaligned(const void *arg)
{
	struct image im;
	uint8_t *room;
	int r;

	(void)arg;
	if (load_image(&im) < 0)
		return -1;
	room = malloc(im.len + 4);
	if (!room)
		return test_fail("out of memory");
	memcpy(room + 4, im.buf, im.len);
	r = expect_metadata_refused(room + 4, im.len, "8-byte aligned");
	free(room);
	free(im.buf);
	return r;
}

/* The length of the root node's first property, as found by fuzz-handoff:
 * near 2^31, libfdt's walk overflows an int adding it; -1, its full check
 * lets it through. */
static const uint32_t bad_lengths[] = { 0x7fffffd9u, 0x80000000u, UINT32_MAX, 0xfffffff8u };

static int set_first_property_length(uint8_t *fdt, uint32_t len)
{
	int prop = fdt_first_property_offset(fdt, 0);

	if (prop < 0)
		return test_fail("the root node has no property");
	be32_store(fdt + be32_load(fdt + F_OFF_STRUCT) + (uint32_t)prop + 4, len);
	return 0;
}

static int case_metadata_property_length(const void *arg)
{
	struct image im;
	int r = 0;

	(void)arg;
	for (size_t i = 0; i < sizeof(bad_lengths) / sizeof(bad_lengths[0]) && r == 0; i++) {
		if (load_image(&im) < 0)
			return -1;
		r = set_first_property_length(im.buf + im.meta, bad_lengths[i]);
		if (r == 0)
			r = expect_metadata_refused(im.buf, im.len, "a property runs past");
		free(im.buf);
	}
	return r;
}

/* ---- the handoff ------------------------------------------------------------------ */

static const struct ferry_handoff handoff_example = {
	.region_base = 0x40000000,
	.region_size = 64 << 20,
	.image_state = FERRY_HANDOFF_IMAGE_EXPANDED,
	.verified = 1,
	.image_address = 0x40000000 + (26 << 20),
	.image_size = 12345,
	.stage_time_ns = 1234567,
	.stage = "efi",
	.stage_version = "1.0",
	.reason = "",
};

/* 8-byte aligned room for a handoff */
static uint64_t handoff_room[4096 / 8 + 1];

static int write_handoff(uint8_t *buf)
{
	int n = ferry_handoff_write(buf, 4096, &handoff_example);

	if (n <= 0)
		return test_fail("ferry_handoff_write() fails: %d", n);
	return n;
}

static int case_handoff_edit(const void *arg)
{
	const struct edit *e = arg;
	struct ferry_handoff h;
	uint8_t *buf = (uint8_t *)handoff_room;
	int n = write_handoff(buf), r;

	if (n < 0)
		return -1;
	apply(buf, e);
	r = ferry_handoff_read(buf, (size_t)n, &h);
	if (r != -FERRY_ERR_HANDOFF)
		return test_fail("ferry_handoff_read() returns %d, not HANDOFF", r);
	return 0;
}

static int case_handoff_property_length(const void *arg)
{
	struct ferry_handoff h;
	uint8_t *buf = (uint8_t *)handoff_room;

	(void)arg;
	for (size_t i = 0; i < sizeof(bad_lengths) / sizeof(bad_lengths[0]); i++) {
		if (write_handoff(buf) < 0 || set_first_property_length(buf, bad_lengths[i]) < 0)
			return -1;
		if (ferry_handoff_read(buf, 4096, &h) != -FERRY_ERR_HANDOFF)
			return test_fail("a property of length 0x%x is read", bad_lengths[i]);
	}
	return 0;
}

static int case_handoff_versions(const void *arg)
{
	struct ferry_handoff h;
	uint8_t *buf = (uint8_t *)handoff_room;
	int refused = 0;

	(void)arg;
	for (uint32_t v = 0; v <= 20; v++) {
		for (uint32_t last = 0; last <= 20; last++) {
			if (write_handoff(buf) < 0)
				return -1;
			be32_store(buf + F_VERSION, v);
			be32_store(buf + F_LAST_COMP, last);
			if ((ferry_handoff_read(buf, 4096, &h) == 0) != (v == 17 && last == 16))
				return test_fail("version %u, last compatible %u: %s", v, last,
						 v == 17 && last == 16 ? "refused" : "accepted");
			refused += v != 17 || last != 16;
		}
	}
	test_detail("%d version pairs refused", refused);
	return 0;
}

static int case_handoff_unaligned(const void *arg)
{
	struct ferry_handoff h;
	uint8_t *buf = (uint8_t *)handoff_room;
	int n = write_handoff(buf);

	(void)arg;
	if (n < 0)
		return -1;
	memmove(buf + 4, buf, (size_t)n);
	if (ferry_handoff_read(buf + 4, (size_t)n, &h) != -FERRY_ERR_HANDOFF)
		return test_fail("a handoff 4 bytes off an 8-byte boundary is read");
	return 0;
}

/* ---- what the writers produce ---------------------------------------------------- */

/* Whatever libfdt's sequential writer leaves there, a handoff says 17/16. */
static int case_handoff_written_version(const void *arg)
{
	uint8_t *buf = (uint8_t *)handoff_room;
	struct ferry_handoff h;

	(void)arg;
	if (write_handoff(buf) < 0)
		return -1;
	if (be32_load(buf + F_VERSION) != 17 || be32_load(buf + F_LAST_COMP) != 16)
		return test_fail("written with version %u, last compatible %u",
				 be32_load(buf + F_VERSION), be32_load(buf + F_LAST_COMP));
	if (ferry_handoff_read(buf, 4096, &h) != 0)
		return test_fail("a written handoff does not read back");
	return 0;
}

static int null_write(void *ctx, const void *buf, size_t len, uint64_t offset)
{
	(void)ctx;
	(void)buf;
	(void)len;
	(void)offset;
	return 0;
}

/* The image writer refuses metadata its readers would refuse. */
static int case_writer_refuses(const void *arg)
{
	static uint64_t fdt[65536 / 8];
	const struct ferry_sink sink = { .write = null_write };
	const struct ferry_writer_options opts = { .level = 1 };
	struct ferry_writer *w = NULL;
	int n, r;

	(void)arg;
	n = synth_metadata(&synth_sample_shape, fdt, sizeof(fdt));
	if (n < 0)
		return test_fail("cannot build metadata: %s", fdt_strerror(n));
	r = ferry_writer_begin(&w, &sink, &opts, fdt, (size_t)n);
	if (r < 0)
		return test_fail("well-formed metadata refused: %d", r);
	ferry_writer_free(w);
	be32_store((uint8_t *)fdt + F_VERSION, 16);
	w = NULL;
	r = ferry_writer_begin(&w, &sink, &opts, fdt, (size_t)n);
	ferry_writer_free(w);
	if (r != -FERRY_ERR_METADATA)
		return test_fail("version 16 metadata gives %d, not METADATA", r);
	return 0;
}

int main(int argc, char **argv)
{
	char name[96];

	if (argc > 1)
		sample_path = argv[1];
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		snprintf(name, sizeof(name), "fdt-metadata-%s-refused", edits[i].name);
		test_run_isolated(name, case_metadata_edit, &edits[i]);
	}
	test_run_isolated("fdt-metadata-crash-input-refused", case_metadata_crash_input, NULL);
	test_run_isolated("fdt-metadata-every-version-but-17-16-refused", case_metadata_versions,
			  NULL);
	test_run_isolated("fdt-metadata-reservation-refused", case_metadata_rsvmap_entry, NULL);
	test_run_isolated("fdt-metadata-unaligned-refused", case_metadata_unaligned, NULL);
	test_run_isolated("fdt-metadata-property-length-refused", case_metadata_property_length,
			  NULL);
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		snprintf(name, sizeof(name), "fdt-handoff-%s-refused", edits[i].name);
		test_run_isolated(name, case_handoff_edit, &edits[i]);
	}
	test_run_isolated("fdt-handoff-every-version-but-17-16-refused", case_handoff_versions,
			  NULL);
	test_run_isolated("fdt-handoff-unaligned-refused", case_handoff_unaligned, NULL);
	test_run_isolated("fdt-handoff-property-length-refused", case_handoff_property_length, NULL);
	test_run_isolated("fdt-handoff-written-as-17-16", case_handoff_written_version, NULL);
	test_run_isolated("fdt-writer-refuses-unreadable-metadata", case_writer_refuses, NULL);
	return test_exit_status();
}
