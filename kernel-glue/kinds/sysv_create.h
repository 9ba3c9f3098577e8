/* SPDX-License-Identifier: MIT */
/*
 * A System V object made again at the id it had (kinds/sysv_shm.c,
 * kinds/sysv_ipc.c): its id written to /proc/sys/kernel/{shm,sem,msg}_next_id
 * (CONFIG_CHECKPOINT_RESTORE), then shmget(), semget() or msgget() of its
 * key with IPC_CREAT | IPC_EXCL, as its creator: the kernel takes the
 * creator's ids (cuid, cgid) from the effective ones of the caller.
 */
#ifndef FERRY_GLUE_SYSV_CREATE_H
#define FERRY_GLUE_SYSV_CREATE_H

#include <stdint.h>

enum sysv_type { SYSV_SHM, SYSV_SEM, SYSV_MSG };

/* The next_id file of @type, for messages. */
const char *sysv_next_id_path(enum sysv_type type);
/* The next object of @type gets @id (-1: the kernel chooses again).
 * 0 or -errno. */
int sysv_next_id(enum sysv_type type, long id);
/* The object of @type and @key made (@size: a segment's bytes, a set's
 * semaphores; unused for a queue) with the effective ids @cuid:@cgid, in a
 * child when they are not the caller's: its id, or -errno. */
int sysv_create_as(enum sysv_type type, uint32_t key, uint64_t size, uint32_t cuid,
		   uint32_t cgid);

#endif
