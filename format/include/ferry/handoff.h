/* SPDX-License-Identifier: MIT */
/*
 * The handoff FDT (SPEC.md §8): what the boot stage tells ferry-init about
 * the marked region and the image in it. Written by the stage (freestanding)
 * and read by ferry-init; both sides use these two functions.
 */
#ifndef FERRY_HANDOFF_H
#define FERRY_HANDOFF_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/magic.h" /* FERRY_HANDOFF_COMPATIBLE */

#ifdef __cplusplus
extern "C" {
#endif

#define FERRY_HANDOFF_REASON_LEN 127u
#define FERRY_HANDOFF_NAME_LEN 15u

enum ferry_handoff_image {
	FERRY_HANDOFF_IMAGE_NONE = 0,       /* no usable image; reason says why */
	FERRY_HANDOFF_IMAGE_COMPRESSED = 1, /* the staged image, as written */
	FERRY_HANDOFF_IMAGE_EXPANDED = 2,   /* inflated by the stage into the expanded area */
};

struct ferry_handoff {
	uint64_t region_base;
	uint64_t region_size;
	uint32_t image_state; /* enum ferry_handoff_image */
	uint32_t verified;    /* 1: the stage verified header, chunks and digest */
	uint64_t image_address; /* physical address of the image (0 when none) */
	uint64_t image_size;
	uint64_t stage_time_ns; /* time the stage spent (verify + inflate) */
	char stage[FERRY_HANDOFF_NAME_LEN + 1];   /* "efi" or "kexec" */
	char stage_version[FERRY_HANDOFF_NAME_LEN + 1];
	char reason[FERRY_HANDOFF_REASON_LEN + 1]; /* why not verified or none; "" if fine */
};

/* Write @h as an FDT into @buf (libfdt sequential writer).
 * Returns the blob size (> 0) or -FERRY_ERR_{NOSPACE,INVAL}. */
int ferry_handoff_write(void *buf, size_t capacity, const struct ferry_handoff *h);

/* Check and read a handoff FDT. Unknown properties are ignored.
 * Returns 0 or -FERRY_ERR_HANDOFF (malformed, wrong compatible, a required
 * property missing or of the wrong size, inconsistent values). */
int ferry_handoff_read(const void *buf, size_t len, struct ferry_handoff *ret);

#ifdef __cplusplus
}
#endif

#endif
