/* SPDX-License-Identifier: MIT */
/* The records of kinds/sysv_ipc.c, for the schema's unit test. */
#ifndef FERRY_GLUE_KINDS_SYSV_IPC_H
#define FERRY_GLUE_KINDS_SYSV_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The bounds of what is carried (a writer refuses, a reader rejects, more) */
#define SYSV_SETS_MAX 4096          /* semaphore sets in an image */
#define SYSV_SEMS_MAX 32000         /* semaphores in a set (SEMMSL's highest) */
#define SYSV_SEMVAL_MAX 32767       /* a semaphore's value (SEMVMX) */
#define SYSV_QUEUES_MAX 4096        /* message queues in an image */
#define SYSV_MSGS_MAX 65536         /* messages in a queue */
#define SYSV_MSG_BYTES_MAX (16u << 20) /* the bytes of a queue's messages together */
#define SYSV_PID_MAX 4194304u       /* a pid of the image is below it (PID_MAX_LIMIT) */

/* A semaphore: semval, sempid (GETVAL, GETPID). */
struct sem_value {
	uint32_t value, pid;
};

/* A System V semaphore set (/sysv-sem/set@SEMID). */
struct sem_set {
	uint32_t id, key, mode, uid, gid, cuid, cgid;
	struct sem_value *sems;
	size_t nsems;
};

/* A message of a queue: its type and the number of its bytes in data. */
struct msg_rec {
	uint64_t type;
	uint32_t size;
};

/* A System V message queue (/sysv-msg/queue@MSQID). */
struct msg_queue {
	uint32_t id, key, mode, uid, gid, cuid, cgid;
	uint64_t qbytes;
	uint32_t lspid, lrpid;
	struct msg_rec *msgs;
	size_t nmsgs;
	uint8_t *data; /* every message's bytes, in order */
	size_t len;
};

struct sysv_ipc_image {
	struct sem_set *sets;
	size_t nsets;
	struct msg_queue *queues;
	size_t nqueues;
};

#endif
