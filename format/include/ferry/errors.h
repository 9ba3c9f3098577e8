/* SPDX-License-Identifier: MIT */
/*
 * The error codes of the format core (SPEC.md §10), shared by the image,
 * handoff, region header, ferry.conf, SIZE@ADDR and command-line code.
 * Functions return 0 (or a count) on success and a negative code on
 * failure; ferry_strerror() gives the text, a struct ferry_diag the detail.
 */
#ifndef FERRY_ERRORS_H
#define FERRY_ERRORS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	FERRY_OK = 0,
	FERRY_ERR_TRUNCATED = 1,  /* buffer ends before a part the header names */
	FERRY_ERR_BADMAGIC = 2,   /* not a ferry image */
	FERRY_ERR_VERSION = 3,    /* major version this reader does not know */
	FERRY_ERR_UNSEALED = 4,   /* image was never completed (or is being written) */
	FERRY_ERR_HEADER = 5,     /* header CRC mismatch or inconsistent field */
	FERRY_ERR_LAYOUT = 6,     /* parts overlap, are misaligned or out of range */
	FERRY_ERR_METADATA = 7,   /* metadata is not an FDT this reader accepts (SPEC.md §3.0) */
	FERRY_ERR_CHUNK = 8,      /* malformed chunk descriptor or extent list */
	FERRY_ERR_CHUNK_CRC = 9,  /* chunk payload does not match its CRC */
	FERRY_ERR_DIGEST = 10,    /* SHA-256 digest mismatch */
	FERRY_ERR_INFLATE = 11,   /* deflate stream corrupt or wrong length */
	FERRY_ERR_NOSPACE = 12,   /* caller's output buffer or sink is too small */
	FERRY_ERR_INVAL = 13,     /* invalid argument */
	FERRY_ERR_IO = 14,        /* the sink failed; errno-level detail is logged by the caller */
	FERRY_ERR_NOMEM = 15,     /* allocation failed (writer only) */
	FERRY_ERR_HANDOFF = 16,   /* handoff FDT malformed (SPEC.md §3.0, §8) or missing a property */
	FERRY_ERR_REGION = 17,    /* region header CRC mismatch or a field out of range (SPEC.md §9.3) */
	FERRY_ERR_UNFORMATTED = 18, /* the region holds no header: never formatted (SPEC.md §9.3) */
	FERRY_ERR_SIZE = 19,      /* not SIZE@ADDR as SPEC.md §9.1 writes it */
	FERRY_ERR_CONF = 20,      /* a ferry.conf line is malformed or its value too long */
	FERRY_ERR_MAX = 21
};

/* A static, human-readable text for a (negative) ferry error code. */
const char *ferry_strerror(int err);

/*
 * Where and why validation failed. Filled by the functions that take one
 * (it may be NULL). All strings are static.
 */
struct ferry_diag {
	int code;            /* negative FERRY_ERR_* */
	const char *part;    /* "header", "metadata", "chunk", "digest", "region header", ... */
	const char *what;    /* what exactly is wrong */
	uint64_t offset;     /* byte offset of the wrong part in the image, region or text */
	uint32_t chunk;      /* chunk index, or UINT32_MAX when not a chunk */
};

#ifdef __cplusplus
}
#endif

#endif
