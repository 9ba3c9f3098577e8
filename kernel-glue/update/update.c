/* SPDX-License-Identifier: MIT */
/*
 * ferry_update(): the kexec update path.
 *
 *   preflight   region mapped, formatted or formattable, staging big enough
 *               for the selection's resident memory; new kernel loaded
 *               (kexec_file_load); the checkpoint's own preflight
 *   freeze      ferry_checkpoint() with the region's staging area as sink
 *   seal        in the commit callback, every process still frozen: region
 *               state SEALED, caches written back, filesystems synced, kexec
 *
 * Every failure before the kexec thaws the processes as they were (the
 * checkpoint does that when the commit callback fails), drops the loaded
 * kernel and leaves the region EMPTY, never SEALED.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cacheflush.h"
#include "ferry-glue/checkpoint.h"
#include "ferry/writer.h"
#include "internal.h"
#include "kexec.h"
#include "region.h"

#define MIB(x) ((double)(x) / (1024.0 * 1024.0))

struct update {
	const struct ferry_update_options *opts;
	struct ferry_region region;
	struct ferry_region_header hdr;
	struct ferry_update_record rec;
	struct ferry_update_record rec_before; /* the region's, of the last update */
	struct update_estimate est;
	struct ferry_mem_sink mem_ctx;
	struct ferry_sink mem_sink; /* over staging */
	struct ferry_sink sink;     /* the same, stamping the first write */
	bool kernel_loaded;
	bool region_dirty;          /* header changed from what we found */
	int watchdog_fd;            /* --watchdog: armed at the point of no return, or -1 */
	struct ferry_checkpoint_stats stats;
	char pre_copy_dir[4096];    /* --pre-copy: the state directory */
};

static FILE *progress;

FILE *update_progress(void)
{
	return progress ? progress : stdout;
}

void update_phase(const char *fmt, ...)
{
	FILE *out = update_progress();
	va_list ap;

	fprintf(out, "ferry update: ");
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
}

/*
 * Test hooks (qemu-tests): FERRY_UPDATE_TEST=fail-kexec makes the kexec
 * "fail" after the image is sealed; =corrupt damages one byte of the sealed
 * image, as memory going bad between the kernels would; =stop-in-write
 * stops ferry (SIGSTOP) at the image's first write, for a test to kill it
 * there; =reset-in-write and =reset-after-seal reset the machine at once
 * (sysrq b: no sync, no shutdown, RAM kept), as a power loss would, at the
 * first write or after the seal and sync instead of the kexec;
 * =stop-in-preflight, =stop-in-freeze and =stop-after-seal stop ferry like
 * stop-in-write: once the new kernel is loaded, before the preflight's
 * checkpoint; when the freeze has seized the first thread of the
 * selection (FERRY_TEST_FREEZE_STOP, kernel-glue/checkpoint/freeze.c); and
 * after the seal and sync, instead of the kexec.
 */
static bool test_hook(const char *what)
{
	const char *f = getenv("FERRY_UPDATE_TEST");

	return f && !strcmp(f, what);
}

static void test_reset(const char *when)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);

	update_phase("test: resetting the machine %s", when);
	if (fd < 0 || write(fd, "b", 1) != 1)
		log_error("test: cannot reset the machine through /proc/sysrq-trigger");
	if (fd >= 0)
		close(fd);
}

static void test_stop(const char *hook, const char *where)
{
	if (!test_hook(hook))
		return;
	update_phase("test: stopped %s (pid %d)", where, (int)getpid());
	raise(SIGSTOP);
}

static void test_in_write(void)
{
	if (test_hook("stop-in-write")) {
		update_phase("test: stopped while writing (pid %d)", (int)getpid());
		raise(SIGSTOP);
	} else if (test_hook("reset-in-write")) {
		test_reset("while the image is written");
	}
}

/* ---- region ------------------------------------------------------------ */

static void stage_for(struct ferry_region_header *h, uint64_t need)
{
	uint64_t staging = (need + (1ull << 20) - 1) & ~((1ull << 20) - 1);

	if (staging <= h->staging_size)
		return;
	h->staging_size = staging;
	h->expanded_offset = h->staging_offset + staging;
	h->expanded_size = h->region_size - h->expanded_offset;
}

