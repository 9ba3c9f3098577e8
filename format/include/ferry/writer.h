/* SPDX-License-Identifier: MIT */
/*
 * ferry checkpoint image: streaming writer (host side only).
 *
 * The writer puts the metadata first, then pages in chunks as they arrive,
 * and commits the header last (SPEC.md §6). Its memory use is fixed by the
 * chunk size, whatever the size of the image: a few raw chunk buffers, and
 * per worker thread one compressed buffer and libdeflate's compressor.
 *
 * The caller's thread tests each page for zero and computes the payload CRC
 * while the page is in cache; worker threads compress full chunks (where a
 * sample of the chunk shows that compressing pays) and write them to the
 * sink, one at a time and in order. The sink is never called from two
 * threads at once.
 */
#ifndef FERRY_WRITER_H
#define FERRY_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Where the image goes. write() places @len bytes at @offset; barrier()
 * makes everything written so far durable (fdatasync, or a cache flush over
 * a memory range) and may be NULL. Both return 0 or a negative FERRY_ERR_*
 * code; the sink keeps errno-level detail for its owner.
 */
struct ferry_sink {
	int (*write)(void *ctx, const void *buf, size_t len, uint64_t offset);
	int (*barrier)(void *ctx);
	void *ctx;
};

/* A sink over a file descriptor (pwrite + fdatasync). */
struct ferry_fd_sink {
	int fd;
	int saved_errno; /* errno of the first failure */
};
void ferry_sink_fd(struct ferry_sink *sink, struct ferry_fd_sink *ctx, int fd);

/* A sink over memory, such as the marked region's staging area. */
struct ferry_mem_sink {
	uint8_t *base;
	size_t capacity;
	size_t high_water; /* bytes written up to */
	void (*flush)(void *addr, size_t len); /* cache flush for barrier(); may be NULL */
};
void ferry_sink_mem(struct ferry_sink *sink, struct ferry_mem_sink *ctx, void *base,
		    size_t capacity);

struct ferry_writer_options {
	const char *kernel_release; /* uname -r of the producing kernel */
	const char *machine;        /* uname -m */
	const char *ferry_version;
	uint64_t created_sec;
	uint32_t created_nsec;
	uint32_t page_size;   /* 0: 4096 */
	uint32_t chunk_pages; /* pages per chunk, 0: 256 (1 MiB of 4 KiB pages) */
	int level;            /* deflate level 1..9; 0 stores every chunk uncompressed */
	unsigned threads;     /* worker threads, 0: one per online CPU (at most 4);
			       * 1: none, every chunk is written by the caller's thread */
};

struct ferry_writer;

/*
 * Start an image: write an unsealed header and the metadata FDT @fdt.
 * Returns 0 and a writer in @ret, or -FERRY_ERR_{INVAL,NOMEM,IO,NOSPACE,METADATA}
 * (METADATA: @fdt is not one the readers accept, SPEC.md §3.0).
 */
int ferry_writer_begin(struct ferry_writer **ret, const struct ferry_sink *sink,
		       const struct ferry_writer_options *opts, const void *fdt, size_t fdt_size);

/*
 * Add @npages pages starting at virtual address @vaddr of address space
 * @mm_id. All-zero pages are skipped (a reader treats absent pages as zero).
 * Pages of one address space in ascending order pack best; any order works.
 *
 * @pages may lie in the space ferry_writer_page_space() handed out: then
 * nothing is copied (pages after a skipped zero page move down within the
 * chunk). Such pages must be of that call's @mm_id, come in ascending
 * address order, and be added in the order they lie in the space;
 * otherwise -FERRY_ERR_INVAL.
 */
int ferry_writer_add_pages(struct ferry_writer *w, uint32_t mm_id, uint64_t vaddr,
			   const void *pages, size_t npages);

/*
 * Room for pages of @mm_id in the chunk being filled: *ret_npages (>= 1)
 * pages at *ret_buf, for the caller to read pages into directly and then
 * hand to ferry_writer_add_pages(). Valid until the next call to the
 * writer other than those ferry_writer_add_pages() calls.
 * Returns 0 or a negative FERRY_ERR_* code (a failed sink).
 */
int ferry_writer_page_space(struct ferry_writer *w, uint32_t mm_id, void **ret_buf,
			    size_t *ret_npages);

/*
 * Copy chunk @c of another image (ferry_chunk_next() checked it) into this
 * one as it is, payload untouched, as the chunk of address space @mm_id
 * that follows every chunk flushed so far (pages still being filled go
 * into later chunks). The caller gives none of its pages again. Not while
 * page space is handed out. Returns 0 or a negative FERRY_ERR_* code.
 */
int ferry_writer_add_chunk(struct ferry_writer *w, uint32_t mm_id, const struct ferry_chunk *c);

/* Flush the last chunk, write the final header with the digest, make it
 * durable, then set the sealed flag and make that durable too. */
int ferry_writer_seal(struct ferry_writer *w);

/* The header as written so far (after seal: the final one). */
const struct ferry_header *ferry_writer_header(const struct ferry_writer *w);

void ferry_writer_free(struct ferry_writer *w);

#ifdef __cplusplus
}
#endif

#endif
