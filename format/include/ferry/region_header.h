/* SPDX-License-Identifier: MIT */
/*
 * The marked region's control block header (SPEC.md §9.2-§9.4): the one
 * reader and writer of it for the boot stage, ferry-init and the ferry
 * command. Freestanding, never allocates; the header is read and written
 * byte by byte, little-endian, whatever the host.
 *
 * Layout of the region (offsets from its base):
 *
 *   0                      control block (FERRY_REGION_CONTROL_SIZE)
 *     0x0000                 the header (one 4 KiB page)
 *     0x1000                 handoff FDT area (written by the stage)
 *   staging_offset         staging: the compressed image as written
 *   expanded_offset        expanded: where the stage inflates the image
 *   region_size            end
 *
 * The header is ABI: fields are only ever appended; readers accept any
 * header_size from FERRY_REGION_HEADER_SIZE to a page and ignore the rest
 * of the page (the update record lives there).
 */
#ifndef FERRY_REGION_HEADER_H
#define FERRY_REGION_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/errors.h"
#include "ferry/magic.h" /* FERRY_REGION_MAGIC */

#define FERRY_REGION_VERSION 1u
#define FERRY_REGION_HEADER_SIZE 0x90u /* bytes of a version 1 header */
#define FERRY_REGION_PAGE 4096u
#define FERRY_REGION_HEADER_AREA FERRY_REGION_PAGE
#define FERRY_REGION_CONTROL_SIZE (64u * 1024u)
#define FERRY_REGION_HANDOFF_OFFSET FERRY_REGION_HEADER_AREA
#define FERRY_REGION_HANDOFF_SIZE (FERRY_REGION_CONTROL_SIZE - FERRY_REGION_HEADER_AREA)
/* smallest region worth having: control block + 1 MiB staging + 1 MiB expanded */
#define FERRY_REGION_MIN_SIZE (FERRY_REGION_CONTROL_SIZE + 2u * 1024u * 1024u)

/* Lifecycle of what the region holds, in header.state (SPEC.md §9.4). */
enum ferry_region_state {
	FERRY_REGION_EMPTY = 1,    /* formatted, nothing in it */
	FERRY_REGION_WRITING = 2,  /* an image is being streamed into staging */
	FERRY_REGION_SEALED = 3,   /* staging holds a complete, committed image */
	FERRY_REGION_EXPANDED = 4, /* the stage inflated it into expanded */
	FERRY_REGION_CONSUMED = 5, /* restored once; never restore it again */
	FERRY_REGION_TEST = 0x7e57, /* holds a test pattern (region-probe) */
};

/* The decoded header; the comments give each field's offset on disk. */
struct ferry_region_header {
	uint64_t magic;           /* 0x00 FERRY_REGION_MAGIC */
	uint32_t version;         /* 0x08 FERRY_REGION_VERSION */
	uint32_t header_size;     /* 0x0c FERRY_REGION_HEADER_SIZE or more */
	uint64_t region_size;     /* 0x10 bytes of the range this layout uses */
	uint64_t handoff_offset;  /* 0x18 handoff FDT area */
	uint64_t handoff_size;    /* 0x20 */
	uint64_t staging_offset;  /* 0x28 compressed image area */
	uint64_t staging_size;    /* 0x30 */
	uint64_t expanded_offset; /* 0x38 inflated image area */
	uint64_t expanded_size;   /* 0x40 */
	uint64_t image_size;      /* 0x48 bytes used in staging (0: none) */
	uint64_t generation;      /* 0x50 bumped on every state change */
	uint32_t state;           /* 0x58 enum ferry_region_state */
	uint32_t flags;           /* 0x5c reserved, 0 */
	uint8_t digest[32];       /* 0x60 zero, or the SHA-256 of a test pattern */
	uint32_t reserved[3];     /* 0x80 0 */
	uint32_t header_crc;      /* 0x8c CRC-32 (zlib) of bytes [0, 0x8c) */
};

/*
 * Decode and check the header at the start of a region of @region_size
 * bytes (the size named on the command line or in ferry.conf; at least
 * FERRY_REGION_HEADER_AREA of them are readable at @region), in the order
 * of SPEC.md §9.3: the magic, header_size, the CRC, the version, then the
 * layout (region_size within the named size, every area page aligned and
 * inside it, header page < handoff < staging < expanded without overlap,
 * image_size within staging). The state is not checked: any value reads.
 * Returns 0, -FERRY_ERR_UNFORMATTED (no magic: never formatted, which is
 * not an error) or -FERRY_ERR_REGION, with @diag (may be NULL) naming the
 * rule and the field's offset.
 */
int ferry_region_header_decode(const void *region, uint64_t region_size,
			       struct ferry_region_header *ret, struct ferry_diag *diag);

/* The layout checks of ferry_region_header_decode() on a decoded header
 * (its magic, header_size and version too; not its CRC). */
int ferry_region_header_check(const struct ferry_region_header *h, uint64_t region_size,
			      struct ferry_diag *diag);

/*
 * Write @h into the first FERRY_REGION_HEADER_SIZE bytes at @out, with the
 * CRC computed (also stored in h->header_crc). Bytes past them, up to
 * header_size and the rest of the page, are left as they are.
 */
void ferry_region_header_encode(struct ferry_region_header *h, void *out);

/*
 * The default layout of a region of @size bytes (rounded down to a page)
 * into @ret, state EMPTY: the control block, then 2/5 of the rest for
 * staging and what remains for expanded, both page aligned. Returns 0 or
 * -FERRY_ERR_NOSPACE when @size is below FERRY_REGION_MIN_SIZE.
 */
int ferry_region_layout(uint64_t size, struct ferry_region_header *ret);

/* A static name of a state: "empty", "sealed", ..., "unknown". */
const char *ferry_region_state_name(uint32_t state);

#endif