static int region_prepare(struct update *u)
{
	struct ferry_region_header *h = &u->hdr, fresh;
	uint64_t generation = 0, most;
	int r;

	ferry_region_init(&u->region, FERRY_REGION_MAP_CACHED);
	r = ferry_region_open(&u->region);
	if (r < 0)
		return log_error_errno(r, "no usable region: boot with memmap=SIZE$ADDR "
				  "ferry.region=SIZE@ADDR (or ferry.efi) to reserve one");
	/* the last update's record, as ferry-init completed it, before ours
	 * replaces it in the region */
	if (ferry_update_record_load(&u->region, &u->rec_before) == 0)
		ferry_history_add(&u->rec_before, true);
	r = ferry_region_header_load(&u->region, h);
	if (r == 0 && (h->state == FERRY_REGION_SEALED || h->state == FERRY_REGION_EXPANDED) &&
	    !u->opts->force)
		return log_error_errno(-EBUSY, "the region holds a sealed image (generation %llu) that "
				  "was never restored; 'ferry status' says why; --force "
				  "overwrites it", (unsigned long long)h->generation);
	if (r == 0)
		generation = h->generation;
	else if (r != -ENODATA)
		fprintf(stderr, "ferry update: the region's control block is damaged; "
				"formatting it again\n");
	if (ferry_region_layout(u->region.size, &fresh) < 0)
		return log_error_errno(-ENOSPC, "the region (%.0f MiB) is smaller than the least ferry "
				  "needs (%.1f MiB)", MIB(u->region.size),
				  MIB(FERRY_REGION_MIN_SIZE));
	*h = fresh;
	h->generation = generation;
	/* the kexec path reads staging directly: give it what it needs */
	most = h->region_size - h->staging_offset - (1ull << 20);
	if (u->est.image_bound > most)
		return log_error_errno(-ENOSPC, "the region is too small for this selection: %u "
				  "process%s with %.1f MiB resident may need %.1f MiB of "
				  "staging, and a %.0f MiB region gives at most %.1f MiB; "
				  "reserve a larger region (memmap=, ferry.region=) or select "
				  "less", u->est.nprocs, u->est.nprocs == 1 ? "" : "es",
				  MIB(u->est.resident), MIB(u->est.image_bound),
				  MIB(u->region.size), MIB(most));
	stage_for(h, u->est.image_bound);
	return 0;
}

static int region_set(struct update *u, uint32_t state, uint64_t image_size)
{
	u->hdr.state = state;
	u->hdr.image_size = image_size;
	u->hdr.generation++;
	u->region_dirty = true;
	return ferry_region_header_store(&u->region, &u->hdr);
}

/* ---- the sink over staging ---------------------------------------------- */

static void flush_range(void *addr, size_t len)
{
	ferry_arch_flush_range(addr, len);
}

static int stamp_write(void *ctx, const void *buf, size_t len, uint64_t offset)
{
	struct update *u = ctx;

	if (!u->rec.write.realtime_ns) {
		ferry_stamp_now(&u->rec.write);
		test_in_write();
	}
	return u->mem_sink.write(u->mem_sink.ctx, buf, len, offset);
}

static int stamp_barrier(void *ctx)
{
	struct update *u = ctx;

	return u->mem_sink.barrier ? u->mem_sink.barrier(u->mem_sink.ctx) : 0;
}

static void sink_setup(struct update *u)
{
	ferry_sink_mem(&u->mem_sink, &u->mem_ctx, u->region.base + u->hdr.staging_offset,
		       u->hdr.staging_size);
	u->mem_ctx.flush = flush_range;
	u->sink.write = stamp_write;
	u->sink.barrier = stamp_barrier;
	u->sink.ctx = u;
}

/* ---- the point of no return --------------------------------------------- */

static const char *via_name(const struct update *u)
{
	return u->opts->via ? u->opts->via->name : "kexec";
}

