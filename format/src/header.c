/* SPDX-License-Identifier: MIT */
/* Encoding and decoding of the fixed image header (SPEC.md §2). */
#include <string.h>

#include "ferry/image.h"
#include "diag.h"
#include "layout.h"
#include "le.h"

static void copy_text_field(uint8_t *dst, const char *src, size_t width)
{
	size_t n = src ? strnlen(src, width) : 0;

	memset(dst, 0, width);
	memcpy(dst, src ? src : "", n);
}

static void load_text_field(char *dst, const uint8_t *src, size_t width)
{
	size_t n = strnlen((const char *)src, width);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* CRC32 over bytes [0, HDR_CRC) with the sealed flag counted as set, so the
 * CRC written before the seal is already the final one (SPEC.md §6). */
uint32_t ferry_header_crc(const uint8_t *raw)
{
	uint8_t flags[4];
	uLong crc = crc32(0L, Z_NULL, 0);

	le32_store(flags, le32_load(raw + HDR_FLAGS) | FERRY_FLAG_SEALED);
	crc = crc32(crc, raw, HDR_FLAGS);
	crc = crc32(crc, flags, sizeof(flags));
	crc = crc32(crc, raw + HDR_FLAGS + 4, HDR_CRC - (HDR_FLAGS + 4));
	return (uint32_t)crc;
}

void ferry_header_encode(const struct ferry_header *h, uint8_t out[FERRY_HEADER_SIZE])
{
	memset(out, 0, FERRY_HEADER_SIZE);
	memcpy(out + HDR_MAGIC, FERRY_IMAGE_MAGIC, 8);
	le16_store(out + HDR_VERSION_MAJOR, h->version_major);
	le16_store(out + HDR_VERSION_MINOR, h->version_minor);
	le32_store(out + HDR_HEADER_SIZE, FERRY_HEADER_SIZE);
	le32_store(out + HDR_FLAGS, h->flags);
	le32_store(out + HDR_PAGE_SIZE, h->page_size);
	le64_store(out + HDR_CREATED_SEC, h->created_sec);
	le32_store(out + HDR_CREATED_NSEC, h->created_nsec);
	le32_store(out + HDR_CHUNK_COUNT, h->chunk_count);
	le64_store(out + HDR_METADATA_OFFSET, h->metadata_offset);
	le64_store(out + HDR_METADATA_SIZE, h->metadata_size);
	le64_store(out + HDR_CHUNKS_OFFSET, h->chunks_offset);
	le64_store(out + HDR_CHUNKS_SIZE, h->chunks_size);
	le64_store(out + HDR_IMAGE_SIZE, h->image_size);
	le64_store(out + HDR_PAGE_BYTES_RAW, h->page_bytes_raw);
	le64_store(out + HDR_PAGE_BYTES_STORED, h->page_bytes_stored);
	copy_text_field(out + HDR_KERNEL_RELEASE, h->kernel_release, FERRY_RELEASE_LEN);
	copy_text_field(out + HDR_MACHINE, h->machine, FERRY_MACHINE_LEN);
	copy_text_field(out + HDR_FERRY_VERSION, h->ferry_version, FERRY_VERSION_LEN);
	memcpy(out + HDR_DIGEST, h->digest, FERRY_DIGEST_SIZE);
	le32_store(out + HDR_CRC, ferry_header_crc(out));
}

static int is_power_of_two(uint32_t v)
{
	return v && !(v & (v - 1));
}

int ferry_header_decode(const void *buf, size_t len, struct ferry_header *ret_h,
			struct ferry_diag *diag)
{
	const uint8_t *raw = buf;
	struct ferry_header h;

	if (!buf || !ret_h)
		return diag_fail(diag, -FERRY_ERR_INVAL, "header", "no buffer", 0);
	if (len < 8)
		return diag_fail(diag, -FERRY_ERR_TRUNCATED, "header",
				 "shorter than the magic number", len);
	if (memcmp(raw + HDR_MAGIC, FERRY_IMAGE_MAGIC, 8) != 0)
		return diag_fail(diag, -FERRY_ERR_BADMAGIC, "header",
				 "magic is not \"FERRYIMG\"", HDR_MAGIC);
	if (len < FERRY_HEADER_SIZE)
		return diag_fail(diag, -FERRY_ERR_TRUNCATED, "header",
				 "shorter than the 256-byte header", len);

	memset(&h, 0, sizeof(h));
	h.version_major = le16_load(raw + HDR_VERSION_MAJOR);
	h.version_minor = le16_load(raw + HDR_VERSION_MINOR);
	if (h.version_major != FERRY_IMAGE_VERSION_MAJOR)
		return diag_fail(diag, -FERRY_ERR_VERSION, "header",
				 "major version is not 1", HDR_VERSION_MAJOR);

	h.header_crc = le32_load(raw + HDR_CRC);
	if (h.header_crc != ferry_header_crc(raw))
		return diag_fail(diag, -FERRY_ERR_HEADER, "header", "header CRC mismatch",
				 HDR_CRC);

	h.header_size = le32_load(raw + HDR_HEADER_SIZE);
	h.flags = le32_load(raw + HDR_FLAGS);
	h.page_size = le32_load(raw + HDR_PAGE_SIZE);
	h.created_sec = le64_load(raw + HDR_CREATED_SEC);
	h.created_nsec = le32_load(raw + HDR_CREATED_NSEC);
	h.chunk_count = le32_load(raw + HDR_CHUNK_COUNT);
	h.metadata_offset = le64_load(raw + HDR_METADATA_OFFSET);
	h.metadata_size = le64_load(raw + HDR_METADATA_SIZE);
	h.chunks_offset = le64_load(raw + HDR_CHUNKS_OFFSET);
	h.chunks_size = le64_load(raw + HDR_CHUNKS_SIZE);
	h.image_size = le64_load(raw + HDR_IMAGE_SIZE);
	h.page_bytes_raw = le64_load(raw + HDR_PAGE_BYTES_RAW);
	h.page_bytes_stored = le64_load(raw + HDR_PAGE_BYTES_STORED);
	load_text_field(h.kernel_release, raw + HDR_KERNEL_RELEASE, FERRY_RELEASE_LEN);
	load_text_field(h.machine, raw + HDR_MACHINE, FERRY_MACHINE_LEN);
	load_text_field(h.ferry_version, raw + HDR_FERRY_VERSION, FERRY_VERSION_LEN);
	memcpy(h.digest, raw + HDR_DIGEST, FERRY_DIGEST_SIZE);

	if (h.header_size < FERRY_HEADER_SIZE || h.header_size > 4096 || (h.header_size & 7))
		return diag_fail(diag, -FERRY_ERR_HEADER, "header",
				 "header size is not a multiple of 8 in [256, 4096]",
				 HDR_HEADER_SIZE);
	if (!is_power_of_two(h.page_size) || h.page_size < 4096 || h.page_size > 65536)
		return diag_fail(diag, -FERRY_ERR_HEADER, "header",
				 "page size is not a power of two in [4096, 65536]", HDR_PAGE_SIZE);
	if (h.created_nsec >= 1000000000u)
		return diag_fail(diag, -FERRY_ERR_HEADER, "header",
				 "creation time nanoseconds out of range", HDR_CREATED_NSEC);
	if ((h.flags & FERRY_FLAG_EXPANDED) && (h.flags & FERRY_FLAG_COMPRESSED))
		return diag_fail(diag, -FERRY_ERR_HEADER, "header",
				 "flags say both expanded and compressed", HDR_FLAGS);
	if (h.page_bytes_stored > h.page_bytes_raw)
		return diag_fail(diag, -FERRY_ERR_HEADER, "header",
				 "stored page bytes exceed raw page bytes", HDR_PAGE_BYTES_STORED);

	*ret_h = h;
	return 0;
}
