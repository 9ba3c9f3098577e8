/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the format library. One line per case: "PASS: name" or
 * "FAIL: name: why"; exits 1 if any case failed.
 *
 * Usage: test-format [SAMPLE]  (default format/tests/data/sample.ferry,
 * relative to the repository root, where mk/run-tests.sh runs it)
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "ferry/handoff.h"
#include "ferry/image.h"
#include "ferry/schema.h"
#include "ferry/writer.h"
#include "crc.h"
#include "diag.h"
#include "layout.h"
#include "le.h"
#include "synth.h"
#include "testlib.h"

#define DEFAULT_SAMPLE "format/tests/data/sample.ferry"

static const char *sample_path = DEFAULT_SAMPLE;

static const char *diag_text(const struct ferry_diag *d)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s (%s: %s at %llu)", ferry_strerror(d->code),
		 d->part ? d->part : "?", d->what ? d->what : "?", (unsigned long long)d->offset);
	return buf;
}

/* ---- helpers that rewrite checksums, so a test reaches the check it aims at -- */

/* @room: bytes from @desc to the end of the image; an extent count that
 * does not fit leaves the CRC alone (the reader refuses the count first) */
static void fix_desc_crc(uint8_t *desc, size_t room)
{
	uint32_t n = le16_load(desc + CHK_EXTENT_COUNT);
	uLong crc;

	if (room < FERRY_CHUNK_DESC_SIZE + (size_t)n * FERRY_EXTENT_SIZE)
		return;
	crc = crc32(crc32(0L, Z_NULL, 0), desc, CHK_DESC_CRC);

	crc = crc32(crc, desc + FERRY_CHUNK_DESC_SIZE, n * FERRY_EXTENT_SIZE);
	le32_store(desc + CHK_DESC_CRC, (uint32_t)crc);
}

static void fix_payload_crc(uint8_t *desc, size_t room)
{
	uint32_t n = le16_load(desc + CHK_EXTENT_COUNT);
	const uint8_t *payload = desc + FERRY_CHUNK_DESC_SIZE + n * FERRY_EXTENT_SIZE;

	le32_store(desc + CHK_PAYLOAD_CRC,
		   (uint32_t)crc32(crc32(0L, Z_NULL, 0), payload, le32_load(desc + CHK_STORED_SIZE)));
	fix_desc_crc(desc, room);
}

/* Open + verify; the diag must name what failed whenever the image is refused. */
static int open_and_verify(const uint8_t *buf, size_t len, unsigned flags,
			   struct ferry_diag *diag)
{
	struct ferry_image img;
	int r;

	memset(diag, 0, sizeof(*diag));
	r = ferry_image_open(&img, buf, len, flags, diag);
	if (r == 0)
		r = ferry_image_verify(&img, diag);
	if (r < 0 && (diag->code != r || !diag->part || !diag->what))
		return INT_MIN;
	return r;
}

/* ---- round trips ------------------------------------------------------------- */

struct found {
	uint32_t stored, deflated, extents, max_extents;
};

static int check_metadata(const struct synth_shape *s, const struct ferry_image *img)
{
	const void *fdt;
	size_t size;
	int node, n = 0;

	if (ferry_image_metadata(img, &fdt, &size) < 0)
		return test_fail("metadata does not open");
	if (fdt_node_check_compatible(fdt, 0, FERRY_META_COMPATIBLE) != 0)
		return test_fail("metadata is not %s", FERRY_META_COMPATIBLE);
	node = fdt_path_offset(fdt, "/" FM_PROCESSES);
	if (node < 0)
		return test_fail("metadata lacks /processes");
	for (int p = fdt_first_subnode(fdt, node); p >= 0; p = fdt_next_subnode(fdt, p))
		n++;
	if (n < 1 || (s->processes && (uint32_t)n != s->processes))
		return test_fail("metadata has %d processes", n);
	node = fdt_path_offset(fdt, "/" FM_PIPES "/pipe@1");
	if (node < 0 || !fdt_getprop(fdt, node, FM_PI_DATA, NULL))
		return test_fail("metadata lacks the pipe with buffered data");
	return 0;
}

/* Every page the reader finds must be a non-zero page of the shape, found
 * once, with the bytes that were written; every such page must be found. */
/*
 * The stage inflates with zlib, the host with libdeflate: zlib must read
 * every deflated chunk the writer makes to the same bytes, and its CRC
 * must be the one the writer put there.
 */
static int zlib_agrees(const struct ferry_chunk *c, const uint8_t *pages)
{
	uint8_t *out;
	z_stream zs = { 0 };
	int zr;

	if ((uint32_t)crc32(0, c->payload, c->stored_size) != c->payload_crc)
		return test_fail("chunk %u: zlib's CRC-32 differs from the payload CRC", c->index);
	if (c->encoding != FERRY_ENCODING_DEFLATE)
		return 0;
	out = malloc(c->raw_size);
	if (!out || inflateInit2(&zs, -MAX_WBITS) != Z_OK) {
		free(out);
		return test_fail("out of memory");
	}
	zs.next_in = (Bytef *)c->payload;
	zs.avail_in = c->stored_size;
	zs.next_out = out;
	zs.avail_out = (uInt)c->raw_size;
	zr = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	if (zr != Z_STREAM_END || zs.avail_in || zs.avail_out || memcmp(out, pages, c->raw_size)) {
		free(out);
		return test_fail("chunk %u: zlib does not inflate it to the same pages", c->index);
	}
	free(out);
	return 0;
}

static int check_pages(const struct synth_shape *s, const struct ferry_image *img,
		       const struct synth_stats *st, struct found *ret)
{
	static struct ferry_inflater inf;
	const uint32_t ps = synth_page_size(s);
	const uint32_t chunk_pages = s->chunk_pages ? s->chunk_pages : 256;
	uint64_t total = synth_page_count(s), seen_pages = 0, expect = 0;
	uint8_t *seen = calloc(total ? total : 1, 1), *want = malloc(ps), *out = NULL;
	struct ferry_chunk_cursor cur;
	struct ferry_diag diag;
	struct ferry_chunk c;
	struct found f = { 0 };
	int r = 0, more;

	if (!seen || !want || ferry_inflater_init(&inf) < 0) {
		r = test_fail("out of memory");
		goto out;
	}
	ferry_chunk_cursor_init(img, &cur);
	while (r == 0 && (more = ferry_chunk_next(img, &cur, &c, &diag)) > 0) {
		uint64_t at = 0;

		if (c.page_count > chunk_pages || c.mm_id >= s->mm_count)
			r = test_fail("chunk %u: %u pages of mm %u", c.index, c.page_count, c.mm_id);
		else if (ferry_chunk_check_payload(&c, &diag) < 0)
			r = test_fail("chunk %u: %s", c.index, diag_text(&diag));
		if (r)
			break;
		/* exactly raw_size bytes: an overrun is a heap overflow under ASan */
		free(out);
		out = malloc(c.raw_size);
		if (!out) {
			r = test_fail("out of memory");
			break;
		}
		if (ferry_chunk_inflate(&inf, &c, out, c.raw_size, &diag) < 0) {
			r = test_fail("chunk %u does not inflate: %s", c.index, diag_text(&diag));
			break;
		}
		r = zlib_agrees(&c, out);
		if (r < 0)
			break;
		f.stored += c.encoding == FERRY_ENCODING_STORED;
		f.deflated += c.encoding == FERRY_ENCODING_DEFLATE;
		f.extents += c.extent_count;
		if (c.extent_count > f.max_extents)
			f.max_extents = c.extent_count;
		for (uint32_t e = 0; r == 0 && e < c.extent_count; e++) {
			struct ferry_extent ext;

			ferry_chunk_extent(&c, e, &ext);
			for (uint32_t p = 0; p < ext.page_count; p++, at += ps) {
				uint64_t va = ext.vaddr + (uint64_t)p * ps;
				int64_t idx = synth_page_index(s, c.mm_id, va);
				uint32_t per_mm = s->areas_per_mm * s->pages_per_area;
				uint32_t area, page;

				if (idx < 0) {
					r = test_fail("chunk %u: page 0x%llx of mm %u is not in the shape",
						 c.index, (unsigned long long)va, c.mm_id);
					break;
				}
				if (seen[idx]++) {
					r = test_fail("page 0x%llx of mm %u is stored twice",
						 (unsigned long long)va, c.mm_id);
					break;
				}
				area = (uint32_t)(idx % per_mm) / s->pages_per_area;
				page = (uint32_t)(idx % per_mm) % s->pages_per_area;
				if (synth_page_kind(s, c.mm_id, area, page) < SYNTH_RANDOM) {
					r = test_fail("zero page or hole 0x%llx of mm %u is stored",
						 (unsigned long long)va, c.mm_id);
					break;
				}
				synth_page_fill(s, c.mm_id, area, page, want);
				if (memcmp(out + at, want, ps) != 0) {
					r = test_fail("page 0x%llx of mm %u reads back different",
						 (unsigned long long)va, c.mm_id);
					break;
				}
				seen_pages++;
			}
		}
	}
	if (r == 0 && more < 0)
		r = test_fail("chunk walk: %s", diag_text(&diag));
	for (uint32_t m = 0; m < s->mm_count; m++)
		for (uint32_t a = 0; a < s->areas_per_mm; a++)
			for (uint32_t p = 0; p < s->pages_per_area; p++)
				expect += synth_page_kind(s, m, a, p) >= SYNTH_RANDOM;
	if (r == 0 && (seen_pages != expect || seen_pages != st->data_pages))
		r = test_fail("found %llu pages, %llu written, %llu expected",
			 (unsigned long long)seen_pages, (unsigned long long)st->data_pages,
			 (unsigned long long)expect);
	if (r == 0 && s->level == 0 && f.deflated)
		r = test_fail("level 0 wrote %u deflated chunks", f.deflated);
	if (ret)
		*ret = f;
out:
	ferry_inflater_fini(&inf);
	free(seen);
	free(want);
	free(out);
	return r;
}

