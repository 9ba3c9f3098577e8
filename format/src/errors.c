/* SPDX-License-Identifier: MIT */
#include "ferry/errors.h"

static const char *const messages[FERRY_ERR_MAX] = {
	[FERRY_OK] = "success",
	[FERRY_ERR_TRUNCATED] = "image is truncated",
	[FERRY_ERR_BADMAGIC] = "not a ferry image (bad magic)",
	[FERRY_ERR_VERSION] = "unsupported image major version",
	[FERRY_ERR_UNSEALED] = "image is not sealed (incomplete or being written)",
	[FERRY_ERR_HEADER] = "image header is corrupt",
	[FERRY_ERR_LAYOUT] = "image layout is invalid",
	[FERRY_ERR_METADATA] = "image metadata is not a valid device tree",
	[FERRY_ERR_CHUNK] = "malformed page chunk",
	[FERRY_ERR_CHUNK_CRC] = "page chunk checksum mismatch",
	[FERRY_ERR_DIGEST] = "image digest mismatch",
	[FERRY_ERR_INFLATE] = "page chunk does not inflate",
	[FERRY_ERR_NOSPACE] = "not enough space",
	[FERRY_ERR_INVAL] = "invalid argument",
	[FERRY_ERR_IO] = "input/output error",
	[FERRY_ERR_NOMEM] = "out of memory",
	[FERRY_ERR_HANDOFF] = "handoff device tree is invalid",
	[FERRY_ERR_REGION] = "region control block header is invalid",
	[FERRY_ERR_UNFORMATTED] = "region was never formatted (no control block)",
	[FERRY_ERR_SIZE] = "not SIZE@ADDR (decimal or 0x hex, K/M/G/T, both 4 KiB aligned)",
	[FERRY_ERR_CONF] = "ferry.conf has a malformed line",
};

const char *ferry_strerror(int err)
{
	/* range check before negating: -INT_MIN does not exist */
	if (err <= -FERRY_ERR_MAX || err >= FERRY_ERR_MAX)
		return "unknown error";
	return messages[err < 0 ? -err : err];
}
