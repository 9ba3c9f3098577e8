/* SPDX-License-Identifier: MIT */
/* Files the image carries, shared by dump_files.c and dump_mm.c. */
#ifndef FERRY_GLUE_DUMP_FILES_H
#define FERRY_GLUE_DUMP_FILES_H

#include <stdint.h>
#include <sys/types.h>

#include "internal.h"

/* Largest file whose contents are carried in the image metadata. */
#define CARRIED_FILE_MAX (16u << 20)

/*
 * The file record of a memfd or deleted file mapped at @start-@end (whose
 * name in maps is @name): an existing record of the same inode, or a new
 * one carrying its contents. *ret_id is 0 when the file cannot be carried
 * (already named through ckpt_unsupported()). Returns 0 or -errno.
 */
int dump_mapped_file(struct ckpt *c, pid_t pid, uint64_t start, uint64_t end, const char *name,
		     uint32_t *ret_id);

#endif