static int commit(void *arg)
{
	struct update *u = arg;
	struct ferry_update_phases ph;
	int r;

	ferry_stamp_now(&u->rec.sealed);
	u->rec.image_bytes = u->mem_ctx.high_water;
	ferry_region_flush(&u->region, u->hdr.staging_offset, u->mem_ctx.high_water);
	r = region_set(u, FERRY_REGION_SEALED, u->mem_ctx.high_water);
	if (r < 0)
		return r;
	u->rec.generation = u->hdr.generation;
	u->rec.outcome = FERRY_UPDATE_SEALED;
	if (u->stats.pre_copied) {
		u->rec.precopy_rounds = u->stats.rounds;
		u->rec.precopy_pages_before = u->stats.pages_before;
		u->rec.precopy_pages_frozen = u->stats.pages_frozen;
	}
	ferry_update_record_store(&u->region, &u->rec);
	if (test_hook("corrupt") && u->mem_ctx.high_water > 8192) {
		u->region.base[u->hdr.staging_offset + u->mem_ctx.high_water / 2] ^= 0x5a;
		ferry_region_flush(&u->region, u->hdr.staging_offset + u->mem_ctx.high_water / 2, 1);
		update_phase("test: one byte of the sealed image damaged");
	}
	ferry_update_phases(&u->rec, &ph);
	update_phase("image sealed in the region: %.2f MiB (freeze %.0f ms, write %.0f ms)",
	      MIB(u->rec.image_bytes), ph.freeze_ms, ph.write_ms);
	if (u->stats.pre_copied)
		update_precopy_phase(&u->stats);
	/* kept if the region is not: the sync makes it durable */
	ferry_history_add(&u->rec, false);
	sync();
	if (u->opts->watchdog) {
		/* the last step before the switch: a hang from here on is reset */
		u->watchdog_fd = ferry_watchdog_arm(u->opts->watchdog);
		if (u->watchdog_fd < 0) {
			r = u->watchdog_fd;
			u->watchdog_fd = -1;
			u->rec.outcome = FERRY_UPDATE_FAILED;
			u->rec.error = -r;
			snprintf(u->rec.reason, sizeof(u->rec.reason), "stopped before the %s: the "
				 "watchdog could not be armed: %.200s", via_name(u), strerror(-r));
			ferry_update_record_store(&u->region, &u->rec);
			region_set(u, FERRY_REGION_EMPTY, 0);
			return r;
		}
		u->rec.watchdog_s = (uint16_t)u->opts->watchdog;
		u->rec.watchdog = FERRY_WATCHDOG_ARMED;
		update_phase("watchdog %s armed: %u s, left running across the %s",
			     ferry_watchdog_device(), u->opts->watchdog, via_name(u));
	}
	test_stop("stop-after-seal", "after the seal");
	ferry_stamp_now(&u->rec.kexec);
	ferry_update_record_store(&u->region, &u->rec);
	update_phase("filesystems synced; %s into %s", via_name(u), u->opts->kernel);
	if (!u->opts->via)
		fprintf(update_progress(), "FERRY-KEXEC: jumping\n");
	fflush(NULL);
	if (test_hook("reset-after-seal"))
		test_reset("after the seal, before the switch");
	if (test_hook("fail-kexec"))
		r = -ECANCELED;
	else
		r = u->opts->via ? u->opts->via->execute(u->opts) : ferry_kexec_execute();
	/* still here: the kexec did not happen */
	if (u->watchdog_fd >= 0) {
		if (ferry_watchdog_stop(u->watchdog_fd) == 0)
			u->rec.watchdog |= FERRY_WATCHDOG_STOPPED;
		else
			u->rec.watchdog |= FERRY_WATCHDOG_FAILED;
		u->watchdog_fd = -1;
	}
	u->rec.outcome = FERRY_UPDATE_FAILED;
	u->rec.error = -r;
	snprintf(u->rec.reason, sizeof(u->rec.reason), "%s failed: %.200s", via_name(u),
		 strerror(-r));
	ferry_update_record_store(&u->region, &u->rec);
	region_set(u, FERRY_REGION_EMPTY, 0);
	return log_error_errno(r, "%s into %s failed; thawing the processes", via_name(u),
			  u->opts->kernel);
}

