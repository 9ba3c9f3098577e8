/* SPDX-License-Identifier: MIT */
/*
 * ferry status [--json] [--history]: the region, the outcome and timing of
 * the last update, and the history of the last updates.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ferry-glue/update.h"
#include "../../kernel-glue/common/log.h"
#include "../../kernel-glue/region/region.h"

#include "commands.h"
#include "json.h"
#include "ferry-glue/attempts.h"
#include "update_json.h"

struct history {
	struct ferry_update_record recs[FERRY_HISTORY_MAX];
	size_t n, damaged;
	int err;
};

/* The file's records with the region's last one merged in: the region's
 * is newer when ferry-init completed it after `ferry update` filed it. */
static void history_read(struct history *h, const struct ferry_update_record *last)
{
	h->err = ferry_history_load(h->recs, &h->n, &h->damaged);
	if (last)
		ferry_history_merge(h->recs, &h->n, last);
}

static void region_json(struct json_writer *j, const struct ferry_region *region, int header,
			const struct ferry_region_header *h)
{
	json_object_begin(j, "region");
	json_u64(j, "size", region->size);
	json_hex(j, "address", region->phys);
	json_string(j, "device", region->device);
	if (header == 0) {
		json_string(j, "state", ferry_region_state_name(h->state));
		json_u64(j, "generation", h->generation);
		json_u64(j, "staging_bytes", h->staging_size);
		json_u64(j, "image_bytes", h->image_size);
	} else {
		json_string(j, "state", header == -ENODATA ? "unformatted" : "damaged");
	}
	json_object_end(j);
}

/* The restores ferry-init tried of the last update's image (ferry-glue/attempts.h). */
static void attempts_json(struct json_writer *j, const struct ferry_region *region,
			  const struct ferry_update_record *rec)
{
	static const char *const actions[] = {
		[FERRY_ATTEMPT_NONE] = "none",
		[FERRY_ATTEMPT_RESET] = "reset",
		[FERRY_ATTEMPT_CONTINUE] = "continue",
		[FERRY_ATTEMPT_NO_SWITCH] = "no-kernel-switch",
		[FERRY_ATTEMPT_RESET_DONE] = "reset-already",
		[FERRY_ATTEMPT_NOT_WHOLE] = "image-not-whole",
		[FERRY_ATTEMPT_RESET_FAILED] = "reset-failed",
		[FERRY_ATTEMPT_RETRIED] = "retried",
		[FERRY_ATTEMPT_NOT_RETRIED] = "not-retried",
	};
	struct ferry_restore_attempts a;

	ferry_restore_attempts_load(region, rec, &a);
	json_u64(j, "restore_attempts_count", a.count);
	json_u64(j, "restore_resets", a.resets);
	json_array_begin(j, "restore_attempts");
	for (unsigned i = 0; i < a.count && i < FERRY_RESTORE_ATTEMPTS_MAX; i++) {
		const struct ferry_restore_attempt *at = &a.attempt[i];

		json_object_begin(j, NULL);
		json_string(j, "kernel", at->kernel[0] ? at->kernel : NULL);
		json_string(j, "outcome", at->outcome == FERRY_UPDATE_RESTORED ? "restored" :
					  at->outcome == FERRY_UPDATE_RESTORING ? "interrupted" : "failed");
		json_string(j, "reason", at->reason[0] ? at->reason : NULL);
		json_string(j, "then", at->action < sizeof(actions) / sizeof(actions[0]) ?
					       actions[at->action] : "unknown");
		if (at->at.realtime_ns)
			json_u64(j, "at_us", at->at.realtime_ns / 1000);
		else
			json_null(j, "at_us");
		json_object_end(j);
	}
	json_array_end(j);
}

static int status_json(bool with_history)
{
	struct ferry_region region;
	struct ferry_region_header h;
	struct ferry_update_record rec;
	struct history *hist = NULL;
	struct json_writer j;
	int r, header = -ENODATA, record = -ENODATA;

	ferry_region_init(&region, 0);
	r = ferry_region_open(&region);
	if (r == 0) {
		header = ferry_region_header_load(&region, &h);
		record = ferry_update_record_load(&region, &rec);
	}
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	if (r == 0)
		region_json(&j, &region, header, &h);
	else
		json_null(&j, "region");
	if (record == 0)
		update_record_json(&j, "last_update", &rec);
	else
		json_null(&j, "last_update");
	json_bool(&j, "last_update_damaged", record == -EBADMSG);
	if (record == 0)
		attempts_json(&j, &region, &rec);
	if (with_history) {
		hist = calloc(1, sizeof(*hist));
		if (hist)
			history_read(hist, record == 0 ? &rec : NULL);
		json_array_begin(&j, "history");
		for (size_t i = 0; hist && i < hist->n; i++)
			update_record_json(&j, NULL, &hist->recs[hist->n - 1 - i]);
		json_array_end(&j);
		json_u64(&j, "history_damaged", hist ? hist->damaged : 0);
	}
	json_object_end(&j);
	if (json_finish(&j) < 0)
		log_error("cannot write the report");
	free(hist);
	ferry_region_close(&region);
	if (r < 0)
		log_error("no usable region (ferry.region= and its reservation)");
	return r < 0 ? FERRY_EXIT_FAILURE : FERRY_EXIT_OK;
}

