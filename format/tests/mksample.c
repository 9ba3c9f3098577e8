/* SPDX-License-Identifier: MIT */
/*
 * mksample OUT: write the sample image (format/tests/data/sample.ferry).
 * Deterministic: fixed creation time, fixed seed, fixed producer strings,
 * so regenerating it gives the same bytes until the writer changes.
 *
 * mksample --verify IMAGE: open and fully verify an image file, so the
 * sample test needs nothing but this program.
 *
 * mksample --fuzz-corpus DIR: write the seed corpus of the fuzz target
 * (format/fuzz/corpus): the sample, small variants of it, handoff blobs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ferry/handoff.h"
#include "ferry/image.h"
#include "ferry/writer.h"
#include "synth.h"

static int write_file(const char *dir, const char *name, const void *buf, size_t len)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		fprintf(stderr, "mksample: cannot write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int write_shape(const char *dir, const char *name, const struct synth_shape *s)
{
	uint8_t *buf;
	size_t len;
	int r = synth_image_alloc(s, &buf, &len, NULL);

	if (r < 0) {
		fprintf(stderr, "mksample: %s: %s\n", name, ferry_strerror(r));
		return -1;
	}
	r = write_file(dir, name, buf, len);
	free(buf);
	return r;
}

static int write_handoff(const char *dir, const char *name, const struct ferry_handoff *h)
{
	uint8_t buf[1024];
	int n = ferry_handoff_write(buf, sizeof(buf), h);

	if (n <= 0) {
		fprintf(stderr, "mksample: %s: %s\n", name, ferry_strerror(n));
		return -1;
	}
	return write_file(dir, name, buf, (size_t)n);
}

static int fuzz_corpus(const char *dir)
{
	struct synth_shape unsealed = synth_sample_shape, stored = synth_sample_shape,
			   empty = synth_sample_shape, extents = synth_sample_shape,
			   interleaved = synth_sample_shape;
	struct ferry_handoff h = {
		.region_base = 0x100000000ull, .region_size = 64ull << 20,
		.image_state = FERRY_HANDOFF_IMAGE_EXPANDED, .verified = 1,
		.image_address = 0x100000000ull + (1u << 20), .image_size = 8u << 20,
		.stage_time_ns = 1234567, .stage = "kexec", .stage_version = "0.1.0",
	};
	int r;

	unsealed.unsealed = 1;
	stored = (struct synth_shape){ .name = "stored", .seed = 1, .page_size = 16384,
				       .mm_count = 1, .areas_per_mm = 1, .pages_per_area = 2,
				       .random_pct = 100, .level = 0, .processes = 1 };
	empty.zero_pct = 100;
	empty.hole_pct = 0;
	extents = (struct synth_shape){ .name = "extents", .seed = 2, .mm_count = 1,
					.areas_per_mm = 2, .pages_per_area = 40, .zero_pct = 50,
					.hole_pct = 20, .chunk_pages = 64, .level = 9,
					.processes = 1 };
	interleaved = (struct synth_shape){ .name = "interleaved", .seed = 3, .mm_count = 3,
					    .areas_per_mm = 1, .pages_per_area = 4, .zero_pct = 30,
					    .chunk_pages = 1, .batch_pages = 1, .interleave = 1,
					    .level = 1, .page_size = 4096 };
	r = write_shape(dir, "sample.ferry", &synth_sample_shape);
	r = r ?: write_shape(dir, "unsealed.ferry", &unsealed);
	r = r ?: write_shape(dir, "stored-16k.ferry", &stored);
	r = r ?: write_shape(dir, "empty.ferry", &empty);
	r = r ?: write_shape(dir, "extents.ferry", &extents);
	r = r ?: write_shape(dir, "interleaved.ferry", &interleaved);
	r = r ?: write_handoff(dir, "handoff-expanded.dtb", &h);
	h.image_state = FERRY_HANDOFF_IMAGE_COMPRESSED;
	h.verified = 0;
	strcpy(h.stage, "efi");
	strcpy(h.reason, "expanded area too small");
	r = r ?: write_handoff(dir, "handoff-compressed.dtb", &h);
	h.image_state = FERRY_HANDOFF_IMAGE_NONE;
	h.image_address = h.image_size = 0;
	strcpy(h.reason, "digest mismatch");
	r = r ?: write_handoff(dir, "handoff-none.dtb", &h);
	return r < 0 ? 1 : 0;
}

static int verify_file(const char *path)
{
	struct ferry_image img;
	struct ferry_diag diag = { 0 };
	uint8_t *buf = NULL;
	long len = -1;
	FILE *f = fopen(path, "rb");
	int r;

	if (f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc(len ? (size_t)len : 1)) && fread(buf, 1, (size_t)len, f) != (size_t)len)
		len = -1;
	if (f)
		fclose(f);
	if (!f || len < 0 || !buf) {
		fprintf(stderr, "mksample: cannot read %s: %s\n", path, strerror(errno));
		free(buf);
		return 1;
	}
	r = ferry_image_open(&img, buf, (size_t)len, 0, &diag);
	if (r == 0)
		r = ferry_image_verify(&img, &diag);
	if (r < 0)
		fprintf(stderr, "mksample: %s: %s (%s: %s at byte %llu)\n", path, ferry_strerror(r),
			diag.part, diag.what, (unsigned long long)diag.offset);
	else
		printf("%s: verified, %u chunks, %llu of %llu page bytes stored\n", path,
		       img.hdr.chunk_count, (unsigned long long)img.hdr.page_bytes_stored,
		       (unsigned long long)img.hdr.page_bytes_raw);
	free(buf);
	return r < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct ferry_fd_sink fs;
	struct ferry_sink sink;
	struct synth_stats st;
	int fd, r;

	if (argc == 3 && strcmp(argv[1], "--verify") == 0)
		return verify_file(argv[2]);
	if (argc == 3 && strcmp(argv[1], "--fuzz-corpus") == 0)
		return fuzz_corpus(argv[2]);
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: mksample OUT | --verify IMAGE | --fuzz-corpus DIR\n");
		return 2;
	}
	/* O_TRUNC: the writer only overwrites, a longer old file would leave a tail */
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "mksample: cannot create %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	ferry_sink_fd(&sink, &fs, fd);
	r = synth_write_image(&synth_sample_shape, &sink, &st);
	if (r < 0) {
		fprintf(stderr, "mksample: writing %s failed: %s%s%s\n", argv[1], ferry_strerror(r),
			fs.saved_errno ? ": " : "", fs.saved_errno ? strerror(fs.saved_errno) : "");
		close(fd);
		unlink(argv[1]);
		return 1;
	}
	if (close(fd) < 0) {
		fprintf(stderr, "mksample: closing %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	printf("%s: %llu bytes, %llu pages stored, %llu zero pages skipped\n", argv[1],
	       (unsigned long long)st.image_size, (unsigned long long)st.data_pages,
	       (unsigned long long)st.zero_pages);
	return 0;
}