static int check_image(const struct synth_shape *s, const uint8_t *buf, size_t len,
		       const struct synth_stats *st, struct found *ret)
{
	struct ferry_image img;
	struct ferry_diag diag;
	int r;

	if (ferry_image_open(&img, buf, len, 0, &diag) < 0)
		return test_fail("open: %s", diag_text(&diag));
	if (ferry_image_verify(&img, &diag) < 0)
		return test_fail("verify: %s", diag_text(&diag));
	if (img.hdr.page_size != synth_page_size(s) || img.hdr.created_sec != s->created_sec ||
	    img.hdr.created_nsec != s->created_nsec || img.hdr.image_size != len ||
	    strcmp(img.hdr.machine, "x86_64") != 0)
		return test_fail("header fields differ from what was written");
	if ((img.hdr.chunk_count == 0) != (st->data_pages == 0))
		return test_fail("%u chunks for %llu pages", img.hdr.chunk_count,
			    (unsigned long long)st->data_pages);
	r = check_metadata(s, &img);
	if (r == 0)
		r = check_pages(s, &img, st, ret);
	if (r == 0 && ret && !!(img.hdr.flags & FERRY_FLAG_COMPRESSED) != !!ret->deflated)
		r = test_fail("COMPRESSED flag does not match the chunks");
	return r;
}

static int roundtrip(const struct synth_shape *s, char *detail, size_t detail_len)
{
	struct synth_stats st;
	struct found f;
	uint8_t *buf;
	size_t len;
	int r;

	r = synth_image_alloc(s, &buf, &len, &st);
	if (r < 0)
		return test_fail("write: %s", ferry_strerror(r));
	r = check_image(s, buf, len, &st, &f);
	snprintf(detail, detail_len, "%llu pages, %u stored + %u deflated chunks, %u extents",
		 (unsigned long long)st.data_pages, f.stored, f.deflated, f.extents);
	free(buf);
	return r;
}

static const struct synth_shape shapes[] = {
	{ .name = "basic", .seed = 1, .mm_count = 2, .areas_per_mm = 4, .pages_per_area = 64,
	  .zero_pct = 20, .random_pct = 20, .level = 6, .created_sec = 1 },
	{ .name = "stored-only", .seed = 2, .mm_count = 2, .areas_per_mm = 3, .pages_per_area = 50,
	  .zero_pct = 20, .random_pct = 10, .level = 0 },
	{ .name = "level-1", .seed = 3, .mm_count = 1, .areas_per_mm = 4, .pages_per_area = 300,
	  .zero_pct = 10, .random_pct = 30, .run_pages = 8, .level = 1 },
	{ .name = "level-9", .seed = 4, .mm_count = 1, .areas_per_mm = 2, .pages_per_area = 100,
	  .zero_pct = 10, .random_pct = 10, .level = 9 },
	{ .name = "page-16k", .seed = 5, .page_size = 16384, .mm_count = 2, .areas_per_mm = 3,
	  .pages_per_area = 40, .zero_pct = 20, .random_pct = 20, .level = 6, .chunk_pages = 16 },
	{ .name = "page-64k", .seed = 6, .page_size = 65536, .mm_count = 2, .areas_per_mm = 2,
	  .pages_per_area = 20, .zero_pct = 20, .random_pct = 30, .run_pages = 3, .level = 3,
	  .chunk_pages = 8 },
	{ .name = "page-64k-stored", .seed = 7, .page_size = 65536, .mm_count = 1,
	  .areas_per_mm = 2, .pages_per_area = 10, .zero_pct = 30, .level = 0 },
	{ .name = "empty-all-zero", .seed = 8, .mm_count = 2, .areas_per_mm = 2,
	  .pages_per_area = 30, .zero_pct = 100, .level = 6 },
	{ .name = "empty-no-mm", .seed = 9, .processes = 2, .level = 6 },
	{ .name = "empty-holes-only", .seed = 10, .mm_count = 1, .areas_per_mm = 3,
	  .pages_per_area = 30, .hole_pct = 100, .level = 0 },
	{ .name = "many-small-extents", .seed = 11, .mm_count = 1, .areas_per_mm = 2,
	  .pages_per_area = 3000, .hole_pct = 40, .zero_pct = 20, .random_pct = 5,
	  .chunk_pages = 4096, .level = 1 },
	{ .name = "interleaved-mms", .seed = 12, .mm_count = 4, .areas_per_mm = 3,
	  .pages_per_area = 40, .zero_pct = 10, .random_pct = 20, .hole_pct = 10,
	  .batch_pages = 3, .interleave = 1, .chunk_pages = 8, .level = 6 },
	{ .name = "single-page-chunks", .seed = 13, .mm_count = 2, .areas_per_mm = 2,
	  .pages_per_area = 30, .zero_pct = 20, .random_pct = 40, .chunk_pages = 1, .level = 6 },
	{ .name = "max-chunk-pages", .seed = 14, .mm_count = 1, .areas_per_mm = 1,
	  .pages_per_area = 4500, .zero_pct = 5, .random_pct = 5, .chunk_pages = 4096, .level = 1 },
	{ .name = "all-random", .seed = 15, .mm_count = 1, .areas_per_mm = 2,
	  .pages_per_area = 40, .random_pct = 100, .chunk_pages = 8, .level = 6 },
	{ .name = "single-page-batches", .seed = 16, .mm_count = 3, .areas_per_mm = 2,
	  .pages_per_area = 20, .zero_pct = 30, .random_pct = 20, .batch_pages = 1,
	  .interleave = 1, .level = 6 },
	{ .name = "many-processes", .seed = 17, .processes = 40, .mm_count = 8, .areas_per_mm = 20,
	  .pages_per_area = 3, .zero_pct = 30, .random_pct = 20, .level = 6 },
	/* pages made in the writer's page space, with and without worker threads */
	{ .name = "page-space-stored", .seed = 18, .mm_count = 2, .areas_per_mm = 3,
	  .pages_per_area = 300, .zero_pct = 30, .random_pct = 30, .hole_pct = 5,
	  .batch_pages = 50, .page_space = 1, .level = 0 },
	{ .name = "page-space-deflate", .seed = 19, .mm_count = 3, .areas_per_mm = 2,
	  .pages_per_area = 200, .zero_pct = 20, .random_pct = 20, .run_pages = 4,
	  .batch_pages = 7, .interleave = 1, .page_space = 1, .chunk_pages = 32, .level = 1 },
	{ .name = "page-space-one-thread", .seed = 20, .mm_count = 2, .areas_per_mm = 2,
	  .pages_per_area = 200, .zero_pct = 40, .random_pct = 20, .batch_pages = 300,
	  .page_space = 1, .threads = 1, .chunk_pages = 64, .level = 6 },
	{ .name = "four-threads", .seed = 21, .mm_count = 2, .areas_per_mm = 4,
	  .pages_per_area = 100, .zero_pct = 20, .random_pct = 20, .run_pages = 5,
	  .threads = 4, .chunk_pages = 16, .level = 1 },
};

static void test_roundtrips(void)
{
	char name[96], detail[160];

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		int r;

		detail[0] = '\0';
		r = roundtrip(&shapes[i], detail, sizeof(detail));
		snprintf(name, sizeof(name), "roundtrip-%s", shapes[i].name);
		test_report(name, r, detail);
	}
}

/* ---- the writer's threads and checksum ------------------------------------------ */

/* However many threads write it, an image is the same bytes. */
static int case_threads_same_bytes(void)
{
	struct synth_shape s = shapes[0];
	uint8_t *one, *many;
	size_t one_len, many_len;
	int r;

	s.chunk_pages = 8;
	s.page_space = 1;
	s.threads = 1;
	r = synth_image_alloc(&s, &one, &one_len, NULL);
	if (r < 0)
		return test_fail("one thread: %s", ferry_strerror(r));
	s.threads = 4;
	r = synth_image_alloc(&s, &many, &many_len, NULL);
	if (r < 0) {
		free(one);
		return test_fail("four threads: %s", ferry_strerror(r));
	}
	r = one_len == many_len && memcmp(one, many, one_len) == 0
		    ? 0
		    : test_fail("one and four worker threads wrote different images");
	free(one);
	free(many);
	return r;
}

