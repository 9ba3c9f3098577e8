/* SPDX-License-Identifier: MIT */
/*
 * The restores of one update's image, in the region beside the update
 * record (kernel-glue/update/attempts.c): ferry-init notes each restore it
 * tried and what it did after a failure, so that a failed restore on the
 * kernel an update switched to can reset the machine into the default
 * kernel once, and never again for the same image (a second failure boots
 * on), and a restore cut short before any process ran is tried again on
 * the next boot, once. `ferry status` prints them.
 *
 * Lives in the region's header page at FERRY_RESTORE_ATTEMPTS_OFFSET, after
 * the update record. It belongs to the update whose record has the same
 * start stamp; a note of another update is stale and read as none.
 * Little-endian, ABI: fields are only appended.
 */
#ifndef FERRY_GLUE_ATTEMPTS_H
#define FERRY_GLUE_ATTEMPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ferry-glue/update.h"

#define FERRY_RESTORE_ATTEMPTS_OFFSET 0xc00u
#define FERRY_RESTORE_ATTEMPTS_VERSION 1u
#define FERRY_RESTORE_ATTEMPTS_MAX 3 /* the first ones are kept, the rest counted */

/* ferry.on_restore_failure= */
enum ferry_restore_policy {
	FERRY_ON_FAILURE_RESET = 0,    /* default: reset into the default kernel (once) */
	FERRY_ON_FAILURE_CONTINUE = 1, /* boot on without the applications */
};

/* What ferry-init did after a failed restore (attempt.action). */
enum ferry_attempt_action {
	FERRY_ATTEMPT_NONE = 0,        /* the restore succeeded */
	FERRY_ATTEMPT_RESET = 1,       /* it reset the machine into the default kernel */
	FERRY_ATTEMPT_CONTINUE = 2,    /* booted on: ferry.on_restore_failure=continue */
	FERRY_ATTEMPT_NO_SWITCH = 3,   /* booted on: this is the kernel the image was taken on */
	FERRY_ATTEMPT_RESET_DONE = 4,  /* booted on: a reset for this image happened already */
	FERRY_ATTEMPT_NOT_WHOLE = 5,   /* booted on: the image does not verify, or is not sealed */
	FERRY_ATTEMPT_RESET_FAILED = 6, /* reboot(2) failed; booted on */
	/* an attempt interrupted before any process ran (outcome still
	 * FERRY_UPDATE_RESTORING), as the next boot found it: */
	FERRY_ATTEMPT_RETRIED = 7,     /* it restored the image again (once) */
	FERRY_ATTEMPT_NOT_RETRIED = 8, /* it did not: retried once already; consumed */
};

struct ferry_restore_attempt {
	struct ferry_stamp at; /* ferry-init started */
	char kernel[64];       /* uname -r of the kernel it ran on */
	/* FERRY_UPDATE_RESTORED or FERRY_UPDATE_FAILED; FERRY_UPDATE_RESTORING
	 * from its start (noted before the restore) until it ends: what a
	 * restore cut short leaves */
	int32_t outcome;
	uint32_t action;       /* enum ferry_attempt_action */
	char reason[224];      /* why it failed (cut), or "" */
};

struct ferry_restore_attempts {
	uint64_t magic; /* FERRY_RESTORE_ATTEMPTS_MAGIC */
	uint32_t version;
	uint32_t size;             /* sizeof(struct ferry_restore_attempts) */
	struct ferry_stamp update; /* the update record's start stamp */
	uint64_t generation;       /* the update record's generation */
	uint32_t count;            /* restores tried (more than MAX: the first MAX kept) */
	uint32_t resets;           /* resets ferry-init did for this image */
	struct ferry_restore_attempt attempt[FERRY_RESTORE_ATTEMPTS_MAX];
	uint32_t crc;              /* CRC-32 (zlib) of everything before it */
};

/*
 * The note of @rec's update in a mapped region into @ret: 0, or -ENODATA
 * when there is none (never written, damaged, or of another update), with
 * @ret then empty and keyed to @rec, ready for the first attempt.
 */
int ferry_restore_attempts_load(const struct ferry_region *r, const struct ferry_update_record *rec,
				struct ferry_restore_attempts *ret);
/* Seal (magic, version, size, CRC) and write it, caches flushed. */
void ferry_restore_attempts_store(struct ferry_region *r, struct ferry_restore_attempts *a);
/* Append an attempt (the first MAX are kept; count goes on): the slot, or NULL. */
struct ferry_restore_attempt *ferry_restore_attempts_add(struct ferry_restore_attempts *a);

/*
 * ferry-init's decision after a failed restore of the image, before the
 * image is verified: reset unless @policy says continue, a reset for it
 * happened already, or the restore ran on the kernel the image was taken
 * on (@old_kernel, "" when unknown: no switch is known), asked in that
 * order. The action to take: FERRY_ATTEMPT_RESET or the reason not to.
 */
enum ferry_attempt_action ferry_restore_failure_action(enum ferry_restore_policy policy,
						       const struct ferry_restore_attempts *a,
						       const char *old_kernel, const char *kernel);

/* The last attempt the note keeps, when it is the last one tried (at
 * most FERRY_RESTORE_ATTEMPTS_MAX of them), or NULL. */
struct ferry_restore_attempt *ferry_restore_attempts_last(struct ferry_restore_attempts *a);

/*
 * ferry-init, finding the image still SEALED or EXPANDED, with @rec as the
 * last boot left it: was the last restore of it cut short (a reset, a
 * hang, ferry-init's death) before the first process was let go? The
 * record says so (its outcome still FERRY_UPDATE_RESTORING), or the note's
 * last attempt does (stored before the record). FERRY_ATTEMPT_NONE: no.
 * FERRY_ATTEMPT_RETRIED: yes, restore it again. FERRY_ATTEMPT_NOT_RETRIED:
 * yes, and an earlier attempt was retried already, or the note does not
 * keep the one cut short (more than FERRY_RESTORE_ATTEMPTS_MAX tried, or
 * no note), so that it cannot tell: once only, so that a fault that
 * recurs (a hang and its watchdog) cannot loop.
 */
enum ferry_attempt_action ferry_restore_interrupted_action(struct ferry_restore_attempts *a,
							   const struct ferry_update_record *rec);

/* "reset the machine into the default kernel", ... */
const char *ferry_attempt_action_describe(uint32_t action);

/* `ferry status`: one line per attempt when there was more than one or a
 * reset; nothing otherwise. */
void ferry_restore_attempts_report(FILE *out, const struct ferry_restore_attempts *a);

#endif
