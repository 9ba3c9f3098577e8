/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the stage core on the host: good, corrupt, truncated,
 * unsealed, too-big-to-expand images in a region, and the region states.
 * One line per case: "PASS: name" or "FAIL: name: why"; exits 1 on failure.
 *
 * Usage: test-stage
 *        test-stage --write-corpus DIR   (seed inputs of fuzz-stage)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/handoff.h"
#include "ferry/image.h"
#include "layout.h"
#include "le.h"
#include "boot_cmdline.h"
#include "stage.h"
#include "stage_region.h"
#include "synth.h"

#define REGION_PHYS 0x30000000ull

static int failures;
static char fail_msg[512];
static struct ferry_stage stage; /* 50 KiB: not on the stack */

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
	va_end(ap);
	return -1;
}

static void report(const char *name, int r)
{
	if (r < 0) {
		printf("FAIL: %s: %s\n", name, fail_msg);
		failures++;
	} else {
		printf("PASS: %s\n", name);
	}
	fflush(stdout);
}

static uint64_t fake_clock;
static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return fake_clock += 1000;
}

static const struct ferry_stage_env env = {
	.now_ns = fake_now,
	.stage = "efi",
	.stage_version = "test",
};

static const struct synth_shape shape = {
	.name = "stage",
	.seed = 0x5747e5747e,
	.created_sec = 1700000000,
	.page_size = 4096,
	.chunk_pages = 16,
	.level = 6,
	.mm_count = 2,
	.areas_per_mm = 3,
	.pages_per_area = 40,
	.hole_pct = 10,
	.zero_pct = 20,
	.random_pct = 20,
	.run_pages = 4,
	.batch_pages = 8,
	.interleave = 1,
};

struct fixture {
	uint8_t *image;
	size_t image_len;
	uint8_t *region;
	uint64_t size;
};

static int fixture_make(struct fixture *f, const struct synth_shape *s, uint64_t staging,
			uint64_t expanded)
{
	struct synth_stats stats;

	memset(f, 0, sizeof(*f));
	if (synth_image_alloc(s, &f->image, &f->image_len, &stats) < 0)
		return fail("synth_image_alloc failed");
	f->size = FERRY_REGION_CONTROL_SIZE + staging + expanded;
	f->region = aligned_alloc(4096, f->size);
	if (!f->region)
		return fail("out of memory");
	memset(f->region, 0xa5, f->size);
	stage_region_format(f->region, f->size, staging);
	if (stage_region_put(f->region, f->image, f->image_len, FERRY_REGION_SEALED) < 0)
		return fail("image of %zu bytes does not fit staging of %llu", f->image_len,
			    (unsigned long long)staging);
	return 0;
}

static void fixture_free(struct fixture *f)
{
	free(f->image);
	free(f->region);
}

static int read_handoff(const struct fixture *f, struct ferry_handoff *h)
{
	if (!stage.handoff_written)
		return fail("no handoff written");
	if (ferry_handoff_read(f->region + stage.handoff_offset, FERRY_REGION_HANDOFF_SIZE, h) < 0)
		return fail("handoff does not read back");
	if (h->region_base != REGION_PHYS || h->region_size != f->size)
		return fail("handoff names the wrong region");
	return 0;
}

/* The expanded image verifies, is EXPANDED with every chunk stored, and
 * holds exactly the pages of the staged image. */