/* Incompressible pages are stored, compressible ones deflated, also when
 * they alternate. */
static int case_incompressible_stored(void)
{
	const struct synth_shape random = { .name = "r", .seed = 30, .mm_count = 1,
					    .areas_per_mm = 1, .pages_per_area = 512,
					    .random_pct = 100, .level = 1 };
	const struct synth_shape text = { .name = "t", .seed = 31, .mm_count = 1,
					  .areas_per_mm = 1, .pages_per_area = 512, .level = 1 };
	const struct synth_shape mixed = { .name = "m", .seed = 32, .mm_count = 1,
					   .areas_per_mm = 1, .pages_per_area = 512,
					   .random_pct = 50, .level = 1 };
	uint8_t *buf;
	size_t len;
	struct synth_stats st;
	struct found f;
	int r;

	r = synth_image_alloc(&random, &buf, &len, &st);
	if (r < 0)
		return test_fail("write: %s", ferry_strerror(r));
	r = check_image(&random, buf, len, &st, &f);
	if (r == 0 && f.deflated)
		r = test_fail("%u chunks of random pages were deflated", f.deflated);
	free(buf);
	if (r < 0)
		return r;
	r = synth_image_alloc(&text, &buf, &len, &st);
	if (r < 0)
		return test_fail("write: %s", ferry_strerror(r));
	r = check_image(&text, buf, len, &st, &f);
	if (r == 0 && f.stored)
		r = test_fail("%u chunks of text pages were stored", f.stored);
	free(buf);
	if (r < 0)
		return r;
	/* random and text pages mixed in one run: each kind to its own chunks */
	r = synth_image_alloc(&mixed, &buf, &len, &st);
	if (r < 0)
		return test_fail("write: %s", ferry_strerror(r));
	r = check_image(&mixed, buf, len, &st, &f);
	if (r == 0 && (!f.stored || !f.deflated))
		r = test_fail("mixed pages: %u stored and %u deflated chunks", f.stored, f.deflated);
	free(buf);
	return r;
}

/* The payload CRC (libdeflate's on the host) is zlib's crc32(). */
static int case_crc_is_zlibs(void)
{
	size_t len = 70000;
	uint8_t *buf = malloc(len);
	uint64_t x = 0x243f6a8885a308d3ull;

	if (!buf)
		return test_fail("out of memory");
	for (size_t i = 0; i < len; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		buf[i] = (uint8_t)(x >> 56);
	}
	for (size_t n = 0; n < len; n = n < 300 ? n + 1 : n * 3 + 17) {
		for (size_t at = 0; at < 8 && at + n <= len; at += 3) {
			uint32_t seed = (uint32_t)(n * 2654435761u);

			if (ferry_crc32(0, buf + at, n) != (uint32_t)crc32(0, buf + at, (uInt)n) ||
			    ferry_crc32(seed, buf + at, n) !=
				    (uint32_t)crc32(seed, buf + at, (uInt)n)) {
				free(buf);
				return test_fail("CRC-32 of %zu bytes at offset %zu differs from zlib's", n,
					    at);
			}
		}
	}
	free(buf);
	return 0;
}

/* ---- sinks --------------------------------------------------------------------- */

static int case_fd_sink(void)
{
	const struct synth_shape *s = &shapes[0];
	struct ferry_fd_sink fs;
	struct ferry_sink sink;
	struct synth_stats st;
	uint8_t *mem, *file = NULL;
	size_t len;
	FILE *f;
	int r;

	r = synth_image_alloc(s, &mem, &len, NULL);
	if (r < 0)
		return test_fail("memory sink: %s", ferry_strerror(r));
	f = tmpfile();
	if (!f) {
		free(mem);
		return test_fail("tmpfile failed");
	}
	ferry_sink_fd(&sink, &fs, fileno(f));
	r = synth_write_image(s, &sink, &st);
	if (r < 0) {
		r = test_fail("fd sink: %s", ferry_strerror(r));
	} else if (!(file = malloc(len + 1)) || fseek(f, 0, SEEK_SET) != 0 ||
		   fread(file, 1, len + 1, f) != len) {
		r = test_fail("the file does not hold %zu bytes", len);
	} else if (memcmp(file, mem, len) != 0) {
		r = test_fail("fd and memory sinks wrote different bytes");
	}
	fclose(f);
	free(mem);
	free(file);
	return r;
}

/* Pages at the very top of the address space, then at its bottom: the
 * writer must not merge them into one extent that wraps past 2^64. */
static int case_writer_top_of_memory(void)
{
	struct ferry_writer_options opts = { .created_sec = 1, .level = 0 };
	static uint8_t fdt[1024], pages[3 * 4096];
	struct ferry_mem_sink ms;
	struct ferry_sink sink;
	struct ferry_writer *w;
	struct ferry_diag diag;
	size_t cap = 64 * 1024;
	uint8_t *buf = calloc(1, cap);
	int r;

	if (!buf)
		return test_fail("out of memory");
	memset(pages, 0x11, sizeof(pages));
	fdt_create_empty_tree(fdt, sizeof(fdt));
	ferry_sink_mem(&sink, &ms, buf, cap);
	r = ferry_writer_begin(&w, &sink, &opts, fdt, fdt_totalsize(fdt));
	if (r < 0) {
		free(buf);
		return test_fail("begin: %s", ferry_strerror(r));
	}
	r = ferry_writer_add_pages(w, 0, (uint64_t)0 - 2 * 4096, pages, 2);
	r = r ?: ferry_writer_add_pages(w, 0, 0, pages, 1);
	r = r ?: ferry_writer_seal(w);
	ferry_writer_free(w);
	if (r < 0)
		r = test_fail("write: %s", ferry_strerror(r));
	else if (open_and_verify(buf, ms.high_water, 0, &diag) < 0)
		r = test_fail("the image does not verify: %s", diag_text(&diag));
	free(buf);
	return r;
}

/* Chunks of one image copied into another as they are (checkpoint
 * --pre-copy), between chunks of pages added there, with worker threads:
 * renumbered in order, of the new address space, the image verifies and
 * each page reads back. */
static int case_writer_add_chunk(void)
{
	struct ferry_writer_options opts = { .created_sec = 1, .level = 1, .threads = 3,
					     .chunk_pages = 4 };
	static uint8_t fdt[1024], pages[16 * 4096], out[4 * 4096];
	struct ferry_mem_sink ms[2];
	struct ferry_sink sink[2];
	struct ferry_writer *w;
	struct ferry_diag diag;
	struct ferry_image img[2];
	struct ferry_chunk_cursor cur;
	struct ferry_chunk ch;
	struct ferry_inflater inf;
	size_t cap = 1 << 20;
	uint8_t *buf[2] = { calloc(1, cap), calloc(1, cap) };
	uint32_t copied = 0, found = 0;
	int r = 0;

	if (!buf[0] || !buf[1])
		return test_fail("out of memory");
	for (size_t i = 0; i < sizeof(pages); i++)
		pages[i] = (uint8_t)(i / 4096 * 37 + (i % 7 == 0 ? i : 0));
	fdt_create_empty_tree(fdt, sizeof(fdt));
	/* the first image: pages 0-7 of address space 5 at 0x10000 */
	ferry_sink_mem(&sink[0], &ms[0], buf[0], cap);
	r = ferry_writer_begin(&w, &sink[0], &opts, fdt, fdt_totalsize(fdt));
	r = r ?: ferry_writer_add_pages(w, 5, 0x10000, pages, 8);
	r = r ?: ferry_writer_seal(w);
	ferry_writer_free(w);
	r = r ?: ferry_image_open(&img[0], buf[0], ms[0].high_water, 0, NULL);
	if (r < 0) {
		r = test_fail("the first image: %s", ferry_strerror(r));
		goto out;
	}
	/* the second: pages 8-9 of address space 2, its chunks, pages 10-15 */
	ferry_sink_mem(&sink[1], &ms[1], buf[1], cap);
	r = ferry_writer_begin(&w, &sink[1], &opts, fdt, fdt_totalsize(fdt));
	r = r ?: ferry_writer_add_pages(w, 2, 0x100000, pages + 8 * 4096, 2);
	ferry_chunk_cursor_init(&img[0], &cur);
	while (r == 0 && (r = ferry_chunk_next(&img[0], &cur, &ch, NULL)) == 1) {
		r = ferry_writer_add_chunk(w, 2, &ch);
		copied++;
	}
	r = r ?: ferry_writer_add_pages(w, 2, 0x200000, pages + 10 * 4096, 6);
	r = r ?: ferry_writer_seal(w);
	ferry_writer_free(w);
	if (r < 0) {
		r = test_fail("the second image: %s", ferry_strerror(r));
		goto out;
	}
	if (open_and_verify(buf[1], ms[1].high_water, 0, &diag) < 0) {
		r = test_fail("the image does not verify: %s", diag_text(&diag));
		goto out;
	}
	ferry_image_open(&img[1], buf[1], ms[1].high_water, 0, NULL);
	if (ferry_inflater_init(&inf) < 0) {
		r = test_fail("inflater");
		goto out;
	}
	ferry_chunk_cursor_init(&img[1], &cur);
	while ((r = ferry_chunk_next(&img[1], &cur, &ch, NULL)) == 1) {
		size_t at = 0;

		if (ch.mm_id != 2) {
			r = test_fail("chunk %u of address space %u", ch.index, ch.mm_id);
			break;
		}
		r = ferry_chunk_inflate(&inf, &ch, out, sizeof(out), NULL);
		if (r < 0) {
			r = test_fail("inflate: %s", ferry_strerror(r));
			break;
		}
		for (uint32_t i = 0; i < ch.extent_count; i++) {
			struct ferry_extent e;

			ferry_chunk_extent(&ch, i, &e);
			for (uint32_t k = 0; k < e.page_count; k++, at++) {
				uint64_t n = e.vaddr >= 0x200000 ? 10 + (e.vaddr - 0x200000) / 4096 + k
					     : e.vaddr >= 0x100000 ? 8 + (e.vaddr - 0x100000) / 4096 + k
								   : (e.vaddr - 0x10000) / 4096 + k;

				if (memcmp(out + at * 4096, pages + n * 4096, 4096) != 0)
					r = test_fail("page %#llx differs",
						      (unsigned long long)(e.vaddr + k * 4096));
				found++;
			}
		}
		if (r < 0)
			break;
	}
	ferry_inflater_fini(&inf);
	if (r == 0 && (found != 16 || copied != 2))
		r = test_fail("%u pages in the image, %u chunks copied", found, copied);
out:
	free(buf[0]);
	free(buf[1]);
	return r;
}

