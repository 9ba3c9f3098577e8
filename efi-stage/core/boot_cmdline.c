// SPDX-License-Identifier: MIT
/* The command line ferry.efi boots with: see boot_cmdline.h. */
#include <string.h>

#include "ferry/cmdline.h"
#include "ferry/magic.h"
#include "ferry/size_addr.h"
#include "boot_cmdline.h"

struct base_scan {
	const struct ferry_conf *conf;
	int has_region, has_memmap;
};

/* keep every parameter of the base but its ferry.handoff=; note what it has */
static int keep_base(const struct ferry_cmdline_param *p, void *ctx)
{
	struct base_scan *scan = ctx;

	if (ferry_cmdline_is(p, FERRY_PARAM_HANDOFF))
		return 0;
	if (ferry_cmdline_is(p, FERRY_PARAM_REGION))
		scan->has_region = 1;
	if (ferry_cmdline_is(p, "memmap") && p->value &&
	    ferry_memmap_reserves(p->value, p->value_len, scan->conf->region_addr))
		scan->has_memmap = 1;
	return 1;
}

int ferry_stage_cmdline(const struct ferry_conf *c, const char *base, const char *initrd,
			uint64_t handoff, char *out, size_t cap)
{
	struct base_scan scan = { .conf = c };
	struct ferry_cmdline_builder b;
	char value[FERRY_SIZE_ADDR_LEN];
	const char *init;
	size_t base_len = base ? strlen(base) : 0, init_len;
	int n;

	ferry_cmdline_builder_init(&b, out, cap);
	ferry_cmdline_add_line(&b, base, base_len, keep_base, &scan);
	if (initrd && *initrd)
		ferry_cmdline_add_param(&b, "initrd", initrd, strlen(initrd));
	if (c->region_size && !scan.has_region) {
		n = ferry_format_size_addr(value, sizeof(value), c->region_size, '@', c->region_addr);
		ferry_cmdline_add_param(&b, FERRY_PARAM_REGION, value, n > 0 ? (size_t)n : 0);
	}
	if (c->region_size && c->memmap && !scan.has_memmap) {
		n = ferry_format_size_addr(value, sizeof(value), c->region_size, '$', c->region_addr);
		ferry_cmdline_add_param(&b, "memmap", value, n > 0 ? (size_t)n : 0);
	}
	if (handoff) {
		n = ferry_format_addr(value, sizeof(value), handoff);
		ferry_cmdline_add_param(&b, FERRY_PARAM_HANDOFF, value, n > 0 ? (size_t)n : 0);
	}
	init_len = ferry_cmdline_init_part(base, base_len, &init);
	ferry_cmdline_add_init(&b, init, init_len);
	return ferry_cmdline_builder_end(&b);
}
