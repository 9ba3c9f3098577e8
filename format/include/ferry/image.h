/* SPDX-License-Identifier: MIT */
/*
 * ferry checkpoint image: reader, verifier and chunk inflater.
 *
 * This is the core of the format library. It never allocates, never calls
 * the operating system and trusts nothing it is handed: every offset, length
 * and count is checked against the buffer before it is used. The same code is
 * linked into the freestanding boot stage.
 *
 * The on-disk layout is specified normatively in format/SPEC.md; the
 * constants below are ABI and must match it.
 */
#ifndef FERRY_IMAGE_H
#define FERRY_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

#include "ferry/errors.h"
#include "ferry/magic.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- ABI constants (SPEC.md §2, §4) ---------------------------------- */

#define FERRY_IMAGE_VERSION_MAJOR 1
#define FERRY_IMAGE_VERSION_MINOR 19
#define FERRY_HEADER_SIZE 256u          /* size of a v1.0 header */
#define FERRY_HEADER_FLAGS_OFFSET 0x10u /* where the seal is written last */

#define FERRY_FLAG_SEALED (1u << 0)     /* image complete; written last */
#define FERRY_FLAG_EXPANDED (1u << 1)   /* every chunk is stored, none deflated */
#define FERRY_FLAG_COMPRESSED (1u << 2) /* at least one chunk is deflated */
#define FERRY_FLAGS_KNOWN (FERRY_FLAG_SEALED | FERRY_FLAG_EXPANDED | FERRY_FLAG_COMPRESSED)

#define FERRY_CHUNK_DESC_SIZE 32u
#define FERRY_EXTENT_SIZE 16u
#define FERRY_CHUNK_MAX_PAGES 4096u /* per chunk, by specification */

#define FERRY_ENCODING_STORED 0u
#define FERRY_ENCODING_DEFLATE 1u /* raw deflate (RFC 1951), no zlib wrapper */

#define FERRY_DIGEST_SIZE 32u /* SHA-256 */
#define FERRY_RELEASE_LEN 64u
#define FERRY_MACHINE_LEN 16u
#define FERRY_VERSION_LEN 16u

/* Largest metadata blob a reader accepts (SPEC.md §3). */
#define FERRY_METADATA_MAX (64u << 20)

/* ---- header ------------------------------------------------------------ */

/* The decoded (host-endian) form of the fixed header. */
struct ferry_header {
	uint16_t version_major;
	uint16_t version_minor;
	uint32_t header_size;
	uint32_t flags;
	uint32_t page_size;
	uint64_t created_sec; /* CLOCK_REALTIME seconds at the freeze */
	uint32_t created_nsec;
	uint32_t chunk_count;
	uint64_t metadata_offset;
	uint64_t metadata_size;
	uint64_t chunks_offset;
	uint64_t chunks_size;
	uint64_t image_size;
	uint64_t page_bytes_raw;    /* sum of all chunks' raw (inflated) sizes */
	uint64_t page_bytes_stored; /* sum of all chunks' payload sizes */
	char kernel_release[FERRY_RELEASE_LEN + 1];
	char machine[FERRY_MACHINE_LEN + 1];
	char ferry_version[FERRY_VERSION_LEN + 1];
	uint8_t digest[FERRY_DIGEST_SIZE];
	uint32_t header_crc;
};

/* Encode @h into exactly FERRY_HEADER_SIZE bytes at @out (little-endian).
 * header_crc is computed, h->header_crc is ignored. */
void ferry_header_encode(const struct ferry_header *h, uint8_t out[FERRY_HEADER_SIZE]);

/* Decode and check a header: magic, major version, CRC, field sanity.
 * Does not check that the parts fit in a buffer; ferry_image_open() does.
 * Returns 0 or -FERRY_ERR_{TRUNCATED,BADMAGIC,VERSION,HEADER}. */
int ferry_header_decode(const void *buf, size_t len, struct ferry_header *ret_h,
			struct ferry_diag *diag);

/* ---- reader ------------------------------------------------------------ */

struct ferry_image {
	const uint8_t *base;
	size_t len;
	struct ferry_header hdr;
};

#define FERRY_OPEN_ALLOW_UNSEALED (1u << 0) /* for inspecting half-written images */

/*
 * Check the header and the layout of an image held in memory and fill @img.
 * The digest and the chunks are not checked: use ferry_image_verify().
 * Returns 0 or -FERRY_ERR_{TRUNCATED,BADMAGIC,VERSION,UNSEALED,HEADER,LAYOUT}.
 */
int ferry_image_open(struct ferry_image *img, const void *buf, size_t len, unsigned flags,
		     struct ferry_diag *diag);

/*
 * Check the metadata FDT as SPEC.md §3.0 requires before libfdt may read it:
 * every header field libfdt trusts (version 17, last compatible version 16,
 * totalsize within metadata_size, the blocks aligned, in order, inside it,
 * no memory reservations), then libfdt's fdt_check_full(), then that no
 * property length is negative. The digest is not checked.
 * Returns 0 or -FERRY_ERR_METADATA with @diag naming the rule broken.
 */
int ferry_image_check_metadata(const struct ferry_image *img, struct ferry_diag *diag);