/* A sink that is too small anywhere along the way: the writer says NOSPACE
 * and what is left in the sink is never a sealed image. */
static int case_mem_sink_nospace(void)
{
	const struct synth_shape *s = &synth_sample_shape;
	struct ferry_mem_sink ms;
	struct ferry_sink sink;
	struct ferry_diag diag;
	struct synth_stats st;
	size_t full, caps[8];
	uint8_t *buf;
	int r;

	r = synth_image_alloc(s, &buf, &full, &st);
	if (r < 0)
		return test_fail("write: %s", ferry_strerror(r));
	free(buf);
	caps[0] = 0;
	caps[1] = FERRY_HEADER_SIZE - 1;
	caps[2] = FERRY_HEADER_SIZE;
	caps[3] = FERRY_HEADER_SIZE + st.metadata_size - 1;
	caps[4] = FERRY_HEADER_SIZE + st.metadata_size + 100;
	caps[5] = full / 2;
	caps[6] = full - 1;
	caps[7] = full;
	for (size_t i = 0; i < 8; i++) {
		buf = calloc(1, caps[i] + 1);
		if (!buf)
			return test_fail("out of memory");
		ferry_sink_mem(&sink, &ms, buf, caps[i]);
		r = synth_write_image(s, &sink, NULL);
		if (i < 7 && r != -FERRY_ERR_NOSPACE) {
			free(buf);
			return test_fail("capacity %zu of %zu: got %d, not NOSPACE", caps[i], full, r);
		}
		if (i == 7 && r != 0) {
			free(buf);
			return test_fail("capacity of exactly the image: %s", ferry_strerror(r));
		}
		if (i < 7 && caps[i] >= FERRY_HEADER_SIZE &&
		    open_and_verify(buf, caps[i], 0, &diag) >= 0) {
			free(buf);
			return test_fail("capacity %zu: a failed write left an image that opens", caps[i]);
		}
		free(buf);
	}
	return 0;
}

/* ---- the committed sample ----------------------------------------------------- */

static int load_sample(uint8_t **buf, size_t *len)
{
	if (test_read_file(sample_path, buf, len) < 0)
		return test_fail("cannot read %s", sample_path);
	return 0;
}

static int case_sample_content(char *detail, size_t detail_len)
{
	const struct synth_shape *s = &synth_sample_shape;
	uint8_t *buf, *fresh;
	size_t len, fresh_len;
	struct synth_stats st;
	struct found f;
	int r;

	if (load_sample(&buf, &len) < 0)
		return -1;
	r = synth_image_alloc(s, &fresh, &fresh_len, &st);
	if (r < 0) {
		free(buf);
		return test_fail("write: %s", ferry_strerror(r));
	}
	r = check_image(s, buf, len, &st, &f);
	if (r == 0 && (f.stored < 1 || f.deflated < 1 || f.max_extents < 2 || st.holes < 1))
		r = test_fail("the sample lacks stored or deflated chunks or multi-extent chunks");
	if (r == 0 && (fresh_len != len || memcmp(fresh, buf, len) != 0))
		r = test_fail("the writer no longer produces the committed sample byte for byte");
	snprintf(detail, detail_len, "%zu bytes, %u stored + %u deflated chunks, %u extents", len,
		 f.stored, f.deflated, f.extents);
	free(buf);
	free(fresh);
	return r;
}

/* No single-byte change anywhere in the image may go unnoticed. */
static int case_every_byte_flip(char *detail, size_t detail_len)
{
	static const uint8_t patterns[] = { 0x01, 0x80, 0xff };
	unsigned counts[FERRY_ERR_MAX] = { 0 };
	struct ferry_diag diag;
	uint8_t *buf;
	size_t len, n = 0;

	if (load_sample(&buf, &len) < 0)
		return -1;
	if (open_and_verify(buf, len, 0, &diag) != 0) {
		free(buf);
		return test_fail("the sample itself is refused: %s", diag_text(&diag));
	}
	for (size_t i = 0; i < len; i++) {
		for (size_t p = 0; p < sizeof(patterns); p++) {
			int r;

			buf[i] ^= patterns[p];
			r = open_and_verify(buf, len, 0, &diag);
			buf[i] ^= patterns[p];
			if (r == INT_MIN) {
				free(buf);
				return test_fail("byte %zu ^ 0x%02x: refused without a diagnosis", i,
					    patterns[p]);
			}
			if (r >= 0) {
				free(buf);
				return test_fail("byte %zu ^ 0x%02x is not detected", i, patterns[p]);
			}
			counts[-r]++;
			n++;
		}
	}
	snprintf(detail, detail_len,
		 "%zu flips: header %u, unsealed %u, layout %u, metadata %u, chunk %u, crc %u, digest %u",
		 n, counts[FERRY_ERR_HEADER] + counts[FERRY_ERR_VERSION] + counts[FERRY_ERR_BADMAGIC],
		 counts[FERRY_ERR_UNSEALED], counts[FERRY_ERR_LAYOUT] + counts[FERRY_ERR_TRUNCATED],
		 counts[FERRY_ERR_METADATA], counts[FERRY_ERR_CHUNK], counts[FERRY_ERR_CHUNK_CRC],
		 counts[FERRY_ERR_DIGEST]);
	free(buf);
	return 0;
}

/* The verification in steps, with each payload CRC checked as a restorer
 * uses it: the same verdict as ferry_image_verify() for every flip. */
static int verify_in_steps(const uint8_t *buf, size_t len)
{
	struct ferry_chunk_cursor cur;
	struct ferry_image img;
	struct ferry_verify v;
	struct ferry_chunk c;
	int r, crc = 0;

	r = ferry_image_open(&img, buf, len, 0, NULL);
	if (r == 0)
		r = ferry_verify_begin(&v, &img, NULL);
	if (r < 0)
		return r;
	ferry_chunk_cursor_init(&img, &cur);
	while ((r = ferry_chunk_next(&img, &cur, &c, NULL)) > 0) {
		ferry_verify_chunk(&v, &c);
		if (!crc && ferry_chunk_check_payload(&c, NULL) < 0)
			crc = -FERRY_ERR_CHUNK_CRC;
	}
	if (r < 0) {
		ferry_verify_end(&v, NULL);
		return r;
	}
	r = ferry_verify_end(&v, NULL);
	return r < 0 ? r : crc;
}

static int case_verify_in_steps(void)
{
	struct ferry_diag diag;
	uint8_t *buf;
	size_t len;
	int r = 0;

	if (load_sample(&buf, &len) < 0)
		return -1;
	if (verify_in_steps(buf, len) != 0)
		r = test_fail("the sample is refused by the verification in steps");
	for (size_t i = 0; i < len && r == 0; i++) {
		buf[i] ^= 0x21;
		if ((verify_in_steps(buf, len) < 0) != (open_and_verify(buf, len, 0, &diag) < 0))
			r = test_fail("byte %zu ^ 0x21: the verification in steps disagrees", i);
		else if (verify_in_steps(buf, len) == 0)
			r = test_fail("byte %zu ^ 0x21 is not detected in steps", i);
		buf[i] ^= 0x21;
	}
	free(buf);
	return r;
}