/*
 * ferry died (killed) while the processes were frozen for the update, the
 * kexec not done: run by the checkpoint's guardian before they run on. An
 * image they go on from must never be restored (a reset or the next
 * boot would start them twice): the region is left EMPTY, and the record
 * says what happened, the write or the seal it died in. The guardian has
 * the region mapped as ferry had (shared), and a copy of *u as it was at
 * its fork, before the freeze: what it needs is read from the region.
 */
static void abandoned(void *arg)
{
	struct update *u = arg;
	struct ferry_region_header h;
	struct ferry_update_record rec;
	uint32_t was;

	if (ferry_region_header_load(&u->region, &h) < 0 ||
	    (h.state != FERRY_REGION_WRITING && h.state != FERRY_REGION_SEALED))
		return;
	was = h.state;
	h.state = FERRY_REGION_EMPTY;
	h.image_size = 0;
	h.generation++;
	ferry_region_header_store(&u->region, &h);
	if (ferry_update_record_load(&u->region, &rec) == 0) {
		rec.outcome = FERRY_UPDATE_FAILED;
		rec.error = EINTR;
		snprintf(rec.reason, sizeof(rec.reason), "ferry update was killed %s, before the "
			 "%s: the processes ran on, the image was dropped",
			 was == FERRY_REGION_SEALED ? "after the seal" : "before the seal",
			 via_name(u));
		ferry_update_record_store(&u->region, &rec);
		ferry_history_add(&rec, true);
	}
	if (u->kernel_loaded && u->opts->via)
		u->opts->via->cancel(u->opts);
	else if (u->kernel_loaded)
		ferry_kexec_unload();
	log_warning("ferry update was killed %s: the image is dropped, the region EMPTY",
		    was == FERRY_REGION_SEALED ? "after the seal" : "before the seal");
}

/* ---- preflight ---------------------------------------------------------- */

static int load_kernel(struct update *u)
{
	struct ferry_kexec_load_opts ko = { 0 };
	enum ferry_kexec_method method;
	char cmdline[4096];
	int r;

	if (u->opts->via) {
		r = u->opts->via->prepare(u->opts, &u->region);
		u->kernel_loaded = r == 0;
		return r;
	}
	r = update_next_cmdline(u->opts->append, cmdline, sizeof(cmdline));
	if (r < 0)
		return r;
	ko.kernel = u->opts->kernel;
	ko.initrd = u->opts->initrd;
	ko.cmdline = cmdline;
	ko.region_phys = u->region.phys;
	r = ferry_kexec_load(&ko, &method);
	if (r < 0)
		return log_error_errno(r, "cannot load the new kernel %s", u->opts->kernel);
	u->kernel_loaded = true;
	update_phase("loaded %s%s%s with %s", ko.kernel, ko.initrd ? " + " : "",
	      ko.initrd ? ko.initrd : "", ferry_kexec_method_name(method));
	update_phase("new command line: %s", cmdline);
	return 0;
}

static int preflight(struct update *u)
{
	struct ferry_checkpoint_options co = { .pid = u->opts->pid, .tree = u->opts->tree,
					       .cgroup = u->opts->cgroup, .kernel_switch = true,
					       .unit = u->opts->unit,
					       .unit_main_pid = u->opts->unit_main_pid };
	int r;

	r = update_estimate(u->opts->pid, u->opts->tree, &u->est);
	if (r < 0)
		return r;
	r = region_prepare(u);
	if (r < 0)
		return r;
	if (u->opts->watchdog) {
		r = ferry_watchdog_check(u->opts->watchdog);
		if (r < 0)
			return r;
	}
	update_phase("region %.0f MiB at 0x%llx (%s): staging %.1f MiB for an image of at most "
	      "%.1f MiB (%u process%s, %.1f MiB resident)", MIB(u->region.size),
	      (unsigned long long)u->region.phys, u->region.device, MIB(u->hdr.staging_size),
	      MIB(u->est.image_bound), u->est.nprocs, u->est.nprocs == 1 ? "" : "es",
	      MIB(u->est.resident));
	r = load_kernel(u);
	if (r < 0)
		return r;
	test_stop("stop-in-preflight", "in the preflight");
	r = ferry_checkpoint(&co);
	if (r < 0)
		return log_error_errno(r, "%s %d cannot be checkpointed (named above); nothing was "
				  "frozen for the update", u->opts->tree ? "tree" : "pid",
				  u->opts->pid);
	update_phase("preflight passed: every process can be checkpointed");
	return 0;
}

