/* SPDX-License-Identifier: MIT */
/*
 * The metadata FDT of an image (names in format/include/ferry/schema.h):
 * meta_write() serializes a struct st_image, meta_read() parses one back,
 * both through the field tables of meta.c and of the kinds.
 */
#ifndef FERRY_GLUE_META_H
#define FERRY_GLUE_META_H

#include <stddef.h>

#include "meta_fields.h"
#include "state.h"

/* The image's own nodes (meta.c): the root, and below it, for ferry
 * inspect. */
extern const struct meta_node meta_image_node;
extern const struct meta_node *const meta_process_node, *const meta_thread_node,
	*const meta_fd_node, *const meta_mm_node, *const meta_area_node, *const meta_file_node;

/* "anon", "file", ... */
const char *st_area_kind_name(enum st_area_kind k);

/* Build the FDT into a malloc'd buffer. Returns 0 or -errno. */
int meta_write(const struct st_image *img, void **ret_fdt, size_t *ret_size);

/* Parse @fdt (already checked by the format library) into @img, which the
 * caller frees with st_image_free(). Logs what is wrong. Returns 0 or -errno. */
int meta_read(const void *fdt, struct st_image *img);

#endif
