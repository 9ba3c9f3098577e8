/* SPDX-License-Identifier: MIT */
/*
 * CRC-32 of chunk payloads (SPEC.md §2: zlib's crc32(), start value 0).
 *
 * The host build takes libdeflate's, which folds with pclmulqdq where the
 * CPU has it (over 10 GB/s); Debian's zlib 1.2.13 computes it a word at a
 * time from tables (about 2 GB/s), which made the CRC a fifth of a stored
 * checkpoint. The freestanding stage keeps zlib's. Both compute the same
 * function; the unit tests hold them to it.
 */
#ifndef FERRY_CRC_H
#define FERRY_CRC_H

#include <stddef.h>
#include <stdint.h>

#ifdef FERRY_HOST_LIBDEFLATE
#include <libdeflate.h>

static inline uint32_t ferry_crc32(uint32_t crc, const void *buf, size_t len)
{
	return libdeflate_crc32(crc, buf, len);
}
#else
#include <zlib.h>

static inline uint32_t ferry_crc32(uint32_t crc, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	/* zlib takes an unsigned int length */
	while (len) {
		uInt n = len > 0x40000000u ? 0x40000000u : (uInt)len;

		crc = (uint32_t)crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
}
#endif

#endif