static int case_every_truncation(void)
{
	struct ferry_diag diag;
	uint8_t *buf;
	size_t len;

	if (load_sample(&buf, &len) < 0)
		return -1;
	for (size_t n = 0; n < len; n++) {
		/* a copy of exactly n bytes: a read past it is caught under ASan */
		uint8_t *cut = malloc(n ? n : 1);
		int r;

		if (!cut) {
			free(buf);
			return test_fail("out of memory");
		}
		memcpy(cut, buf, n);
		r = open_and_verify(cut, n, FERRY_OPEN_ALLOW_UNSEALED, &diag);
		free(cut);
		if (r != -FERRY_ERR_TRUNCATED) {
			free(buf);
			return test_fail("%zu of %zu bytes: %d, not TRUNCATED", n, len, r);
		}
	}
	free(buf);
	return 0;
}

static int case_unsealed(void)
{
	struct synth_shape s = synth_sample_shape;
	struct ferry_mem_sink ms;
	struct ferry_sink sink;
	struct ferry_diag diag;
	struct ferry_image img;
	size_t cap = synth_image_bound(&s), len;
	uint8_t *buf = calloc(1, cap);
	int r;

	if (!buf)
		return test_fail("out of memory");
	/* a writer that never got to seal */
	s.unsealed = 1;
	ferry_sink_mem(&sink, &ms, buf, cap);
	r = synth_write_image(&s, &sink, NULL);
	if (r < 0) {
		r = test_fail("write: %s", ferry_strerror(r));
	} else if ((r = open_and_verify(buf, ms.high_water, 0, &diag)) != -FERRY_ERR_UNSEALED) {
		r = test_fail("unsealed writer output: %d, not UNSEALED", r);
	} else {
		r = 0;
	}
	free(buf);
	if (r < 0)
		return r;

	/* a complete image with only the seal cleared: header CRC and digest
	 * count the seal as set, so only the flag itself says it */
	if (load_sample(&buf, &len) < 0)
		return -1;
	buf[HDR_FLAGS] &= (uint8_t)~FERRY_FLAG_SEALED;
	r = ferry_image_open(&img, buf, len, 0, &diag);
	if (r != -FERRY_ERR_UNSEALED || diag.code != r) {
		r = test_fail("cleared seal: open says %d, not UNSEALED", r);
	} else if ((r = ferry_image_open(&img, buf, len, FERRY_OPEN_ALLOW_UNSEALED, &diag)) < 0) {
		r = test_fail("cleared seal with ALLOW_UNSEALED: %s", diag_text(&diag));
	} else if ((r = ferry_image_verify(&img, &diag)) != -FERRY_ERR_UNSEALED) {
		r = test_fail("cleared seal: verify says %d, not UNSEALED", r);
	} else {
		r = 0;
	}
	free(buf);
	return r;
}

/* ---- hostile images: checksums recomputed, so the structural checks must
 * refuse them on their own ------------------------------------------------------ */

struct header_edit {
	const char *what;
	unsigned off, width; /* width 2, 4 or 8 */
	uint64_t value;
	int add_to_image_size; /* value += image size */
	int expect; /* negative FERRY_ERR_* */
};

static const struct header_edit header_edits[] = {
	{ "image size huge", HDR_IMAGE_SIZE, 8, UINT64_MAX, 0, -FERRY_ERR_TRUNCATED },
	{ "image size 0", HDR_IMAGE_SIZE, 8, 0, 0, -FERRY_ERR_LAYOUT },
	{ "image size short", HDR_IMAGE_SIZE, 8, (uint64_t)-8, 1, -FERRY_ERR_LAYOUT },
	{ "metadata offset huge", HDR_METADATA_OFFSET, 8, UINT64_MAX & ~7ull, 0, -FERRY_ERR_LAYOUT },
	{ "metadata offset in header", HDR_METADATA_OFFSET, 8, 8, 0, -FERRY_ERR_LAYOUT },
	{ "metadata offset unaligned", HDR_METADATA_OFFSET, 8, 260, 0, -FERRY_ERR_LAYOUT },
	{ "metadata size huge", HDR_METADATA_SIZE, 8, UINT64_MAX, 0, -FERRY_ERR_LAYOUT },
	{ "metadata size wraps", HDR_METADATA_SIZE, 8, (uint64_t)-256, 0, -FERRY_ERR_LAYOUT },
	{ "metadata size tiny", HDR_METADATA_SIZE, 8, 8, 0, -FERRY_ERR_LAYOUT },
	{ "metadata size max", HDR_METADATA_SIZE, 8, FERRY_METADATA_MAX, 0, -FERRY_ERR_LAYOUT },
	{ "chunks offset huge", HDR_CHUNKS_OFFSET, 8, UINT64_MAX & ~7ull, 0, -FERRY_ERR_LAYOUT },
	{ "chunks offset 0", HDR_CHUNKS_OFFSET, 8, 0, 0, -FERRY_ERR_LAYOUT },
	{ "chunks size huge", HDR_CHUNKS_SIZE, 8, UINT64_MAX, 0, -FERRY_ERR_LAYOUT },
	{ "chunks size short", HDR_CHUNKS_SIZE, 8, (uint64_t)0 - 8 - 512, 1, -FERRY_ERR_LAYOUT },
	{ "chunk count huge", HDR_CHUNK_COUNT, 4, UINT32_MAX, 0, -FERRY_ERR_LAYOUT },
	{ "chunk count 0", HDR_CHUNK_COUNT, 4, 0, 0, -FERRY_ERR_LAYOUT },
	{ "page size 0", HDR_PAGE_SIZE, 4, 0, 0, -FERRY_ERR_HEADER },
	{ "page size 4095", HDR_PAGE_SIZE, 4, 4095, 0, -FERRY_ERR_HEADER },
	{ "page size 2048", HDR_PAGE_SIZE, 4, 2048, 0, -FERRY_ERR_HEADER },
	{ "page size 128k", HDR_PAGE_SIZE, 4, 131072, 0, -FERRY_ERR_HEADER },
	{ "page size 2^31", HDR_PAGE_SIZE, 4, 1u << 31, 0, -FERRY_ERR_HEADER },
	{ "header size 0", HDR_HEADER_SIZE, 4, 0, 0, -FERRY_ERR_HEADER },
	{ "header size 260", HDR_HEADER_SIZE, 4, 260, 0, -FERRY_ERR_HEADER },
	{ "header size 8192", HDR_HEADER_SIZE, 4, 8192, 0, -FERRY_ERR_HEADER },
	{ "header size huge", HDR_HEADER_SIZE, 4, UINT32_MAX & ~7u, 0, -FERRY_ERR_HEADER },
	{ "header size past metadata", HDR_HEADER_SIZE, 4, 4096, 0, -FERRY_ERR_LAYOUT },
	{ "major version 2", HDR_VERSION_MAJOR, 2, 2, 0, -FERRY_ERR_VERSION },
	{ "major version 0", HDR_VERSION_MAJOR, 2, 0, 0, -FERRY_ERR_VERSION },
	{ "nanoseconds 10^9", HDR_CREATED_NSEC, 4, 1000000000, 0, -FERRY_ERR_HEADER },
	{ "expanded and compressed", HDR_FLAGS, 4,
	  FERRY_FLAG_SEALED | FERRY_FLAG_EXPANDED | FERRY_FLAG_COMPRESSED, 0, -FERRY_ERR_HEADER },
	{ "expanded with deflated chunks", HDR_FLAGS, 4, FERRY_FLAG_SEALED | FERRY_FLAG_EXPANDED, 0,
	  -FERRY_ERR_CHUNK },
	{ "compressed flag missing", HDR_FLAGS, 4, FERRY_FLAG_SEALED, 0, -FERRY_ERR_HEADER },
	{ "stored bytes above raw", HDR_PAGE_BYTES_STORED, 8, UINT64_MAX, 0, -FERRY_ERR_HEADER },
	{ "raw bytes off", HDR_PAGE_BYTES_RAW, 8, 4096 * 1000, 0, -FERRY_ERR_HEADER },
	{ "raw bytes 0", HDR_PAGE_BYTES_RAW, 8, 0, 0, -FERRY_ERR_HEADER },
};

static void store_field(uint8_t *p, unsigned width, uint64_t v)
{
	if (width == 2)
		le16_store(p, (uint16_t)v);
	else if (width == 4)
		le32_store(p, (uint32_t)v);
	else
		le64_store(p, v);
}

