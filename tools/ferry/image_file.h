/* SPDX-License-Identifier: MIT */
/* An image file mapped read-only, for the format library's in-memory reader. */
#ifndef FERRY_TOOL_IMAGE_FILE_H
#define FERRY_TOOL_IMAGE_FILE_H

#include <stddef.h>

struct image_file {
	const char *path;
	const void *data; /* never NULL once open, even for an empty file */
	size_t size;
	void *mapping;    /* NULL when nothing was mapped (empty file) */
	int fd;
};

/*
 * Open @path (a regular file or a block device) and map it read-only.
 * Logs why on failure, naming the path. Returns 0 or -errno.
 */
int image_file_open(struct image_file *f, const char *path);

void image_file_close(struct image_file *f);

#endif
