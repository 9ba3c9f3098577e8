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
#include <stddef.h>
#include <sys/types.h>

#include "../inventory/inventory.h"

/* Is the filesystem of @it one where a path leads back to the file? */
bool by_path_filesystem(const struct inv_item *it);

/*
 * Is a file on device @dev kept in memory that a new boot does not have: a
 * tmpfs or ramfs that ferry's namespace mounts elsewhere than on its root
 * (/dev/shm, /run, /tmp)? Its mount point then in @where. The root is not:
 * a system whose root is in memory (an initramfs) boots into the same
 * files again. Nor is a tmpfs of the process's own mount namespace, which
 * kinds/mount_ns.c carries with its contents.
 */
bool by_path_lost_at_boot(dev_t dev, char *where, size_t size);

#define BY_PATH_CLAIM                                                               \
	INV_CLAIM_IF(INV_FD, "filesystem", by_path_filesystem,                      \
		     "a file of this filesystem cannot be opened again by its path")

#endif
