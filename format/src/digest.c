/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "digest.h"
#include "layout.h"
#include "le.h"

void ferry_digest_begin(struct ferry_digest *d)
{
	mbedtls_sha256_init(&d->sha);
	(void)mbedtls_sha256_starts_ret(&d->sha, 0); /* cannot fail for SHA-256 */
}

void ferry_digest_update(struct ferry_digest *d, const void *buf, size_t len)
{
	(void)mbedtls_sha256_update_ret(&d->sha, buf, len);
}

void ferry_digest_header(struct ferry_digest *d, const uint8_t *raw_header, size_t header_size)
{
	uint8_t covered[FERRY_HEADER_SIZE];

	memcpy(covered, raw_header, FERRY_HEADER_SIZE);
	le32_store(covered + HDR_FLAGS, le32_load(covered + HDR_FLAGS) | FERRY_FLAG_SEALED);
	memset(covered + HDR_DIGEST, 0, FERRY_DIGEST_SIZE);
	memset(covered + HDR_CRC, 0, 4);
	ferry_digest_update(d, covered, sizeof(covered));
	if (header_size > FERRY_HEADER_SIZE)
		ferry_digest_update(d, raw_header + FERRY_HEADER_SIZE,
				    header_size - FERRY_HEADER_SIZE);
}

void ferry_digest_end(struct ferry_digest *d, uint8_t ret[FERRY_DIGEST_SIZE])
{
	(void)mbedtls_sha256_finish_ret(&d->sha, ret);
	mbedtls_sha256_free(&d->sha);
}
