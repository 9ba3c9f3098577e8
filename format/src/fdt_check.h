/* SPDX-License-Identifier: MIT */
/*
 * The one gate in front of libfdt. Every device tree the format core reads
 * (the image metadata, SPEC.md §3, and the handoff, §8) passes
 * ferry_fdt_check() before any libfdt function is handed the blob; the
 * boot stage and ferry-init read through the same two callers
 * (reader.c, handoff.c), so they share it.
 */
#ifndef FERRY_FDT_CHECK_H
#define FERRY_FDT_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/image.h"

/* What the reference writers produce and readers accept (SPEC.md §3.0). */
#define FERRY_FDT_VERSION 17u
#define FERRY_FDT_LAST_COMP_VERSION 16u
#define FERRY_FDT_HEADER_SIZE 40u /* a version 17 header */
#define FERRY_FDT_ALIGN 8u        /* of the blob in memory and of its reservation map */

/*
 * Check the blob at @fdt, of which @len bytes may be read, against every
 * rule of SPEC.md §3.0: the header fields libfdt 1.6.1 trusts (magic,
 * version, last compatible version, totalsize, the offsets and sizes of
 * its three blocks, their alignment, order and bounds), an empty
 * reservation map, every tag, node name and property inside the structure
 * block (no length libfdt's int arithmetic overflows on, none negative),
 * then libfdt's own fdt_check_full() over exactly totalsize bytes.
 *
 * Returns 0 when libfdt's read-only API may be used on the blob, else
 * @code (the caller's: -FERRY_ERR_METADATA or -FERRY_ERR_HANDOFF) with
 * @diag, when not NULL, naming @part, the rule broken and the offset of the
 * field that breaks it (@base plus its offset in the blob).
 */
int ferry_fdt_check(const void *fdt, size_t len, int code, const char *part, uint64_t base,
		    struct ferry_diag *diag);

#endif
