/* SPDX-License-Identifier: MIT */
/* Opening an image in memory and walking its chunks (SPEC.md §2-§4).
 * Every value read from the image is checked before it is used. */
#include <string.h>

#include <libfdt.h>

#include "ferry/image.h"
#include "crc.h"
#include "diag.h"
#include "fdt_check.h"
#include "layout.h"
#include "le.h"

/* a + b <= limit, without overflow */
static int fits(uint64_t a, uint64_t b, uint64_t limit)
{
	return a <= limit && b <= limit - a;
}

static int check_layout(const struct ferry_header *h, size_t len, struct ferry_diag *diag)
{
	uint64_t metadata_end;

	if (h->image_size > len)
		return diag_fail(diag, -FERRY_ERR_TRUNCATED, "image",
				 "buffer ends before the image size in the header", len);
	if (h->image_size < h->header_size)
		return diag_fail(diag, -FERRY_ERR_LAYOUT, "header",
				 "image size is smaller than the header", HDR_IMAGE_SIZE);
	if (h->metadata_offset < h->header_size || (h->metadata_offset & 7))
		return diag_fail(diag, -FERRY_ERR_LAYOUT, "header",
				 "metadata offset is inside the header or not 8-aligned",
				 HDR_METADATA_OFFSET);
	if (h->metadata_size < sizeof(struct fdt_header) || h->metadata_size > FERRY_METADATA_MAX)
		return diag_fail(diag, -FERRY_ERR_LAYOUT, "header",
				 "metadata size out of range", HDR_METADATA_SIZE);
	if (!fits(h->metadata_offset, h->metadata_size, h->image_size))
		return diag_fail(diag, -FERRY_ERR_LAYOUT, "header",
				 "metadata extends past the end of the image", HDR_METADATA_SIZE);
	metadata_end = h->metadata_offset + h->metadata_size;
	if (h->chunks_offset != FERRY_ALIGN8(metadata_end))
		return diag_fail(diag, -FERRY_ERR_LAYOUT, "header",
				 "chunk area does not start at the first 8-aligned offset after the metadata",
				 HDR_CHUNKS_OFFSET);
	if (!fits(h->chunks_offset, h->chunks_size, h->image_size) ||
	    h->chunks_offset + h->chunks_size != h->image_size)
		return diag_fail(diag, -FERRY_ERR_LAYOUT, "header",
				 "chunk area does not end exactly at the image size",
				 HDR_CHUNKS_SIZE);
	if ((uint64_t)h->chunk_count * (FERRY_CHUNK_DESC_SIZE + FERRY_EXTENT_SIZE + 8) >
	    h->chunks_size)
		return diag_fail(diag, -FERRY_ERR_LAYOUT, "header",
				 "chunk count cannot fit in the chunk area", HDR_CHUNK_COUNT);
	if ((h->chunk_count == 0) != (h->page_bytes_raw == 0))
		return diag_fail(diag, -FERRY_ERR_LAYOUT, "header",
				 "chunk count and raw page bytes disagree", HDR_CHUNK_COUNT);
	return 0;
}

/* Padding is not covered by any checksum, so it must be zero. */
static int check_zero_padding(const uint8_t *base, uint64_t from, uint64_t to, const char *part,
			      struct ferry_diag *diag)
{
	for (uint64_t i = from; i < to; i++)
		if (base[i] != 0)
			return diag_fail(diag, -FERRY_ERR_LAYOUT, part, "padding byte is not zero",
					 i);
	return 0;
}

int ferry_image_open(struct ferry_image *img, const void *buf, size_t len, unsigned flags,
		     struct ferry_diag *diag)
{
	struct ferry_header h;
	int r;

	if (!img)
		return diag_fail(diag, -FERRY_ERR_INVAL, "image", "no image", 0);
	r = ferry_header_decode(buf, len, &h, diag);
	if (r < 0)
		return r;
	if (!(h.flags & FERRY_FLAG_SEALED) && !(flags & FERRY_OPEN_ALLOW_UNSEALED))
		return diag_fail(diag, -FERRY_ERR_UNSEALED, "header",
				 "sealed flag is not set", HDR_FLAGS);
	r = check_layout(&h, len, diag);
	if (r < 0)
		return r;
	r = check_zero_padding(buf, h.metadata_offset + h.metadata_size, h.chunks_offset,
			       "metadata padding", diag);
	if (r < 0)
		return r;

	img->base = buf;
	img->len = len;
	img->hdr = h;
	return 0;
}

