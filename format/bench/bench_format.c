/* SPDX-License-Identifier: MIT */
/*
 * bench-format: what the checks of the format library cost on the restore
 * path. Builds a mixed image in memory, then measures
 *   (a) the library: ferry_image_verify() + ferry_chunk_inflate() of every
 *       chunk into one output buffer, as the boot stage does;
 *   (b) plain zlib: inflate of the same deflated payloads and memcpy of the
 *       stored ones into the same buffer, no checks at all;
 * and prints the throughput of both in MB/s of raw page bytes and their
 * ratio. Each is repeated and the best run is kept.
 *
 * Usage: bench-format [--mib N] [--level L] [--chunk-pages N] [--reps N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "ferry/image.h"
#include "synth.h"

struct bench_opts {
	uint32_t mib;
	int level;
	uint32_t chunk_pages;
	int reps;
};

/* What the baseline needs, gathered once outside the timed runs. */
struct plain_chunk {
	const uint8_t *payload;
	uint32_t stored_size;
	uint32_t encoding;
	uint64_t raw_size;
	uint64_t out_offset;
};

struct timing {
	double verify, inflate, total;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "bench-format: %s: %s\n", what, err ? ferry_strerror(err) : "failed");
	exit(1);
}

/* (a) the library path: full verification, then every chunk inflated. */
static void run_library(const uint8_t *img_buf, size_t len, uint8_t *out, size_t out_len,
			struct timing *t)
{
	static struct ferry_inflater inf;
	struct ferry_image img;
	struct ferry_chunk_cursor cur;
	struct ferry_chunk c;
	struct ferry_diag diag;
	uint64_t at = 0;
	double t0, t1, t2;
	int r;

	t0 = now();
	r = ferry_image_open(&img, img_buf, len, 0, &diag);
	if (r == 0)
		r = ferry_image_verify(&img, &diag);
	if (r < 0)
		die(diag.what, r);
	t1 = now();
	if (ferry_inflater_init(&inf) < 0)
		die("inflater", -FERRY_ERR_NOMEM);
	ferry_chunk_cursor_init(&img, &cur);
	while ((r = ferry_chunk_next(&img, &cur, &c, &diag)) > 0) {
		r = ferry_chunk_inflate(&inf, &c, out + at, out_len - at, &diag);
		if (r < 0)
			die(diag.what, r);
		at += c.raw_size;
	}
	if (r < 0)
		die(diag.what, r);
	ferry_inflater_fini(&inf);
	t2 = now();
	t->verify = t1 - t0;
	t->inflate = t2 - t1;
	t->total = t2 - t0;
}

/* (b) the baseline: zlib and memcpy, nothing checked. */
static double run_plain(const struct plain_chunk *chunks, size_t n, uint8_t *out)
{
	z_stream zs;
	double t0 = now();

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, -MAX_WBITS) != Z_OK)
		die("inflateInit2", 0);
	for (size_t i = 0; i < n; i++) {
		const struct plain_chunk *c = &chunks[i];

		if (c->encoding == FERRY_ENCODING_STORED) {
			memcpy(out + c->out_offset, c->payload, c->raw_size);
			continue;
		}
		inflateReset(&zs);
		zs.next_in = (Bytef *)c->payload;
		zs.avail_in = c->stored_size;
		zs.next_out = out + c->out_offset;
		zs.avail_out = (uInt)c->raw_size;
		if (inflate(&zs, Z_FINISH) != Z_STREAM_END)
			die("zlib inflate", 0);
	}
	inflateEnd(&zs);
	return now() - t0;
}

static struct plain_chunk *gather_chunks(const uint8_t *buf, size_t len, size_t *ret_n,
					 uint32_t *ret_deflated)
{
	struct ferry_image img;
	struct ferry_chunk_cursor cur;
	struct ferry_chunk c;
	struct plain_chunk *chunks;
	uint64_t at = 0;
	size_t n = 0;

	if (ferry_image_open(&img, buf, len, 0, NULL) < 0)
		die("open", 0);
	chunks = calloc(img.hdr.chunk_count ? img.hdr.chunk_count : 1, sizeof(*chunks));
	if (!chunks)
		die("out of memory", 0);
	*ret_deflated = 0;
	ferry_chunk_cursor_init(&img, &cur);
	while (ferry_chunk_next(&img, &cur, &c, NULL) > 0) {
		chunks[n] = (struct plain_chunk){ c.payload, c.stored_size, c.encoding, c.raw_size,
						  at };
		*ret_deflated += c.encoding == FERRY_ENCODING_DEFLATE;
		at += c.raw_size;
		n++;
	}
	*ret_n = n;
	return chunks;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-format [--mib N] [--level L] [--chunk-pages N] [--reps N]\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct bench_opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			usage();
		if (strcmp(a, "--mib") == 0)
			o->mib = (uint32_t)strtoul(v, NULL, 0);
		else if (strcmp(a, "--level") == 0)
			o->level = atoi(v);
		else if (strcmp(a, "--chunk-pages") == 0)
			o->chunk_pages = (uint32_t)strtoul(v, NULL, 0);
		else if (strcmp(a, "--reps") == 0)
			o->reps = atoi(v);
		else
			usage();
		i++;
	}
	if (o->mib < 1 || o->reps < 1 || o->level < 0 || o->level > 9)
		usage();
}

