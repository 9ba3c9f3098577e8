/* SPDX-License-Identifier: MIT */
/*
 * Synthetic checkpoint images for the tests, the sample generator and the
 * benchmark. A shape describes the address spaces and the kind of every
 * page; page contents are a pure function of (seed, mm, vaddr), so a reader
 * can regenerate what was written instead of keeping a copy of it.
 */
#ifndef FERRY_SYNTH_H
#define FERRY_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/image.h"
#include "ferry/writer.h"

enum synth_kind {
	SYNTH_HOLE = 0,  /* not mapped in the page set: never handed to the writer */
	SYNTH_ZERO,      /* all zero: handed to the writer, which must skip it */
	SYNTH_RANDOM,    /* incompressible */
	SYNTH_TEXT,      /* compressible: words, numbers, pointers, some noise */
};

struct synth_shape {
	const char *name;
	uint64_t seed;
	uint64_t created_sec;
	uint32_t created_nsec;
	uint32_t page_size;   /* 0: 4096 */
	uint32_t chunk_pages; /* 0: the writer's default */
	int level;            /* deflate level, 0: every chunk stored */

	uint32_t processes;     /* 0: one per mm (at least one) */
	uint32_t mm_count;      /* address spaces, 0: none (empty page set) */
	uint32_t areas_per_mm;
	uint32_t pages_per_area;

	/* Page kinds, in percent; the rest is SYNTH_TEXT. The kind is drawn
	 * once per run of run_pages pages (0: 1), so long runs of random pages
	 * make stored chunks. */
	uint32_t hole_pct;
	uint32_t zero_pct;
	uint32_t random_pct;
	uint32_t run_pages;

	/* Pages go to the writer in calls of at most batch_pages (0: 64);
	 * with interleave, one batch per mm in turn, so chunks of different
	 * mms alternate. */
	uint32_t batch_pages;
	int interleave;
	/* pages are made in the writer's own page space (no copy) */
	int page_space;
	unsigned threads; /* the writer's worker threads, 0: its default */

	int unsealed; /* stop before ferry_writer_seal() */
};

/* What synth_write_image() handed to the writer. */
struct synth_stats {
	uint64_t pages;          /* pages in the shape, holes included */
	uint64_t holes;
	uint64_t zero_pages;
	uint64_t data_pages;     /* non-zero pages: what a reader must find */
	uint64_t image_size;     /* bytes written (sink high water) */
	size_t metadata_size;
};

uint32_t synth_page_size(const struct synth_shape *s);
uint64_t synth_page_count(const struct synth_shape *s);

/* Address of page @page of area @area of mm @mm (0-based, no overlap). */
uint64_t synth_page_vaddr(const struct synth_shape *s, uint32_t mm, uint32_t area,
			  uint32_t page);

/* The inverse: the page's index in [0, synth_page_count()), or -1 when
 * @vaddr is not a page of the shape. */
int64_t synth_page_index(const struct synth_shape *s, uint32_t mm, uint64_t vaddr);

enum synth_kind synth_page_kind(const struct synth_shape *s, uint32_t mm, uint32_t area,
				uint32_t page);

/* Fill @out (page_size bytes) with the content of that page. */
void synth_page_fill(const struct synth_shape *s, uint32_t mm, uint32_t area, uint32_t page,
		     uint8_t *out);

/* The metadata FDT of the shape into @buf. Returns its size or a negative
 * libfdt error. */
int synth_metadata(const struct synth_shape *s, void *buf, size_t capacity);

/* An upper bound of the image size, for sizing memory sinks. */
size_t synth_image_bound(const struct synth_shape *s);

/* Write the image of @s to @sink. Returns 0 or a negative FERRY_ERR_*. */
int synth_write_image(const struct synth_shape *s, const struct ferry_sink *sink,
		      struct synth_stats *ret_stats);

/* Write the image into a new malloc'ed buffer of exactly its size. */
int synth_image_alloc(const struct synth_shape *s, uint8_t **ret_buf, size_t *ret_len,
		      struct synth_stats *ret_stats);

/* The shape of format/tests/data/sample.ferry: fixed time and seed, a few
 * processes, two mms, stored and deflated chunks, chunks with holes. */
extern const struct synth_shape synth_sample_shape;

/* A small deterministic PRNG (splitmix64), also for the tests. */
uint64_t synth_rand(uint64_t *state);

#endif
