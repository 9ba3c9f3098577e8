/* SPDX-License-Identifier: MIT */
/*
 * The one reader of /proc/PID/mountinfo (proc(5)). Text fields are kept
 * as the file writes them, octal escapes and all (a space is \040), so
 * that no field holds a space; mountinfo_unescape() gives the path to
 * open. A line not as the kernel writes it, or a field longer than its
 * buffer, is an error rather than a truncated or shifted field.
 */
#ifndef FERRY_GLUE_MOUNTINFO_H
#define FERRY_GLUE_MOUNTINFO_H

#include <stdbool.h>
#include <stddef.h>

#define MOUNTINFO_FIELD_MAX 1024 /* bytes of one path-like field, with its NUL */

struct mountinfo {
	unsigned long id, parent;
	unsigned dev_major, dev_minor; /* the superblock's device, as /proc/locks prints it */
	char root[MOUNTINFO_FIELD_MAX], point[MOUNTINFO_FIELD_MAX], opts[256];
	char fstype[64], source[MOUNTINFO_FIELD_MAX], super[MOUNTINFO_FIELD_MAX];
	bool shared, slave, unbindable; /* the optional fields shared:, master:, unbindable */
	char prop[16];                  /* the same in a word: shared, slave, shared+slave,
					 * private or unbindable */
};

/*
 * Every line of file @file of directory @dfd (AT_FDCWD, or a /proc kept
 * open while the caller's own mounts change), in the file's order, into a
 * malloc'd array; at most @max lines (0: no bound), -E2BIG beyond. A
 * malformed line: -EPROTO; a field over its buffer: -ENAMETOOLONG.
 */
int mountinfo_read_at(int dfd, const char *file, size_t max, struct mountinfo **ret,
		      size_t *ret_n);
/* The same of ferry's own mount namespace (/proc/self/mountinfo). */
int mountinfo_read_self(struct mountinfo **ret, size_t *ret_n);

/* mountinfo's octal escapes (\040) undone into @out (truncated to @size). */
void mountinfo_unescape(const char *in, char *out, size_t size);

#endif
