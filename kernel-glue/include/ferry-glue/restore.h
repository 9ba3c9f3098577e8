/* SPDX-License-Identifier: MIT */
/* Restore of the processes of a ferry image (kernel-glue/restore). */
#ifndef FERRY_GLUE_RESTORE_H
#define FERRY_GLUE_RESTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* One restored process, for a report of the caller's own. */
struct ferry_restored {
	int pid;
	const char *comm;
	size_t threads, areas, fds;
	unsigned long long pages;      /* in all, lazy_pages included */
	unsigned long long lazy_pages; /* left to the pager of a lazy restore */
	bool verified;    /* compared with the image before it ran */
	double verify_ms; /* how long that took */
};

struct ferry_restore_options {
	const char *image;
	bool pidns;   /* in a new PID namespace, ferry staying as its init */
	/*
	 * Let the processes run before the contents of their anonymous
	 * memory is home: a pager process (restore_pager.c) places each page
	 * on first touch and the rest in the background, and exits when all
	 * are home; if it dies first, its guard ends the restored processes.
	 */
	bool lazy;
	/* leave out the verify step (kernel-glue/restore/verify.c): the
	 * processes run as restored, compared with nothing */
	bool no_verify;
	FILE *report; /* where the report's lines go (stdout when NULL) */
	/*
	 * When not NULL, called once the processes run instead of writing
	 * the report's lines: every process restored, in order, and the pid
	 * of a lazy restore's pager guard (0 when none). With pidns it runs
	 * in the namespace's init, a child of the caller.
	 */
	void (*report_fn)(void *arg, const char *image, const struct ferry_restored *procs,
			  size_t n, int pager_guard);
	void *report_arg;
	/*
	 * The image already in memory (such as the marked region): read from
	 * here instead of mapping @image, which then only names it in
	 * messages. It must stay mapped until ferry_restore() returns.
	 */
	const void *image_data;
	size_t image_size;
	/*
	 * Take the network lock of the image's TCP connections before the
	 * restore and release it at the end, whether the restore succeeded
	 * or not: a new kernel, where the old one's lock is gone. Without
	 * it, the lock an image records (a checkpoint on this kernel) is
	 * released once the restore succeeded and kept when it failed.
	 */
	bool take_network_lock;
	/*
	 * Called once the network lock is held and before the first process
	 * or socket exists, when not NULL: where a new kernel brings up what
	 * the restored connections route through (a TCP connection restored
	 * in repair mode needs its route), with no RST window. A failure is
	 * logged by the callee; the restore goes on.
	 */
	void (*after_lock)(void *arg);
	void *after_lock_arg;
	/*
	 * Called once, when not NULL: every process is complete and
	 * verified, none runs yet and nothing has left (no connection out of
	 * repair mode, no byte sent), right before the first is let go. Up
	 * to here a restore cut short (a reset, a hang, its caller's death)
	 * leaves nothing behind that runs; from here it does not. ferry-init
	 * marks the image consumed here. A failure (-errno, logged by the
	 * callee) fails the restore: every process is removed as on any
	 * failure. With pidns it runs in the namespace's init, a child of
	 * the caller.
	 */
	int (*before_first_let_go)(void *arg);
	void *before_first_let_go_arg;
	/*
	 * When not NULL (ferry-init: FERRY_ADOPT_DIR), the directory where
	 * each systemd unit the image records (/systemd-unit) gets a record
	 * of its restored processes, UNIT.adopt, for `ferry adopt UNIT`
	 * (kinds/systemd_unit.c). A record that cannot be written fails the
	 * restore: systemd would start the unit a second time.
	 */
	const char *adopt_dir;
};

/* Where ferry-init leaves the records for ferry adopt: the /run that
 * systemd keeps (initramfs-tools moves its /run into the real root). */
#define FERRY_ADOPT_DIR "/run/ferry/adopt"

/*
 * Recreate the processes of @opts->image with their original PIDs and let
 * them run untraced. With pidns, returns only when the namespace is empty,
 * with the exit status of the first process in *ret_status (may be NULL).
 * On failure the half-built processes are killed and the failing object is
 * named on stderr. Returns 0 or -errno.
 */
int ferry_restore(const struct ferry_restore_options *opts, int *ret_status);

#endif