static int check_expanded(const struct fixture *f, const struct ferry_handoff *h)
{
	static struct ferry_inflater inf;
	struct ferry_image src, exp;
	struct ferry_diag diag;
	struct ferry_chunk_cursor cs, ce;
	struct ferry_chunk a, b;
	const uint8_t *base = f->region + (h->image_address - REGION_PHYS);
	uint8_t *buf;
	int ra, rb, r = 0;

	if (ferry_image_open(&exp, base, h->image_size, 0, &diag) < 0 ||
	    ferry_image_verify(&exp, &diag) < 0)
		return fail("expanded image does not verify: %s (%s)", ferry_strerror(diag.code),
			    diag.what ? diag.what : "?");
	if (!(exp.hdr.flags & FERRY_FLAG_EXPANDED) || (exp.hdr.flags & FERRY_FLAG_COMPRESSED))
		return fail("expanded image flags 0x%x", exp.hdr.flags);
	if (ferry_image_open(&src, f->image, f->image_len, 0, &diag) < 0)
		return fail("source does not open");
	if (exp.hdr.page_bytes_raw != src.hdr.page_bytes_raw ||
	    exp.hdr.page_bytes_stored != exp.hdr.page_bytes_raw ||
	    exp.hdr.chunk_count != src.hdr.chunk_count ||
	    exp.hdr.metadata_size != src.hdr.metadata_size ||
	    memcmp(base + exp.hdr.metadata_offset, f->image + src.hdr.metadata_offset,
		   src.hdr.metadata_size))
		return fail("expanded header or metadata differ from the staged image");
	buf = malloc((size_t)FERRY_CHUNK_MAX_PAGES * src.hdr.page_size);
	ferry_inflater_init(&inf);
	ferry_chunk_cursor_init(&src, &cs);
	ferry_chunk_cursor_init(&exp, &ce);
	for (;;) {
		ra = ferry_chunk_next(&src, &cs, &a, &diag);
		rb = ferry_chunk_next(&exp, &ce, &b, &diag);
		if (ra <= 0 || rb <= 0)
			break;
		if (b.encoding != FERRY_ENCODING_STORED || a.mm_id != b.mm_id ||
		    a.page_count != b.page_count || a.extent_count != b.extent_count ||
		    memcmp(a.extents, b.extents, (size_t)a.extent_count * FERRY_EXTENT_SIZE)) {
			r = fail("chunk %u differs in its descriptor", a.index);
			break;
		}
		if (ferry_chunk_inflate(&inf, &a, buf, a.raw_size, &diag) < 0 ||
		    memcmp(buf, b.payload, a.raw_size)) {
			r = fail("chunk %u: expanded pages differ", a.index);
			break;
		}
	}
	if (r == 0 && (ra != 0 || rb != 0))
		r = fail("chunk lists differ in length");
	ferry_inflater_fini(&inf);
	free(buf);
	return r;
}

static int test_good(void)
{
	struct fixture f;
	struct ferry_handoff h;
	struct ferry_region_header *rh;
	uint64_t gen;
	int r, s;

	if (fixture_make(&f, &shape, 1 << 20, 2 << 20) < 0)
		return -1;
	rh = stage_region_header(f.region);
	gen = rh->generation;
	s = ferry_stage_run(&stage, f.region, f.size, REGION_PHYS, &env);
	if (s != FERRY_STAGE_EXPANDED)
		r = fail("status %s, reason '%s'", ferry_stage_status_name(s), stage.handoff.reason);
	else if ((r = read_handoff(&f, &h)) < 0)
		;
	else if (h.image_state != FERRY_HANDOFF_IMAGE_EXPANDED || !h.verified || h.reason[0] ||
		 strcmp(h.stage, "efi") || h.stage_time_ns == 0)
		r = fail("handoff: state %u verified %u reason '%s' time %llu", h.image_state,
			 h.verified, h.reason, (unsigned long long)h.stage_time_ns);
	else if (h.image_address != REGION_PHYS + rh->expanded_offset)
		r = fail("handoff image address is not the expanded area");
	else if (rh->state != FERRY_REGION_EXPANDED || rh->generation != gen + 1 ||
		 ferry_region_header_decode(f.region, f.size, &(struct ferry_region_header){ 0 }, NULL))
		r = fail("region header after: state %u generation %llu", rh->state,
			 (unsigned long long)rh->generation);
	else if (memcmp(f.region + rh->staging_offset, f.image, f.image_len))
		r = fail("the staged image was modified");
	else
		r = check_expanded(&f, &h);

	/* a second boot: the restore never marked it consumed -> retry */
	if (r == 0) {
		s = ferry_stage_run(&stage, f.region, f.size, REGION_PHYS, &env);
		if (s != FERRY_STAGE_RETRY)
			r = fail("second run: status %s", ferry_stage_status_name(s));
		else if ((r = read_handoff(&f, &h)) == 0 &&
			 (h.image_state != FERRY_HANDOFF_IMAGE_EXPANDED || !h.verified))
			r = fail("second run: handoff state %u", h.image_state);
	}
	/* the update boot's restore failed cleanly: ferry-init sealed it again;
	 * the next boot hands the staged image to the default entry */
	if (r == 0) {
		rh->state = FERRY_REGION_SEALED;
		stage_region_reseal(f.region);
		s = ferry_stage_run(&stage, f.region, f.size, REGION_PHYS, &env);
		if (s != FERRY_STAGE_RETRY)
			r = fail("sealed again: status %s", ferry_stage_status_name(s));
		else if ((r = read_handoff(&f, &h)) == 0 &&
			 (h.image_state != FERRY_HANDOFF_IMAGE_COMPRESSED || !h.verified ||
			  h.image_address != REGION_PHYS + rh->staging_offset ||
			  rh->state != FERRY_REGION_SEALED))
			r = fail("sealed again: handoff state %u at 0x%llx, region state %u",
				 h.image_state, (unsigned long long)h.image_address, rh->state);
	}
	/* a new image sealed over a region whose expanded area and handoff are
	 * an older update's: expanded, not a retry */
	if (r == 0) {
		struct fixture g;

		if (fixture_make(&g, &(struct synth_shape){ .name = "stage2", .seed = 7,
			.created_sec = 1700000001, .page_size = 4096, .chunk_pages = 16, .level = 6,
			.mm_count = 1, .areas_per_mm = 2, .pages_per_area = 20, .run_pages = 4,
			.batch_pages = 8 }, 1 << 20, 2 << 20) < 0) {
			r = -1;
		} else {
			/* the old control block, expanded area and handoff; the new image */
			memcpy(g.region + FERRY_REGION_HANDOFF_OFFSET, f.region + FERRY_REGION_HANDOFF_OFFSET,
			       FERRY_REGION_HANDOFF_SIZE);
			memcpy(g.region + rh->expanded_offset, f.region + rh->expanded_offset,
			       (size_t)(f.size - rh->expanded_offset));
			s = ferry_stage_run(&stage, g.region, g.size, REGION_PHYS, &env);
			if (s != FERRY_STAGE_EXPANDED)
				r = fail("new image over an old handoff: status %s (%s)",
					 ferry_stage_status_name(s), stage.handoff.reason);
			fixture_free(&g);
		}
	}
	/* consumed: nothing to do, nothing written */
	if (r == 0) {
		rh->state = FERRY_REGION_CONSUMED;
		stage_region_reseal(f.region);
		s = ferry_stage_run(&stage, f.region, f.size, REGION_PHYS, &env);
		if (s != FERRY_STAGE_NOTHING || stage.handoff_written)
			r = fail("consumed: status %s", ferry_stage_status_name(s));
	}
	fixture_free(&f);
	return r;
}

