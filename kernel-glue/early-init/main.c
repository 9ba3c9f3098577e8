/* SPDX-License-Identifier: MIT */
/*
 * ferry-init: the PID-1 prologue on the new kernel.
 *
 *   init=/sbin/ferry-init [ferry.init=/sbin/init] [ferry.log=PATH]
 *                         [ferry.network-setup=PATH]
 *   or, from an initramfs script once what the processes use is mounted:
 *   exec ferry-init [--network-setup PATH] -- /the/real/init ARGS...
 *
 * Mounts /proc, /sys and /dev where missing, restores the image the region
 * (ferry.region=) holds, logs the outcome and the timing on the console and
 * in ferry.log= (default /run/ferry/init.log), then execs the real init:
 * the command after "--", else ferry.init=, else /sbin/init. It never
 * stops the boot: whatever happens to the restore, the real init runs.
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
		log_info("cannot exec %s: %s", argv[0], strerror(errno));
	} else if (init_cmdline_arg(FERRY_PARAM_INIT, init, sizeof(init))) {
		execv(init, args);
		log_info("cannot exec ferry.init=%s: %s", init, strerror(errno));
	}
	for (int i = 0; fallback[i]; i++) {
		snprintf(init, sizeof(init), "%s", fallback[i]);
		execv(init, args);
	}
	log_info("no init to exec: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	char log_path[256] = "/run/ferry/init.log";
	char **next = NULL;

	ferry_stamp_now(&init_started);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			next = argv + i + 1;
			break;
		}
		if (!strcmp(argv[i], "--network-setup") && i + 1 < argc)
			init_set_network_setup(argv[++i]);
	}
	init_mount_basics();
	log_set_program("ferry-init");
	init_cmdline_arg(FERRY_PARAM_LOG, log_path, sizeof(log_path));
	log_open_file(log_path);
	init_restore_region();
	init_run_network_setup(NULL); /* once: a no-op when the restore ran it */
	log_close_file();
	exec_init(next);
	return 1;
}