/* ferry_checkpoint_options.freezing: the record's freeze stamp is the
 * freeze's, after any pre-copy */
static void freezing(void *arg)
{
	struct update *u = arg;

	if (u->opts->pre_copy)
		update_phase("freezing %s %d", u->opts->tree ? "tree" : "pid", u->opts->pid);
	ferry_stamp_now(&u->rec.freeze);
}

int ferry_update(const struct ferry_update_options *opts)
{
	struct update *u;
	struct ferry_checkpoint_options co = { 0 };
	struct utsname uts;
	int r;

	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->opts = opts;
	u->watchdog_fd = -1;
	progress = opts->progress;
	ferry_region_init(&u->region, FERRY_REGION_MAP_CACHED);
	ferry_stamp_now(&u->rec.start);
	uname(&uts);
	snprintf(u->rec.old_kernel, sizeof(u->rec.old_kernel), "%.63s", uts.release);
	u->rec.pid = opts->pid;

	r = preflight(u);
	if (r < 0)
		goto out;
	u->rec.resident_bytes = u->est.resident;
	r = region_set(u, FERRY_REGION_WRITING, 0);
	if (r < 0)
		goto out;
	u->rec.outcome = FERRY_UPDATE_WRITING;
	ferry_update_record_store(&u->region, &u->rec);
	sink_setup(u);
	co.pid = opts->pid;
	co.tree = opts->tree;
	co.cgroup = opts->cgroup;
	co.unit = opts->unit;
	co.unit_main_pid = opts->unit_main_pid;
	co.level = opts->level;
	co.kernel_switch = true;
	co.output = "region staging";
	co.sink = &u->sink;
	co.commit = commit;
	co.commit_arg = u;
	co.abandoned = abandoned;
	co.abandoned_arg = u;
	co.freezing = freezing;
	co.stats = &u->stats;
	if (opts->pre_copy)
		update_precopy_setup(&co, u->est.resident, u->pre_copy_dir, sizeof(u->pre_copy_dir));
	if (test_hook("stop-in-freeze"))
		setenv("FERRY_TEST_FREEZE_STOP", "1", 1);
	if (!opts->pre_copy)
		update_phase("freezing %s %d", opts->tree ? "tree" : "pid", opts->pid);
	r = ferry_checkpoint(&co);
	/* only returns when the kexec did not happen */
	if (r == 0)
		r = -ECANCELED;
out:
	if (u->rec.outcome == FERRY_UPDATE_NONE) {
		/* the preflight said no: the region was not touched */
		u->rec.outcome = FERRY_UPDATE_REFUSED;
		u->rec.error = -r;
		snprintf(u->rec.reason, sizeof(u->rec.reason), "%.500s",
			 log_first_error() ? log_first_error() : strerror(-r));
	} else if (u->region_dirty && u->rec.outcome != FERRY_UPDATE_FAILED) {
		u->rec.outcome = FERRY_UPDATE_FAILED;
		u->rec.error = -r;
		snprintf(u->rec.reason, sizeof(u->rec.reason), "stopped before the kexec: %.200s",
			 strerror(-r));
		ferry_update_record_store(&u->region, &u->rec);
	}
	if (u->region_dirty && u->hdr.state != FERRY_REGION_EMPTY)
		region_set(u, FERRY_REGION_EMPTY, 0);
	if (u->kernel_loaded && u->opts->via)
		u->opts->via->cancel(u->opts);
	else if (u->kernel_loaded)
		ferry_kexec_unload();
	ferry_region_close(&u->region);
	ferry_history_add(&u->rec, true);
	if (opts->ret_record)
		*opts->ret_record = u->rec;
	if (opts->ret_stats)
		*opts->ret_stats = u->stats;
	if (ferry_update_past_no_return(&u->rec))
		fprintf(stderr, "ferry update: the %s came back; the processes were thawed and run on "
				"(ferry status)\n", via_name(u));
	else
		fprintf(stderr, "ferry update: nothing was changed: the processes run on as they "
				"were\n");
	free(u);
	return r;
}