static int case_hostile_headers(void)
{
	const size_t n = sizeof(header_edits) / sizeof(header_edits[0]);
	struct ferry_diag diag;
	uint8_t *orig, *buf;
	size_t len;
	int r = 0;

	if (load_sample(&orig, &len) < 0)
		return -1;
	buf = malloc(len);
	for (size_t i = 0; buf && i < n && r == 0; i++) {
		const struct header_edit *e = &header_edits[i];
		uint64_t v = e->value + (e->add_to_image_size ? len : 0);
		int got;

		memcpy(buf, orig, len);
		store_field(buf + e->off, e->width, v);
		if (test_reseal(buf, len) < 0)
			test_fix_header_crc(buf);
		got = open_and_verify(buf, len, 0, &diag);
		if (got != e->expect)
			r = test_fail("%s: got %d (%s), expected %d", e->what, got,
				 got == INT_MIN ? "no diagnosis" : diag_text(&diag), e->expect);
	}
	if (!buf)
		r = test_fail("out of memory");
	free(orig);
	free(buf);
	return r;
}

/* A metadata property whose length field says -1: libfdt 1.6's
 * fdt_check_full() takes it, so verify must refuse it on its own. */
static int case_metadata_negative_length(void)
{
	struct ferry_diag diag;
	struct ferry_image img;
	const struct fdt_property *prop;
	uint8_t *buf, *fdt;
	size_t len;
	int node, plen, r;

	if (load_sample(&buf, &len) < 0)
		return -1;
	fdt = buf + FERRY_HEADER_SIZE;
	node = fdt_path_offset(fdt, "/processes/process@100/fds/fd@3");
	prop = node < 0 ? NULL : fdt_get_property(fdt, node, FM_FD_CLOEXEC, &plen);
	if (!prop || plen != 0) {
		free(buf);
		return test_fail("the sample lacks an empty cloexec property");
	}
	/* an empty property: with length -1 the next tag still parses */
	memset((uint8_t *)&prop->len, 0xff, 4);
	test_reseal(buf, len);
	r = ferry_image_open(&img, buf, len, 0, &diag);
	if (r == 0)
		r = ferry_image_verify(&img, &diag);
	free(buf);
	if (r != -FERRY_ERR_METADATA)
		return test_fail("a property of length -1 gives %d, not METADATA", r);
	return 0;
}

/* The first chunk with at least two extents, in a writable copy. */
static uint8_t *find_multi_extent_chunk(uint8_t *img, size_t len, struct ferry_chunk *ret)
{
	struct ferry_image im;
	struct ferry_chunk_cursor cur;

	if (ferry_image_open(&im, img, len, 0, NULL) < 0)
		return NULL;
	ferry_chunk_cursor_init(&im, &cur);
	while (ferry_chunk_next(&im, &cur, ret, NULL) > 0)
		if (ret->extent_count >= 2)
			return img + ret->offset;
	return NULL;
}

enum chunk_edit {
	CE_EXTENT_COUNT_HUGE, CE_EXTENT_COUNT_0, CE_PAGE_COUNT_HUGE, CE_PAGE_COUNT_0,
	CE_STORED_SIZE_HUGE, CE_STORED_SIZE_0, CE_ENCODING, CE_STORED_WRONG_SIZE, CE_INDEX,
	CE_MAGIC, CE_EXTENT_UNALIGNED, CE_EXTENT_OVERLAP, CE_EXTENT_DESCENDING,
	CE_EXTENT_WRAPS, CE_EXTENT_OVERLAP_AT_TOP, CE_EXTENT_PAGES_0, CE_EXTENT_PAGES_SUM,
	CE_COUNT
};

static const char *const chunk_edit_names[CE_COUNT] = {
	"extent count huge", "extent count 0", "page count 4097", "page count 0",
	"stored size huge", "stored size 0", "encoding 2", "stored chunk of the wrong size",
	"index out of sequence", "descriptor magic", "extent unaligned", "extents overlap",
	"extents descending", "extent wraps past 2^64", "extents overlap at the top of memory",
	"extent of 0 pages", "extent pages do not add up",
};

static void apply_chunk_edit(enum chunk_edit e, uint8_t *d, const struct ferry_chunk *c,
			     uint32_t ps)
{
	uint8_t *e0 = d + FERRY_CHUNK_DESC_SIZE, *e1 = e0 + FERRY_EXTENT_SIZE;
	uint64_t a = le32_load(e0 + EXT_PAGE_COUNT), b = le32_load(e1 + EXT_PAGE_COUNT);

	switch (e) {
	case CE_EXTENT_COUNT_HUGE: le16_store(d + CHK_EXTENT_COUNT, 0xffff); break;
	case CE_EXTENT_COUNT_0: le16_store(d + CHK_EXTENT_COUNT, 0); break;
	case CE_PAGE_COUNT_HUGE: le32_store(d + CHK_PAGE_COUNT, FERRY_CHUNK_MAX_PAGES + 1); break;
	case CE_PAGE_COUNT_0: le32_store(d + CHK_PAGE_COUNT, 0); break;
	case CE_STORED_SIZE_HUGE: le32_store(d + CHK_STORED_SIZE, UINT32_MAX); break;
	case CE_STORED_SIZE_0: le32_store(d + CHK_STORED_SIZE, 0); break;
	case CE_ENCODING: le16_store(d + CHK_ENCODING, 2); break;
	case CE_STORED_WRONG_SIZE:
		/* deflated payload relabelled stored, or a stored one cut short */
		if (c->encoding == FERRY_ENCODING_DEFLATE)
			le16_store(d + CHK_ENCODING, FERRY_ENCODING_STORED);
		else
			le32_store(d + CHK_STORED_SIZE, c->stored_size - 8);
		break;
	case CE_INDEX: le32_store(d + CHK_INDEX, c->index + 1); break;
	case CE_MAGIC: le32_store(d + CHK_MAGIC, FERRY_CHUNK_MAGIC ^ 1); break;
	case CE_EXTENT_UNALIGNED: le64_store(e1, le64_load(e1) + 8); break;
	case CE_EXTENT_OVERLAP: le64_store(e1, le64_load(e0) + (a - 1) * ps); break;
	case CE_EXTENT_DESCENDING: le64_store(e1, le64_load(e0) - b * ps - ps); break;
	case CE_EXTENT_WRAPS:
		/* the last page of e1 would be past 2^64; checked before the sum */
		le64_store(e1, (uint64_t)0 - ps);
		le32_store(e1 + EXT_PAGE_COUNT, b < 2 ? 2 : (uint32_t)b);
		break;
	case CE_EXTENT_OVERLAP_AT_TOP:
		/* e0 ends exactly at 2^64; e1 overlaps it */
		le64_store(e0, (uint64_t)0 - a * ps);
		le64_store(e1, (uint64_t)0 - (a > b ? a : b) * ps);
		break;
	case CE_EXTENT_PAGES_0: le32_store(e1 + EXT_PAGE_COUNT, 0); break;
	case CE_EXTENT_PAGES_SUM: le32_store(e1 + EXT_PAGE_COUNT, (uint32_t)b + 1); break;
	case CE_COUNT: break;
	}
}

static int case_hostile_chunks(void)
{
	struct ferry_diag diag;
	struct ferry_chunk c;
	uint8_t *orig, *buf;
	size_t len;
	int r = 0;

	if (load_sample(&orig, &len) < 0)
		return -1;
	buf = malloc(len);
	if (!buf) {
		free(orig);
		return test_fail("out of memory");
	}
	for (int e = 0; e < CE_COUNT && r == 0; e++) {
		uint8_t *d;
		int got;

		memcpy(buf, orig, len);
		d = find_multi_extent_chunk(buf, len, &c);
		if (!d) {
			r = test_fail("the sample has no chunk with two extents");
			break;
		}
		apply_chunk_edit((enum chunk_edit)e, d, &c, synth_sample_shape.page_size);
		fix_desc_crc(d, len - (size_t)(d - buf));
		if (test_reseal(buf, len) < 0)
			test_fix_header_crc(buf);
		got = open_and_verify(buf, len, 0, &diag);
		if (got != -FERRY_ERR_CHUNK)
			r = test_fail("%s: got %d (%s), not CHUNK", chunk_edit_names[e], got,
				 got == INT_MIN ? "no diagnosis" : diag_text(&diag));
	}
	free(orig);
	free(buf);
	return r;
}

/* ---- handoff ---------------------------------------------------------------------- */

static const struct ferry_handoff handoff_example = {
	.region_base = 0x100000000ull,
	.region_size = 512ull << 20,
	.image_state = FERRY_HANDOFF_IMAGE_EXPANDED,
	.verified = 1,
	.image_address = 0x100000000ull + (64ull << 20),
	.image_size = 300ull << 20,
	.stage_time_ns = 812345678,
	.stage = "kexec",
	.stage_version = "0.1.0",
	.reason = "",
};

static int handoff_equal(const struct ferry_handoff *a, const struct ferry_handoff *b)
{
	return a->region_base == b->region_base && a->region_size == b->region_size &&
	       a->image_state == b->image_state && a->verified == b->verified &&
	       a->image_address == b->image_address && a->image_size == b->image_size &&
	       a->stage_time_ns == b->stage_time_ns && strcmp(a->stage, b->stage) == 0 &&
	       strcmp(a->stage_version, b->stage_version) == 0 && strcmp(a->reason, b->reason) == 0;
}

