/* SPDX-License-Identifier: MIT */
/*
 * SIZE@ADDR, the way the marked range is written (SPEC.md §9.1): the value
 * of ferry.region= on the kernel command line and of region= in
 * ferry.conf, and, with '$' or '!' between the two, of the memmap= that
 * reserves it. One parser and one writer for the boot stage, ferry-init
 * and the ferry command. Freestanding, never allocates.
 */
#ifndef FERRY_SIZE_ADDR_H
#define FERRY_SIZE_ADDR_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/errors.h"

#define FERRY_SIZE_ADDR_ALIGN 4096u /* both SIZE and ADDR are multiples of it */
/* longest text ferry_format_size_addr() writes: two 0x + 16 digits, the
 * separator and the NUL */
#define FERRY_SIZE_ADDR_LEN 38u

/*
 * Parse one number at the start of the @len bytes at @s: decimal, or
 * hexadecimal after 0x or 0X, then optionally K, M, G or T (either case,
 * binary units). A decimal number does not start with 0 unless it is 0 (the
 * kernel would read 010 as octal, ferry as ten: neither is taken). Returns
 * 0 with the value in @ret and the bytes it used in @ret_used, or
 * -FERRY_ERR_SIZE (no digits, a leading 0, more than 64 bits).
 */
int ferry_parse_size(const char *s, size_t len, size_t *ret_used, uint64_t *ret);

/*
 * Parse all @len bytes at @s as SIZE, the character @sep ('@' for
 * ferry.region= and region=, '$' or '!' for memmap=), ADDR. SIZE is not 0,
 * both are multiples of 4096 and the end, ADDR + SIZE, is below 2^64.
 * Returns 0 or -FERRY_ERR_SIZE, with @diag (may be NULL) saying what is
 * wrong at which offset of the text.
 */
int ferry_parse_size_addr(const char *s, size_t len, char sep, uint64_t *ret_size,
			  uint64_t *ret_addr, struct ferry_diag *diag);

/*
 * Write "0xSIZE" @sep "0xADDR" (lower-case hex) and a NUL into @buf.
 * Returns the length without the NUL, or -FERRY_ERR_NOSPACE when @cap is
 * smaller than that plus one (FERRY_SIZE_ADDR_LEN is always enough).
 */
int ferry_format_size_addr(char *buf, size_t cap, uint64_t size, char sep, uint64_t addr);

/*
 * 1 when the value of a memmap= parameter (a comma-separated list of
 * SIZE$ADDR, SIZE!ADDR, SIZE#ADDR ... entries, the kernel's syntax) has an
 * entry that reserves a range at @addr, else 0. Entries that are not
 * SIZE@ADDR as ferry writes it (aligned, no leading 0) are not ferry's.
 */
int ferry_memmap_reserves(const char *value, size_t len, uint64_t addr);

/* Write "0x" and the lower-case hex digits of @addr and a NUL into @buf.
 * Returns the length or -FERRY_ERR_NOSPACE (19 bytes are always enough). */
int ferry_format_addr(char *buf, size_t cap, uint64_t addr);

#endif
