/* SPDX-License-Identifier: MIT */
/*
 * The machine's memory map, for `ferry region suggest`: /proc/iomem (as
 * root: its addresses read as 0 otherwise) or the firmware's map in
 * /sys/firmware/memmap, under a root directory (tests use fixtures).
 */
#ifndef FERRY_TOOL_MEMORY_MAP_H
#define FERRY_TOOL_MEMORY_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEMORY_MAP_MAX 512

struct memory_range {
	uint64_t start, end; /* inclusive end, as both sources write it */
	bool ram;            /* "System RAM" */
	bool nested;         /* inside another range of /proc/iomem (Kernel code, ...) */
};

struct memory_map {
	struct memory_range ranges[MEMORY_MAP_MAX];
	size_t n;
	char source[64]; /* "/proc/iomem" or "/sys/firmware/memmap" */
};

/*
 * Read @root's /proc/iomem, or where it shows no addresses (not root) or
 * is missing, its /sys/firmware/memmap. Returns 0, or -errno with the
 * reason logged.
 */
int memory_map_load(const char *root, struct memory_map *ret);

/*
 * The lowest address at or above 256 MiB and aligned to 2 MiB where @size
 * bytes lie inside one System RAM range and overlap nothing nested in it
 * (the running kernel's code and data, a crash kernel): high enough for
 * what the kernel and early boot allocate, low enough to stay clear of the
 * initrd, which boot loaders put near the top of RAM below 4 GiB. Below
 * 4 GiB when it fits there. Returns 0 with the address and the RAM range
 * it lies in, or -ENOSPC.
 */
int memory_map_suggest(const struct memory_map *map, uint64_t size, uint64_t *ret_addr,
		       const struct memory_range **ret_ram);

#endif
