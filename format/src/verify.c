/* SPDX-License-Identifier: MIT */
/* Whole-image verification (SPEC.md §5): everything ferry_image_open() checks,
 * plus the metadata structure, every chunk, the header totals and the digest. */
#include <string.h>

#include "ferry/image.h"
#include "diag.h"
#include "digest.h"
#include "layout.h"

/* Hash the descriptors and check every chunk, including payload CRCs when
 * @check_payloads is set; the totals must match the header. */
static int walk_chunks(const struct ferry_image *img, struct ferry_digest *dg, int check_payloads,
		       struct ferry_diag *diag)
{
	struct ferry_chunk_cursor cur;
	struct ferry_chunk c;
	uint64_t raw = 0, stored = 0;
	int any_deflated = 0, r;

	ferry_chunk_cursor_init(img, &cur);
	while ((r = ferry_chunk_next(img, &cur, &c, diag)) > 0) {
		if (check_payloads) {
			r = ferry_chunk_check_payload(&c, diag);
			if (r < 0)
				return r;
		}
		ferry_digest_update(dg, img->base + c.offset,
				    FERRY_CHUNK_DESC_SIZE + (size_t)c.extent_count * FERRY_EXTENT_SIZE);
		raw += c.raw_size;
		stored += c.stored_size;
		any_deflated |= c.encoding == FERRY_ENCODING_DEFLATE;
	}
	if (r < 0)
		return r;
	if (raw != img->hdr.page_bytes_raw || stored != img->hdr.page_bytes_stored)
		return diag_fail(diag, -FERRY_ERR_HEADER, "header",
				 "page byte totals do not match the chunks", HDR_PAGE_BYTES_RAW);
	if (any_deflated != !!(img->hdr.flags & FERRY_FLAG_COMPRESSED))
		return diag_fail(diag, -FERRY_ERR_HEADER, "header",
				 "compressed flag does not match the chunks", HDR_FLAGS);
	return 0;
}

static int digest_image(const struct ferry_image *img, int check_payloads,
			uint8_t ret[FERRY_DIGEST_SIZE], struct ferry_diag *diag)
{
	struct ferry_digest dg;
	int r;

	ferry_digest_begin(&dg);
	ferry_digest_update(&dg, img->base + img->hdr.metadata_offset, img->hdr.metadata_size);
	r = walk_chunks(img, &dg, check_payloads, diag);
	ferry_digest_header(&dg, img->base, img->hdr.header_size);
	ferry_digest_end(&dg, ret);
	return r;
}

int ferry_image_compute_digest(const struct ferry_image *img, uint8_t ret[FERRY_DIGEST_SIZE],
			       struct ferry_diag *diag)
{
	if (!img || !ret)
		return diag_fail(diag, -FERRY_ERR_INVAL, "image", "no image", 0);
	return digest_image(img, 0, ret, diag);
}

int ferry_image_verify(const struct ferry_image *img, struct ferry_diag *diag)
{
	uint8_t digest[FERRY_DIGEST_SIZE];
	int r;

	if (!img)
		return diag_fail(diag, -FERRY_ERR_INVAL, "image", "no image", 0);
	if (!(img->hdr.flags & FERRY_FLAG_SEALED))
		return diag_fail(diag, -FERRY_ERR_UNSEALED, "header", "sealed flag is not set",
				 HDR_FLAGS);
	r = ferry_image_check_metadata(img, diag);
	if (r < 0)
		return r;
	r = digest_image(img, 1, digest, diag);
	if (r < 0)
		return r;
	if (memcmp(digest, img->hdr.digest, FERRY_DIGEST_SIZE) != 0)
		return diag_fail(diag, -FERRY_ERR_DIGEST, "digest",
				 "SHA-256 over header, metadata and chunk descriptors does not match",
				 HDR_DIGEST);
	return 0;
}
