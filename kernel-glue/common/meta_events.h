/* SPDX-License-Identifier: MIT */
/* Terminals and event descriptors in the metadata (SPEC.md §3.6). */
#ifndef FERRY_GLUE_META_EVENTS_H
#define FERRY_GLUE_META_EVENTS_H

#include "state.h"

/* Writers, in sequential-write mode: the properties (and watch nodes) of
 * @f at the end of its file node, the ctty of @p inside its process node,
 * /ttys inside the root node. Return 0 or a libfdt error. */
int meta_write_file_events(void *fdt, const struct st_file *f);
int meta_write_process_events(void *fdt, const struct st_process *p);
int meta_write_ttys(void *fdt, const struct st_image *img);

/* Readers: log what is wrong and return 0 or -errno. */
int meta_read_file_events(const void *fdt, int node, struct st_file *f);
int meta_read_process_events(const void *fdt, int node, struct st_process *p);
int meta_read_ttys(const void *fdt, struct st_image *img);

#endif