int ferry_image_check_metadata(const struct ferry_image *img, struct ferry_diag *diag)
{
	if (!img)
		return diag_fail(diag, -FERRY_ERR_INVAL, "image", "no image", 0);
	return ferry_fdt_check(img->base + img->hdr.metadata_offset, img->hdr.metadata_size,
			       -FERRY_ERR_METADATA, "metadata", img->hdr.metadata_offset, diag);
}

int ferry_image_metadata(const struct ferry_image *img, const void **ret_fdt, size_t *ret_size)
{
	int r;

	if (!img || !ret_fdt || !ret_size)
		return -FERRY_ERR_INVAL;
	r = ferry_image_check_metadata(img, NULL);
	if (r < 0)
		return r;
	*ret_fdt = img->base + img->hdr.metadata_offset;
	*ret_size = img->hdr.metadata_size;
	return 0;
}

void ferry_chunk_cursor_init(const struct ferry_image *img, struct ferry_chunk_cursor *cur)
{
	cur->next_offset = img->hdr.chunks_offset;
	cur->next_index = 0;
}

static uint32_t descriptor_crc(const uint8_t *desc, uint32_t extent_count)
{
	uLong crc = crc32(0L, Z_NULL, 0);

	crc = crc32(crc, desc, CHK_DESC_CRC);
	return (uint32_t)crc32(crc, desc + FERRY_CHUNK_DESC_SIZE,
			       (uInt)extent_count * FERRY_EXTENT_SIZE);
}

static int check_extents(const struct ferry_image *img, const struct ferry_chunk *c,
			 struct ferry_diag *diag)
{
	uint64_t page_size = img->hdr.page_size;
	/* the previous extent's last page, not its end: an extent may end
	 * exactly at 2^64, where its end address would wrap to 0 */
	uint64_t prev_last = 0, total = 0;

	for (uint32_t i = 0; i < c->extent_count; i++) {
		const uint8_t *e = c->extents + (uint64_t)i * FERRY_EXTENT_SIZE;
		uint64_t vaddr = le64_load(e + EXT_VADDR);
		uint64_t pages = le32_load(e + EXT_PAGE_COUNT);
		uint64_t off = c->offset + FERRY_CHUNK_DESC_SIZE + (uint64_t)i * FERRY_EXTENT_SIZE;

		if (pages == 0 || pages > c->page_count)
			return diag_fail_chunk(diag, -FERRY_ERR_CHUNK, "chunk extent",
					       "extent page count is 0 or exceeds the chunk's",
					       off + EXT_PAGE_COUNT, c->index);
		if (vaddr & (page_size - 1))
			return diag_fail_chunk(diag, -FERRY_ERR_CHUNK, "chunk extent",
					       "extent address is not page-aligned", off, c->index);
		if (vaddr > UINT64_MAX - pages * page_size + 1)
			return diag_fail_chunk(diag, -FERRY_ERR_CHUNK, "chunk extent",
					       "extent wraps around the address space", off,
					       c->index);
		if (i > 0 && vaddr <= prev_last)
			return diag_fail_chunk(diag, -FERRY_ERR_CHUNK, "chunk extent",
					       "extents overlap or are not in ascending order", off,
					       c->index);
		prev_last = vaddr + (pages - 1) * page_size;
		total += pages;
	}
	if (total != c->page_count)
		return diag_fail_chunk(diag, -FERRY_ERR_CHUNK, "chunk",
				       "extent page counts do not add up to the chunk's",
				       c->offset + CHK_PAGE_COUNT, c->index);
	return 0;
}

int ferry_chunk_next(const struct ferry_image *img, struct ferry_chunk_cursor *cur,
		     struct ferry_chunk *ret_chunk, struct ferry_diag *diag)
{
	const uint64_t end = img->hdr.chunks_offset + img->hdr.chunks_size;
	uint64_t off = cur->next_offset, record;
	const uint8_t *d;
	struct ferry_chunk c;
	int r;

	if (cur->next_index == img->hdr.chunk_count) {
		if (off != end)
			return diag_fail(diag, -FERRY_ERR_LAYOUT, "chunk area",
					 "bytes follow the last chunk", off);
		return 0;
	}
	if (off > end || end - off < FERRY_CHUNK_DESC_SIZE)
		return diag_fail_chunk(diag, -FERRY_ERR_CHUNK, "chunk",
				       "chunk area ends before this chunk's descriptor", off,
				       cur->next_index);

	d = img->base + off;
	memset(&c, 0, sizeof(c));
	c.offset = off;
	c.index = le32_load(d + CHK_INDEX);
	c.mm_id = le32_load(d + CHK_MM_ID);
	c.encoding = le16_load(d + CHK_ENCODING);
	c.extent_count = le16_load(d + CHK_EXTENT_COUNT);
	c.page_count = le32_load(d + CHK_PAGE_COUNT);
	c.stored_size = le32_load(d + CHK_STORED_SIZE);
	c.payload_crc = le32_load(d + CHK_PAYLOAD_CRC);
	c.raw_size = (uint64_t)c.page_count * img->hdr.page_size;

