/* SPDX-License-Identifier: MIT */
/*
 * Reading the metadata FDT of an image (format/include/ferry/schema.h) with
 * libfdt's read-only API. The image may be hostile: the blob must have
 * passed fdt_check_full() first, and every reader here reports a missing
 * property or one of the wrong size as absent, so callers print "?".
 */
#ifndef FERRY_TOOL_META_H
#define FERRY_TOOL_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct opt_u32 {
	bool ok;
	uint32_t v;
};

struct opt_u64 {
	bool ok;
	uint64_t v;
};

/* Bytes from the image, to be escaped before display. s is NULL when absent. */
struct meta_text {
	const char *s;
	size_t len;
};

struct opt_u32 meta_u32(const void *fdt, int node, const char *name);
struct opt_u64 meta_u64(const void *fdt, int node, const char *name);

/* A string property, up to its first NUL (or all of it if it has none). */
struct meta_text meta_string(const void *fdt, int node, const char *name);

bool meta_has(const void *fdt, int node, const char *name);

/* The length of a property, or -1 when it is absent. */
int meta_length(const void *fdt, int node, const char *name);

/* The node at @path ("/processes"), or -1. */
int meta_node(const void *fdt, const char *path);

/*
 * Children of @parent called @base or @base@UNIT, other nodes skipped:
 * the first when @prev < 0, else the one after @prev. -1 when none is left.
 *
 *	for (n = meta_child(fdt, p, "thread", -1); n >= 0; n = meta_child(fdt, p, "thread", n))
 */
int meta_child(const void *fdt, int parent, const char *base, int prev);

/* The subnode @name of @parent (exact name), or -1. */
int meta_subnode(const void *fdt, int parent, const char *name);

/* How many children meta_child() would return; 0 when @parent < 0. */
uint32_t meta_count_children(const void *fdt, int parent, const char *base);

#endif
