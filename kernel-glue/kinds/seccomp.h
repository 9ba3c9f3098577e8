/* SPDX-License-Identifier: MIT */
/* The records of kinds/seccomp.c, for the schema's unit test. */
#ifndef FERRY_GLUE_KINDS_SECCOMP_H
#define FERRY_GLUE_KINDS_SECCOMP_H

#include <stddef.h>
#include <stdint.h>

struct seccomp_filter_rec {
	uint32_t id;     /* from 1 */
	uint32_t parent; /* the filter below it, 0: the first of its chain */
	uint32_t flags;  /* SECCOMP_FILTER_FLAG_LOG */
	uint8_t *program; /* struct sock_filter[] */
	size_t len;       /* bytes */
};

struct seccomp_image {
	struct seccomp_filter_rec *filters;
	size_t n;
};

/* One thread in seccomp mode; a thread in none has no record. */
struct seccomp_thread {
	uint32_t tid, mode, filter; /* filter: the newest of its chain (mode 2) */
};

struct seccomp_process {
	struct seccomp_thread *threads;
	size_t n;
};

#endif