/* A good image of shape @s is expanded, and its pages come out intact. */
static int expect_expanded(const struct synth_shape *s, uint64_t staging, uint64_t expanded)
{
	struct fixture f;
	struct ferry_handoff h;
	int r, st;

	if (fixture_make(&f, s, staging, expanded) < 0)
		return -1;
	st = ferry_stage_run(&stage, f.region, f.size, REGION_PHYS, &env);
	if (st != FERRY_STAGE_EXPANDED)
		r = fail("status %s, reason '%s'", ferry_stage_status_name(st), stage.handoff.reason);
	else if ((r = read_handoff(&f, &h)) == 0)
		r = check_expanded(&f, &h);
	fixture_free(&f);
	return r;
}

static int test_stored_only(void)
{
	struct synth_shape s = shape;

	s.level = 0;
	return expect_expanded(&s, 2 << 20, 2 << 20);
}

static int test_empty_image(void)
{
	struct synth_shape s = shape;

	s.mm_count = 0;
	return expect_expanded(&s, 64 << 10, 64 << 10);
}

static int test_too_big(void)
{
	struct fixture f;
	struct ferry_handoff h;
	struct ferry_region_header *rh;
	int r, s;

	if (fixture_make(&f, &shape, 1 << 20, 64 << 10) < 0)
		return -1;
	rh = stage_region_header(f.region);
	s = ferry_stage_run(&stage, f.region, f.size, REGION_PHYS, &env);
	if (s != FERRY_STAGE_COMPRESSED)
		r = fail("status %s, reason '%s'", ferry_stage_status_name(s), stage.handoff.reason);
	else if ((r = read_handoff(&f, &h)) < 0)
		;
	else if (h.image_state != FERRY_HANDOFF_IMAGE_COMPRESSED || !h.verified ||
		 h.image_address != REGION_PHYS + rh->staging_offset ||
		 h.image_size != f.image_len || !strstr(h.reason, "does not fit"))
		r = fail("handoff: state %u verified %u reason '%s'", h.image_state, h.verified,
			 h.reason);
	else if (rh->state != FERRY_REGION_SEALED)
		r = fail("region state %u after a compressed handover", rh->state);
	if (r == 0) {
		s = ferry_stage_run(&stage, f.region, f.size, REGION_PHYS, &env);
		if (s != FERRY_STAGE_RETRY)
			r = fail("second run: status %s", ferry_stage_status_name(s));
		else if ((r = read_handoff(&f, &h)) == 0 &&
			 h.image_state != FERRY_HANDOFF_IMAGE_COMPRESSED)
			r = fail("second run: handoff state %u", h.image_state);
	}
	fixture_free(&f);
	return r;
}

