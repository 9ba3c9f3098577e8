// SPDX-License-Identifier: MIT
/*
 * The expanded image (SPEC.md §8, last paragraph): a writer of stored chunks
 * that needs no memory of its own. Each chunk of the source is inflated
 * straight into the payload slot of its stored record in the output, its
 * CRC taken there, and the digest fed as the records go: metadata, each
 * descriptor with its extents, the header last. The header is written with
 * SEALED clear and the flag set alone at the end (SPEC.md §6), so an
 * interrupted expansion is never taken for a valid image.
 */
#include <string.h>

#include "digest.h"
#include "layout.h"
#include "le.h"
#include "stage.h"

static int diag_set(struct ferry_diag *diag, int code, const char *what, uint64_t offset,
		    uint32_t chunk)
{
	if (diag) {
		diag->code = code;
		diag->part = "expand";
		diag->what = what;
		diag->offset = offset;
		diag->chunk = chunk;
	}
	return code;
}

static uint64_t record_size(const struct ferry_chunk *c)
{
	/* raw_size is a multiple of the page size, so the record needs no padding */
	return FERRY_CHUNK_DESC_SIZE + (uint64_t)c->extent_count * FERRY_EXTENT_SIZE + c->raw_size;
}

int ferry_expand_size(const struct ferry_image *img, uint64_t *ret_size, struct ferry_diag *diag)
{
	struct ferry_chunk_cursor cur;
	struct ferry_chunk c;
	uint64_t size;
	int r;

	if (!img || !ret_size)
		return -FERRY_ERR_INVAL;
	size = img->hdr.chunks_offset;
	ferry_chunk_cursor_init(img, &cur);
	while ((r = ferry_chunk_next(img, &cur, &c, diag)) > 0) {
		uint64_t rec = record_size(&c);

		if (size > UINT64_MAX - rec)
			return diag_set(diag, -FERRY_ERR_LAYOUT, "expanded size past 2^64", c.offset,
					c.index);
		size += rec;
	}
	if (r < 0)
		return r;
	*ret_size = size;
	return 0;
}

static uint32_t crc32_of(const uint8_t *p, uint64_t len)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	/* zlib's length is a uInt: feed at most 1 GiB at a time */
	while (len) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;

		crc = crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return (uint32_t)crc;
}

int ferry_expand_image(const struct ferry_image *img, struct ferry_inflater *inf, uint8_t *out,
		       uint64_t out_len, uint64_t *ret_size, struct ferry_diag *diag)
{
	struct ferry_header hdr;
	struct ferry_chunk_cursor cur;
	struct ferry_chunk c;
	struct ferry_digest digest;
	uint8_t raw_header[FERRY_HEADER_SIZE];
	uint64_t size, pos;
	int r;

	if (!img || !inf || !out || !ret_size)
		return -FERRY_ERR_INVAL;
	r = ferry_expand_size(img, &size, diag);
	if (r < 0)
		return r;
	if (size > out_len)
		return diag_set(diag, -FERRY_ERR_NOSPACE, "expanded image larger than the area",
				size, UINT32_MAX);
	if ((uintptr_t)out < (uintptr_t)img->base + img->len &&
	    (uintptr_t)img->base < (uintptr_t)out + size)
		return diag_set(diag, -FERRY_ERR_INVAL, "expanded area overlaps the image", 0,
				UINT32_MAX);

	/* header extension, metadata and its padding, as they are; the first
	 * FERRY_HEADER_SIZE bytes stay zero (unsealed) until the end */
	memset(out, 0, FERRY_HEADER_SIZE);
	memcpy(out + FERRY_HEADER_SIZE, img->base + FERRY_HEADER_SIZE,
	       img->hdr.chunks_offset - FERRY_HEADER_SIZE);
	ferry_digest_begin(&digest);
	ferry_digest_update(&digest, out + img->hdr.metadata_offset, img->hdr.metadata_size);

	pos = img->hdr.chunks_offset;
	ferry_chunk_cursor_init(img, &cur);
	while ((r = ferry_chunk_next(img, &cur, &c, diag)) > 0) {
		uint8_t *d = out + pos;
		size_t ext_bytes = (size_t)c.extent_count * FERRY_EXTENT_SIZE;
		size_t desc_size = FERRY_CHUNK_DESC_SIZE + ext_bytes;
		uint8_t *payload = d + desc_size;
		uLong crc;

		if (c.raw_size > size - pos - desc_size) {
			/* the image changed under us since ferry_expand_size() */
			r = diag_set(diag, -FERRY_ERR_NOSPACE, "chunk past the expanded size", pos,
				     c.index);
			break;
		}
		r = ferry_chunk_inflate(inf, &c, payload, c.raw_size, diag);
		if (r < 0)
			break;
		memset(d, 0, FERRY_CHUNK_DESC_SIZE);
		le32_store(d + CHK_MAGIC, FERRY_CHUNK_MAGIC);
		le32_store(d + CHK_INDEX, c.index);
		le32_store(d + CHK_MM_ID, c.mm_id);
		le16_store(d + CHK_ENCODING, FERRY_ENCODING_STORED);
		le16_store(d + CHK_EXTENT_COUNT, c.extent_count);
		le32_store(d + CHK_PAGE_COUNT, c.page_count);
		le32_store(d + CHK_STORED_SIZE, (uint32_t)c.raw_size);
		le32_store(d + CHK_PAYLOAD_CRC, crc32_of(payload, c.raw_size));
		memcpy(d + FERRY_CHUNK_DESC_SIZE, c.extents, ext_bytes);
		crc = crc32(crc32(0L, Z_NULL, 0), d, CHK_DESC_CRC);
		crc = crc32(crc, d + FERRY_CHUNK_DESC_SIZE, (uInt)ext_bytes);
		le32_store(d + CHK_DESC_CRC, (uint32_t)crc);
		ferry_digest_update(&digest, d, desc_size);
		pos += desc_size + c.raw_size;
	}
	if (r < 0) {
		uint8_t scratch[FERRY_DIGEST_SIZE];

		ferry_digest_end(&digest, scratch); /* releases the context */
		return r;
	}
	if (pos != size)
		return diag_set(diag, -FERRY_ERR_LAYOUT, "expanded size changed", pos, UINT32_MAX);

	hdr = img->hdr;
	hdr.flags = (hdr.flags & ~(FERRY_FLAG_SEALED | FERRY_FLAG_COMPRESSED)) | FERRY_FLAG_EXPANDED;
	hdr.chunks_size = size - hdr.chunks_offset;
	hdr.image_size = size;
	hdr.page_bytes_stored = hdr.page_bytes_raw;
	memset(hdr.digest, 0, sizeof(hdr.digest));
	ferry_header_encode(&hdr, raw_header);
	/* the digest covers the header extension as it is in the output */
	memcpy(out, raw_header, FERRY_HEADER_SIZE);
	ferry_digest_header(&digest, out, hdr.header_size);
	ferry_digest_end(&digest, hdr.digest);
	ferry_header_encode(&hdr, raw_header);
	memcpy(out, raw_header, FERRY_HEADER_SIZE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	le32_store(out + HDR_FLAGS, hdr.flags | FERRY_FLAG_SEALED);
	*ret_size = size;
	return 0;
}