static double mbps(uint64_t bytes, double sec)
{
	return (double)bytes / 1e6 / sec;
}

int main(int argc, char **argv)
{
	struct bench_opts o = { .mib = 256, .level = 1, .chunk_pages = 0, .reps = 7 };
	struct synth_shape s = {
		.name = "bench", .seed = 42, .created_sec = 1700000000, .processes = 8,
		.mm_count = 4, .areas_per_mm = 16,
		/* a process's resident memory: mostly heap-like data, a fifth zero
		 * pages, some already-compressed or random data, in runs */
		.zero_pct = 20, .random_pct = 15, .run_pages = 256,
		.batch_pages = 64,
	};
	struct timing best = { 1e9, 1e9, 1e9 }, t;
	double best_plain = 1e9, t_gen;
	struct plain_chunk *chunks;
	struct synth_stats st;
	struct ferry_image img;
	uint32_t deflated, crc_lib, crc_plain;
	uint8_t *buf, *out;
	size_t len, n;
	uint64_t raw;
	int r;

	parse_args(argc, argv, &o);
	s.level = o.level;
	s.chunk_pages = o.chunk_pages;
	s.pages_per_area = (uint32_t)(((uint64_t)o.mib << 20) / 4096 / (s.mm_count * s.areas_per_mm));

	t_gen = now();
	r = synth_image_alloc(&s, &buf, &len, &st);
	if (r < 0)
		die("building the image", r);
	t_gen = now() - t_gen;
	if (ferry_image_open(&img, buf, len, 0, NULL) < 0)
		die("open", 0);
	raw = img.hdr.page_bytes_raw;
	chunks = gather_chunks(buf, len, &n, &deflated);
	out = malloc(raw ? raw : 1);
	if (!out)
		die("out of memory", 0);
	memset(out, 0, raw); /* fault the pages in before any timed run */

	printf("image: %u MiB of pages (%llu zero pages skipped), %llu MiB raw in %zu chunks "
	       "(%u deflated, level %d), %.1f MiB stored, built in %.1f s\n",
	       o.mib, (unsigned long long)st.zero_pages, (unsigned long long)(raw >> 20), n,
	       deflated, o.level, (double)len / (1 << 20), t_gen);

	for (int i = 0; i < o.reps; i++) {
		double p;

		/* alternate the order, so neither path always runs on a warmer machine */
		if (i % 2) {
			p = run_plain(chunks, n, out);
			run_library(buf, len, out, raw, &t);
		} else {
			run_library(buf, len, out, raw, &t);
			p = run_plain(chunks, n, out);
		}
		if (t.total < best.total)
			best = t;
		if (t.verify < best.verify)
			best.verify = t.verify;
		if (t.inflate < best.inflate)
			best.inflate = t.inflate;
		if (p < best_plain)
			best_plain = p;
	}
	/* both paths must have produced the same bytes */
	run_library(buf, len, out, raw, &t);
	crc_lib = (uint32_t)crc32_z(0, out, raw);
	memset(out, 0, raw);
	run_plain(chunks, n, out);
	crc_plain = (uint32_t)crc32_z(0, out, raw);
	if (crc_lib != crc_plain)
		die("library and zlib outputs differ", 0);

	printf("best of %d runs, MB/s of raw page bytes (%.1f MB):\n", o.reps, (double)raw / 1e6);
	printf("  library verify+inflate  %8.1f MB/s  %7.1f ms\n", mbps(raw, best.total),
	       best.total * 1e3);
	printf("    verify alone          %8.1f MB/s  %7.1f ms\n", mbps(raw, best.verify),
	       best.verify * 1e3);
	printf("    walk+inflate alone    %8.1f MB/s  %7.1f ms\n", mbps(raw, best.inflate),
	       best.inflate * 1e3);
	printf("  zlib inflate + memcpy   %8.1f MB/s  %7.1f ms\n", mbps(raw, best_plain),
	       best_plain * 1e3);
	printf("verify+inflate / zlib inflate = %.2f\n", best_plain / best.total);

	free(chunks);
	free(out);
	free(buf);
	return 0;
}