/* Run on a damaged region: expect BAD, a handoff "none" naming @want. */
static int expect_bad(struct fixture *f, const char *want)
{
	struct ferry_handoff h;
	struct ferry_region_header before;
	int s;

	memcpy(&before, f->region, sizeof(before));
	s = ferry_stage_run(&stage, f->region, f->size, REGION_PHYS, &env);
	if (s != FERRY_STAGE_BAD)
		return fail("status %s, reason '%s'", ferry_stage_status_name(s),
			    stage.handoff.reason);
	if (read_handoff(f, &h) < 0)
		return -1;
	if (h.image_state != FERRY_HANDOFF_IMAGE_NONE || h.verified || h.image_address ||
	    !strstr(h.reason, want))
		return fail("handoff: state %u verified %u reason '%s' (want '%s')", h.image_state,
			    h.verified, h.reason, want);
	if (memcmp(&before, f->region, sizeof(before)))
		return fail("the region header changed on a bad image");
	return 0;
}

/* The staged image of the default shape, damaged by @damage, is refused
 * with a reason that contains @want. */
static int expect_refused(void (*damage)(struct fixture *f), const char *want)
{
	struct fixture f;
	int r;

	if (fixture_make(&f, &shape, 1 << 20, 2 << 20) < 0)
		return -1;
	damage(&f);
	r = expect_bad(&f, want);
	fixture_free(&f);
	return r;
}

/* one bit of the second chunk's payload */
static void damage_payload(struct fixture *f)
{
	struct ferry_image img;
	struct ferry_chunk_cursor cur;
	struct ferry_chunk c;

	ferry_image_open(&img, f->image, f->image_len, 0, NULL);
	ferry_chunk_cursor_init(&img, &cur);
	ferry_chunk_next(&img, &cur, &c, NULL);
	ferry_chunk_next(&img, &cur, &c, NULL);
	f->region[stage_region_header(f->region)->staging_offset + (c.payload - f->image) + 3] ^= 0x10;
}

/* one bit of the metadata */
static void damage_metadata(struct fixture *f)
{
	f->region[stage_region_header(f->region)->staging_offset + FERRY_HEADER_SIZE + 100] ^= 1;
}

/* the region says the image is a page shorter than it is */
static void damage_truncate(struct fixture *f)
{
	stage_region_header(f->region)->image_size = f->image_len - 4096;
	stage_region_reseal(f->region);
}

static int test_unsealed(void)
{
	struct synth_shape s = shape;
	struct fixture f;
	int r;

	s.unsealed = 1;
	if (fixture_make(&f, &s, 1 << 20, 2 << 20) < 0)
		return -1;
	r = expect_bad(&f, "not sealed");
	if (r == 0) {
		/* the region says WRITING: the image was interrupted */
		stage_region_header(f.region)->state = FERRY_REGION_WRITING;
		stage_region_reseal(f.region);
		r = expect_bad(&f, "WRITING");
	}
	fixture_free(&f);
	return r;
}

static int test_corrupt_expanded(void)
{
	struct fixture f;
	struct ferry_region_header *rh;
	int r, s;

	if (fixture_make(&f, &shape, 1 << 20, 2 << 20) < 0)
		return -1;
	rh = stage_region_header(f.region);
	s = ferry_stage_run(&stage, f.region, f.size, REGION_PHYS, &env);
	if (s != FERRY_STAGE_EXPANDED) {
		fixture_free(&f);
		return fail("status %s", ferry_stage_status_name(s));
	}
	f.region[rh->expanded_offset + 70000] ^= 0x80;
	r = expect_bad(&f, "expanded image");
	fixture_free(&f);
	return r;
}

