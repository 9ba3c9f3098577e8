/* SPDX-License-Identifier: MIT */
/* ferry verify IMAGE: is this image intact and complete? */
#include <inttypes.h>
#include <stdio.h>

#include "ferry/image.h"

#include "commands.h"
#include "image_diag.h"
#include "image_file.h"
#include "../../kernel-glue/common/log.h"
#include "text.h"

static void print_ok(const char *path, const struct ferry_header *h)
{
	char raw[TEXT_SIZE_LEN], stored[TEXT_SIZE_LEN];

	printf("%s: OK (sealed, %" PRIu32 " chunk%s, %s raw, %s stored)\n", path, h->chunk_count,
	       h->chunk_count == 1 ? "" : "s", text_size(raw, sizeof(raw), h->page_bytes_raw),
	       text_size(stored, sizeof(stored), h->page_bytes_stored));
}

static void print_bad(const char *path, const struct ferry_diag *d, int code)
{
	char why[IMAGE_DIAG_LEN];

	printf("%s: BAD: %s\n", path, image_diag_describe(why, sizeof(why), d, code));
	fflush(stdout);
	log_hint("%s", image_diag_hint(d->code ? d->code : code));
}

static int verify_image(const char *path)
{
	struct image_file file;
	struct ferry_image img;
	struct ferry_diag diag;
	int r;

	if (image_file_open(&file, path) < 0)
		return FERRY_EXIT_FAILURE;
	image_diag_init(&diag);
	r = ferry_image_open(&img, file.data, file.size, 0, &diag);
	if (r == 0)
		r = ferry_image_verify(&img, &diag);
	if (r < 0)
		print_bad(path, &diag, r);
	else
		print_ok(path, &img.hdr);
	image_file_close(&file);
	return r < 0 ? FERRY_EXIT_FAILURE : FERRY_EXIT_OK;
}

static int run_verify(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = { { 0 } };
	int r;

	if (command_getopt(cmd, argc, argv, options, "") != -1)
		return FERRY_EXIT_USAGE;
	r = command_expect_operands(cmd, argc, argv, 1, "IMAGE");
	if (r)
		return r;
	return verify_image(argv[optind]);
}

const struct command command_verify = {
	.name = "verify",
	.summary = "check that an image is complete and intact",
	.usage = "IMAGE",
	.help = "Checks everything that can be checked without restoring: the header and\n"
		"its CRC, the layout, the metadata device tree, every chunk descriptor and\n"
		"payload CRC, the page totals and the SHA-256 digest.\n"
		"\n"
		"Prints one line:\n"
		"  IMAGE: OK (sealed, N chunks, SIZE raw, SIZE stored)\n"
		"  IMAGE: BAD: PART at offset OFFSET [chunk N]: WHAT (REASON)\n"
		"and on a bad image a hint on stderr.\n"
		"\n"
		"Exit status: 0 intact, 1 bad or unreadable, 2 wrong usage.\n",
	.run = run_verify,
};
