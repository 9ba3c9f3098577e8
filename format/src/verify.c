/* SPDX-License-Identifier: MIT */
/* Whole-image verification (SPEC.md §5): everything ferry_image_open() checks,
 * plus the metadata structure, every chunk, the header totals and the digest;
 * at once (ferry_image_verify) or in steps (ferry_verify_begin/chunk/end). */
#include <string.h>

#include "ferry/image.h"
#include "diag.h"
#include "digest.h"
#include "layout.h"

_Static_assert(sizeof(struct ferry_digest) <= sizeof(((struct ferry_verify *)0)->digest_state),
	       "struct ferry_verify holds the digest state");

static struct ferry_digest *verify_digest(struct ferry_verify *v)
{
	return (struct ferry_digest *)(void *)v->digest_state;
}

static void walk_begin(struct ferry_verify *v, const struct ferry_image *img)
{
	v->img = img;
	v->raw = v->stored = 0;
	v->any_deflated = 0;
	ferry_digest_begin(verify_digest(v));
	ferry_digest_update(verify_digest(v), img->base + img->hdr.metadata_offset,
			    img->hdr.metadata_size);
}

/* Hash the descriptor; the totals are checked against the header at the end. */
void ferry_verify_chunk(struct ferry_verify *v, const struct ferry_chunk *c)
{
	ferry_digest_update(verify_digest(v), v->img->base + c->offset,
			    FERRY_CHUNK_DESC_SIZE + (size_t)c->extent_count * FERRY_EXTENT_SIZE);
	v->raw += c->raw_size;
	v->stored += c->stored_size;
	v->any_deflated |= c->encoding == FERRY_ENCODING_DEFLATE;
}

/* The digest over what was walked, and the totals against the header. */
static int walk_end(struct ferry_verify *v, uint8_t digest[FERRY_DIGEST_SIZE],
		    struct ferry_diag *diag)
{
	const struct ferry_image *img = v->img;

	ferry_digest_header(verify_digest(v), img->base, img->hdr.header_size);
	ferry_digest_end(verify_digest(v), digest);
	if (v->raw != img->hdr.page_bytes_raw || v->stored != img->hdr.page_bytes_stored)
		return diag_fail(diag, -FERRY_ERR_HEADER, "header",
				 "page byte totals do not match the chunks", HDR_PAGE_BYTES_RAW);
	if (v->any_deflated != !!(img->hdr.flags & FERRY_FLAG_COMPRESSED))
		return diag_fail(diag, -FERRY_ERR_HEADER, "header",
				 "compressed flag does not match the chunks", HDR_FLAGS);
	return 0;
}

/* Walk every chunk, checking its payload CRC when @check_payloads is set. */
static int digest_image(const struct ferry_image *img, int check_payloads,
			uint8_t ret[FERRY_DIGEST_SIZE], struct ferry_diag *diag)
{
	struct ferry_chunk_cursor cur;
	struct ferry_chunk c;
	struct ferry_verify v;
	int r, e;

	walk_begin(&v, img);
	ferry_chunk_cursor_init(img, &cur);
	while ((r = ferry_chunk_next(img, &cur, &c, diag)) > 0) {
		if (check_payloads) {
			r = ferry_chunk_check_payload(&c, diag);
			if (r < 0)
				break;
		}
		ferry_verify_chunk(&v, &c);
	}
	e = walk_end(&v, ret, r < 0 ? NULL : diag);
	return r < 0 ? r : e;
}

int ferry_image_compute_digest(const struct ferry_image *img, uint8_t ret[FERRY_DIGEST_SIZE],
			       struct ferry_diag *diag)
{
	if (!img || !ret)
		return diag_fail(diag, -FERRY_ERR_INVAL, "image", "no image", 0);
	return digest_image(img, 0, ret, diag);
}

static int check_sealed_metadata(const struct ferry_image *img, struct ferry_diag *diag)
{
	if (!img)
		return diag_fail(diag, -FERRY_ERR_INVAL, "image", "no image", 0);
	if (!(img->hdr.flags & FERRY_FLAG_SEALED))
		return diag_fail(diag, -FERRY_ERR_UNSEALED, "header", "sealed flag is not set",
				 HDR_FLAGS);
	return ferry_image_check_metadata(img, diag);
}

static int check_digest(const struct ferry_image *img, const uint8_t digest[FERRY_DIGEST_SIZE],
			struct ferry_diag *diag)
{
	if (memcmp(digest, img->hdr.digest, FERRY_DIGEST_SIZE) != 0)
		return diag_fail(diag, -FERRY_ERR_DIGEST, "digest",
				 "SHA-256 over header, metadata and chunk descriptors does not match",
				 HDR_DIGEST);
	return 0;
}

int ferry_image_verify(const struct ferry_image *img, struct ferry_diag *diag)
{
	uint8_t digest[FERRY_DIGEST_SIZE];
	int r = check_sealed_metadata(img, diag);

	if (r < 0)
		return r;
	r = digest_image(img, 1, digest, diag);
	return r < 0 ? r : check_digest(img, digest, diag);
}

int ferry_verify_begin(struct ferry_verify *v, const struct ferry_image *img,
		       struct ferry_diag *diag)
{
	int r = check_sealed_metadata(img, diag);

	if (r < 0)
		return r;
	if (!v)
		return diag_fail(diag, -FERRY_ERR_INVAL, "image", "no verification state", 0);
	walk_begin(v, img);
	return 0;
}

int ferry_verify_end(struct ferry_verify *v, struct ferry_diag *diag)
{
	uint8_t digest[FERRY_DIGEST_SIZE];
	int r = walk_end(v, digest, diag);

	return r < 0 ? r : check_digest(v->img, digest, diag);
}
