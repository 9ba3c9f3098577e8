/* SPDX-License-Identifier: MIT */
/*
 * Lazy restore: what the restorer hands to the pager (restore_pager.c) and
 * its guard (restore_lazy.c). The index lists every extent of the image
 * whose pages the pager places: in image order (chunk by chunk), each with
 * the number of its first page among all lazy pages, and by address.
 */
#ifndef FERRY_GLUE_RESTORE_LAZY_H
#define FERRY_GLUE_RESTORE_LAZY_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "ferry/image.h"

struct lazy_extent {
	uint64_t vaddr;
	uint64_t chunk_offset; /* image offset of its chunk's descriptor */
	uint64_t first;        /* number of its first page among all lazy pages */
	uint32_t chunk_index;
	uint32_t mm_id;
	uint32_t pages;
	uint32_t raw_page;     /* its first page's place in the chunk's pages */
};

struct lazy {
	pthread_mutex_t lock;  /* the page workers add extents */
	struct lazy_extent *ext;
	size_t n, cap;
	uint32_t *by_addr;     /* indices of ext by (mm_id, vaddr) */
	uint64_t pages;        /* lazy pages in all */
	pid_t guard;           /* the guard process, parent of the pager, or 0 */
	int go_fd;             /* closed by the restorer when it is done */
};

/* A userfaultfd the pager serves: one restored address space. */
struct lazy_space {
	int uffd;
	uint32_t mm_id;
	pid_t pid; /* the restored process (the first of a fork: its parent) */
};

/* What the pager starts from; it owns every descriptor in it. */
struct pager_setup {
	const struct ferry_image *image;
	int image_fd;   /* the image file (pages given back as passed), or -1 */
	const struct lazy *lz;
	struct lazy_space *spaces;
	size_t nspaces;
	int go_fd;      /* EOF: the processes run (or were removed) */
	int guard_sock; /* new userfaultfds go to the guard through it */
};

/* The pager's process: serves, places everything, exits 0 once every page
 * is home; any other exit makes the guard end the restored processes. */
__attribute__((noreturn)) void pager_main(struct pager_setup *ps);

#endif
