/* SPDX-License-Identifier: MIT */
/* The /sockets subtree of the metadata (SPEC.md §3.7). */
#ifndef FERRY_GLUE_META_SOCKET_H
#define FERRY_GLUE_META_SOCKET_H

#include "state.h"

/* Append /sockets to @fdt (sequential-write mode, inside the root node).
 * Returns 0 or a libfdt error (-FDT_ERR_NOSPACE: retry with more room). */
int meta_write_sockets(void *fdt, const struct st_image *img);

/* Read /sockets of @fdt into @img. Logs what is wrong; returns 0 or -errno. */
int meta_read_sockets(const void *fdt, struct st_image *img);

#endif
