/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target of the image reader: open, verify, the chunk walk, the
 * inflater and the metadata FDT (the handoff has its own, fuzz_handoff.c).
 *
 * Each input runs twice: as it is, and with every CRC and the digest
 * recomputed, since random mutations almost never keep a CRC valid and
 * would otherwise never get past the header. Beyond "no crash", the target
 * checks a few properties the library promises and traps if one fails.
 *
 * Seeds in format/fuzz/corpus: `mksample --fuzz-corpus DIR` writes the
 * images and handoffs. Findings, kept as they were found:
 * metadata-negative-length.ferry (a property length of -1 that libfdt 1.6's
 * full check lets through); metadata-version-2.ferry and, for the handoff
 * target, handoff-version-2.dtb (the sample and handoff-none.dtb with FDT
 * version 2, last compatible version 2, resealed: libfdt 1.6.1's
 * fdt_check_full() dereferenced NULL on them before format/src/fdt_check.c
 * refused them).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include "ferry/image.h"
#include "diag.h"
#include "fuzz_expect.h"
#include "layout.h"
#include "le.h"

#define FUZZ_OUT_MAX (1u << 20) /* largest chunk inflated; bigger ones must say NOSPACE */
#define FUZZ_CHUNKS_MAX 4096u   /* walk no further: the walk is linear anyway */
#define FUZZ_NODES_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void expect_diag(int r, const struct ferry_diag *diag)
{
	expect(r <= 0 && r > -FERRY_ERR_MAX);
	if (r < 0)
		expect(diag->code == r && diag->part && diag->what);
}

static void walk_properties(const void *fdt, int node)
{
	int prop, len;

	fdt_for_each_property_offset(prop, fdt, node) {
		const char *name;
		const void *val = fdt_getprop_by_offset(fdt, prop, &name, &len);

		expect(val ? len >= 0 && name : 1);
	}
}

/* Read the metadata the way a restorer would: only after the image
 * verified, and then every property length must be sane. */
static void walk_metadata(const struct ferry_image *img)
{
	const void *fdt;
	size_t size;
	int node, depth = 0, n = 0, len;

	expect(ferry_image_metadata(img, &fdt, &size) == 0);
	for (node = 0; node >= 0 && n < FUZZ_NODES_MAX; node = fdt_next_node(fdt, node, &depth), n++) {
		(void)fdt_get_name(fdt, node, &len);
		walk_properties(fdt, node);
	}
	(void)fdt_node_check_compatible(fdt, 0, FERRY_META_COMPATIBLE);
	node = fdt_path_offset(fdt, "/processes");
	if (node >= 0) {
		int p;

		fdt_for_each_subnode(p, fdt, node) {
			const char *comm = fdt_getprop(fdt, p, "comm", &len);
			const fdt32_t *pid = fdt_getprop(fdt, p, "pid", &len);

			if (pid && len == 4)
				(void)fdt32_to_cpu(*pid);
			if (comm && len > 0)
				(void)strnlen(comm, (size_t)len);
			(void)fdt_subnode_offset(fdt, p, "threads");
		}
	}
	(void)fdt_path_offset(fdt, "/mms");
	(void)fdt_path_offset(fdt, "/files");
	(void)fdt_path_offset(fdt, "/pipes/pipe@1");
}

static void inflate_chunk(const struct ferry_chunk *c, int verified)
{
	static struct ferry_inflater inf;
	struct ferry_diag diag;
	size_t out_len = c->raw_size < FUZZ_OUT_MAX ? (size_t)c->raw_size : FUZZ_OUT_MAX;
	uint8_t *out;
	int r;

	if (!inf.initialized)
		expect(ferry_inflater_init(&inf) == 0);
	/* exactly out_len bytes, so ASan sees any write past them */
	out = malloc(out_len ? out_len : 1);
	if (!out)
		return;
	memset(&diag, 0, sizeof(diag));
	r = ferry_chunk_inflate(&inf, c, out, out_len, &diag);
	expect_diag(r, &diag);
	if (c->raw_size > out_len)
		expect(r == -FERRY_ERR_NOSPACE);
	else if (c->encoding == FERRY_ENCODING_STORED)
		expect(r == 0 && memcmp(out, c->payload, out_len) == 0);
	else if (verified)
		expect(r == 0 || r == -FERRY_ERR_INFLATE);
	free(out);
}

