/* SPDX-License-Identifier: MIT */
/*
 * The image in the region: check, restore (which verifies), mark consumed.
 *
 * Exactly once: the region is marked CONSUMED at the last instant before
 * the first restored process is let go (the restore's before_first_let_go:
 * every process complete and verified, no connection out of repair mode),
 * so a crash, power loss or hang after it can never bring the processes
 * back a second time; `ferry status` then reports the update as
 * interrupted during restore. Before it, a restore cut short leaves
 * nothing that ran: the image is still SEALED (or EXPANDED), the attempt
 * noted in the region as begun and never ended, and the next boot
 * restores it again, once (restore_fallback.c); cut short a second time,
 * it is marked CONSUMED and not restored. When the restore fails cleanly
 * (ferry_restore() removes every process it began) the image is SEALED
 * again, kept for inspection or another try. That includes a damaged
 * image: the restore verifies the metadata, every chunk descriptor and
 * the digest before it creates the first process, and each chunk's
 * payload CRC before any process runs. What follows a failure (a reset
 * into the default kernel, once, or booting on) is restore_fallback.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "early_init.h"
#include "ferry-glue/restore.h"
#include "ferry-glue/update.h"
#include "ferry/handoff.h"
#include "ferry/image.h"
#include "region.h"

#define MIB(x) ((double)(x) / (1024.0 * 1024.0))

struct ferry_stamp init_started;

/* The image: staging, or what the stage's handoff points at inside the region. */
static void locate_image(const struct ferry_region *region, const struct ferry_region_header *h,
			 const uint8_t **ret, uint64_t *ret_size)
{
	struct ferry_handoff ho;
	char arg[64];

	*ret = region->base + h->staging_offset;
	*ret_size = h->image_size;
	if (h->state != FERRY_REGION_EXPANDED || !init_cmdline_arg(FERRY_PARAM_HANDOFF, arg, sizeof(arg)))
		return;
	if (ferry_handoff_read(region->base + h->handoff_offset, h->handoff_size, &ho) < 0) {
		log_warning("handoff FDT in the region unreadable; using the staged image");
		return;
	}
	if (ho.image_state == FERRY_HANDOFF_IMAGE_NONE) {
		log_info("the stage found no usable image: %s", ho.reason);
		return;
	}
	if (ho.image_address >= region->phys && ho.image_size &&
	    ho.image_address - region->phys + ho.image_size <= region->size) {
		*ret = region->base + (ho.image_address - region->phys);
		*ret_size = ho.image_size;
		log_info("image handed over by the %s stage (%s, verified %u) in %llu ms", ho.stage,
			 ho.image_state == FERRY_HANDOFF_IMAGE_EXPANDED ? "expanded" : "compressed",
			 ho.verified, (unsigned long long)(ho.stage_time_ns / 1000000));
	}
}

/*
 * The header and the layout only: the restore verifies the rest (the
 * digest before it creates anything, each payload before anything runs),
 * and a failure there is reported the same way (its message becomes the
 * reason).
 */
static int check_image(const uint8_t *data, uint64_t size, char *why, size_t len)
{
	struct ferry_diag diag = { 0 };
	struct ferry_image img;
	int k;

	k = ferry_image_open(&img, data, size, 0, &diag);
	if (k < 0)
		snprintf(why, len, "image damaged: %s: %s%s%s", diag.part ? diag.part : "image",
			 ferry_strerror(k), diag.what ? ": " : "", diag.what ? diag.what : "");
	return k < 0 ? -EBADMSG : 0;
}

static void finish(struct ferry_region *region, struct ferry_update_record *rec)
{
	struct ferry_update_phases ph;
	char *text = NULL;
	size_t n = 0;
	FILE *m;

	ferry_update_record_store(region, rec);
	m = open_memstream(&text, &n);
	if (!m)
		return;
	ferry_update_report(m, rec);
	fclose(m);
	for (char *save, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		log_info("%s", l);
	free(text);
	ferry_update_phases(rec, &ph);
	if (rec->outcome == FERRY_UPDATE_RESTORED)
		fprintf(stderr, "FERRY-TIME: update downtime %.0f ms (freeze %.0f, write %.0f, "
				"sync+kexec %.0f, kernel switch %.0f, restore %.0f)\n", ph.total_ms,
			ph.freeze_ms, ph.write_ms, ph.kexec_ms, ph.switch_ms, ph.restore_ms);
}

static unsigned count_lines(const char *text, const char *prefix)
{
	unsigned n = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, prefix, strlen(prefix)))
			n++;
	return n;
}

/*
 * What the restore says goes out as it is said (console, log file, kernel
 * log, each at its level); its last two errors or warnings become the
 * reason: a restore that fails once processes exist (a payload that fails
 * its CRC is found while the pages are written) names the cause, then the
 * removal of the processes begun.
 */
