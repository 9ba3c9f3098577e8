/* SPDX-License-Identifier: MIT */
/* ferry-init's parameters on the kernel command line, read by the kernel's
 * rules (format/'s ferry/cmdline.h: quotes, the last one counts, nothing
 * after -- is the kernel's). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ferry/cmdline.h"
#include "early_init.h"
#include "region.h"

bool init_cmdline_arg(const char *key, char *buf, size_t len)
{
	char line[4096];
	int r;

	if (ferry_region_read_cmdline(line, sizeof(line)) < 0)
		return false;
	r = ferry_cmdline_value(line, strlen(line), key, buf, len);
	if (r == -FERRY_ERR_NOSPACE)
		fprintf(stderr, "ferry-init: %s= on the kernel command line is longer than %zu bytes; "
			"ignored\n", key, len - 1);
	return r == 1;
}
