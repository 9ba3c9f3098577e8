/* SPDX-License-Identifier: MIT */
/*
 * The stage core: what the boot stage does with the marked region, with no
 * knowledge of EFI, kexec or an operating system. Given the region mapped
 * at some address it reads the control block header and, when it says
 * SEALED, opens and verifies the staged image with the format core,
 * inflates every chunk into the expanded area as a valid expanded image
 * (SPEC.md §8: EXPANDED, every chunk stored, CRCs and digest recomputed),
 * writes the handoff FDT and updates the region state.
 *
 * Memory: the caller's struct ferry_stage (about 50 KiB: zlib's inflate
 * state and window, one SHA-256 context); no allocation, whatever the image
 * size. Every function returns a status; nothing loops on untrusted input
 * beyond the bounds the verified image gives.
 *
 * Built twice: freestanding (linked into ferry.efi) and for the host (unit
 * tests, fuzzing, benchmarks).
 */
#ifndef FERRY_STAGE_H
#define FERRY_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/handoff.h"
#include "ferry/image.h"
#include "ferry/region_header.h"

/* What the stage found and did; enum ferry_stage_status. */
enum ferry_stage_status {
	/* The region holds no control block (never formatted): nothing was
	 * written, boot normally without a handoff. */
	FERRY_STAGE_UNFORMATTED = 0,
	/* Formatted but holds nothing to restore (EMPTY, CONSUMED, TEST):
	 * nothing was written, boot normally without a handoff. */
	FERRY_STAGE_NOTHING = 1,
	/* A sealed image was verified and inflated into the expanded area;
	 * the region is now EXPANDED. Boot the update kernel. */
	FERRY_STAGE_EXPANDED = 2,
	/* A sealed image was verified but its expanded form does not fit: the
	 * handoff names the compressed image. Boot the update kernel. */
	FERRY_STAGE_COMPRESSED = 3,
	/* The region was already EXPANDED by an earlier boot whose restore
	 * never completed: the expanded image was verified again and handed
	 * over. The caller boots the default (previous) kernel: rollback. */
	FERRY_STAGE_RETRY = 4,
	/* Something is wrong (bad header, bad image, WRITING, ...): the
	 * handoff, when written, says image-state none and why. Boot normally. */
	FERRY_STAGE_BAD = 5,
};

/* Callbacks the environment provides; every one may be NULL. */
struct ferry_stage_env {
	uint64_t (*now_ns)(void *ctx); /* a monotonic clock for stage-time-ns */
	/* Progress, one line, no newline; the text is static or in the stage. */
	void (*log)(void *ctx, const char *msg);
	/* Write back caches over a range the stage wrote (no-op when coherent). */
	void (*flush)(void *ctx, void *addr, size_t len);
	void *ctx;
	const char *stage;         /* "efi" or "kexec" */
	const char *stage_version; /* the ferry version */
	/* Skip inflating (hand over the verified compressed image). */
	int no_expand;
};

/* Numbers of one run, for the console and the benchmarks. */
struct ferry_stage_stats {
	uint64_t staged_bytes;   /* size of the staged (compressed) image */
	uint64_t expanded_bytes; /* size of the expanded image, 0 if none */
	uint64_t raw_bytes;      /* page bytes inflated */
	uint32_t chunks;
	uint64_t verify_ns;      /* 0 without a clock */
	uint64_t inflate_ns;
};

struct ferry_stage {
	struct ferry_inflater inflater; /* 48 KiB arena; keep it off small stacks */
	struct ferry_handoff handoff;   /* what was (or would have been) written */
	struct ferry_diag diag;         /* the first image error, if any */
	struct ferry_stage_stats stats;
	int handoff_written;            /* 1: the handoff FDT is in the region */
	uint64_t handoff_offset;        /* its offset from the region base */
	uint32_t region_state_before;   /* header.state as found (0: no header) */
	uint32_t region_state_after;
};

/*
 * Run the stage over the region @region (@region_size bytes mapped, at
 * physical address @region_phys). Returns a ferry_stage_status (>= 0); the
 * details, the handoff and the reason are in @st. It never fails otherwise:
 * whatever the region holds, the answer is one of the statuses above.
 */
int ferry_stage_run(struct ferry_stage *st, uint8_t *region, uint64_t region_size,
		    uint64_t region_phys, const struct ferry_stage_env *env);

/* A static name for a status ("expanded", "bad", ...). */
const char *ferry_stage_status_name(int status);

/* ---- building blocks, exposed for tests and benchmarks ------------------- */

/*
 * Size of the expanded form of the verified image @img: the header, the same
 * metadata and every chunk stored. Returns 0 and the size, or a negative
 * FERRY_ERR_* (an invalid chunk, or a size past 2^64).
 */
int ferry_expand_size(const struct ferry_image *img, uint64_t *ret_size, struct ferry_diag *diag);

/*
 * Write the expanded form of the verified image @img into @out (@out_len
 * bytes, which must not overlap the image): header (sealed last, SPEC.md §6),
 * metadata, each chunk stored with its payload CRC, descriptor CRC and the
 * digest recomputed. The source payload CRC of each chunk is checked before
 * it is inflated. @inf is the caller's inflater. Returns 0 and the expanded
 * image's size, or a negative FERRY_ERR_*.
 */
int ferry_expand_image(const struct ferry_image *img, struct ferry_inflater *inf, uint8_t *out,
		       uint64_t out_len, uint64_t *ret_size, struct ferry_diag *diag);

#endif
