/* SPDX-License-Identifier: MIT */
/*
 * After the restore of the region's image: note the attempt beside the
 * update record, and after a failure decide whether to reset the machine.
 *
 * A restore that fails on the kernel an update switched to leaves the
 * machine on that kernel without the applications. The default kernel
 * (what the firmware boots: on the kexec path the one the update left, on
 * the reboot path the entry after the one-shot BootNext) can restore the
 * same image, as it does after a panic or a watchdog's reset, once the
 * image is SEALED again and whole. So, by default
 * (ferry.on_restore_failure=reset), ferry-init resets the machine (a warm
 * reset: RAM and so the region kept) and the default kernel's ferry-init
 * restores. Never twice for one image: the reset is noted in the region
 * before it happens, and a second failure boots on. A failure on the
 * image's own kernel does not reset either (no other kernel to go to).
 *
 * A restore that never ends (a reset, a hang and its watchdog, ferry-init's
 * death) leaves its attempt noted as begun (init_note_begin(), before the
 * restore) and, when it was cut short before the first process was let go,
 * the image still SEALED: the next boot restores it again, once
 * (init_note_interrupted()); one cut short a second time is not.
 */
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <unistd.h>
#include <errno.h>

#include "../common/log.h"
#include "early_init.h"
#include "ferry-glue/attempts.h"
#include "ferry/image.h"
#include "ferry/region_header.h"
#include "region.h"

static struct ferry_restore_attempts note;
/* the attempt init_note_begin() noted, when the restore began */
static bool begun;

static enum ferry_restore_policy read_policy(void)
{
	char v[32];

	if (!init_cmdline_arg(FERRY_PARAM_ON_RESTORE_FAILURE, v, sizeof(v)) || !strcmp(v, "reset"))
		return FERRY_ON_FAILURE_RESET;
	if (!strcmp(v, "continue"))
		return FERRY_ON_FAILURE_CONTINUE;
	log_warning("%s=%s is neither reset nor continue: reset", FERRY_PARAM_ON_RESTORE_FAILURE, v);
	return FERRY_ON_FAILURE_RESET;
}

/* The default kernel restores the staged image: it must be SEALED (or
 * EXPANDED) again and verify whole, digest and every chunk. */
static bool image_whole(struct ferry_region *region, char *why, size_t len)
{
	struct ferry_region_header h;
	struct ferry_diag diag = { 0 };
	struct ferry_image img;
	int k;

	k = ferry_region_header_load(region, &h);
	if (k < 0) {
		snprintf(why, len, "the region's header: %s", strerror(-k));
		return false;
	}
	if (h.state != FERRY_REGION_SEALED && h.state != FERRY_REGION_EXPANDED) {
		snprintf(why, len, "the region is %s, not sealed", ferry_region_state_name(h.state));
		return false;
	}
	k = ferry_image_open(&img, region->base + h.staging_offset, h.image_size, 0, &diag);
	if (k == 0)
		k = ferry_image_verify(&img, &diag);
	if (k < 0) {
		snprintf(why, len, "the staged image: %s: %s%s%s", diag.part ? diag.part : "image",
			 ferry_strerror(k), diag.what ? ": " : "", diag.what ? diag.what : "");
		return false;
	}
	return true;
}

enum ferry_attempt_action init_note_interrupted(struct ferry_region *region,
						struct ferry_update_record *rec)
{
	struct ferry_restore_attempt *last;
	enum ferry_attempt_action action;

	ferry_restore_attempts_load(region, rec, &note);
	action = ferry_restore_interrupted_action(&note, rec);
	if (action == FERRY_ATTEMPT_NONE)
		return action;
	last = ferry_restore_attempts_last(&note);
	if (last && last->outcome == FERRY_UPDATE_RESTORING) {
		last->action = action;
		ferry_restore_attempts_store(region, &note);
	}
	if (action == FERRY_ATTEMPT_RETRIED)
		log_warning("the restore of this image on %s was interrupted before any process ran: "
			    "restoring it again (once)", last && last->kernel[0] ? last->kernel : "?");
	return action;
}

void init_note_begin(struct ferry_region *region, struct ferry_update_record *rec)
{
	struct ferry_restore_attempt *at;

	ferry_restore_attempts_load(region, rec, &note);
	at = ferry_restore_attempts_add(&note);
	if (at) {
		at->at = rec->init;
		snprintf(at->kernel, sizeof(at->kernel), "%s", rec->new_kernel);
		/* until it ends: what a reset, a hang or our death leaves */
		at->outcome = FERRY_UPDATE_RESTORING;
	}
	ferry_restore_attempts_store(region, &note);
	rec->restore_attempts = note.count;
	rec->restore_resets = note.resets;
	begun = true;
}

bool init_note_restore(struct ferry_region *region, struct ferry_update_record *rec, int r)
{
	struct ferry_restore_attempt *at;
	enum ferry_attempt_action action = FERRY_ATTEMPT_NONE;
	char why[256];

	if (!begun)
		ferry_restore_attempts_load(region, rec, &note);
	if (r < 0) {
		action = ferry_restore_failure_action(read_policy(), &note, rec->old_kernel,
						      rec->new_kernel);
		if (action == FERRY_ATTEMPT_RESET && !image_whole(region, why, sizeof(why))) {
			log_warning("no reset into the default kernel: %s", why);
			action = FERRY_ATTEMPT_NOT_WHOLE;
		}
		if (action == FERRY_ATTEMPT_RESET) {
			note.resets++;
			log_warning("the restore failed on %s, the kernel the update switched to from %s: "
				    "resetting the machine (RAM kept) into the default kernel, whose "
				    "ferry-init restores the image; once only for this image (%s=continue "
				    "boots on instead)", rec->new_kernel, rec->old_kernel,
				    FERRY_PARAM_ON_RESTORE_FAILURE);
		} else {
			log_warning("after the failed restore: %s", ferry_attempt_action_describe(action));
		}
	}
	/* the attempt noted when the restore began (a failure before it, of
	 * the image's check, is added now) */
	at = begun ? ferry_restore_attempts_last(&note) : ferry_restore_attempts_add(&note);
	begun = false;
	if (at) {
		at->at = rec->init;
		snprintf(at->kernel, sizeof(at->kernel), "%s", rec->new_kernel);
		at->outcome = r < 0 ? FERRY_UPDATE_FAILED : FERRY_UPDATE_RESTORED;
		at->action = action;
		snprintf(at->reason, sizeof(at->reason), "%.223s", r < 0 ? rec->reason : "");
	}
	ferry_restore_attempts_store(region, &note);
	rec->restore_attempts = note.count;
	rec->restore_resets = note.resets;
	return action == FERRY_ATTEMPT_RESET;
}

void init_reset_machine(struct ferry_region *region)
{
	int e;

	log_info("reset: syncing the file systems, then reboot(RB_AUTOBOOT)");
	fflush(NULL);
	sync();
	reboot(RB_AUTOBOOT);
	e = errno;
	log_error("cannot reset the machine: %s; booting on without the applications", strerror(e));
	if (note.count && note.count <= FERRY_RESTORE_ATTEMPTS_MAX) {
		note.attempt[note.count - 1].action = FERRY_ATTEMPT_RESET_FAILED;
		ferry_restore_attempts_store(region, &note);
	}
}
