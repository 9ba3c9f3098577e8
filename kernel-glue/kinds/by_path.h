/* SPDX-License-Identifier: MIT */
/*
 * Files opened again by their path at restore (regular files, directories,
 * character devices, FIFOs): the filesystems where a path gives the same
 * file back. A kind of such files claims the "filesystem" of its files
 * with by_path_claim.
 */
#ifndef FERRY_GLUE_KINDS_BY_PATH_H
#define FERRY_GLUE_KINDS_BY_PATH_H

#include <stdbool.h>

#include "../inventory/inventory.h"

/* Is the filesystem of @it one where a path leads back to the file? */
bool by_path_filesystem(const struct inv_item *it);

#define BY_PATH_CLAIM                                                               \
	INV_CLAIM_IF(INV_FD, "filesystem", by_path_filesystem,                      \
		     "a file of this filesystem cannot be opened again by its path")

#endif
