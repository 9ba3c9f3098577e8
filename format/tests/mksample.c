/* SPDX-License-Identifier: MIT */
/*
 * mksample OUT: write the sample image (format/tests/data/sample.ferry).
 * Deterministic: fixed creation time, fixed seed, fixed producer strings,
 * so regenerating it gives the same bytes until the writer changes.
 *
 * mksample --verify IMAGE: open and fully verify an image file, so the
 * sample test needs nothing but this program.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ferry/image.h"
#include "ferry/writer.h"
#include "synth.h"

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
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: mksample OUT | mksample --verify IMAGE\n");
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
