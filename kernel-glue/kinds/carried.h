/* SPDX-License-Identifier: MIT */
/*
 * Files whose contents the image carries: files deleted while open
 * (regular.c) and memfd (memfd.c). The first record of an inode carries the
 * contents, size, mode, owner, times and holes; every later one (another open of it, or
 * a mapping of it) names that record (same-inode). At restore they are made
 * again as unlinked files with the same contents (carried.c).
 */
#ifndef FERRY_GLUE_KINDS_CARRIED_H
#define FERRY_GLUE_KINDS_CARRIED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "kind.h"

/* Largest file whose contents are carried in the image metadata. */
#define CARRIED_FILE_MAX (16u << 20)

struct carried_hole {
	uint64_t offset, length;
};

/* What the file record of a carried file holds: the first member of the
 * kind_data of both kinds. */
struct carried_file {
	uint32_t same_inode; /* id of an earlier record of the same inode, or 0 */
	uint8_t *data;       /* contents, trailing zeros left out */
	size_t data_len;
	uint64_t size;
	uint32_t mode, uid, gid;
	/* access and modification times: seconds, nanoseconds of each */
	bool have_times;
	uint64_t times[4];
	/* the holes of its contents (SEEK_HOLE), in order: none are written */
	struct carried_hole *holes;
	size_t nholes;
	/* at checkpoint only: to find other opens of the inode */
	bool carries;        /* this record has the contents */
	uint64_t dev, ino;
};

extern const struct meta_node carried_node;
extern const struct kind kind_memfd, kind_regular;

/* ---- checkpoint ---- */

/* The earlier record of kind @k that carries the inode of @st, or NULL. */
struct st_file *carried_find(struct ckpt *c, const struct kind *k, const struct stat *st);
/*
 * The contents of @f (of kind memfd or regular), opened through @open_path
 * (a /proc link to it, named @what in messages), or the record of the same
 * inode that already has them; a memfd's seals into *@ret_seals. A file
 * that cannot be carried is named. Returns 0 or -errno.
 */
int carried_dump(struct ckpt *c, pid_t pid, const char *what, const char *open_path,
		 const struct stat *st, struct st_file *f, uint32_t *ret_seals);
/* A new record @f (kind and kind_data set) for the memfd, or the deleted
 * file, seen through @link, and its contents (memfd.c, regular.c). */
int memfd_carry(struct ckpt *c, pid_t pid, const char *what, const char *open_path,
		const struct stat *st, const char *link, struct st_file *f);
int regular_carry(struct ckpt *c, pid_t pid, const char *what, const char *open_path,
		  const struct stat *st, const char *link, struct st_file *f);

/* ---- restore ---- */

/*
 * A new open of the inode of @f: made again (a memfd called @memfd_name
 * when @memfd, sealed with @seals; else an unlinked file in its
 * directory) or found (same-inode), opened with @f's flags at its offset.
 * Returns the fd or -errno (logged).
 */
int carried_open(struct rst *r, const struct st_file *f, bool memfd, const char *memfd_name,
		 uint32_t seals);

#endif
