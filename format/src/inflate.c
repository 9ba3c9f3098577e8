/* SPDX-License-Identifier: MIT */
/* Inflating one chunk into caller memory with zlib, without malloc: zlib's
 * allocator is pointed at a fixed arena inside struct ferry_inflater. The
 * host build inflates with libdeflate instead (FERRY_HOST_LIBDEFLATE). */
#include <string.h>

#ifdef FERRY_HOST_LIBDEFLATE
#include <libdeflate.h>
#endif

#include "ferry/image.h"
#include "diag.h"

static voidpf arena_alloc(voidpf opaque, uInt items, uInt size)
{
	struct ferry_inflater *inf = opaque;
	size_t want = (size_t)items * size;

	if (size && want / size != items)
		return Z_NULL;
	want = (want + 15) & ~(size_t)15;
	if (want > FERRY_INFLATE_ARENA - inf->arena_used)
		return Z_NULL;
	inf->arena_used += want;
	return inf->arena + inf->arena_used - want;
}

/* zlib frees only at inflateEnd(); the arena is dropped as a whole. */
static void arena_free(voidpf opaque, voidpf address)
{
	(void)opaque;
	(void)address;
}

int ferry_inflater_init(struct ferry_inflater *inf)
{
	if (!inf)
		return -FERRY_ERR_INVAL;
	memset(&inf->zs, 0, sizeof(inf->zs));
	inf->arena_used = 0;
	inf->zs.zalloc = arena_alloc;
	inf->zs.zfree = arena_free;
	inf->zs.opaque = inf;
	if (inflateInit2(&inf->zs, -MAX_WBITS) != Z_OK)
		return -FERRY_ERR_NOMEM;
	inf->fast = NULL;
#ifdef FERRY_HOST_LIBDEFLATE
	inf->fast = libdeflate_alloc_decompressor();
	if (!inf->fast) {
		inflateEnd(&inf->zs);
		return -FERRY_ERR_NOMEM;
	}
#endif
	inf->initialized = 1;
	return 0;
}

void ferry_inflater_fini(struct ferry_inflater *inf)
{
	if (inf && inf->initialized) {
#ifdef FERRY_HOST_LIBDEFLATE
		libdeflate_free_decompressor(inf->fast);
		inf->fast = NULL;
#endif
		inflateEnd(&inf->zs);
		inf->initialized = 0;
		inf->arena_used = 0;
	}
}

int ferry_chunk_inflate(struct ferry_inflater *inf, const struct ferry_chunk *c, void *out,
			size_t out_len, struct ferry_diag *diag)
{
	int zr;

	if (!inf || !inf->initialized || !c || !out)
		return diag_fail(diag, -FERRY_ERR_INVAL, "inflate", "no inflater or buffer", 0);
	if (out_len < c->raw_size)
		return diag_fail_chunk(diag, -FERRY_ERR_NOSPACE, "inflate",
				       "output buffer smaller than the chunk", c->offset, c->index);
	if (c->encoding == FERRY_ENCODING_STORED) {
		memcpy(out, c->payload, c->raw_size);
		return 0;
	}
	if (c->encoding != FERRY_ENCODING_DEFLATE)
		return diag_fail_chunk(diag, -FERRY_ERR_INVAL, "inflate", "unknown encoding",
				       c->offset, c->index);

#ifdef FERRY_HOST_LIBDEFLATE
	{
		size_t used = 0;
		/* no actual_out: the stream must fill raw_size exactly */
		enum libdeflate_result lr = libdeflate_deflate_decompress_ex(
			inf->fast, c->payload, c->stored_size, out, c->raw_size, &used, NULL);

		if (lr == LIBDEFLATE_BAD_DATA)
			return diag_fail_chunk(diag, -FERRY_ERR_INFLATE, "chunk payload",
					       "deflate stream is corrupt", c->offset, c->index);
		if (lr != LIBDEFLATE_SUCCESS)
			return diag_fail_chunk(diag, -FERRY_ERR_INFLATE, "chunk payload",
					       "deflate stream is longer or shorter than the chunk's pages",
					       c->offset, c->index);
		if (used != c->stored_size)
			return diag_fail_chunk(diag, -FERRY_ERR_INFLATE, "chunk payload",
					       "deflate stream does not fill the chunk's pages exactly",
					       c->offset, c->index);
		return 0;
	}
#endif
	if (inflateReset(&inf->zs) != Z_OK)
		return diag_fail_chunk(diag, -FERRY_ERR_INFLATE, "inflate", "zlib reset failed",
				       c->offset, c->index);
	inf->zs.next_in = (Bytef *)c->payload; /* zlib's API is not const-correct */
	inf->zs.avail_in = c->stored_size;
	inf->zs.next_out = out;
	inf->zs.avail_out = (uInt)c->raw_size;
	zr = inflate(&inf->zs, Z_FINISH);
	if (zr != Z_STREAM_END)
		return diag_fail_chunk(diag, -FERRY_ERR_INFLATE, "chunk payload",
				       zr == Z_BUF_ERROR ? "deflate stream is longer or shorter than the chunk's pages"
							 : "deflate stream is corrupt",
				       c->offset, c->index);
	if (inf->zs.avail_out != 0 || inf->zs.avail_in != 0)
		return diag_fail_chunk(diag, -FERRY_ERR_INFLATE, "chunk payload",
				       "deflate stream does not fill the chunk's pages exactly",
				       c->offset, c->index);
	return 0;
}
