// SPDX-License-Identifier: MIT
/* The control block header through the region's mapping; the header's
 * rules and encoding are format/'s (ferry/region_header.h). */
#include <errno.h>

#include "region.h"
#define LOG_PREFIX "region"
#include "../common/log.h"

int ferry_region_header_load(const struct ferry_region *r, struct ferry_region_header *ret)
{
	struct ferry_diag diag = { .what = "unknown problem" };
	int err;

	if (!r->base)
		return -EBADF;
	err = ferry_region_header_decode(r->base, r->size, ret, &diag);
	if (err == -FERRY_ERR_UNFORMATTED)
		return -ENODATA; /* never formatted: not an error worth logging */
	if (err < 0)
		return log_error_status(-EBADMSG, "control block header at 0x%llx is invalid: "
					"%s (byte 0x%llx)", (unsigned long long)r->phys, diag.what,
					(unsigned long long)diag.offset);
	return 0;
}

int ferry_region_header_store(struct ferry_region *r, struct ferry_region_header *h)
{
	struct ferry_diag diag = { .what = "unknown problem" };

	if (!r->base)
		return -EBADF;
	if (ferry_region_header_check(h, r->size, &diag) < 0)
		return log_error_status(-EINVAL, "refusing to store an invalid header: %s",
					diag.what);
	ferry_region_header_encode(h, r->base);
	ferry_region_flush(r, 0, FERRY_REGION_HEADER_SIZE);
	return 0;
}