static void walk_chunks(const struct ferry_image *img, int verified)
{
	struct ferry_chunk_cursor cur;
	struct ferry_chunk c;
	struct ferry_diag diag;
	uint32_t n = 0;
	int r;

	ferry_chunk_cursor_init(img, &cur);
	memset(&diag, 0, sizeof(diag));
	while (n++ < FUZZ_CHUNKS_MAX && (r = ferry_chunk_next(img, &cur, &c, &diag)) > 0) {
		struct ferry_extent e;
		uint64_t pages = 0;

		for (uint32_t i = 0; i < c.extent_count; i++) {
			ferry_chunk_extent(&c, i, &e);
			expect(e.page_count >= 1 && !(e.vaddr & (img->hdr.page_size - 1)));
			pages += e.page_count;
		}
		expect(pages == c.page_count && c.raw_size == (uint64_t)pages * img->hdr.page_size);
		r = ferry_chunk_check_payload(&c, &diag);
		expect_diag(r, &diag);
		expect(!verified || r == 0);
		inflate_chunk(&c, verified);
	}
	expect(!verified || n > FUZZ_CHUNKS_MAX || r == 0);
}

static void exercise_image(const uint8_t *buf, size_t len)
{
	struct ferry_image img, strict;
	struct ferry_diag diag;
	uint8_t digest[FERRY_DIGEST_SIZE];
	int r, r_strict, verified;

	memset(&diag, 0, sizeof(diag));
	r = ferry_image_open(&img, buf, len, FERRY_OPEN_ALLOW_UNSEALED, &diag);
	expect_diag(r, &diag);
	r_strict = ferry_image_open(&strict, buf, len, 0, &diag);
	expect_diag(r_strict, &diag);
	/* the seal is the only difference between the two */
	if (r_strict == 0)
		expect(r == 0);
	if (r == 0 && (img.hdr.flags & FERRY_FLAG_SEALED))
		expect(r_strict == 0);
	if (r < 0)
		return;

	memset(&diag, 0, sizeof(diag));
	r = ferry_image_verify(&img, &diag);
	expect_diag(r, &diag);
	verified = r == 0;
	if (verified) {
		expect(ferry_image_compute_digest(&img, digest, NULL) == 0);
		expect(memcmp(digest, img.hdr.digest, sizeof(digest)) == 0);
	} else {
		(void)ferry_image_compute_digest(&img, digest, NULL);
	}
	if (verified)
		walk_metadata(&img);
	walk_chunks(&img, verified);
}

/* Recompute payload and descriptor CRCs wherever a record can be found,
 * then the digest and the header CRC: a forger's view of the input. */
static void fix_checksums(uint8_t *buf, size_t len)
{
	struct ferry_image img;
	uint8_t digest[FERRY_DIGEST_SIZE];
	uint64_t off;

	if (len < FERRY_HEADER_SIZE)
		return;
	off = le64_load(buf + HDR_CHUNKS_OFFSET);
	for (uint32_t n = 0; n < FUZZ_CHUNKS_MAX && off <= len && len - off >= FERRY_CHUNK_DESC_SIZE;
	     n++) {
		uint8_t *d = buf + off;
		uint64_t ext = (uint64_t)le16_load(d + CHK_EXTENT_COUNT) * FERRY_EXTENT_SIZE;
		uint64_t stored = le32_load(d + CHK_STORED_SIZE);
		uLong crc;

		if (len - off - FERRY_CHUNK_DESC_SIZE < ext)
			break;
		if (len - off - FERRY_CHUNK_DESC_SIZE - ext >= stored)
			le32_store(d + CHK_PAYLOAD_CRC,
				   (uint32_t)crc32(0, d + FERRY_CHUNK_DESC_SIZE + ext, (uInt)stored));
		crc = crc32(0, d, CHK_DESC_CRC);
		crc = crc32(crc, d + FERRY_CHUNK_DESC_SIZE, (uInt)ext);
		le32_store(d + CHK_DESC_CRC, (uint32_t)crc);
		off += FERRY_ALIGN8(FERRY_CHUNK_DESC_SIZE + ext + stored);
	}
	le32_store(buf + HDR_CRC, ferry_header_crc(buf));
	if (ferry_image_open(&img, buf, len, FERRY_OPEN_ALLOW_UNSEALED, NULL) == 0) {
		(void)ferry_image_compute_digest(&img, digest, NULL);
		memcpy(buf + HDR_DIGEST, digest, sizeof(digest));
		le32_store(buf + HDR_CRC, ferry_header_crc(buf));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	exercise_image(data, size);

	if (size < FERRY_HEADER_SIZE || memcmp(data, FERRY_IMAGE_MAGIC, 8) != 0)
		return 0;
	/* a copy of exactly the input: reads past it are caught under ASan */
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	fix_checksums(copy, size);
	exercise_image(copy, size);
	free(copy);
	return 0;
}
