/* SPDX-License-Identifier: MIT */
/*
 * The metadata FDT of an image (names in format/include/ferry/schema.h):
 * meta_write() serializes a struct st_image, meta_read() parses one back.
 */
#ifndef FERRY_GLUE_META_H
#define FERRY_GLUE_META_H

#include <stddef.h>

#include "state.h"

/* Build the FDT into a malloc'd buffer. Returns 0 or -errno. */
int meta_write(const struct st_image *img, void **ret_fdt, size_t *ret_size);

/* Parse @fdt (already checked by the format library) into @img, which the
 * caller frees with st_image_free(). Logs what is wrong. Returns 0 or -errno. */
int meta_read(const void *fdt, struct st_image *img);

#endif
