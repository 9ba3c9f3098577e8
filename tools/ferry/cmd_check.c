/* SPDX-License-Identifier: MIT */
/* ferry check (--pid|--tree) PID: could these processes be checkpointed? */
#include <stdio.h>

#include "ferry-glue/checkpoint.h"
#include "../../kernel-glue/common/log.h"

#include "commands.h"
#include "log.h"

static int run_check(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "tree", required_argument, NULL, 't' },
		{ 0 },
	};
	struct ferry_checkpoint_options o = { 0 };
	int c, r;

	while ((c = command_getopt(cmd, argc, argv, options, "p:t:")) != -1) {
		if (c != 'p' && c != 't')
			return FERRY_EXIT_USAGE;
		if (o.pid)
			return command_usage_error(cmd, "give one of --pid and --tree, once");
		r = command_parse_pid(cmd, optarg, &o.pid);
		if (r)
			return r;
		o.tree = c == 't';
	}
	r = command_expect_operands(cmd, argc, argv, 0, "");
	if (r)
		return r;
	if (!o.pid)
		return command_usage_error(cmd, "missing --pid PID or --tree PID");
	glue_log_set_prefix(log_prefix());
	if (ferry_checkpoint(&o) < 0) {
		printf("%s %d: cannot be checkpointed\n", o.tree ? "tree" : "pid", o.pid);
		return FERRY_EXIT_FAILURE;
	}
	printf("%s %d: can be checkpointed\n", o.tree ? "tree" : "pid", o.pid);
	return FERRY_EXIT_OK;
}

const struct command command_check = {
	.name = "check",
	.summary = "tell whether processes can be checkpointed, writing nothing",
	.usage = "(--pid PID | --tree PID)",
	.help = "Runs the checkpoint preflight: freezes the selection for a moment,\n"
		"captures its state without writing an image, thaws it, and names on\n"
		"stderr every object that cannot be checkpointed and why.\n"
		"\n"
		"Exit status: 0 can be checkpointed, 1 cannot, 2 wrong usage.\n",
	.run = run_check,
};