struct reason {
	char *why;
	size_t len;
	char prev[256];
};

static void keep_reason(void *arg, enum log_level level, const char *text)
{
	struct reason *r = arg;

	if (level != LOG_ERROR && level != LOG_WARNING)
		return;
	if (r->prev[0])
		snprintf(r->why, r->len, "%s; %s", r->prev, text);
	else
		snprintf(r->why, r->len, "%s", text);
	snprintf(r->prev, sizeof(r->prev), "%.255s", text);
}

/*
 * The new kernel set its realtime clock from the RTC, in whole seconds.
 * The TSC kept counting across the kexec: put the clock where the old
 * kernel's clock would be now, so the restored processes see no step
 * (only when the two agree within the RTC's second).
 */
static void correct_realtime(struct ferry_update_record *rec)
{
	struct ferry_stamp now;
	struct timespec ts;
	uint64_t want;
	double step_ms;

	ferry_stamp_now(&now);
	want = ferry_update_realtime_at(rec, &now);
	if (!want)
		return;
	step_ms = ((double)want - (double)now.realtime_ns) / 1e6;
	if (step_ms > 1100 || step_ms < -1100)
		return;
	ts.tv_sec = want / 1000000000ull;
	ts.tv_nsec = want % 1000000000ull;
	if (clock_settime(CLOCK_REALTIME, &ts) < 0)
		return;
	/* ferry-init's start, in the corrected clock */
	rec->init.realtime_ns += (int64_t)(step_ms * 1e6);
	log_info("realtime clock set %+.0f ms from the RTC's to the old kernel's, by the TSC",
		 step_ms);
}

/*
 * ferry update --watchdog: the watchdog armed before the switch may still
 * run (a kexec does not stop it; the driver's probe on this kernel, or a
 * reset, does). Re-arm it with the same timeout for the restore, so that a
 * restore that hangs is reset too: the fd, or -1. Whether the last reset
 * was the watchdog's is asked first (the driver's bootstatus).
 */
static int watchdog_take(struct ferry_update_record *rec)
{
	int fd;

	if (!(rec->watchdog & FERRY_WATCHDOG_ARMED) || (rec->watchdog & FERRY_WATCHDOG_STOPPED))
		return -1;
	if (ferry_watchdog_fired()) {
		rec->watchdog |= FERRY_WATCHDOG_FIRED;
		log_warning("the watchdog (%u s) reset the machine: the kernel before this boot "
			    "hung before ferry-init stopped it", rec->watchdog_s);
	}
	if (access(ferry_watchdog_device(), F_OK) < 0) {
		rec->watchdog |= FERRY_WATCHDOG_ABSENT;
		log_warning("the watchdog armed before the switch (%u s) is not here (%s: no "
			    "driver): it runs on until its driver probes, or resets the machine",
			    rec->watchdog_s, ferry_watchdog_device());
		return -1;
	}
	fd = ferry_watchdog_arm(rec->watchdog_s);
	if (fd < 0) {
		rec->watchdog |= FERRY_WATCHDOG_FAILED;
		return -1;
	}
	rec->watchdog |= FERRY_WATCHDOG_TAKEN;
	log_info("watchdog %s re-armed for the restore: %u s", ferry_watchdog_device(),
		 rec->watchdog_s);
	return fd;
}

static void watchdog_release(struct ferry_update_record *rec, int fd)
{
	int r;

	if (fd < 0)
		return;
	r = ferry_watchdog_stop(fd);
	if (r < 0) {
		rec->watchdog |= FERRY_WATCHDOG_FAILED;
		log_error("cannot stop the watchdog %s: %s; it resets the machine in %u s",
			  ferry_watchdog_device(), strerror(-r), rec->watchdog_s);
		return;
	}
	rec->watchdog |= FERRY_WATCHDOG_STOPPED;
	log_info("watchdog %s stopped", ferry_watchdog_device());
}

/* No image to restore, but the last update's watchdog may still run. */
static void watchdog_leftover(struct ferry_region *region)
{
	struct ferry_update_record rec;
	int fd;

	if (ferry_update_record_load(region, &rec) < 0 || !(rec.watchdog & FERRY_WATCHDOG_ARMED) ||
	    (rec.watchdog & FERRY_WATCHDOG_STOPPED))
		return;
	fd = watchdog_take(&rec);
	watchdog_release(&rec, fd);
	ferry_update_record_store(region, &rec);
}

/* What the restore's before_first_let_go needs: the region, its header. */
struct consume {
	struct ferry_region *region;
	struct ferry_region_header *h;
	struct ferry_update_record *rec;
	const char *test;     /* ferry.test_init=, or "" */
	bool died;            /* a test hook: as if the machine died here */
};

