/* SPDX-License-Identifier: MIT */
/*
 * The marked range on a running Linux: a piece of physical memory that
 * every kernel on the update path leaves alone, reserved at boot with
 * memmap=SIZE$ADDR (or by ferry.efi as EFI reserved memory) and named on
 * the kernel command line as ferry.region=SIZE@ADDR. This library finds it
 * (/proc/cmdline, /proc/iomem), maps it (/dev/mem or /dev/pmemN), flushes
 * it, and reads and writes its header through the mapping.
 *
 * The header itself, its layout and states are ABI shared with the boot
 * stage and have their one home in format/ (ferry/region_header.h);
 * SIZE@ADDR and the command line too (ferry/size_addr.h, ferry/cmdline.h).
 */
#ifndef FERRY_GLUE_REGION_H
#define FERRY_GLUE_REGION_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/region_header.h"

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

/*
 * The last ferry.region=SIZE@ADDR among the kernel's parameters of
 * @cmdline (not after a --). -ENOENT if absent, -EINVAL if not SIZE@ADDR.
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

/* ---- the header through the mapping (region_header_io.c) -------------- */

/*
 * Read and check the header of a mapped region (ferry_region_header_decode()).
 * Returns 0, -ENODATA when the region was never formatted (not logged: it
 * is no error), or -EBADMSG, logged with the rule the header breaks.
 */
int ferry_region_header_load(const struct ferry_region *r, struct ferry_region_header *ret);

/* Check @h against the mapping, write it with its CRC and flush it.
 * Returns 0 or -EINVAL (logged: an invalid header is never written). */
int ferry_region_header_store(struct ferry_region *r, struct ferry_region_header *h);

#endif
