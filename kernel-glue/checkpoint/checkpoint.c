/* SPDX-License-Identifier: MIT */
/*
 * ferry_checkpoint(): freeze, capture the metadata of every process, write
 * it, stream the pages, seal; then thaw or kill. Every failure path thaws
 * the selection as it was; the image has no name until it is sealed.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/meta.h"
#include "ferry/writer.h"
#include "dump_time.h"
#include "dump_vdso.h"
#include "internal.h"
#include "precopy.h"

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int capture(struct ckpt *c)
{
	char host[256];
	int e;

	c->img.clock_monotonic_ns = clock_ns(CLOCK_MONOTONIC);
	c->img.clock_boottime_ns = clock_ns(CLOCK_BOOTTIME);
	/* before any frozen thread runs a single instruction */
	e = dump_pending_all(c);
	if (e < 0)
		return e;
	{
		/* first: stepping threads out of the vDSO lets time pass */
		int r = dump_leave_vdso(c);

		if (r < 0)
			return r;
	}
	/* before the first change (a thread lent, a socket in repair mode) */
	e = freeze_hold(c);
	if (e < 0)
		return e;
	dump_clocks(c, c->fz.pids[0]); /* as the processes see them */
	/* what goes on with time (timers), as close to the freeze as can be */
	for (size_t i = 0; i < kind_count; i++)
		if (kind_registry[i]->dump_begin) {
			int r = kind_registry[i]->dump_begin(c);

			if (r < 0)
				return r;
		}
	if (gethostname(host, sizeof(host)) == 0)
		c->img.hostname = strdup(host);
	for (size_t i = 0; i < c->fz.npids; i++) {
		pid_t pid = c->fz.pids[i];
		struct st_process *p = ST_PUSH(c->img.procs, c->img.nprocs);
		struct st_mm *mm;
		int r;

		if (!p)
			return -ENOMEM;
		r = dump_process(c, pid, p);
		if (r == 0)
			r = dump_threads(c, pid, p);
		if (r == 0) {
			mm = ST_PUSH(c->img.mms, c->img.nmms);
			r = mm ? dump_mm(c, pid, mm) : -ENOMEM;
		}
		if (r == 0)
			r = dump_files(c, pid, p);
		if (r == 0)
			r = dump_signals(c, pid, p);
		if (r < 0)
			return r;
	}
	e = 0;
	for (size_t i = 0; i < kind_count && e == 0; i++)
		if (kind_registry[i]->dump_check)
			e = kind_registry[i]->dump_check(c);
	if (e == 0)
		e = dump_check_tree(c);
	if (e == 0 && c->opts->kill)
		e = dump_check_restorable(c);
	return e < 0 ? e : dump_count_cow(c);
}

static int write_image(struct ckpt *c, int fd)
{
	struct ferry_writer_options wo = { 0 };
	struct ferry_fd_sink sink_ctx = { 0 };
	struct ferry_sink fd_sink;
	const struct ferry_sink *sink = c->opts->sink;
	const char *name = c->opts->output ? c->opts->output : "(memory)";
	struct ferry_writer *w;
	struct utsname uts;
	struct timespec now;
	void *fdt;
	size_t fdt_size;
	int r;

	r = meta_write(&c->img, &fdt, &fdt_size);
	if (r < 0)
		return log_error_errno(r, "cannot build the image metadata");
	uname(&uts);
	clock_gettime(CLOCK_REALTIME, &now);
	wo.kernel_release = uts.release;
	wo.machine = uts.machine;
	wo.ferry_version = FERRY_VERSION;
	wo.created_sec = now.tv_sec;
	wo.created_nsec = now.tv_nsec;
	wo.level = c->opts->level;
	if (!sink) {
		ferry_sink_fd(&fd_sink, &sink_ctx, fd);
		sink = &fd_sink;
	}
	r = ferry_writer_begin(&w, sink, &wo, fdt, fdt_size);
	free(fdt);
	if (r < 0) {
		log_error("cannot start the image '%s': %s%s%s", name, ferry_strerror(r),
			   sink_ctx.saved_errno ? ": " : "",
			   sink_ctx.saved_errno ? strerror(sink_ctx.saved_errno) : "");
		return -EIO;
	}
	for (size_t i = 0; i < c->img.nprocs && r >= 0; i++) {
		const struct st_process *p = &c->img.procs[i];

		/* pages copied before the freeze and unchanged since, first */
		r = precopy_emit(c, p->pid, p->mm_id, w);
		if (r == 0)
			r = dump_pages(c, p->pid, st_find_mm(&c->img, p->mm_id), w);
	}
	if (r == 0) {
		r = ferry_writer_seal(w);
		if (r == 0 && c->opts->stats) {
			struct ferry_checkpoint_stats *st = c->opts->stats;
			uint64_t pages = ferry_writer_header(w)->page_bytes_raw /
					 ferry_writer_header(w)->page_size;

			precopy_stats(c, st);
			st->pages_frozen = pages - st->pages_before;
		}
		if (r < 0) {
			log_error("cannot seal the image '%s': %s%s%s", name,
				   ferry_strerror(r), sink_ctx.saved_errno ? ": " : "",
				   sink_ctx.saved_errno ? strerror(sink_ctx.saved_errno) : "");
			r = -EIO;
		}
	}
	ferry_writer_free(w);
	return r;
}

