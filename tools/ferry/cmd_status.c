/* SPDX-License-Identifier: MIT */
/* ferry status: the region and the outcome and timing of the last update. */
#include <stdio.h>

#include "ferry-glue/update.h"
#include "../../kernel-glue/common/log.h"

#include "commands.h"

static int run_status(const struct command *cmd, int argc, char **argv)
{
	int r;

	if (command_getopt(cmd, argc, argv, (const struct option[]){ { 0 } }, "") != -1)
		return FERRY_EXIT_USAGE;
	r = command_expect_operands(cmd, argc, argv, 0, "");
	if (r)
		return r;
	return ferry_update_status(stdout) < 0 ? FERRY_EXIT_FAILURE : FERRY_EXIT_OK;
}

const struct command command_status = {
	.name = "status",
	.summary = "show the region and the outcome and downtime of the last update",
	.usage = "",
	.help = "Maps the region named by ferry.region= (as root) and prints its state\n"
		"and the record both kernels keep of the last update: outcome, kernels,\n"
		"image size, why it failed, and the downtime with its phases: freeze,\n"
		"write, sync+kexec, kernel switch, restore.\n"
		"\n"
		"Exit status: 0 shown, 1 no usable region, 2 wrong usage.\n",
	.run = run_status,
};
