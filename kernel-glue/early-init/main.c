/* SPDX-License-Identifier: MIT */
/*
 * ferry-init: the PID-1 prologue on the new kernel.
 *
 *   init=/sbin/ferry-init [ferry.init=/sbin/init] [ferry.log=PATH]
 *                         [ferry.network-setup=PATH]
 *   or, from an initramfs script once what the processes use is mounted:
 *   exec ferry-init [--network-setup PATH] -- /the/real/init ARGS...
 *   or, from an initramfs script with the real root mounted at DIR, before
 *   the initramfs switches to it (boot/: initramfs-tools, dracut):
 *   ferry-init --root DIR     (restores, then returns to the script)
 *
 * Mounts /proc, /sys and /dev where missing, restores the image the region
 * (ferry.region=) holds, logs the outcome and the timing on the console and
 * in ferry.log= (default /run/ferry/init.log), then execs the real init:
 * the command after "--", else ferry.init=, else /sbin/init. It never
 * stops the boot: whatever happens to the restore, the real init runs, on
 * this boot or on the default kernel's after the one reset a failed restore
 * on a new kernel leads to (restore_fallback.c, ferry.on_restore_failure=).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../common/log.h"
#include "early_init.h"
#include "ferry-glue/update.h"

extern struct ferry_stamp init_started;

static void exec_init(char **argv)
{
	static char *fallback[] = { "/sbin/init", "/init", "/bin/sh", NULL };
	char init[256];
	char *args[2] = { init, NULL };

	fflush(NULL);
	if (argv && argv[0]) {
		execv(argv[0], argv);
		log_error("cannot exec %s: %s", argv[0], strerror(errno));
	} else if (init_cmdline_arg(FERRY_PARAM_INIT, init, sizeof(init))) {
		execv(init, args);
		log_error("cannot exec ferry.init=%s: %s", init, strerror(errno));
	}
	for (int i = 0; fallback[i]; i++) {
		snprintf(init, sizeof(init), "%s", fallback[i]);
		execv(init, args);
	}
	log_error("no init to exec: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	char log_path[256] = "/run/ferry/init.log";
	char **next = NULL;
	const char *root = NULL;
	int r;

	ferry_stamp_now(&init_started);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			next = argv + i + 1;
			break;
		}
		if (!strcmp(argv[i], "--network-setup") && i + 1 < argc)
			init_set_network_setup(argv[++i]);
		else if (!strcmp(argv[i], "--root") && i + 1 < argc)
			root = argv[++i];
	}
	init_mount_basics();
	log_set_program("ferry-init");
	log_open_kmsg();
	if (root && init_enter_root(root) < 0) {
		/* the processes' files are not there: leave the image for the next try */
		log_error("cannot enter the real root %s: nothing restored", root);
		return 1;
	}
	init_cmdline_arg(FERRY_PARAM_LOG, log_path, sizeof(log_path));
	log_open_file(log_path);
	init_mount_cgroup2();
	r = init_restore_region();
	init_unmount_cgroup2();
	init_run_network_setup(NULL); /* once: a no-op when the restore ran it */
	log_close_file();
	if (root && !next) {
		/* back to the initramfs, which starts the real init */
		init_leave_root("");
		return r < 0 ? 1 : 0;
	}
	exec_init(next);
	return 1;
}