	if (le32_load(d + CHK_MAGIC) != FERRY_CHUNK_MAGIC)
		return diag_fail_chunk(diag, -FERRY_ERR_CHUNK, "chunk",
				       "descriptor magic is not \"FCHK\"", off, cur->next_index);
	if (c.index != cur->next_index)
		return diag_fail_chunk(diag, -FERRY_ERR_CHUNK, "chunk",
				       "chunk index out of sequence", off + CHK_INDEX,
				       cur->next_index);
	if (c.extent_count == 0 || c.page_count == 0 || c.page_count > FERRY_CHUNK_MAX_PAGES ||
	    c.extent_count > c.page_count)
		return diag_fail_chunk(diag, -FERRY_ERR_CHUNK, "chunk",
				       "page or extent count out of range", off + CHK_EXTENT_COUNT,
				       c.index);
	/* extents must fit before the descriptor CRC can be computed over them */
	if (end - off - FERRY_CHUNK_DESC_SIZE < (uint64_t)c.extent_count * FERRY_EXTENT_SIZE)
		return diag_fail_chunk(diag, -FERRY_ERR_CHUNK, "chunk",
				       "extent list runs past the chunk area", off, c.index);
	if (le32_load(d + CHK_DESC_CRC) != descriptor_crc(d, c.extent_count))
		return diag_fail_chunk(diag, -FERRY_ERR_CHUNK, "chunk",
				       "descriptor CRC mismatch", off + CHK_DESC_CRC, c.index);
	if (c.encoding == FERRY_ENCODING_STORED) {
		if (c.stored_size != c.raw_size)
			return diag_fail_chunk(diag, -FERRY_ERR_CHUNK, "chunk",
					       "stored chunk size is not its page count times the page size",
					       off + CHK_STORED_SIZE, c.index);
	} else if (c.encoding == FERRY_ENCODING_DEFLATE) {
		if (c.stored_size == 0 || c.stored_size > c.raw_size)
			return diag_fail_chunk(diag, -FERRY_ERR_CHUNK, "chunk",
					       "deflated chunk size is 0 or exceeds its raw size",
					       off + CHK_STORED_SIZE, c.index);
		if (img->hdr.flags & FERRY_FLAG_EXPANDED)
			return diag_fail_chunk(diag, -FERRY_ERR_CHUNK, "chunk",
					       "deflated chunk in an image flagged expanded",
					       off + CHK_ENCODING, c.index);
	} else {
		return diag_fail_chunk(diag, -FERRY_ERR_CHUNK, "chunk", "unknown encoding",
				       off + CHK_ENCODING, c.index);
	}

	record = FERRY_CHUNK_DESC_SIZE + (uint64_t)c.extent_count * FERRY_EXTENT_SIZE;
	if (end - off - record < c.stored_size ||
	    end - off < FERRY_ALIGN8(record + c.stored_size))
		return diag_fail_chunk(diag, -FERRY_ERR_CHUNK, "chunk",
				       "payload runs past the chunk area", off + CHK_STORED_SIZE,
				       c.index);
	c.extents = d + FERRY_CHUNK_DESC_SIZE;
	c.payload = d + record;

	r = check_extents(img, &c, diag);
	if (r < 0)
		return r;
	r = check_zero_padding(img->base, off + record + c.stored_size,
			       off + FERRY_ALIGN8(record + c.stored_size), "chunk padding", diag);
	if (r < 0)
		return r;

	cur->next_offset = off + FERRY_ALIGN8(record + c.stored_size);
	cur->next_index++;
	*ret_chunk = c;
	return 1;
}

void ferry_chunk_extent(const struct ferry_chunk *c, uint32_t i, struct ferry_extent *ret)
{
	const uint8_t *e = c->extents + (uint64_t)i * FERRY_EXTENT_SIZE;

	ret->vaddr = le64_load(e + EXT_VADDR);
	ret->page_count = le32_load(e + EXT_PAGE_COUNT);
}

int ferry_chunk_check_payload(const struct ferry_chunk *c, struct ferry_diag *diag)
{
	if (ferry_crc32(0, c->payload, c->stored_size) != c->payload_crc)
		return diag_fail_chunk(diag, -FERRY_ERR_CHUNK_CRC, "chunk payload",
				       "payload CRC mismatch",
				       (uint64_t)(c->payload - (c->extents - FERRY_CHUNK_DESC_SIZE)) +
					       c->offset,
				       c->index);
	return 0;
}
