/* SPDX-License-Identifier: MIT */
/*
 * Files whose contents the image carries: files deleted while open and
 * memfd. They are made again as unlinked files with the same contents,
 * size, mode, owner (and seals, for memfd).
 */
#ifndef FERRY_GLUE_RESTORE_CARRIED_FILE_H
#define FERRY_GLUE_RESTORE_CARRIED_FILE_H

#include "../common/state.h"

struct rst;

/* A new, unlinked inode for @f: memfd_create() with its name, or a file in
 * its original directory, unlinked at once. Returns an O_RDWR fd or -errno
 * (logged). */
int carried_create(const struct st_file *f);

/* Write @f's contents, size, owner, mode and seals into @fd. 0 or -errno. */
int carried_fill(const struct st_file *f, int fd);

#endif