static int test_region_header(void)
{
	struct fixture f;
	int r, s;
	uint8_t zero[FERRY_REGION_CONTROL_SIZE] = { 0 };

	if (fixture_make(&f, &shape, 1 << 20, 2 << 20) < 0)
		return -1;
	/* a damaged header: BAD, handoff at the fixed place */
	stage_region_header(f.region)->staging_size += 4096;
	r = expect_bad(&f, "CRC mismatch");
	/* larger than the configured range */
	if (r == 0) {
		stage_region_reseal(f.region);
		s = ferry_stage_run(&stage, f.region, f.size - 8192, REGION_PHYS, &env);
		if (s != FERRY_STAGE_BAD || !strstr(stage.handoff.reason, "larger"))
			r = fail("oversized header: status %s reason '%s'",
				 ferry_stage_status_name(s), stage.handoff.reason);
	}
	/* never formatted: nothing written at all */
	if (r == 0) {
		memset(f.region, 0, FERRY_REGION_CONTROL_SIZE);
		s = ferry_stage_run(&stage, f.region, f.size, REGION_PHYS, &env);
		if (s != FERRY_STAGE_UNFORMATTED || stage.handoff_written ||
		    memcmp(f.region, zero, sizeof(zero)))
			r = fail("unformatted: status %s", ferry_stage_status_name(s));
	}
	/* EMPTY */
	if (r == 0) {
		stage_region_format(f.region, f.size, 1 << 20);
		s = ferry_stage_run(&stage, f.region, f.size, REGION_PHYS, &env);
		if (s != FERRY_STAGE_NOTHING || stage.handoff_written)
			r = fail("empty: status %s", ferry_stage_status_name(s));
	}
	/* too small to hold a header page */
	if (r == 0) {
		s = ferry_stage_run(&stage, f.region, 100, REGION_PHYS, &env);
		if (s != FERRY_STAGE_UNFORMATTED)
			r = fail("tiny: status %s", ferry_stage_status_name(s));
	}
	fixture_free(&f);
	return r;
}

/* Every single-byte change in the staged image is caught (sampled). */
static int test_byte_flips(void)
{
	struct synth_shape s = shape;
	struct fixture f;
	uint64_t off;
	int r = 0, st;
	unsigned n = 0;

	s.areas_per_mm = 1;
	s.pages_per_area = 12;
	if (fixture_make(&f, &s, 256 << 10, 256 << 10) < 0)
		return -1;
	off = stage_region_header(f.region)->staging_offset;
	for (uint64_t i = 0; i < f.image_len && r == 0; i += 1 + i / 64, n++) {
		f.region[off + i] ^= 0x01;
		st = ferry_stage_run(&stage, f.region, f.size, REGION_PHYS, &env);
		if (st != FERRY_STAGE_BAD)
			r = fail("flip at image offset %llu: status %s", (unsigned long long)i,
				 ferry_stage_status_name(st));
		f.region[off + i] ^= 0x01;
	}
	fixture_free(&f);
	return r;
}

/* DIR/NAMESUFFIX.region: the fixture's whole region */
static int write_region(const char *dir, const char *name, const char *suffix,
			const struct fixture *f)
{
	char path[4096];
	FILE *out;

	snprintf(path, sizeof(path), "%s/%s%s.region", dir, name, suffix);
	out = fopen(path, "wb");
	if (!out || fwrite(f->region, 1, f->size, out) != f->size || fclose(out)) {
		perror(path);
		return -1;
	}
	return 0;
}

/* Small regions for the fuzzer's seed corpus. */
static int write_corpus(const char *dir)
{
	static const struct {
		const char *name;
		int level, unsealed;
		uint32_t state;
		uint64_t staging, expanded;
	} seeds[] = {
		{ "sealed-deflate", 6, 0, FERRY_REGION_SEALED, 64 << 10, 96 << 10 },
		{ "sealed-stored", 0, 0, FERRY_REGION_SEALED, 96 << 10, 96 << 10 },
		{ "sealed-too-big", 6, 0, FERRY_REGION_SEALED, 64 << 10, 16 << 10 },
		{ "writing", 6, 1, FERRY_REGION_WRITING, 64 << 10, 96 << 10 },
		{ "unsealed", 6, 1, FERRY_REGION_SEALED, 64 << 10, 96 << 10 },
	};
	struct synth_shape s = shape;

	s.mm_count = 1;
	s.areas_per_mm = 2;
	s.pages_per_area = 6;
	s.chunk_pages = 4;
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		struct fixture f;

		s.level = seeds[i].level;
		s.unsealed = seeds[i].unsealed;
		if (fixture_make(&f, &s, seeds[i].staging, seeds[i].expanded) < 0) {
			fprintf(stderr, "%s: %s\n", seeds[i].name, fail_msg);
			return 1;
		}
		stage_region_header(f.region)->state = seeds[i].state;
		stage_region_reseal(f.region);
		/* the expanded area's junk is not interesting to the fuzzer */
		memset(f.region + FERRY_REGION_CONTROL_SIZE + seeds[i].staging, 0, seeds[i].expanded);
		if (write_region(dir, seeds[i].name, "", &f) < 0)
			return 1;
		if (seeds[i].state == FERRY_REGION_SEALED && !seeds[i].unsealed &&
		    ferry_stage_run(&stage, f.region, f.size, 0, &env) == FERRY_STAGE_EXPANDED &&
		    write_region(dir, seeds[i].name, "-expanded", &f) < 0)
			return 1;
		fixture_free(&f);
	}
	return 0;
}

