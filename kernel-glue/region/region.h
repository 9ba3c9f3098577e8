/* SPDX-License-Identifier: MIT */
/*
 * The marked range: a piece of physical memory that every kernel on the
 * update path leaves alone, reserved at boot with memmap=SIZE$ADDR (or by
 * ferry.efi as EFI reserved memory) and named on the kernel command line as
 * ferry.region=SIZE@ADDR.
 *
 * Layout (all offsets from the region base, all little-endian):
 *
 *   0                      control block (FERRY_REGION_CONTROL_SIZE)
 *     0x0000                 struct ferry_region_header (one 4 KiB page)
 *     0x1000                 handoff FDT area (written by the stage)
 *   control_size           staging: the compressed image as written
 *   expanded_offset        expanded: where the stage inflates the image
 *   region size            end
 *
 * The header is ABI: fields are only ever appended; readers accept any
 * header_size >= the one they know and ignore what follows. A header is
 * valid when magic, version and header_crc match and every area lies
 * inside the region without overlapping another.
 */
#ifndef FERRY_REGION_H
#define FERRY_REGION_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/magic.h" /* FERRY_REGION_MAGIC */

#define FERRY_REGION_VERSION 1u

#define FERRY_REGION_PAGE 4096u
#define FERRY_REGION_HEADER_AREA FERRY_REGION_PAGE
#define FERRY_REGION_CONTROL_SIZE (64u * 1024u)
#define FERRY_REGION_HANDOFF_OFFSET FERRY_REGION_HEADER_AREA
#define FERRY_REGION_HANDOFF_SIZE (FERRY_REGION_CONTROL_SIZE - FERRY_REGION_HEADER_AREA)
/* smallest region worth having: control block + 1 MiB staging + 1 MiB expanded */
#define FERRY_REGION_MIN_SIZE (FERRY_REGION_CONTROL_SIZE + 2u * 1024u * 1024u)

/* Lifecycle of what the region holds, in header.state. */
enum ferry_region_state {
	FERRY_REGION_EMPTY = 1,    /* formatted, nothing in it */
	FERRY_REGION_WRITING = 2,  /* an image is being streamed into staging */
	FERRY_REGION_SEALED = 3,   /* staging holds a complete, committed image */
	FERRY_REGION_EXPANDED = 4, /* the stage inflated it into expanded */
	FERRY_REGION_CONSUMED = 5, /* restored once; never restore it again */
	FERRY_REGION_TEST = 0x7e57, /* holds a test pattern (region-probe) */
};

/* Byte offsets of the fields in the 4 KiB header page. */
struct ferry_region_header {
	uint64_t magic;           /* 0x00 FERRY_REGION_MAGIC */
	uint32_t version;         /* 0x08 FERRY_REGION_VERSION */
	uint32_t header_size;     /* 0x0c sizeof(struct ferry_region_header) */
	uint64_t region_size;     /* 0x10 size of the whole region */
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
	uint8_t  digest[32];      /* 0x60 SHA-256 of staging[0, image_size) or 0 */
	uint32_t reserved[3];     /* 0x80 0 */
	uint32_t header_crc;      /* 0x8c CRC-32 (zlib) of bytes [0, 0x8c) */
};

_Static_assert(sizeof(struct ferry_region_header) == 0x90, "region header is ABI");

/* A mapping of the region into this process. */
struct ferry_region {
	uint64_t phys;      /* physical base */
	uint64_t size;      /* bytes */
	uint8_t *base;      /* mapped address or NULL */
	int fd;             /* /dev/mem or /dev/pmemN, -1 when closed */
	int is_pmem;        /* mapped through a pmem block device */
	unsigned flags;     /* FERRY_REGION_MAP_* set before mapping */
	char device[32];    /* which one */
};

/*
 * By default /dev/mem is opened with O_SYNC, which maps the range uncached
 * on x86 (slow to write on real hardware, safe). With MAP_CACHED the
 * mapping is write-back and ferry_region_flush() is what makes it durable.
 */
