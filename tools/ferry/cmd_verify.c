/* SPDX-License-Identifier: MIT */
/* ferry verify IMAGE: is this image intact and complete? */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ferry/image.h"

#include "commands.h"
#include "image_diag.h"
#include "image_file.h"
#include "json.h"
#include "../../kernel-glue/common/log.h"
#include "text.h"

/* {"image", "ok", and the totals or where and why it is bad} */
static void report_json(const char *path, const struct ferry_header *h,
			const struct ferry_diag *d, int code)
{
	struct json_writer j;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_string(&j, "image", path);
	json_bool(&j, "ok", code >= 0);
	if (code >= 0) {
		json_u64(&j, "chunk_count", h->chunk_count);
		json_u64(&j, "page_bytes_raw", h->page_bytes_raw);
		json_u64(&j, "page_bytes_stored", h->page_bytes_stored);
	} else {
		if (d->code)
			code = d->code;
		json_string(&j, "part", d->part);
		json_u64(&j, "offset", d->offset);
		if (d->chunk != UINT32_MAX)
			json_u64(&j, "chunk", d->chunk);
		else
			json_null(&j, "chunk");
		json_string(&j, "what", d->what);
		json_string(&j, "reason", ferry_strerror(code));
		json_string(&j, "hint", image_diag_hint(code));
	}
	json_object_end(&j);
	if (json_finish(&j) < 0)
		log_error("cannot write the report");
}

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

static int verify_image(const char *path, bool json)
{
	struct image_file file;
	struct ferry_image img;
	struct ferry_diag diag;
	int r;

	r = image_file_open(&file, path);
	if (r < 0 && json) {
		struct json_writer j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "image", path);
		json_bool(&j, "ok", false);
		json_string(&j, "part", "file");
		json_string(&j, "what", "cannot be read");
		json_string(&j, "reason", strerror(-r));
		json_object_end(&j);
		json_finish(&j);
	}
	if (r < 0)
		return FERRY_EXIT_FAILURE;
	image_diag_init(&diag);
	r = ferry_image_open(&img, file.data, file.size, 0, &diag);
	if (r == 0)
		r = ferry_image_verify(&img, &diag);
	if (json)
		report_json(path, &img.hdr, &diag, r);
	else if (r < 0)
		print_bad(path, &diag, r);
	else
		print_ok(path, &img.hdr);
	image_file_close(&file);
	return r < 0 ? FERRY_EXIT_FAILURE : FERRY_EXIT_OK;
}

static int run_verify(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	bool json = false;
	int c, r;

	while ((c = command_getopt(cmd, argc, argv, options, "")) != -1) {
		if (c != 'j')
			return FERRY_EXIT_USAGE;
		json = true;
	}
	r = command_expect_operands(cmd, argc, argv, 1, "IMAGE");
	if (r)
		return r;
	return verify_image(argv[optind], json);
}

const struct command command_verify = {
	.name = "verify",
	.summary = "check that an image is complete and intact",
	.usage = "IMAGE [--json]",
	.help = "Checks everything that can be checked without restoring: the header and\n"
		"its CRC, the layout, the metadata device tree, every chunk descriptor and\n"
		"payload CRC, the page totals and the SHA-256 digest.\n"
		"\n"
		"Prints one line:\n"
		"  IMAGE: OK (sealed, N chunks, SIZE raw, SIZE stored)\n"
		"  IMAGE: BAD: PART at offset OFFSET [chunk N]: WHAT (REASON)\n"
		"and on a bad image a hint on stderr.\n"
		"\n"
		"  --json  one JSON object instead: image, ok, and chunk_count,\n"
		"          page_bytes_raw, page_bytes_stored, or part, offset, chunk,\n"
		"          what, reason, hint\n"
		"\n"
		"Exit status: 0 intact, 1 bad or unreadable, 2 wrong usage.\n",
	.run = run_verify,
};
