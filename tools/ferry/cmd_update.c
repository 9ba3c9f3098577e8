/* SPDX-License-Identifier: MIT */
/* ferry update --kernel K [--initrd I] [--append ARGS] --via kexec|reboot (--pid|--tree) PID */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry-glue/update.h"
#include "../../kernel-glue/common/log.h"

#include "commands.h"

static int run_update(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "via", required_argument, NULL, 'v' },
		{ "pid", required_argument, NULL, 'p' },
		{ "tree", required_argument, NULL, 't' },
		{ "level", required_argument, NULL, 'l' },
		{ "force", no_argument, NULL, 'f' },
		{ 0 },
	};
	struct ferry_update_options o = { .level = 0 };
	const char *via = NULL;
	int c, r;

	while ((c = command_getopt(cmd, argc, argv, options, "")) != -1) {
		switch (c) {
		case 'k': o.kernel = optarg; break;
		case 'i': o.initrd = optarg; break;
		case 'a': o.append = optarg; break;
		case 'v': via = optarg; break;
		case 'f': o.force = true; break;
		case 'p':
		case 't':
			if (o.pid)
				return command_usage_error(cmd, "give one --pid or --tree (one "
							   "selection per update)");
			r = command_parse_pid(cmd, optarg, &o.pid);
			if (r)
				return r;
			o.tree = c == 't';
			break;
		case 'l':
			o.level = atoi(optarg);
			if (o.level < 0 || o.level > 9)
				return command_usage_error(cmd, "--level takes 0 to 9");
			break;
		default:
			return FERRY_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return command_usage_error(cmd, "unexpected argument '%s' (one --pid or --tree "
					   "PID per update)", argv[optind]);
	if (!o.kernel)
		return command_usage_error(cmd, "missing --kernel KERNEL");
	if (!via)
		return command_usage_error(cmd, "missing --via kexec|reboot");
	if (!strcmp(via, "reboot"))
		o.via = &ferry_update_via_reboot;
	else if (strcmp(via, "kexec"))
		return command_usage_error(cmd, "--via %s: use --via kexec or --via reboot", via);
	if (!o.pid)
		return command_usage_error(cmd, "missing --pid PID or --tree PID");
	ferry_update(&o);
	return FERRY_EXIT_FAILURE; /* returns only when the kexec or reboot did not happen */
}

const struct command command_update = {
	.name = "update",
	.summary = "move processes onto a new kernel through kexec or a warm reboot",
	.usage = "--kernel KERNEL [--initrd INITRD] [--append ARGS] --via kexec|reboot "
		 "(--pid PID | --tree PID) [--level N] [--force]",
	.help = "Preflight first, before anything is frozen: the marked region\n"
		"(ferry.region=) must be mapped and big enough for the selection's\n"
		"resident memory, KERNEL must load (kexec_file_load), and every process\n"
		"must be checkpointable. Then the selection is frozen, its image\n"
		"streamed into the region's staging area and sealed, filesystems are\n"
		"synced, and the machine kexecs into KERNEL, where ferry-init restores\n"
		"the processes. The new kernel gets the running command line (memmap=\n"
		"and ferry.region= included) with ARGS appended.\n"
		"\n"
		"  --kernel KERNEL   bzImage of the new kernel\n"
		"  --initrd INITRD   its initramfs\n"
		"  --append ARGS     parameters for the new kernel (replacing the same\n"
		"                    names on the running command line)\n"
		"  --via kexec       the path: kexec_file_load, no firmware\n"
		"  --via reboot      the path: a warm reboot through ferry.efi, whose entry\n"
		"                    ('ferry efi install') becomes BootNext; KERNEL and\n"
		"                    INITRD are used from the ESP (copied there if not on\n"
		"                    it) and go into ferry.conf's update_* keys; a failed\n"
		"                    update boot falls back to the default entry\n"
		"  --pid PID         the process PID\n"
		"  --tree PID        the process PID and all its descendants\n"
		"  --level N         deflate level of the page chunks, 0 to 9; default 0:\n"
		"                    the region is sized for the image uncompressed, and\n"
		"                    compressing only adds to the downtime\n"
		"  --force           overwrite a sealed image that was never restored\n"
		"\n"
		"On any failure before the kexec or reboot the processes are thawed as\n"
		"they were, the loaded kernel is dropped (reboot: ferry.conf and BootNext\n"
		"are put back) and the region holds no sealed image.\n"
		"'ferry status' on the new kernel shows the outcome and the downtime.\n"
		"\n"
		"Exit status: does not return on success; 1 failed, 2 wrong usage.\n",
	.run = run_update,
};