/* The metadata FDT, after the checks of ferry_image_check_metadata(): only a
 * blob handed out here may be given to libfdt. Returns 0 or
 * -FERRY_ERR_{INVAL,METADATA}. */
int ferry_image_metadata(const struct ferry_image *img, const void **ret_fdt, size_t *ret_size);

struct ferry_extent {
	uint64_t vaddr;
	uint32_t page_count;
};

/* One chunk, as the iterator hands it out. Pointers point into the image. */
struct ferry_chunk {
	uint32_t index;
	uint32_t mm_id;
	uint16_t encoding;
	uint16_t extent_count;
	uint32_t page_count;
	uint32_t stored_size;
	uint32_t payload_crc;
	uint64_t raw_size;       /* page_count * page_size */
	uint64_t offset;         /* image offset of the descriptor */
	const uint8_t *extents;  /* extent_count * FERRY_EXTENT_SIZE bytes */
	const uint8_t *payload;  /* stored_size bytes */
};

struct ferry_chunk_cursor {
	uint64_t next_offset;
	uint32_t next_index;
};

void ferry_chunk_cursor_init(const struct ferry_image *img, struct ferry_chunk_cursor *cur);

/*
 * Decode the next chunk descriptor and check it completely (magic, index,
 * CRC of the descriptor and extents, extent ordering, sizes, bounds). The
 * payload CRC is not checked; see ferry_chunk_check_payload().
 * Returns 1 with @ret_chunk filled, 0 after the last chunk, or
 * -FERRY_ERR_{CHUNK,TRUNCATED,LAYOUT}.
 */
int ferry_chunk_next(const struct ferry_image *img, struct ferry_chunk_cursor *cur,
		     struct ferry_chunk *ret_chunk, struct ferry_diag *diag);

/* Extent @i of @c (i < c->extent_count; already validated by _next). */
void ferry_chunk_extent(const struct ferry_chunk *c, uint32_t i, struct ferry_extent *ret);

/* Check the payload CRC. Returns 0 or -FERRY_ERR_CHUNK_CRC. */
int ferry_chunk_check_payload(const struct ferry_chunk *c, struct ferry_diag *diag);

/*
 * The same verification in steps, for a reader that walks the chunks
 * itself (a restorer that releases the image pages it has passed, or
 * checks each payload CRC only as it uses the payload):
 *   ferry_verify_begin()  the seal and the metadata structure;
 *   ferry_verify_chunk()  each chunk, in order, as ferry_chunk_next()
 *                         returned it (its payload CRC is not checked);
 *   ferry_verify_end()    the totals in the header and the digest.
 * Until ferry_verify_end() returned 0 nothing of the image is verified.
 * begin and end return 0 or the first error, described in @diag.
 */
struct ferry_verify {
	const struct ferry_image *img;
	uint64_t raw, stored;
	int any_deflated;
	_Alignas(16) unsigned char digest_state[512]; /* SHA-256 state, opaque */
};

int ferry_verify_begin(struct ferry_verify *v, const struct ferry_image *img,
		       struct ferry_diag *diag);
void ferry_verify_chunk(struct ferry_verify *v, const struct ferry_chunk *c);
int ferry_verify_end(struct ferry_verify *v, struct ferry_diag *diag);

/*
 * Full verification: header, layout, metadata FDT (ferry_image_check_metadata), every
 * chunk descriptor and payload CRC, the totals in the header, and the
 * SHA-256 digest. Returns 0 or the first error found, described in @diag.
 */
int ferry_image_verify(const struct ferry_image *img, struct ferry_diag *diag);

/* ---- inflater ------------------------------------------------------------- */

/* Enough for zlib's inflate state and window (SPEC.md §4.3); no malloc. */
#define FERRY_INFLATE_ARENA (48u * 1024u)

struct ferry_inflater {
	z_stream zs;
	int initialized;
	size_t arena_used;
	void *fast; /* host build: libdeflate's decompressor (allocated by init) */
	_Alignas(16) unsigned char arena[FERRY_INFLATE_ARENA];
};

/*
 * Prepare an inflater; it can be reused for any number of chunks, by one
 * thread at a time. The freestanding core inflates with zlib in the arena;
 * the host build with libdeflate (two to three times faster), whose
 * decompressor init allocates. Both accept exactly the streams SPEC.md
 * §4.3 allows.
 */
int ferry_inflater_init(struct ferry_inflater *inf);
void ferry_inflater_fini(struct ferry_inflater *inf);

/*
 * Write the raw pages of @c to @out (out_len >= c->raw_size). The payload is
 * inflated (deflate) or copied (stored); the result must be exactly raw_size
 * bytes. The payload CRC is not checked here.
 * Returns 0 or -FERRY_ERR_{NOSPACE,INFLATE,INVAL}.
 */
int ferry_chunk_inflate(struct ferry_inflater *inf, const struct ferry_chunk *c, void *out,
			size_t out_len, struct ferry_diag *diag);

/* ---- digest ---------------------------------------------------------------- */

/* SHA-256 over the digest coverage of SPEC.md §5, computed from the image. */
int ferry_image_compute_digest(const struct ferry_image *img, uint8_t ret[FERRY_DIGEST_SIZE],
			       struct ferry_diag *diag);

#ifdef __cplusplus
}
#endif

#endif
