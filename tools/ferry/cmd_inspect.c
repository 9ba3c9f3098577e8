/* SPDX-License-Identifier: MIT */
/* ferry inspect IMAGE [--json] [--chunks]: what an image holds. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#include "commands.h"
#include "image_diag.h"
#include "image_file.h"
#include "inspect.h"
#include "../../kernel-glue/common/log.h"

/* Header and layout must be sound before anything else can be read; an
 * unsealed image is fine to look at. */
static int open_image(struct inspect *ins, const struct image_file *file)
{
	struct ferry_diag diag;
	char why[IMAGE_DIAG_LEN];
	int r;

	image_diag_init(&diag);
	r = ferry_image_open(&ins->img, file->data, file->size, FERRY_OPEN_ALLOW_UNSEALED, &diag);
	if (r < 0) {
		log_error("%s: BAD: %s", file->path, image_diag_describe(why, sizeof(why), &diag, r));
		log_hint("%s", image_diag_hint(diag.code ? diag.code : r));
	}
	return r;
}

static int inspect_image(const char *path, bool json, bool show_chunks)
{
	struct inspect ins = { .path = path, .show_chunks = show_chunks };
	struct image_file file;
	int status = FERRY_EXIT_FAILURE, r;

	if (image_file_open(&file, path) < 0)
		return FERRY_EXIT_FAILURE;
	ins.file_size = file.size;
	if (open_image(&ins, &file) < 0 || inspect_load(&ins) < 0)
		goto out;
	r = json ? inspect_print_json(&ins, stdout) : inspect_print_text(&ins, stdout);
	if (r < 0) {
		log_error_errno(r, "cannot write the report for '%s'", path);
		goto out;
	}
	if (ins.metadata_error[0] || ins.chunk_error[0])
		log_hint("%s", image_diag_hint(-FERRY_ERR_CHUNK));
	else
		status = FERRY_EXIT_OK;
out:
	inspect_free(&ins);
	image_file_close(&file);
	return status;
}

static int run_inspect(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "chunks", no_argument, NULL, 'c' },
		{ 0 },
	};
	bool json = false, show_chunks = false;
	int c, r;

	while ((c = command_getopt(cmd, argc, argv, options, "jc")) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'c':
			show_chunks = true;
			break;
		default:
			return FERRY_EXIT_USAGE;
		}
	}
	r = command_expect_operands(cmd, argc, argv, 1, "IMAGE");
	if (r)
		return r;
	return inspect_image(argv[optind], json, show_chunks);
}

const struct command command_inspect = {
	.name = "inspect",
	.summary = "show what a checkpoint image holds",
	.usage = "IMAGE [--json] [--chunks]",
	.help = "Prints the header (format, flags, producer, creation time), the processes,\n"
		"their memory areas, files, pipes, file locks and leases, and the page\n"
		"totals. Works on unsealed images too. It reads the chunk descriptors but\n"
		"not the page payloads and not the digest: 'ferry verify' checks those.\n"
		"\n"
		"Options:\n"
		"  -j, --json    one JSON object instead of text\n"
		"  -c, --chunks  also list every chunk (index, mm, encoding, pages, extents,\n"
		"                stored size, offset)\n"
		"\n"
		"Exit status: 0 success, 1 the image is bad or unreadable, 2 wrong usage.\n",
	.run = run_inspect,
};