/*
 * The image file is made without a name (O_TMPFILE in the output's
 * directory): a writer killed at any instant leaves nothing, and the file
 * gets its name only once it is sealed and on disk. On a filesystem without
 * O_TMPFILE it is written as OUTPUT.partial, which the next checkpoint to
 * OUTPUT removes if a killed one left it.
 */
static int open_unnamed(const char *output, char **ret_tmp, int *ret_fd, bool *ret_named)
{
	char *dir = strdup(output), *tmp = NULL;
	int fd;

	if (!dir || asprintf(&tmp, "%s.partial", output) < 0) {
		free(dir);
		return -ENOMEM;
	}
	/* a checkpoint killed after it named its image, before the rename */
	if (unlink(tmp) == 0)
		log_warning("removed '%s', left by a checkpoint that was stopped", tmp);
	fd = open(dirname(dir), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	free(dir);
	*ret_named = fd < 0;
	if (fd < 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = log_error_errno(-errno, "cannot create '%s'", tmp);

		free(tmp);
		return e;
	}
	*ret_tmp = tmp;
	*ret_fd = fd;
	return 0;
}

/* The sealed image on disk, then under its name: linked as OUTPUT when
 * there is none, else linked as TMP (unless it was written there) and
 * renamed over OUTPUT. */
static int name_sealed(int fd, const char *tmp, bool named, const char *output)
{
	char path[64];

	if (fsync(fd) < 0)
		return log_error_errno(-errno, "cannot write '%s'", output);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (!named && linkat(AT_FDCWD, path, AT_FDCWD, output, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (!named && errno != EEXIST)
		return log_error_errno(-errno, "cannot name the image '%s'", output);
	/* replacing an image: a kill between the link and the rename leaves
	 * TMP, whole, which the next checkpoint to OUTPUT removes */
	if (!named && linkat(AT_FDCWD, path, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) < 0)
		return log_error_errno(-errno, "cannot name the image '%s'", tmp);
	if (rename(tmp, output) < 0) {
		int e = log_error_errno(-errno, "cannot rename '%s' to '%s'", tmp, output);

		unlink(tmp);
		return e;
	}
	return 0;
}

int ferry_checkpoint(const struct ferry_checkpoint_options *opts)
{
	struct ckpt c = { .opts = opts };
	struct timespec t_freeze;
	char *tmp = NULL;
	bool named = false;
	int fd = -1, r;

	if (opts->output && !opts->sink) {
		r = open_unnamed(opts->output, &tmp, &fd, &named);
		if (r < 0)
			return r;
	}
	/* everything the selection holds, carried or refused, before the freeze */
	r = inventory_check(opts->pid, opts->tree);
	if (r > 0)
		r = -EOPNOTSUPP;
	if (r < 0 || opts->inventory_only)
		goto out;
	/* before anything changes: it undoes what a killed ferry leaves */
	r = guardian_start(&c.guardian, opts->abandoned, opts->abandoned_arg);
	if (r < 0)
		goto out;
	if (opts->pre_copy && (opts->output || opts->sink)) {
		r = precopy_run(&c);
		if (r < 0)
			goto out;
	}
	if (opts->freezing)
		opts->freezing(opts->commit_arg);
	clock_gettime(CLOCK_MONOTONIC, &t_freeze);
	r = freeze_selection(&c.fz, opts->pid, opts->tree);
	if (r < 0)
		goto out;
	if (opts->cgroup) {
		r = cgroup_selection_check(opts->cgroup, c.fz.pids, c.fz.npids);
		if (r < 0) {
			freeze_thaw(&c.fz);
			goto out;
		}
	}
	r = capture(&c);
	if (r == 0 && c.problems) {
		log_error("%u object%s cannot be checkpointed; nothing was changed", c.problems,
			   c.problems == 1 ? "" : "s");
		r = -EOPNOTSUPP;
	}
	if (r == 0 && (opts->output || opts->sink))
		r = write_image(&c, fd);
	if (r == 0 && fd >= 0)
		r = name_sealed(fd, tmp, named, opts->output);
	if (r == 0 && opts->commit)
		r = opts->commit(opts->commit_arg);
	/* connections stay in repair mode only if the processes go away */
	for (size_t i = 0; i < kind_count; i++)
		if (kind_registry[i]->dump_end)
			kind_registry[i]->dump_end(&c, r == 0 && opts->kill);
	st_kind_data_free(&c.kinds);
	if (r == 0 && opts->kill) {
		guardian_killing(&c.guardian);
		freeze_kill(&c.fz);
	} else {
		freeze_let_go(&c);
	}
	if (opts->stats) {
		struct timespec t;

		clock_gettime(CLOCK_MONOTONIC, &t);
		opts->stats->freeze_ns = (uint64_t)(t.tv_sec - t_freeze.tv_sec) * 1000000000ull +
					 (uint64_t)t.tv_nsec - (uint64_t)t_freeze.tv_nsec;
	}
out:
	/* thawed or killed (or never frozen): nothing left to undo */
	guardian_done(&c.guardian);
	if (fd >= 0) {
		close(fd);
		if (r < 0 && named)
			unlink(tmp);
	}
	free(tmp);
	if (r == 0)
		log_debug("%zu processes checkpointed", c.img.nprocs);
	freeze_free(&c.fz);
	dump_files_end(&c);
	free(c.origins);
	precopy_free(&c);
	shm_objects_free(&c);
	st_image_free(&c.img);
	return r;
}
