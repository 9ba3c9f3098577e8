/* SPDX-License-Identifier: MIT */
/* Streaming image writer (SPEC.md §6). Host side only: uses malloc and
 * zlib's deflate. Memory is fixed at begin() by the chunk size. */
#include <stdlib.h>
#include <string.h>

#include "ferry/writer.h"
#include "digest.h"
#include "fdt_check.h"
#include "layout.h"
#include "le.h"

#define WRITER_MAX_EXTENTS 512u
#define DEFAULT_CHUNK_PAGES 256u

struct ferry_writer {
	struct ferry_sink sink;
	struct ferry_header hdr;
	struct ferry_digest digest;
	uint64_t pos; /* where the next record goes */
	int level;
	int failed; /* sticky first error */
	int sealed;
	z_stream zs;
	int deflate_ready;

	/* the chunk being filled */
	uint32_t chunk_pages;
	uint32_t cur_mm;
	uint32_t cur_pages;
	uint32_t cur_extents;
	struct ferry_extent extents[WRITER_MAX_EXTENTS];
	uint8_t *raw;    /* chunk_pages * page_size */
	uint8_t *packed; /* deflate output, same size */
	uint8_t record[FERRY_CHUNK_DESC_SIZE + WRITER_MAX_EXTENTS * FERRY_EXTENT_SIZE];
};

static int sink_write(struct ferry_writer *w, const void *buf, size_t len, uint64_t off)
{
	int r;

	if (w->failed)
		return w->failed;
	r = w->sink.write(w->sink.ctx, buf, len, off);
	if (r < 0)
		w->failed = r;
	return r;
}

static int sink_barrier(struct ferry_writer *w)
{
	int r;

	if (w->failed)
		return w->failed;
	if (!w->sink.barrier)
		return 0;
	r = w->sink.barrier(w->sink.ctx);
	if (r < 0)
		w->failed = r;
	return r;
}

static int write_zeros(struct ferry_writer *w, size_t n, uint64_t off)
{
	static const uint8_t zeros[8];

	return n ? sink_write(w, zeros, n, off) : 0;
}

