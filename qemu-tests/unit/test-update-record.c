/* SPDX-License-Identifier: MIT */
/* Host tests of the update record: store/load, damage, and the phases; the
 * restore attempts beside it and the reset decision after a failure; a
 * version 1 record and the history holding records of both versions. */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "ferry-glue/attempts.h"
#include "ferry-glue/update.h"
#include "region.h"

static int failed;

#define CHECK(name, cond)                                                       \
	do {                                                                    \
		if (cond)                                                       \
			printf("PASS: %s\n", name);                             \
		else {                                                          \
			printf("FAIL: %s: %s is false\n", name, #cond);          \
			failed = 1;                                             \
		}                                                               \
	} while (0)

static struct ferry_stamp at(double ms, double tsc_per_ms, double tsc_ms)
{
	return (struct ferry_stamp){ .realtime_ns = (uint64_t)(1.7e18 + ms * 1e6),
				     .tsc = (uint64_t)(1e9 + tsc_ms * tsc_per_ms) };
}

static bool near(double a, double b)
{
	return a - b < 1 && b - a < 1;
}

static void test_attempts(struct ferry_region *r, const struct ferry_update_record *rec)
{
	struct ferry_restore_attempts a, back;
	struct ferry_restore_attempt *at;
	struct ferry_update_record other = *rec;
	char *text = NULL;
	size_t len = 0;
	FILE *m;

	CHECK("attempts-absent", ferry_restore_attempts_load(r, rec, &a) == -ENODATA && !a.count &&
					 a.update.realtime_ns == rec->start.realtime_ns);
	/* the first restore fails on the kernel the update switched to: reset */
	CHECK("attempts-reset", ferry_restore_failure_action(FERRY_ON_FAILURE_RESET, &a, "6.1.0-44-amd64",
							     "6.12.57+deb12-amd64") == FERRY_ATTEMPT_RESET);
	CHECK("attempts-continue", ferry_restore_failure_action(FERRY_ON_FAILURE_CONTINUE, &a, "6.1",
								"6.12") == FERRY_ATTEMPT_CONTINUE);
	CHECK("attempts-no-switch", ferry_restore_failure_action(FERRY_ON_FAILURE_RESET, &a, "6.1",
								 "6.1") == FERRY_ATTEMPT_NO_SWITCH);
	CHECK("attempts-unknown-kernel", ferry_restore_failure_action(FERRY_ON_FAILURE_RESET, &a, "",
								      "6.12") == FERRY_ATTEMPT_NO_SWITCH);
	at = ferry_restore_attempts_add(&a);
	snprintf(at->kernel, sizeof(at->kernel), "6.12");
	at->outcome = FERRY_UPDATE_FAILED;
	at->action = FERRY_ATTEMPT_RESET;
	snprintf(at->reason, sizeof(at->reason), "restore failed: registers");
	a.resets++;
	ferry_restore_attempts_store(r, &a);
	CHECK("attempts-roundtrip", ferry_restore_attempts_load(r, rec, &back) == 0 && back.count == 1 &&
					    back.resets == 1 && !strcmp(back.attempt[0].kernel, "6.12"));
	/* never twice for one image: the second failure boots on */
	CHECK("attempts-once", ferry_restore_failure_action(FERRY_ON_FAILURE_RESET, &back, "6.1", "6.12") ==
				       FERRY_ATTEMPT_RESET_DONE);
	/* on the default kernel after the reset: the guard is the reason */
	CHECK("attempts-once-default", ferry_restore_failure_action(FERRY_ON_FAILURE_RESET, &back, "6.1",
								    "6.1") == FERRY_ATTEMPT_RESET_DONE);
	CHECK("attempts-once-continue", ferry_restore_failure_action(FERRY_ON_FAILURE_CONTINUE, &back,
								     "6.1", "6.12") == FERRY_ATTEMPT_CONTINUE);
	/* another update's note is stale */
	other.start.tsc++;
	CHECK("attempts-stale", ferry_restore_attempts_load(r, &other, &back) == -ENODATA && !back.count &&
					!back.resets);
	/* the report: each attempt, with what came of it */
	at = ferry_restore_attempts_add(&a);
	snprintf(at->kernel, sizeof(at->kernel), "6.1");
	at->outcome = FERRY_UPDATE_RESTORED;
	m = open_memstream(&text, &len);
	ferry_restore_attempts_report(m, &a);
	fclose(m);
	printf("%s", text);
	CHECK("attempts-report", strstr(text, "attempt 1") && strstr(text, "on 6.12 at") &&
					 strstr(text, "failed (restore failed: registers); ferry-init reset") &&
					 strstr(text, "attempt 2      on 6.1 at ?: restored\n"));
	free(text);
	/* more than the slots: counted, the first kept */
	for (int i = 0; i < 5; i++)
		ferry_restore_attempts_add(&a);
	CHECK("attempts-count", a.count == 7 && !strcmp(a.attempt[0].kernel, "6.12"));
	/* a damaged note reads as none */
	ferry_restore_attempts_store(r, &a);
	((uint8_t *)r->base)[FERRY_RESTORE_ATTEMPTS_OFFSET + 30] ^= 1;
	CHECK("attempts-damaged", ferry_restore_attempts_load(r, rec, &back) == -ENODATA);
}

/* A restore cut short before any process ran: retried once, never twice. */
static void test_interrupted(const struct ferry_update_record *rec)
{
	struct ferry_update_record cut = *rec, ended = *rec;
	struct ferry_restore_attempts a;
	struct ferry_restore_attempt *at;

	cut.outcome = FERRY_UPDATE_RESTORING;
	ended.outcome = FERRY_UPDATE_FAILED;
	memset(&a, 0, sizeof(a));
	CHECK("interrupted-none", ferry_restore_interrupted_action(&a, rec) == FERRY_ATTEMPT_NONE &&
					  !ferry_restore_attempts_last(&a));
	/* the record says so, but no note keeps the attempt: cannot tell */
	CHECK("interrupted-no-note", ferry_restore_interrupted_action(&a, &cut) ==
					     FERRY_ATTEMPT_NOT_RETRIED);
	at = ferry_restore_attempts_add(&a);
	at->outcome = FERRY_UPDATE_RESTORING;
	CHECK("interrupted-first", ferry_restore_interrupted_action(&a, &cut) == FERRY_ATTEMPT_RETRIED &&
					   ferry_restore_attempts_last(&a) == at);
	/* the note was stored, the record not yet: cut short all the same */
	CHECK("interrupted-note-only", ferry_restore_interrupted_action(&a, &ended) ==
					       FERRY_ATTEMPT_RETRIED);
	at->action = FERRY_ATTEMPT_RETRIED;
	at = ferry_restore_attempts_add(&a);
	at->outcome = FERRY_UPDATE_RESTORING;
	CHECK("interrupted-twice", ferry_restore_interrupted_action(&a, &cut) ==
					   FERRY_ATTEMPT_NOT_RETRIED);
	/* a failure after the retry ended it: nothing cut short */
	at->outcome = FERRY_UPDATE_FAILED;
	CHECK("interrupted-then-failed", ferry_restore_interrupted_action(&a, &ended) ==
						 FERRY_ATTEMPT_NONE);
	/* beyond the slots the note cannot mark it: not again */
	ferry_restore_attempts_add(&a);
	ferry_restore_attempts_add(&a);
	CHECK("interrupted-unkept", !ferry_restore_attempts_last(&a) &&
					    ferry_restore_interrupted_action(&a, &cut) ==
						    FERRY_ATTEMPT_NOT_RETRIED);
}

/* @rec as a record of @size bytes (version 1: 816, its CRC last; longer:
 * fields of a later version beyond what this one knows) into @out. */
static void record_as(const struct ferry_update_record *rec, uint32_t version, uint32_t size,
		      uint8_t *out)
{
	const size_t at = offsetof(struct ferry_update_record, crc);
	uint32_t crc;

	memset(out, 0, size);
	memcpy(out, rec, size < sizeof(*rec) ? size : sizeof(*rec));
	memcpy(out + offsetof(struct ferry_update_record, version), &version, 4);
	memcpy(out + offsetof(struct ferry_update_record, size), &size, 4);
	if (size > sizeof(*rec))
		memset(out + sizeof(*rec), 0x5a, size - sizeof(*rec));
	crc = (uint32_t)crc32(crc32(0, out, (uInt)at), out + at + 4, (uInt)(size - at - 4));
	memcpy(out + at, &crc, 4);
}

static void test_versions(const struct ferry_update_record *rec)
{
	uint8_t raw[FERRY_UPDATE_RECORD_MAX], file[4 * FERRY_UPDATE_RECORD_MAX];
	struct ferry_update_record v2 = *rec, back, recs[FERRY_HISTORY_MAX];
	char dir[] = "/tmp/ferry-record-XXXXXX", path[64];
	size_t size = 0, n = 0, damaged = 0, len = 0;
	FILE *f;

	v2.precopy_rounds = 3;
	v2.precopy_pages_before = 64320;
	v2.precopy_pages_frozen = 1228;
	record_as(&v2, 1, FERRY_UPDATE_RECORD_V1_SIZE, raw);
	CHECK("record-v1-read", ferry_update_record_read(raw, sizeof(raw), &back, &size) == 0 &&
					size == FERRY_UPDATE_RECORD_V1_SIZE &&
					back.outcome == rec->outcome && back.precopy_rounds == 0 &&
					back.precopy_pages_before == 0 && back.precopy_pages_frozen == 0);
	record_as(&v2, 3, sizeof(v2) + 16, raw);
	CHECK("record-longer-read", ferry_update_record_read(raw, sizeof(raw), &back, &size) == 0 &&
					    size == sizeof(v2) + 16 && back.precopy_rounds == 3 &&
					    back.precopy_pages_frozen == 1228);
	raw[sizeof(v2) + 4] ^= 1;
	CHECK("record-longer-damaged", ferry_update_record_read(raw, sizeof(raw), &back, NULL) ==
					       -EBADMSG);
	record_as(&v2, 2, sizeof(v2), raw);
	CHECK("record-cut-short", ferry_update_record_read(raw, sizeof(v2) - 8, &back, NULL) ==
					  -EBADMSG);

	/* the history: a record of version 1, one of 2, one damaged, one of 2 */
	if (!mkdtemp(dir)) {
		CHECK("history-dir", 0);
		return;
	}
	setenv("FERRY_STATE_DIR", dir, 1);
	v2.start.realtime_ns = 1;
	record_as(&v2, 1, FERRY_UPDATE_RECORD_V1_SIZE, file + len);
	len += FERRY_UPDATE_RECORD_V1_SIZE;
	for (int i = 2; i <= 4; i++) {
		v2.start.realtime_ns = (uint64_t)i;
		record_as(&v2, 2, sizeof(v2), file + len);
		if (i == 3)
			file[len + 100] ^= 1;
		len += sizeof(v2);
	}
	snprintf(path, sizeof(path), "%s/history", dir);
	f = fopen(path, "w");
	if (f) {
		fwrite(file, 1, len, f);
		fclose(f);
	}
	CHECK("history-both-versions",
	      ferry_history_load(recs, &n, &damaged) == 0 && n == 3 && damaged == 1 &&
		      recs[0].start.realtime_ns == 1 && recs[0].precopy_rounds == 0 &&
		      recs[1].start.realtime_ns == 2 && recs[1].precopy_rounds == 3 &&
		      recs[2].start.realtime_ns == 4);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	static uint8_t mem[64 * 1024];
	struct ferry_region r = { .base = mem, .size = sizeof(mem), .fd = -1 };
	struct ferry_update_record rec = { 0 }, back;
	struct ferry_update_phases ph;

	CHECK("record-absent", ferry_update_record_load(&r, &back) == -ENODATA);
	rec.start = at(0, 2e6, 0);
	rec.freeze = at(1000, 2e6, 1000);
	rec.write = at(1100, 2e6, 1100);
	rec.sealed = at(1600, 2e6, 1600);
	rec.kexec = at(1700, 2e6, 1700);
	/* the new kernel's realtime clock is 400 ms off (RTC seconds) */
	rec.init = at(5700 - 400, 2e6, 5700);
	rec.resumed = at(6000 - 400, 2e6, 6000);
	rec.outcome = FERRY_UPDATE_RESTORED;
	snprintf(rec.reason, sizeof(rec.reason), "none");
	ferry_update_record_store(&r, &rec);
	CHECK("record-roundtrip", ferry_update_record_load(&r, &back) == 0 &&
					  !memcmp(&back, &rec, sizeof(rec)));
	ferry_update_phases(&back, &ph);
	CHECK("phase-freeze", near(ph.freeze_ms, 100));
	CHECK("phase-write", near(ph.write_ms, 500));
	CHECK("phase-kexec", near(ph.kexec_ms, 100));
	CHECK("phase-switch-tsc", ph.switch_by_tsc && near(ph.switch_ms, 4000));
	CHECK("phase-restore", near(ph.restore_ms, 300));
	CHECK("phase-total", near(ph.total_ms, 700 + 4000 + 300));

	/* a TSC that went backwards (reset, warm reboot): the realtime clock */
	back.init.tsc = back.kexec.tsc - 5;
	ferry_update_phases(&back, &ph);
	CHECK("phase-switch-realtime", !ph.switch_by_tsc && near(ph.switch_ms, 3600));
	/* an implausible TSC result (more than 1.5 s off the realtime one) */
	back.init.tsc = back.kexec.tsc + (uint64_t)(2e6 * 9000);
	ferry_update_phases(&back, &ph);
	CHECK("phase-switch-implausible", !ph.switch_by_tsc && near(ph.switch_ms, 3600));
	/* not restored yet: no total */
	back.resumed = (struct ferry_stamp){ 0 };
	ferry_update_phases(&back, &ph);
	CHECK("phase-total-unknown", ph.total_ms < 0 && ph.restore_ms < 0);

	test_attempts(&r, &rec);
	test_interrupted(&rec);
	test_versions(&rec);
	mem[FERRY_UPDATE_RECORD_OFFSET + 40] ^= 1;
	CHECK("record-damaged", ferry_update_record_load(&r, &back) == -EBADMSG);
	CHECK("record-after-header", FERRY_UPDATE_RECORD_OFFSET >= sizeof(struct ferry_region_header));
	return failed;
}
