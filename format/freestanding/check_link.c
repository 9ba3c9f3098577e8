/* SPDX-License-Identifier: MIT */
/*
 * Freestanding link check: references the whole format core so that the
 * build links it with -nostdlib -Wl,--no-undefined and fails on any symbol
 * that would need a C library. The program is built, never run.
 */
#include "ferry/cmdline.h"
#include "ferry/conf.h"
#include "ferry/handoff.h"
#include "ferry/image.h"
#include "ferry/region_header.h"
#include "ferry/size_addr.h"

static unsigned char image_area[1 << 16];
static unsigned char out[1 << 16];
static unsigned char handoff_area[4096];
static struct ferry_inflater inflater;
static struct ferry_conf conf;
static char line[1024];

__attribute__((noreturn)) void _start(void)
{
	struct ferry_image img;
	struct ferry_diag diag;
	struct ferry_chunk_cursor cur;
	struct ferry_chunk c;
	struct ferry_extent e;
	struct ferry_handoff h = { 0 };
	uint8_t digest[FERRY_DIGEST_SIZE];
	const void *fdt;
	size_t fdt_size;

	if (ferry_image_open(&img, image_area, sizeof(image_area), 0, &diag) == 0 &&
	    ferry_image_metadata(&img, &fdt, &fdt_size) == 0 &&
	    ferry_image_verify(&img, &diag) == 0 &&
	    ferry_image_compute_digest(&img, digest, &diag) == 0 &&
	    ferry_inflater_init(&inflater) == 0) {
		ferry_chunk_cursor_init(&img, &cur);
		while (ferry_chunk_next(&img, &cur, &c, &diag) > 0) {
			ferry_chunk_extent(&c, 0, &e);
			(void)ferry_chunk_check_payload(&c, &diag);
			(void)ferry_chunk_inflate(&inflater, &c, out, sizeof(out), &diag);
		}
		ferry_inflater_fini(&inflater);
	}
	(void)ferry_strerror(diag.code);
	if (ferry_handoff_write(handoff_area, sizeof(handoff_area), &h) > 0)
		(void)ferry_handoff_read(handoff_area, sizeof(handoff_area), &h);
	{
		struct ferry_region_header rh;
		struct ferry_cmdline_builder b;
		struct ferry_conf_cursor cc;
		struct ferry_conf_line cl;
		uint64_t size, addr;
		const char *init;
		size_t n;

		if (ferry_region_header_decode(image_area, sizeof(image_area), &rh, &diag) == 0 ||
		    ferry_region_layout(sizeof(image_area), &rh) == 0)
			ferry_region_header_encode(&rh, image_area);
		(void)ferry_region_header_check(&rh, sizeof(image_area), &diag);
		(void)ferry_region_state_name(rh.state);
		ferry_conf_init(&conf);
		(void)ferry_conf_parse(&conf, (const char *)out, sizeof(out), &diag);
		ferry_conf_cursor_init(&cc, (const char *)out, sizeof(out));
		while (ferry_conf_next(&cc, &cl) > 0 && !ferry_conf_is(&cl, FERRY_CONF_KERNEL))
			;
		(void)ferry_conf_format_line(line, sizeof(line), FERRY_CONF_KERNEL, conf.kernel, 1);
		if (ferry_parse_size_addr(conf.cmdline, 8, '@', &size, &addr, &diag) == 0)
			(void)ferry_format_size_addr(line, sizeof(line), size, '$', addr);
		ferry_cmdline_builder_init(&b, line, sizeof(line));
		ferry_cmdline_add_line(&b, conf.cmdline, sizeof(conf.cmdline), NULL, NULL);
		ferry_cmdline_add_param(&b, "ferry.region", conf.kernel, 4);
		n = ferry_cmdline_init_part(conf.cmdline, sizeof(conf.cmdline), &init);
		ferry_cmdline_add_init(&b, init, n);
		(void)ferry_cmdline_builder_end(&b);
		(void)ferry_cmdline_value(line, sizeof(line), "ferry.handoff", conf.initrd, 16);
	}
	for (;;)
		__asm__ volatile("hlt");
}