static int case_handoff_roundtrip(void)
{
	struct ferry_handoff h = handoff_example, back;
	uint8_t buf[4096];
	int n;

	for (int variant = 0; variant < 3; variant++) {
		if (variant == 1) {
			h.image_state = FERRY_HANDOFF_IMAGE_NONE;
			h.verified = 0;
			h.image_address = h.image_size = 0;
			strcpy(h.stage, "efi");
			memset(h.reason, 'x', FERRY_HANDOFF_REASON_LEN);
			h.reason[FERRY_HANDOFF_REASON_LEN] = '\0';
		} else if (variant == 2) {
			/* an image filling the region exactly */
			h = handoff_example;
			h.image_state = FERRY_HANDOFF_IMAGE_COMPRESSED;
			h.region_base = 1ull << 52;
			h.region_size = 4096;
			h.image_address = h.region_base;
			h.image_size = 4096;
			strcpy(h.reason, "expanded area too small");
		}
		n = ferry_handoff_write(buf, sizeof(buf), &h);
		if (n <= 0)
			return test_fail("variant %d: write: %d", variant, n);
		if (ferry_handoff_read(buf, (size_t)n, &back) < 0)
			return test_fail("variant %d: its own handoff does not read back", variant);
		if (!handoff_equal(&h, &back))
			return test_fail("variant %d: read back differs", variant);
		if (ferry_handoff_write(buf, (size_t)n - 1, &h) != -FERRY_ERR_NOSPACE)
			return test_fail("variant %d: one byte short is not NOSPACE", variant);
	}
	h = handoff_example;
	h.image_state = 3;
	if (ferry_handoff_write(buf, sizeof(buf), &h) != -FERRY_ERR_INVAL)
		return test_fail("an unknown image state is written");
	return 0;
}

/* One malformed variant of the example handoff, written into @buf. */
static int handoff_mutant(int which, uint8_t *buf, size_t cap, const char **what)
{
	struct ferry_handoff h = handoff_example;
	int n;

	switch (which) {
	case 0: *what = "image below the region"; h.image_address = h.region_base - 4096; break;
	case 1: *what = "image past the region end"; h.image_address += h.region_size - h.image_size + 1; break;
	case 2: *what = "image larger than the region"; h.image_size = h.region_size + 1; h.image_address = h.region_base; break;
	case 3: *what = "region wraps"; h.region_base = UINT64_MAX - 100; h.image_address = h.region_base; h.image_size = 1; break;
	case 4: *what = "image address wraps"; h.image_address = UINT64_MAX; h.image_size = 2; break;
	default: break;
	}
	n = ferry_handoff_write(buf, cap, &h);
	if (n <= 0 || which <= 4)
		return n;

	/* edits of a valid blob, in place or in a reopened tree */
	switch (which) {
	case 5:
		*what = "wrong compatible";
		return fdt_setprop_inplace(buf, 0, "compatible", "ferry,handoff-9", 16) ? -1 : n;
	case 6:
		*what = "verified is 2";
		return fdt_setprop_inplace_u32(buf, 0, "verified", 2) ? -1 : n;
	case 7:
		*what = "unknown image state";
		return fdt_setprop_inplace(buf, 0, "image-state", "expandeX", 9) ? -1 : n;
	case 8:
		*what = "reason not terminated";
		return fdt_setprop_inplace(buf, 0, "reason", "x", 1) ? -1 : n;
	case 9:
		*what = "region property missing";
		return fdt_nop_property(buf, 0, "region") ? -1 : n;
	case 10:
		*what = "stage-time-ns of 4 bytes";
		fdt_open_into(buf, buf, (int)cap);
		if (fdt_setprop_u32(buf, 0, "stage-time-ns", 5) < 0 || fdt_pack(buf) < 0)
			return -1;
		return (int)fdt_totalsize(buf);
	case 11:
		*what = "stage name too long";
		fdt_open_into(buf, buf, (int)cap);
		if (fdt_setprop_string(buf, 0, "stage", "a-stage-name-longer-than-15") < 0 ||
		    fdt_pack(buf) < 0)
			return -1;
		return (int)fdt_totalsize(buf);
	case 12:
		*what = "compatible missing";
		return fdt_nop_property(buf, 0, "compatible") ? -1 : n;
	case 13:
		*what = "totalsize larger than the buffer";
		fdt_set_totalsize(buf, (uint32_t)n + 8);
		return n;
	case 14:
		*what = "not a device tree";
		memset(buf, 0xa5, (size_t)n);
		return n;
	default:
		return 0;
	}
}

static int case_handoff_malformed(char *detail, size_t detail_len)
{
	struct ferry_handoff back;
	uint8_t buf[4096];
	int which, n, count = 0;

	for (which = 0;; which++) {
		const char *what = "?";

		memset(buf, 0, sizeof(buf));
		n = handoff_mutant(which, buf, sizeof(buf), &what);
		if (n == 0)
			break;
		if (n < 0)
			return test_fail("%s: could not build the variant", what);
		if (ferry_handoff_read(buf, (size_t)n, &back) != -FERRY_ERR_HANDOFF)
			return test_fail("%s: accepted", what);
		count++;
	}

	/* every truncation of a valid handoff, in a buffer of exactly that size */
	n = ferry_handoff_write(buf, sizeof(buf), &handoff_example);
	for (int len = 0; len < n; len++) {
		uint8_t *cut = malloc(len ? (size_t)len : 1);

		if (!cut)
			return test_fail("out of memory");
		memcpy(cut, buf, (size_t)len);
		if (ferry_handoff_read(cut, (size_t)len, &back) != -FERRY_ERR_HANDOFF) {
			free(cut);
			return test_fail("truncated to %d of %d bytes: accepted", len, n);
		}
		free(cut);
	}
	if (ferry_handoff_read(NULL, 100, &back) != -FERRY_ERR_HANDOFF)
		return test_fail("a NULL buffer is not refused");
	snprintf(detail, detail_len, "%d malformed variants, %d truncations", count, n);
	return 0;
}

/* ---- error texts ------------------------------------------------------------------ */

static int case_strerror(void)
{
	const char *unknown = ferry_strerror(-FERRY_ERR_MAX);

	if (!unknown || strcmp(unknown, "unknown error") != 0)
		return test_fail("the first unassigned code is not \"unknown error\"");
	for (int e = 0; e < FERRY_ERR_MAX; e++) {
		const char *t = ferry_strerror(-e);

		if (!t || !*t || strcmp(t, unknown) == 0)
			return test_fail("code %d has no text", -e);
		if (ferry_strerror(e) != t)
			return test_fail("code %d and %d have different texts", e, -e);
		for (int o = 0; o < e; o++)
			if (strcmp(ferry_strerror(-o), t) == 0)
				return test_fail("codes %d and %d share a text", -o, -e);
	}
	if (strcmp(ferry_strerror(INT_MIN), unknown) != 0 ||
	    strcmp(ferry_strerror(INT_MAX), unknown) != 0 ||
	    strcmp(ferry_strerror(-1000), unknown) != 0)
		return test_fail("an out-of-range code has a text");
	return 0;
}

/* ---- inflater ----------------------------------------------------------------------- */

#define GUARD 4096u

/* Inflate @c into a buffer of exactly @out_len bytes (ASan sees an overrun)
 * followed, in a second run, by a guard that must stay untouched. */
static int inflate_guarded(struct ferry_inflater *inf, const struct ferry_chunk *c,
			   size_t out_len, uint8_t *ret_first_page, int *ret)
{
	uint8_t *exact = malloc(out_len ? out_len : 1), *guarded = malloc(out_len + GUARD);
	int r1, r2, bad = 0;

	if (!exact || !guarded) {
		free(exact);
		free(guarded);
		return test_fail("out of memory");
	}
	r1 = ferry_chunk_inflate(inf, c, exact, out_len, NULL);
	memset(guarded + out_len, 0xcc, GUARD);
	r2 = ferry_chunk_inflate(inf, c, guarded, out_len, NULL);
	for (size_t i = 0; i < GUARD; i++)
		bad |= guarded[out_len + i] != 0xcc;
	if (ret_first_page && r1 == 0)
		memcpy(ret_first_page, exact, out_len < 4096 ? out_len : 4096);
	free(exact);
	free(guarded);
	if (bad)
		return test_fail("chunk %u: inflate wrote past the output buffer", c->index);
	if (r1 != r2)
		return test_fail("chunk %u: the same input inflated twice gives %d then %d", c->index,
			    r1, r2);
	*ret = r1;
	return 0;
}

/* Flip payload bytes of a deflated chunk and fix up its CRCs and the digest:
 * the image verifies, so only the inflater stands between the damage and
 * the restored process. It must fail cleanly, or produce exactly raw_size
 * bytes, and never write past its buffer. */