int ferry_writer_begin(struct ferry_writer **ret, const struct ferry_sink *sink,
		       const struct ferry_writer_options *opts, const void *fdt, size_t fdt_size)
{
	struct ferry_writer *w;
	uint8_t raw_header[FERRY_HEADER_SIZE];
	size_t chunk_bytes;
	int r;

	if (!ret || !sink || !sink->write || !opts || !fdt)
		return -FERRY_ERR_INVAL;
	/* never write an image whose readers would refuse its metadata */
	if (fdt_size > FERRY_METADATA_MAX ||
	    ferry_fdt_check(fdt, fdt_size, -FERRY_ERR_METADATA, "metadata", 0, NULL) < 0)
		return -FERRY_ERR_METADATA;
	if (opts->level < 0 || opts->level > 9)
		return -FERRY_ERR_INVAL;

	w = calloc(1, sizeof(*w));
	if (!w)
		return -FERRY_ERR_NOMEM;
	w->sink = *sink;
	w->level = opts->level;
	w->hdr.version_major = FERRY_IMAGE_VERSION_MAJOR;
	w->hdr.version_minor = FERRY_IMAGE_VERSION_MINOR;
	w->hdr.header_size = FERRY_HEADER_SIZE;
	w->hdr.page_size = opts->page_size ? opts->page_size : 4096;
	w->hdr.created_sec = opts->created_sec;
	w->hdr.created_nsec = opts->created_nsec;
	w->chunk_pages = opts->chunk_pages ? opts->chunk_pages : DEFAULT_CHUNK_PAGES;
	if (w->chunk_pages > FERRY_CHUNK_MAX_PAGES || (w->hdr.page_size & (w->hdr.page_size - 1)) ||
	    w->hdr.page_size < 4096 || w->hdr.page_size > 65536 || opts->created_nsec >= 1000000000u) {
		free(w);
		return -FERRY_ERR_INVAL;
	}
	if (opts->kernel_release)
		strncpy(w->hdr.kernel_release, opts->kernel_release, FERRY_RELEASE_LEN);
	if (opts->machine)
		strncpy(w->hdr.machine, opts->machine, FERRY_MACHINE_LEN);
	if (opts->ferry_version)
		strncpy(w->hdr.ferry_version, opts->ferry_version, FERRY_VERSION_LEN);

	chunk_bytes = (size_t)w->chunk_pages * w->hdr.page_size;
	w->raw = malloc(chunk_bytes);
	w->packed = malloc(chunk_bytes);
	if (!w->raw || !w->packed) {
		ferry_writer_free(w);
		return -FERRY_ERR_NOMEM;
	}
	if (w->level > 0) {
		/* raw deflate, as the format specifies; memLevel 8 and the
		 * default strategy are zlib's own defaults */
		if (deflateInit2(&w->zs, w->level, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
		    Z_OK) {
			ferry_writer_free(w);
			return -FERRY_ERR_NOMEM;
		}
		w->deflate_ready = 1;
	}

	w->hdr.metadata_offset = FERRY_HEADER_SIZE;
	w->hdr.metadata_size = fdt_size;
	w->hdr.chunks_offset = FERRY_ALIGN8(FERRY_HEADER_SIZE + fdt_size);

	/* an unsealed header first: a reader of a half-written image says so */
	ferry_header_encode(&w->hdr, raw_header);
	r = sink_write(w, raw_header, sizeof(raw_header), 0);
	if (r == 0)
		r = sink_write(w, fdt, fdt_size, w->hdr.metadata_offset);
	if (r == 0)
		r = write_zeros(w, w->hdr.chunks_offset - (FERRY_HEADER_SIZE + fdt_size),
				FERRY_HEADER_SIZE + fdt_size);
	if (r < 0) {
		ferry_writer_free(w);
		return r;
	}
	ferry_digest_begin(&w->digest);
	ferry_digest_update(&w->digest, fdt, fdt_size);
	w->pos = w->hdr.chunks_offset;
	*ret = w;
	return 0;
}

/* Deflate the current chunk; 0 when it did not get smaller (store it). */
static uint32_t deflate_chunk(struct ferry_writer *w, size_t raw_size)
{
	if (!w->deflate_ready || deflateReset(&w->zs) != Z_OK)
		return 0;
	w->zs.next_in = w->raw;
	w->zs.avail_in = (uInt)raw_size;
	w->zs.next_out = w->packed;
	w->zs.avail_out = (uInt)raw_size - 1;
	if (deflate(&w->zs, Z_FINISH) != Z_STREAM_END)
		return 0;
	return (uint32_t)w->zs.total_out;
}

static int flush_chunk(struct ferry_writer *w)
{
	size_t raw_size = (size_t)w->cur_pages * w->hdr.page_size;
	size_t desc_size = FERRY_CHUNK_DESC_SIZE + (size_t)w->cur_extents * FERRY_EXTENT_SIZE;
	uint8_t *d = w->record;
	const uint8_t *payload;
	uint32_t stored, packed;
	uint16_t encoding;
	uLong crc;
	int r;

	if (w->cur_pages == 0)
		return 0;

	packed = deflate_chunk(w, raw_size);
	if (packed) {
		encoding = FERRY_ENCODING_DEFLATE;
		payload = w->packed;
		stored = packed;
	} else {
		encoding = FERRY_ENCODING_STORED;
		payload = w->raw;
		stored = (uint32_t)raw_size;
	}

	memset(d, 0, desc_size);
	le32_store(d + CHK_MAGIC, FERRY_CHUNK_MAGIC);
	le32_store(d + CHK_INDEX, w->hdr.chunk_count);
	le32_store(d + CHK_MM_ID, w->cur_mm);
	le16_store(d + CHK_ENCODING, encoding);
	le16_store(d + CHK_EXTENT_COUNT, (uint16_t)w->cur_extents);
	le32_store(d + CHK_PAGE_COUNT, w->cur_pages);
	le32_store(d + CHK_STORED_SIZE, stored);
	le32_store(d + CHK_PAYLOAD_CRC, (uint32_t)crc32(crc32(0L, Z_NULL, 0), payload, stored));
	for (uint32_t i = 0; i < w->cur_extents; i++) {
		uint8_t *e = d + FERRY_CHUNK_DESC_SIZE + (size_t)i * FERRY_EXTENT_SIZE;

		le64_store(e + EXT_VADDR, w->extents[i].vaddr);
		le32_store(e + EXT_PAGE_COUNT, w->extents[i].page_count);
	}
	crc = crc32(crc32(0L, Z_NULL, 0), d, CHK_DESC_CRC);
	crc = crc32(crc, d + FERRY_CHUNK_DESC_SIZE, (uInt)(desc_size - FERRY_CHUNK_DESC_SIZE));
	le32_store(d + CHK_DESC_CRC, (uint32_t)crc);

	r = sink_write(w, d, desc_size, w->pos);
	if (r == 0)
		r = sink_write(w, payload, stored, w->pos + desc_size);
	if (r == 0)
		r = write_zeros(w, FERRY_ALIGN8(desc_size + stored) - (desc_size + stored),
				w->pos + desc_size + stored);
	if (r < 0)
		return r;

	ferry_digest_update(&w->digest, d, desc_size);
	w->pos += FERRY_ALIGN8(desc_size + stored);
	w->hdr.chunk_count++;
	w->hdr.page_bytes_raw += raw_size;
	w->hdr.page_bytes_stored += stored;
	if (encoding == FERRY_ENCODING_DEFLATE)
		w->hdr.flags |= FERRY_FLAG_COMPRESSED;
	w->cur_pages = 0;
	w->cur_extents = 0;
	return 0;
}

static int page_is_zero(const uint8_t *p, size_t n)
{
	return p[0] == 0 && memcmp(p, p + 1, n - 1) == 0;
}

static int append_page(struct ferry_writer *w, uint32_t mm_id, uint64_t vaddr, const uint8_t *page)
{
	const uint64_t ps = w->hdr.page_size;
	struct ferry_extent *last = w->cur_extents ? &w->extents[w->cur_extents - 1] : NULL;
	/* the last extent's last page, not its end: the end of an extent at the
	 * top of the address space wraps to 0, and nothing continues it */
	uint64_t last_page = last ? last->vaddr + (last->page_count - 1) * ps : 0;
	int contiguous = last && vaddr != 0 && vaddr == last_page + ps;
	int r;

	if (w->cur_pages &&
	    (mm_id != w->cur_mm || w->cur_pages == w->chunk_pages || (last && vaddr <= last_page) ||
	     (!contiguous && w->cur_extents == WRITER_MAX_EXTENTS))) {
		r = flush_chunk(w);
		if (r < 0)
			return r;
		contiguous = 0;
	}
	if (w->cur_pages == 0)
		w->cur_mm = mm_id;
	if (contiguous) {
		w->extents[w->cur_extents - 1].page_count++;
	} else {
		w->extents[w->cur_extents].vaddr = vaddr;
		w->extents[w->cur_extents].page_count = 1;
		w->cur_extents++;
	}
	memcpy(w->raw + (size_t)w->cur_pages * ps, page, ps);
	w->cur_pages++;
	return 0;
}

int ferry_writer_add_pages(struct ferry_writer *w, uint32_t mm_id, uint64_t vaddr,
			   const void *pages, size_t npages)
{
	const uint8_t *p = pages;
	const uint64_t ps = w ? w->hdr.page_size : 0;

	if (!w || (!pages && npages) || w->sealed)
		return -FERRY_ERR_INVAL;
	if (w->failed)
		return w->failed;
	if ((vaddr & (ps - 1)) || (npages && vaddr > UINT64_MAX - (npages * ps) + 1))
		return -FERRY_ERR_INVAL;

	for (size_t i = 0; i < npages; i++, p += ps) {
		int r;

		if (page_is_zero(p, ps))
			continue;
		r = append_page(w, mm_id, vaddr + i * ps, p);
		if (r < 0)
			return r;
	}
	return 0;
}

int ferry_writer_seal(struct ferry_writer *w)
{
	uint8_t raw_header[FERRY_HEADER_SIZE], flags[4];
	int r;

	if (!w || w->sealed)
		return -FERRY_ERR_INVAL;
	r = flush_chunk(w);
	if (r < 0)
		return r;

	w->hdr.chunks_size = w->pos - w->hdr.chunks_offset;
	w->hdr.image_size = w->pos;
	memset(w->hdr.digest, 0, sizeof(w->hdr.digest));
	ferry_header_encode(&w->hdr, raw_header);
	ferry_digest_header(&w->digest, raw_header, FERRY_HEADER_SIZE);
	ferry_digest_end(&w->digest, w->hdr.digest);
	ferry_header_encode(&w->hdr, raw_header);

	/* everything but the seal, durable; then the seal alone (SPEC.md §6) */
	r = sink_barrier(w);
	if (r == 0)
		r = sink_write(w, raw_header, sizeof(raw_header), 0);
	if (r == 0)
		r = sink_barrier(w);
	if (r < 0)
		return r;
	w->hdr.flags |= FERRY_FLAG_SEALED;
	le32_store(flags, w->hdr.flags);
	r = sink_write(w, flags, sizeof(flags), FERRY_HEADER_FLAGS_OFFSET);
	if (r == 0)
		r = sink_barrier(w);
	if (r < 0)
		return r;
	w->sealed = 1;
	return 0;
}

const struct ferry_header *ferry_writer_header(const struct ferry_writer *w)
{
	return w ? &w->hdr : NULL;
}

void ferry_writer_free(struct ferry_writer *w)
{
	if (!w)
		return;
	if (w->deflate_ready)
		deflateEnd(&w->zs);
	if (!w->sealed && w->pos)
		mbedtls_sha256_free(&w->digest.sha);
	free(w->raw);
	free(w->packed);
	free(w);
}