#define FERRY_REGION_MAP_CACHED 0x1u
/* Skip the /proc/iomem check (tests against ordinary files only). */
#define FERRY_REGION_MAP_NOCHECK 0x2u

/* ---- command line (region_cmdline.c) ------------------------------------ */

/* Parse a size: decimal or 0x hex, optional K/M/G/T suffix (binary units). */
int ferry_region_parse_size(const char *s, const char **ret_end, uint64_t *ret);

/* Parse "SIZE@ADDR" (the value of ferry.region=). */
int ferry_region_parse_spec(const char *spec, uint64_t *ret_size, uint64_t *ret_phys);

/*
 * Find ferry.region= in a kernel command line. -ENOENT if absent, -EINVAL if
 * malformed. The last occurrence wins, as for kernel parameters.
 */
int ferry_region_from_cmdline(const char *cmdline, uint64_t *ret_size, uint64_t *ret_phys);

/* Read /proc/cmdline (or $FERRY_CMDLINE, for tests) into buf. */
int ferry_region_read_cmdline(char *buf, size_t len);

/* ---- /proc/iomem (region_iomem.c) -------------------------------------- */

enum ferry_region_reservation {
	FERRY_RESERVED_NONE = 0,   /* not covered by a reservation */
	FERRY_RESERVED_E820 = 1,   /* "Reserved" (memmap=SIZE$ADDR, EFI reserved) */
	FERRY_RESERVED_PMEM = 2,   /* "Persistent Memory (legacy)" (memmap=SIZE!ADDR) */
};

/*
 * Check in an /proc/iomem text that [phys, phys+size) is reserved and
 * overlaps no "System RAM". Returns 0 and the kind, -EADDRINUSE if it
 * overlaps System RAM, -ENOENT if no reservation covers it.
 */
int ferry_region_check_iomem(const char *iomem, uint64_t phys, uint64_t size,
			     enum ferry_region_reservation *ret_kind);

/* The same on /proc/iomem (needs root: addresses read as 0 otherwise). */
int ferry_region_check_reserved(uint64_t phys, uint64_t size,
				enum ferry_region_reservation *ret_kind);

/* ---- mapping (region_map.c) --------------------------------------------- */

/*
 * Discover the region from the command line, check it is reserved, and map
 * it read-write (O_SYNC). Tries /dev/mem, then a pmem device covering the
 * range. Logs what is wrong and what the user can do.
 */
int ferry_region_open(struct ferry_region *r);
int ferry_region_map(struct ferry_region *r, uint64_t phys, uint64_t size);
/* Initialise *r (fd -1, nothing mapped) keeping only `flags`. */
void ferry_region_init(struct ferry_region *r, unsigned flags);
void ferry_region_close(struct ferry_region *r);

/* Write back CPU caches over [off, off+len) of the mapping, then fence. */
void ferry_region_flush(const struct ferry_region *r, uint64_t off, uint64_t len);

/* ---- layout (region_layout.c) ------------------------------------------- */

/*
 * Compute the default layout for a region of `size` bytes into *h (state
 * EMPTY, crc set). Staging gets 2/5 of what follows the control block,
 * expanded the rest, both page aligned. -ENOSPC if size < MIN_SIZE.
 */
int ferry_region_layout(uint64_t size, struct ferry_region_header *h);

/* Validate a header read from a region of `size` bytes. 0 or -EBADMSG/-EPROTO/-ERANGE. */
int ferry_region_header_check(const struct ferry_region_header *h, uint64_t size);

/* Recompute header_crc. */
void ferry_region_header_seal(struct ferry_region_header *h);

/* Read/write the header of a mapped region (write flushes it). */
int ferry_region_header_load(const struct ferry_region *r, struct ferry_region_header *ret);
int ferry_region_header_store(struct ferry_region *r, struct ferry_region_header *h);

const char *ferry_region_state_name(uint32_t state);

#endif
