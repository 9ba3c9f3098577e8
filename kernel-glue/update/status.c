/* SPDX-License-Identifier: MIT */
/* The report of the last update, from the region's record. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ferry-glue/attempts.h"
#include "internal.h"
#include "region.h"

#define MIB(x) ((double)(x) / (1024.0 * 1024.0))

static void line_ms(FILE *out, const char *what, double ms, const char *note)
{
	if (ms < 0)
		fprintf(out, "  %-14s unknown\n", what);
	else
		fprintf(out, "  %-14s %8.0f ms%s\n", what, ms, note);
}

void ferry_update_report(FILE *out, const struct ferry_update_record *rec)
{
	struct ferry_update_phases ph;
	char when[64] = "?";
	time_t t = (time_t)(rec->freeze.realtime_ns / 1000000000ull);
	struct tm tm;

	if (rec->freeze.realtime_ns && gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(out, "last update: %s\n", ferry_update_outcome_name(rec->outcome));
	fprintf(out, "  selection      pid %u (%.1f MiB resident), frozen at %s\n", rec->pid,
		MIB(rec->resident_bytes), when);
	fprintf(out, "  kernels        %s -> %s\n", rec->old_kernel[0] ? rec->old_kernel : "?",
		rec->new_kernel[0] ? rec->new_kernel : "(not booted yet)");
	fprintf(out, "  image          %.2f MiB in the region (generation %llu)\n",
		MIB(rec->image_bytes), (unsigned long long)rec->generation);
	if (rec->outcome == FERRY_UPDATE_RESTORED)
		fprintf(out, "  restored       %u process%s\n", rec->nprocs,
			rec->nprocs == 1 ? "" : "es");
	if (rec->reason[0])
		fprintf(out, "  reason         %s\n", rec->reason);
	if (rec->precopy_rounds)
		fprintf(out, "  pre-copy       %llu pages copied before the freeze (%u round%s), "
			"%llu during it\n", (unsigned long long)rec->precopy_pages_before,
			rec->precopy_rounds, rec->precopy_rounds == 1 ? "" : "s",
			(unsigned long long)rec->precopy_pages_frozen);
	if (rec->watchdog & FERRY_WATCHDOG_ARMED) {
		char wd[256];

		fprintf(out, "  watchdog       %s\n", ferry_watchdog_describe(rec, wd, sizeof(wd)));
	}
	ferry_update_phases(rec, &ph);
	line_ms(out, "freeze", ph.freeze_ms, "  (freeze + capture)");
	line_ms(out, "write", ph.write_ms, "  (image into the region, sealed)");
	line_ms(out, "sync+kexec", ph.kexec_ms, "");
	line_ms(out, "kernel switch", ph.switch_ms,
		ph.switch_by_tsc ? "  (TSC)" : "  (realtime clock, +-1 s)");
	if (rec->outcome != FERRY_UPDATE_RESTORED)
		return;
	line_ms(out, "restore", ph.restore_ms, "");
	line_ms(out, "downtime", ph.total_ms, "  (freeze to running again)");
}

/*
 * The region holds no record, but the history on disk ends with an update
 * that was written or sealed and never got further: the region's memory was
 * lost with it. *@ret: that update.
 */
static bool history_unfinished(struct ferry_update_record *ret)
{
	struct ferry_update_record recs[FERRY_HISTORY_MAX];
	size_t n = 0, damaged = 0;

	if (ferry_history_load(recs, &n, &damaged) < 0 || !n)
		return false;
	if (recs[n - 1].outcome != FERRY_UPDATE_WRITING && recs[n - 1].outcome != FERRY_UPDATE_SEALED)
		return false;
	*ret = recs[n - 1];
	return true;
}

int ferry_update_status(FILE *out)
{
	struct ferry_region region;
	struct ferry_region_header h;
	struct ferry_update_record rec;
	int r;

	ferry_region_init(&region, 0);
	r = ferry_region_open(&region);
	if (r < 0)
		return log_error_errno(r, "no usable region (ferry.region= and its reservation)");
	fprintf(out, "region: %.0f MiB at 0x%llx (%s)", MIB(region.size),
		(unsigned long long)region.phys, region.device);
	r = ferry_region_header_load(&region, &h);
	if (r == -ENODATA)
		fprintf(out, ", not formatted yet\n");
	else if (r < 0)
		fprintf(out, ", control block damaged\n");
	else
		fprintf(out, ", state %s, generation %llu, staging %.1f MiB, image %.2f MiB\n",
			ferry_region_state_name(h.state), (unsigned long long)h.generation,
			MIB(h.staging_size), MIB(h.image_size));
	r = ferry_update_record_load(&region, &rec);
	if (r == -ENODATA && history_unfinished(&rec))
		fprintf(out, "last update: lost with the region's memory (cleared: a cold boot or a "
			     "power loss); the history's newest update, of pid %u on %s (generation "
			     "%llu), got as far as \"%s\" and was never restored\n", rec.pid,
			rec.old_kernel[0] ? rec.old_kernel : "?", (unsigned long long)rec.generation,
			ferry_update_outcome_name(rec.outcome));
	else if (r == -ENODATA)
		fprintf(out, "last update: none recorded\n");
	else if (r < 0)
		fprintf(out, "last update: record damaged\n");
	else {
		struct ferry_restore_attempts a;

		ferry_update_report(out, &rec);
		/* a restore that failed and what came of it (a reset, another try) */
		if (ferry_restore_attempts_load(&region, &rec, &a) == 0)
			ferry_restore_attempts_report(out, &a);
	}
	ferry_region_close(&region);
	return 0;
}
