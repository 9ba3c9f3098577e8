/* SPDX-License-Identifier: MIT */
/* The records of kinds/zombie.c, for the schema's unit test. */
#ifndef FERRY_GLUE_KINDS_ZOMBIE_H
#define FERRY_GLUE_KINDS_ZOMBIE_H

#include <stddef.h>
#include <stdint.h>

struct zombie {
	uint32_t pid, pgid, sid, uid;
	uint32_t status;      /* as waitpid() reports it */
	uint32_t exit_signal; /* 0: none */
};

/* The zombie children of a process. */
struct zombies_process {
	struct zombie *v;
	size_t n;
};

#endif
