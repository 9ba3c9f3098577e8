/* SPDX-License-Identifier: MIT */
/* The restores of an update's image, noted in the region (ferry-glue/attempts.h). */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "ferry-glue/attempts.h"
#include "region.h"

_Static_assert(FERRY_UPDATE_RECORD_OFFSET + sizeof(struct ferry_update_record) <=
		       FERRY_RESTORE_ATTEMPTS_OFFSET, "the attempts follow the update record");
_Static_assert(FERRY_RESTORE_ATTEMPTS_OFFSET + sizeof(struct ferry_restore_attempts) <=
		       FERRY_REGION_HEADER_AREA, "the attempts fit in the header page");

static uint32_t attempts_crc(const struct ferry_restore_attempts *a)
{
	return crc32(0, (const Bytef *)a, offsetof(struct ferry_restore_attempts, crc));
}

static void attempts_empty(const struct ferry_update_record *rec, struct ferry_restore_attempts *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->update = rec->start;
	ret->generation = rec->generation;
}

int ferry_restore_attempts_load(const struct ferry_region *r, const struct ferry_update_record *rec,
				struct ferry_restore_attempts *ret)
{
	struct ferry_restore_attempts a;

	attempts_empty(rec, ret);
	if (!r->base || r->size < FERRY_REGION_HEADER_AREA)
		return -ENODATA;
	memcpy(&a, r->base + FERRY_RESTORE_ATTEMPTS_OFFSET, sizeof(a));
	if (a.magic != FERRY_RESTORE_ATTEMPTS_MAGIC || a.version != FERRY_RESTORE_ATTEMPTS_VERSION ||
	    a.size != sizeof(a) || a.crc != attempts_crc(&a))
		return -ENODATA;
	/* another update's: stale */
	if (a.update.realtime_ns != rec->start.realtime_ns || a.update.tsc != rec->start.tsc ||
	    a.generation != rec->generation)
		return -ENODATA;
	for (unsigned i = 0; i < FERRY_RESTORE_ATTEMPTS_MAX; i++) {
		a.attempt[i].kernel[sizeof(a.attempt[i].kernel) - 1] = 0;
		a.attempt[i].reason[sizeof(a.attempt[i].reason) - 1] = 0;
	}
	*ret = a;
	return 0;
}

void ferry_restore_attempts_store(struct ferry_region *r, struct ferry_restore_attempts *a)
{
	a->magic = FERRY_RESTORE_ATTEMPTS_MAGIC;
	a->version = FERRY_RESTORE_ATTEMPTS_VERSION;
	a->size = sizeof(*a);
	a->crc = attempts_crc(a);
	memcpy(r->base + FERRY_RESTORE_ATTEMPTS_OFFSET, a, sizeof(*a));
	ferry_region_flush(r, FERRY_RESTORE_ATTEMPTS_OFFSET, sizeof(*a));
}

struct ferry_restore_attempt *ferry_restore_attempts_add(struct ferry_restore_attempts *a)
{
	struct ferry_restore_attempt *at = NULL;

	if (a->count < FERRY_RESTORE_ATTEMPTS_MAX) {
		at = &a->attempt[a->count];
		memset(at, 0, sizeof(*at));
	}
	if (a->count < UINT32_MAX)
		a->count++;
	return at;
}

enum ferry_attempt_action ferry_restore_failure_action(enum ferry_restore_policy policy,
						       const struct ferry_restore_attempts *a,
						       const char *old_kernel, const char *kernel)
{
	if (policy == FERRY_ON_FAILURE_CONTINUE)
		return FERRY_ATTEMPT_CONTINUE;
	/* once per image: a second failure must not loop (asked first, so
	 * that the guard is what a failure after the reset names) */
	if (a->resets)
		return FERRY_ATTEMPT_RESET_DONE;
	/* a reset boots the default kernel; after a restore that failed on
	 * the image's own kernel there is no other kernel to go back to */
	if (!old_kernel[0] || !strcmp(old_kernel, kernel))
		return FERRY_ATTEMPT_NO_SWITCH;
	return FERRY_ATTEMPT_RESET;
}

struct ferry_restore_attempt *ferry_restore_attempts_last(struct ferry_restore_attempts *a)
{
	if (!a->count || a->count > FERRY_RESTORE_ATTEMPTS_MAX)
		return NULL;
	return &a->attempt[a->count - 1];
}

enum ferry_attempt_action ferry_restore_interrupted_action(struct ferry_restore_attempts *a,
							   const struct ferry_update_record *rec)
{
	struct ferry_restore_attempt *last = ferry_restore_attempts_last(a);
	bool cut = last && last->outcome == FERRY_UPDATE_RESTORING;

	if (!cut && rec->outcome != FERRY_UPDATE_RESTORING)
		return FERRY_ATTEMPT_NONE;
	/* the note must hold the attempt cut short, or it cannot be marked,
	 * and the next one could not tell it was a retry */
	if (!cut)
		return FERRY_ATTEMPT_NOT_RETRIED;
	for (unsigned i = 0; i + 1 < a->count; i++)
		if (a->attempt[i].action == FERRY_ATTEMPT_RETRIED)
			return FERRY_ATTEMPT_NOT_RETRIED;
	return FERRY_ATTEMPT_RETRIED;
}

const char *ferry_attempt_action_describe(uint32_t action)
{
	switch (action) {
	case FERRY_ATTEMPT_NONE: return "";
	case FERRY_ATTEMPT_RESET: return "ferry-init reset the machine into the default kernel";
	case FERRY_ATTEMPT_CONTINUE: return "booted on without them (ferry.on_restore_failure=continue)";
	case FERRY_ATTEMPT_NO_SWITCH:
		return "booted on without them (the kernel the image was taken on: no other to reset into)";
	case FERRY_ATTEMPT_RESET_DONE:
		return "booted on without them (the machine was reset for this image already)";
	case FERRY_ATTEMPT_NOT_WHOLE:
		return "booted on without them (the image is not whole and sealed: no reset)";
	case FERRY_ATTEMPT_RESET_FAILED: return "booted on without them (the reset failed)";
	case FERRY_ATTEMPT_RETRIED:
		return "cut short before any process ran: the next boot restored the image again (once)";
	case FERRY_ATTEMPT_NOT_RETRIED:
		return "cut short before any process ran, after a retry already: not restored again "
		       "(the image consumed)";
	}
	return "unknown action";
}

void ferry_restore_attempts_report(FILE *out, const struct ferry_restore_attempts *a)
{
	if (a->count < 2 && !a->resets)
		return;
	for (unsigned i = 0; i < a->count && i < FERRY_RESTORE_ATTEMPTS_MAX; i++) {
		const struct ferry_restore_attempt *at = &a->attempt[i];
		time_t t = (time_t)(at->at.realtime_ns / 1000000000ull);
		char when[32] = "?";
		struct tm tm;

		if (at->at.realtime_ns && gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%H:%M:%S UTC", &tm);
		fprintf(out, "  attempt %-6u on %s at %s: %s", i + 1, at->kernel[0] ? at->kernel : "?",
			when, ferry_update_outcome_name(at->outcome));
		if (at->reason[0])
			fprintf(out, " (%s)", at->reason);
		if (at->action != FERRY_ATTEMPT_NONE)
			fprintf(out, "; %s", ferry_attempt_action_describe(at->action));
		fputc('\n', out);
	}
	if (a->count > FERRY_RESTORE_ATTEMPTS_MAX)
		fprintf(out, "  attempts       %u in all (the first %u shown)\n", a->count,
			FERRY_RESTORE_ATTEMPTS_MAX);
}