/* One line per update, newest first. */
static int history_text(void)
{
	struct ferry_region region;
	struct ferry_update_record rec;
	struct history *hist = calloc(1, sizeof(*hist));
	int have_last = -1;

	if (!hist)
		return FERRY_EXIT_FAILURE;
	ferry_region_init(&region, 0);
	/* the region adds its newer record; without one (no ferry.region=,
	 * quietly) the file alone */
	{
		char cmdline[4096];
		uint64_t size, phys;

		if (ferry_region_read_cmdline(cmdline, sizeof(cmdline)) == 0 &&
		    ferry_region_from_cmdline(cmdline, &size, &phys) == 0 &&
		    ferry_region_open(&region) == 0)
			have_last = ferry_update_record_load(&region, &rec);
	}
	history_read(hist, have_last == 0 ? &rec : NULL);
	ferry_region_close(&region);
	printf("history: %zu update%s (newest first)%s\n", hist->n, hist->n == 1 ? "" : "s",
	       hist->damaged ? ", damaged records skipped" : "");
	for (size_t i = hist->n; i-- > 0;) {
		const struct ferry_update_record *u = &hist->recs[i];
		struct ferry_update_phases ph;
		time_t t = (time_t)(u->start.realtime_ns / 1000000000ull);
		char when[32] = "?";
		struct tm tm;

		if (u->start.realtime_ns && gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		ferry_update_phases(u, &ph);
		printf("  %s UTC  %-26s pid %u  %s -> %s", when,
		       ferry_update_outcome_name(u->outcome), u->pid,
		       u->old_kernel[0] ? u->old_kernel : "?", u->new_kernel[0] ? u->new_kernel : "?");
		if (ph.total_ms >= 0)
			printf("  downtime %.0f ms", ph.total_ms);
		if (u->restore_attempts > 1 || u->restore_resets)
			printf("  %u restores tried, %u reset%s", u->restore_attempts,
			       u->restore_resets, u->restore_resets == 1 ? "" : "s");
		if (u->reason[0])
			printf("  (%s)", u->reason);
		putchar('\n');
	}
	free(hist);
	return FERRY_EXIT_OK;
}

static int run_status(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "history", no_argument, NULL, 'H' },
		{ 0 },
	};
	bool json = false, history = false;
	int c, r;

	while ((c = command_getopt(cmd, argc, argv, options, "")) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'H')
			history = true;
		else
			return FERRY_EXIT_USAGE;
	}
	r = command_expect_operands(cmd, argc, argv, 0, "");
	if (r)
		return r;
	if (json)
		return status_json(history);
	if (history)
		return history_text();
	return ferry_update_status(stdout) < 0 ? FERRY_EXIT_FAILURE : FERRY_EXIT_OK;
}

const struct command command_status = {
	.name = "status",
	.summary = "show the region and the outcome and downtime of the last update",
	.usage = "[--json] [--history]",
	.help = "Maps the region named by ferry.region= (as root) and prints its state\n"
		"and the record both kernels keep of the last update: outcome, kernels,\n"
		"image size, why it failed, and the downtime with its phases: freeze,\n"
		"write, sync+kexec, kernel switch, restore.\n"
		"\n"
		"  --history  the last 16 updates instead, newest first, one line each\n"
		"             (with the restores tried and the resets for an image\n"
		"             restored more than once):\n"
		"             the history 'ferry update' keeps in /var/lib/ferry/history\n"
		"             ($FERRY_STATE_DIR), with the region's newer record merged in\n"
		"  --json     one JSON object: region (size, address, device, state,\n"
		"             generation, staging_bytes, image_bytes; null without one),\n"
		"             last_update (outcome, past_point_of_no_return, pid,\n"
		"             processes_restored, kernels, image_bytes, reason, pre_copy\n"
		"             (rounds, pages_before_freeze, pages_during_freeze; null\n"
		"             without --pre-copy), stamps_us, phases_ms; null when none),\n"
		"             and with --history: history,\n"
		"             the same objects newest first\n"
		"\n"
		"Exit status: 0 shown, 1 no usable region (--json still prints the\n"
		"object, --history the history), 2 wrong usage.\n",
	.run = run_status,
};
