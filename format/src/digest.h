/* SPDX-License-Identifier: MIT */
/* The image digest (SPEC.md §5): SHA-256 from mbedTLS, fed in the order
 * metadata, chunk descriptors with their extents, header. That order lets a
 * streaming writer hash each part as it goes and the header last. */
#ifndef FERRY_DIGEST_H
#define FERRY_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/sha256.h>

#include "ferry/image.h"

struct ferry_digest {
	mbedtls_sha256_context sha;
};

void ferry_digest_begin(struct ferry_digest *d);
void ferry_digest_update(struct ferry_digest *d, const void *buf, size_t len);
/* Hash the header as covered: digest and CRC fields zero, sealed flag set. */
void ferry_digest_header(struct ferry_digest *d, const uint8_t *raw_header, size_t header_size);
void ferry_digest_end(struct ferry_digest *d, uint8_t ret[FERRY_DIGEST_SIZE]);

#endif