/* qemu-tests: ferry.test_init=die-, reset- or hang-@point, the machine
 * dies, loses its power or hangs where @where says: true when ferry-init
 * is to go on as if it had died (the restore fails, its processes removed,
 * and nothing more is written to the region). */
static bool test_fault(struct consume *c, const char *point, const char *where)
{
	char die[48], reset[48], hang[48];

	snprintf(die, sizeof(die), "die-%s", point);
	snprintf(reset, sizeof(reset), "reset-%s", point);
	snprintf(hang, sizeof(hang), "hang-%s", point);
	if (!strcmp(c->test, die)) {
		log_info("test: stopping %s, as if the machine died in the middle of the restore",
			 where);
		c->died = true;
		return true;
	}
	/* the power is lost (a reset, RAM kept, nothing synced) */
	if (!strcmp(c->test, reset)) {
		log_info("test: resetting the machine (nothing synced) %s", where);
		reboot(RB_AUTOBOOT);
		log_error("test: cannot reset the machine: %s", strerror(errno));
		c->died = true;
		return true;
	}
	/* ferry-init hangs, the watchdog it re-armed running */
	if (!strcmp(c->test, hang)) {
		log_info("test: hanging %s", where);
		for (;;)
			pause();
	}
	return false;
}

/*
 * Exactly once: every process is complete and verified, none was let go,
 * no connection left repair mode. Until here a restore cut short leaves
 * nothing that ran, and the next boot may restore the image again (once:
 * restore_fallback.c); from here it is CONSUMED, never restored again.
 */
static int consume(void *arg)
{
	struct consume *c = arg;
	int r;

	if (test_fault(c, "before-let-go", "before the first process is let go"))
		return -EINTR;
	c->h->state = FERRY_REGION_CONSUMED;
	c->h->generation++;
	r = ferry_region_header_store(c->region, c->h);
	if (r < 0) {
		snprintf(c->rec->reason, sizeof(c->rec->reason), "cannot mark the image consumed: %s",
			 strerror(-r));
		return log_error_errno(r, "cannot mark the image consumed");
	}
	if (test_fault(c, "after-consumed", "after marking the image consumed"))
		return -EINTR;
	return 0;
}

static int restore_image(struct ferry_region *region, struct ferry_region_header *h,
			 struct ferry_update_record *rec, const uint8_t *data, uint64_t size)
{
	struct ferry_restore_options o = { .image = "the region" };
	char *report = NULL, last[400] = "", lazy[8], test[32] = "";
	struct consume c = { .region = region, .h = h, .rec = rec, .test = test };
	size_t report_len = 0;
	struct reason reason;
	int r;

	init_cmdline_arg(FERRY_PARAM_TEST_INIT, test, sizeof(test));
	/* qemu-tests: ferry.test_init=fail-after-N, the restore fails late,
	 * once N processes were let go (restore.c's FERRY_TEST_RESTORE_FAIL_AFTER) */
	if (!strncmp(test, "fail-after-", 11)) {
		log_info("test: the restore fails once %s processes run", test + 11);
		setenv("FERRY_TEST_RESTORE_FAIL_AFTER", test + 11, 1);
	}

