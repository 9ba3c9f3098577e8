/* SPDX-License-Identifier: MIT */
/* The records of kinds/sysv_shm.c, for the schema's unit test. */
#ifndef FERRY_GLUE_KINDS_SYSV_SHM_H
#define FERRY_GLUE_KINDS_SYSV_SHM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SYSV_SHM_MAX (16u << 20) /* the bytes of a segment carried in the metadata */

/* A System V shared memory segment (/sysv-shm/segment@SHMID). */
struct shm_segment {
	uint32_t id, key;
	uint64_t size;
	uint32_t mode, uid, gid, cuid, cgid;
	bool removed, locked;
	uint8_t *data;
	size_t len;
};

struct sysv_shm_image {
	struct shm_segment *segs;
	size_t n;
};

#endif