/* The command lines ferry.efi boots with (boot_cmdline.c). */
static int test_boot_cmdline(void)
{
	static const struct {
		const char *base, *initrd;
		uint64_t handoff;
		int memmap;
		const char *want;
	} cases[] = {
		{ "console=ttyS0 root=/dev/vda1", "\\EFI\\ferry\\initrd", 0x30001000, 1,
		  "console=ttyS0 root=/dev/vda1 initrd=\\EFI\\ferry\\initrd ferry.region=0x4000000@0x30000000 "
		  "memmap=0x4000000$0x30000000 ferry.handoff=0x30001000" },
		/* kernel parameters before the --, init's part last */
		{ "quiet -- single", "", 0x30001000, 1,
		  "quiet ferry.region=0x4000000@0x30000000 memmap=0x4000000$0x30000000 "
		  "ferry.handoff=0x30001000 -- single" },
		/* named and reserved already: not again; a stale handoff goes */
		{ "ferry.region=64M@0x30000000 memmap=1G$4G,64M$0x30000000 ferry.handoff=0x1", NULL, 0, 1,
		  "ferry.region=64M@0x30000000 memmap=1G$4G,64M$0x30000000" },
		/* another range's memmap= does not reserve ours */
		{ "memmap=1G$4G", NULL, 0, 1,
		  "memmap=1G$4G ferry.region=0x4000000@0x30000000 memmap=0x4000000$0x30000000" },
		{ "a=\"b c\" -- \"d e\"", NULL, 0, 0, "a=\"b c\" ferry.region=0x4000000@0x30000000 -- \"d e\"" },
	};
	struct ferry_conf c;
	char out[512];

	ferry_conf_init(&c);
	c.region_size = 64ull << 20;
	c.region_addr = 0x30000000;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c.memmap = cases[i].memmap;
		if (ferry_stage_cmdline(&c, cases[i].base, cases[i].initrd, cases[i].handoff, out,
					sizeof(out)) != 0 || strcmp(out, cases[i].want))
			return fail("\"%s\" gives \"%s\"", cases[i].base, out);
	}
	if (ferry_stage_cmdline(&c, "console=ttyS0", NULL, 0x30001000, out, 40) != -FERRY_ERR_NOSPACE)
		return fail("a line longer than the buffer is not NOSPACE");
	if (ferry_stage_cmdline(&c, "a=\"open", NULL, 0, out, sizeof(out)) != -FERRY_ERR_INVAL)
		return fail("a base whose quote never closes is not refused");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--write-corpus"))
		return write_corpus(argv[2]);

	report("stage-good-expanded-then-retry-then-failed-restore-then-consumed", test_good());
	report("stage-stored-only", test_stored_only());
	report("stage-empty-image", test_empty_image());
	report("stage-too-big-hands-over-compressed", test_too_big());
	report("stage-corrupt-payload", expect_refused(damage_payload, "CRC"));
	report("stage-corrupt-metadata", expect_refused(damage_metadata, "staged image"));
	report("stage-truncated", expect_refused(damage_truncate, "truncated"));
	report("stage-unsealed-and-writing", test_unsealed());
	report("stage-corrupt-expanded-on-retry", test_corrupt_expanded());
	report("stage-region-header", test_region_header());
	report("stage-byte-flips", test_byte_flips());
	report("stage-boot-cmdline-kernel-params-before-dashes", test_boot_cmdline());
	return failures ? 1 : 0;
}