	correct_realtime(rec);
	/* under way: a reset, a hang or our death leaves it so, in the note
	 * (stored first) and in the record */
	init_note_begin(region, rec);
	rec->outcome = FERRY_UPDATE_RESTORING;
	ferry_update_record_store(region, rec);
	o.image_data = data;
	o.image_size = size;
	/* the old kernel's network lock went with it: this one takes its own */
	o.take_network_lock = true;
	o.after_lock = init_run_network_setup;
	o.before_first_let_go = consume;
	o.before_first_let_go_arg = &c;
	/* ferry.lazy=1: the pager and its guard outlive the exec of the real
	 * init, and keep writing to our log */
	o.lazy = init_cmdline_arg(FERRY_PARAM_LAZY, lazy, sizeof(lazy)) && !strcmp(lazy, "1");
	/* the units of an image, for systemd to adopt (ferry adopt) */
	o.adopt_dir = FERRY_ADOPT_DIR;
	o.report = open_memstream(&report, &report_len);
	reason = (struct reason){ .why = last, .len = sizeof(last) };
	last[0] = 0;
	log_set_listener(keep_reason, &reason);
	r = ferry_restore(&o, NULL);
	log_set_listener(NULL, NULL);
	if (o.report)
		fclose(o.report);
	ferry_stamp_now(&rec->resumed);
	if (c.died) {
		free(report);
		return -EINTR;
	}
	if (r == 0) {
		rec->outcome = FERRY_UPDATE_RESTORED;
		rec->nprocs = count_lines(report, "restored pid ");
		for (char *save, *l = strtok_r(report, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			log_info("%s", l);
	} else {
		/* nothing of the image runs: keep it */
		h->state = FERRY_REGION_SEALED;
		h->generation++;
		ferry_region_header_store(region, h);
		if (!rec->reason[0])
			snprintf(rec->reason, sizeof(rec->reason), "restore failed: %s",
				 last[0] ? last : strerror(-r));
	}
	free(report);
	return r;
}

/*
 * Its last restore was cut short before any process was let go, and
 * retried once already: the image is CONSUMED, not restored a third time
 * (a fault that recurs, a hang and its watchdog, must not loop).
 */
static int give_up_interrupted(struct ferry_region *region, struct ferry_region_header *h,
			       struct ferry_update_record *rec)
{
	int r;

	snprintf(rec->reason, sizeof(rec->reason), "not restored: its restore was interrupted "
		 "twice before any process ran (retried once after the first)");
	h->state = FERRY_REGION_CONSUMED;
	h->generation++;
	r = ferry_region_header_store(region, h);
	if (r < 0)
		log_error("cannot mark the image consumed: %s", strerror(-r));
	log_error("NOT RESTORED: the restore of this image was interrupted twice before any "
		  "process ran: the image is consumed, not restored again");
	return -ECANCELED;
}

int init_restore_region(void)
{
	struct ferry_region region;
	struct ferry_region_header h;
	struct ferry_update_record rec;
	const uint8_t *data;
	uint64_t size;
	struct utsname uts;
	char arg[128], test[32];
	enum ferry_attempt_action interrupted;
	bool reset;
	int r, wd;

	if (!init_cmdline_arg(FERRY_PARAM_REGION, arg, sizeof(arg))) {
		log_info("no ferry.region= on the command line: nothing to restore");
		return 0;
	}
	ferry_region_init(&region, FERRY_REGION_MAP_CACHED);
	r = ferry_region_open(&region);
	if (r < 0) {
		log_error("cannot map the region %s (%s): nothing restored", arg, strerror(-r));
		return r;
	}
	r = ferry_region_header_load(&region, &h);
	if (r < 0 || (h.state != FERRY_REGION_SEALED && h.state != FERRY_REGION_EXPANDED)) {
		if (r == -ENODATA)
			log_info("region %s not formatted: nothing to restore", arg);
		else if (r < 0)
			log_error("region %s: control block damaged (%s): nothing restored", arg,
				 strerror(-r));
		else
			log_info("region %s: state %s: nothing to restore", arg,
				 ferry_region_state_name(h.state));
		watchdog_leftover(&region);
		ferry_region_close(&region);
		return r == -ENODATA ? 0 : (r < 0 ? r : 0);
	}
	if (ferry_update_record_load(&region, &rec) < 0) {
		memset(&rec, 0, sizeof(rec));
		rec.generation = h.generation;
	}
	rec.init = init_started;
	rec.resumed = (struct ferry_stamp){ 0 };
	rec.reason[0] = 0;
	rec.error = 0;
	uname(&uts);
	snprintf(rec.new_kernel, sizeof(rec.new_kernel), "%.63s", uts.release);
	locate_image(&region, &h, &data, &size);
	log_info("region %s: sealed image of %.2f MiB (generation %llu) from %s", arg, MIB(size),
		 (unsigned long long)h.generation, rec.old_kernel[0] ? rec.old_kernel : "?");
	wd = watchdog_take(&rec);
	/* qemu-tests: ferry-init hangs before the restore, the watchdog armed */
	if (init_cmdline_arg(FERRY_PARAM_TEST_INIT, test, sizeof(test)) && !strcmp(test, "hang")) {
		log_info("test: hanging before the restore (the watchdog %s)",
			 wd >= 0 ? "runs" : "is not running");
		for (;;)
			pause();
	}
	/* its last restore was cut short before any process ran? */
	interrupted = init_note_interrupted(&region, &rec);
	if (interrupted == FERRY_ATTEMPT_NOT_RETRIED) {
		r = give_up_interrupted(&region, &h, &rec);
		watchdog_release(&rec, wd);
		rec.outcome = FERRY_UPDATE_FAILED;
		rec.error = -r;
		finish(&region, &rec);
		ferry_region_close(&region);
		return r;
	}
	r = check_image(data, size, rec.reason, sizeof(rec.reason));
	if (r == 0)
		r = restore_image(&region, &h, &rec, data, size);
	if (r == -EINTR) {
		/* as if the machine died: the watchdog is left running */
		ferry_region_close(&region);
		return r;
	}
	watchdog_release(&rec, wd);
	if (r < 0) {
		rec.outcome = FERRY_UPDATE_FAILED;
		rec.error = -r;
		log_error("NOT RESTORED: %s; the image is kept", rec.reason);
	}
	/* restore_fallback.c: a failure after a kernel switch may reset */
	reset = init_note_restore(&region, &rec, r);
	finish(&region, &rec);
	if (reset)
		init_reset_machine(&region);
	ferry_region_close(&region);
	return r;
}