static int case_inflate_corrupt(char *detail, size_t detail_len)
{
	static const uint8_t patterns[] = { 0x01, 0x10, 0x80, 0xff };
	static struct ferry_inflater inf;
	struct ferry_image im;
	struct ferry_chunk_cursor cur;
	struct ferry_chunk c;
	struct ferry_diag diag;
	uint8_t *orig, *buf, *desc = NULL;
	unsigned refused = 0, total = 0;
	size_t len;
	int r = 0;

	if (load_sample(&orig, &len) < 0)
		return -1;
	buf = malloc(len);
	if (!buf || ferry_inflater_init(&inf) < 0) {
		free(orig);
		free(buf);
		return test_fail("out of memory");
	}
	memcpy(buf, orig, len);
	if (ferry_image_open(&im, buf, len, 0, NULL) == 0) {
		ferry_chunk_cursor_init(&im, &cur);
		while (ferry_chunk_next(&im, &cur, &c, NULL) > 0)
			if (c.encoding == FERRY_ENCODING_DEFLATE) {
				desc = buf + c.offset;
				break;
			}
	}
	if (!desc) {
		r = test_fail("the sample has no deflated chunk");
		goto out;
	}
	for (uint32_t i = 0; i < c.stored_size && r == 0; i++) {
		for (size_t p = 0; p < sizeof(patterns) && r == 0; p++) {
			struct ferry_chunk cc;
			int got;

			memcpy(buf, orig, len);
			buf[(size_t)(c.payload - buf) + i] ^= patterns[p];
			fix_payload_crc(desc, len - (size_t)(desc - buf));
			if (test_reseal(buf, len) < 0 || ferry_image_open(&im, buf, len, 0, &diag) < 0 ||
			    ferry_image_verify(&im, &diag) < 0) {
				r = test_fail("payload byte %u: the fixed-up image does not verify", i);
				break;
			}
			ferry_chunk_cursor_init(&im, &cur);
			do {
				got = ferry_chunk_next(&im, &cur, &cc, NULL);
			} while (got > 0 && cc.index != c.index);
			if (got <= 0) {
				r = test_fail("payload byte %u: chunk not found", i);
				break;
			}
			if (inflate_guarded(&inf, &cc, cc.raw_size, NULL, &got) < 0) {
				r = -1;
				break;
			}
			if (got != 0 && got != -FERRY_ERR_INFLATE)
				r = test_fail("payload byte %u ^ 0x%02x: %d, not INFLATE", i, patterns[p],
					 got);
			refused += got == -FERRY_ERR_INFLATE;
			total++;
		}
	}
	if (r == 0 && refused == 0)
		r = test_fail("no corruption of %u was caught by the inflater", total);
	snprintf(detail, detail_len, "%u of %u payload corruptions refused by inflate, the rest "
		 "inflated to the right size", refused, total);
out:
	ferry_inflater_fini(&inf);
	free(orig);
	free(buf);
	return r;
}

/* Streams of the wrong length and hand-made descriptors. */
static int case_inflate_lengths(void)
{
	static struct ferry_inflater inf;
	struct ferry_image im;
	struct ferry_chunk_cursor cur;
	struct ferry_chunk c, bad;
	uint8_t *img, *payload = NULL, first[4096], again[4096];
	size_t len;
	int r = 0, got;

	if (load_sample(&img, &len) < 0)
		return -1;
	if (ferry_inflater_init(&inf) < 0 || ferry_image_open(&im, img, len, 0, NULL) < 0) {
		free(img);
		return test_fail("setup failed");
	}
	ferry_chunk_cursor_init(&im, &cur);
	while ((got = ferry_chunk_next(&im, &cur, &c, NULL)) > 0 &&
	       c.encoding != FERRY_ENCODING_DEFLATE)
		;
	if (got <= 0) {
		r = test_fail("the sample has no deflated chunk");
		goto out;
	}
	/* room for a copy with trailing garbage */
	payload = malloc(c.stored_size + 16);
	if (!payload) {
		r = test_fail("out of memory");
		goto out;
	}
	memcpy(payload, c.payload, c.stored_size);
	memset(payload + c.stored_size, 0x42, 16);

	struct {
		const char *what;
		uint32_t stored;
		uint64_t raw;
		int expect;
	} cases[] = {
		{ "the chunk itself", c.stored_size, c.raw_size, 0 },
		{ "stream cut by one byte", c.stored_size - 1, c.raw_size, -FERRY_ERR_INFLATE },
		{ "stream cut in half", c.stored_size / 2, c.raw_size, -FERRY_ERR_INFLATE },
		{ "one byte of stream", 1, c.raw_size, -FERRY_ERR_INFLATE },
		{ "trailing garbage", c.stored_size + 16, c.raw_size, -FERRY_ERR_INFLATE },
		{ "inflates to more than raw size", c.stored_size, c.raw_size - 4096,
		  -FERRY_ERR_INFLATE },
		{ "inflates to one byte more", c.stored_size, c.raw_size - 1, -FERRY_ERR_INFLATE },
		{ "inflates to less than raw size", c.stored_size, c.raw_size + 4096,
		  -FERRY_ERR_INFLATE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) && r == 0; i++) {
		bad = c;
		bad.payload = payload;
		bad.stored_size = cases[i].stored;
		bad.raw_size = cases[i].raw;
		if (inflate_guarded(&inf, &bad, (size_t)bad.raw_size, i ? NULL : first, &got) < 0)
			r = -1;
		else if (got != cases[i].expect)
			r = test_fail("%s: %d, expected %d", cases[i].what, got, cases[i].expect);
	}
	/* the inflater is still good after failures */
	if (r == 0 && (inflate_guarded(&inf, &c, c.raw_size, again, &got) < 0 || got != 0 ||
		       memcmp(first, again, sizeof(first)) != 0))
		r = test_fail("a chunk does not inflate the same after failed ones");
	/* random bytes as a stream */
	for (uint64_t seed = 1; r == 0 && seed < 200; seed++) {
		uint64_t st = seed;

		for (uint32_t i = 0; i < c.stored_size; i++)
			payload[i] = (uint8_t)synth_rand(&st);
		bad = c;
		bad.payload = payload;
		if (inflate_guarded(&inf, &bad, (size_t)bad.raw_size, NULL, &got) < 0)
			r = -1;
		else if (got != -FERRY_ERR_INFLATE && got != 0)
			r = test_fail("random stream %llu: %d", (unsigned long long)seed, got);
	}
	if (r == 0) {
		uint8_t small[16];

		bad = c;
		if (ferry_chunk_inflate(&inf, &c, small, sizeof(small), NULL) != -FERRY_ERR_NOSPACE)
			r = test_fail("a too small output buffer is not NOSPACE");
		bad.encoding = 7;
		bad.raw_size = sizeof(first);
		if (r == 0 && ferry_chunk_inflate(&inf, &bad, first, sizeof(first), NULL) !=
				      -FERRY_ERR_INVAL)
			r = test_fail("an unknown encoding is not INVAL");
	}
	if (r == 0) {
		struct ferry_inflater fresh;

		memset(&fresh, 0, sizeof(fresh));
		if (ferry_chunk_inflate(&fresh, &c, first, sizeof(first), NULL) != -FERRY_ERR_INVAL)
			r = test_fail("an uninitialized inflater is not INVAL");
	}
out:
	ferry_inflater_fini(&inf);
	free(payload);
	free(img);
	return r;
}

/* ---- runner ---------------------------------------------------------------------- */

static void run(const char *name, int (*fn)(void))
{
	test_report(name, fn(), NULL);
}

static void run_detail(const char *name, int (*fn)(char *, size_t))
{
	char detail[256] = "";
	int r = fn(detail, sizeof(detail));

	test_report(name, r, detail);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		sample_path = argv[1];

	test_roundtrips();
	run("fd-sink-same-bytes", case_fd_sink);
	run("mem-sink-nospace", case_mem_sink_nospace);
	run("writer-top-of-memory", case_writer_top_of_memory);
	run("writer-add-chunk", case_writer_add_chunk);
	run("writer-threads-same-bytes", case_threads_same_bytes);
	run("writer-incompressible-stored", case_incompressible_stored);
	run("crc-is-zlibs", case_crc_is_zlibs);
	run("sample-verify-in-steps", case_verify_in_steps);
	run_detail("sample-content", case_sample_content);
	run_detail("sample-every-byte-flip-detected", case_every_byte_flip);
	run("sample-every-truncation-refused", case_every_truncation);
	run("unsealed-refused", case_unsealed);
	run("hostile-headers-refused", case_hostile_headers);
	run("hostile-chunks-refused", case_hostile_chunks);
	run("metadata-negative-length-refused", case_metadata_negative_length);
	run("handoff-roundtrip", case_handoff_roundtrip);
	run_detail("handoff-malformed-refused", case_handoff_malformed);
	run("strerror-every-code", case_strerror);
	run_detail("inflate-corrupt-payload", case_inflate_corrupt);
	run("inflate-wrong-lengths", case_inflate_lengths);
	return test_exit_status();
}
