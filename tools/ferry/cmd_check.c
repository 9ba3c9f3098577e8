/* SPDX-License-Identifier: MIT */
/* ferry check (--pid|--tree) PID: could these processes be checkpointed? */
#include <stdio.h>

#include "ferry-glue/checkpoint.h"
#include "../../kernel-glue/inventory/inventory.h"
#include "../../kernel-glue/common/log.h"

#include "commands.h"

static int run_check(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "tree", required_argument, NULL, 't' },
		{ "inventory", no_argument, NULL, 'i' },
		{ "no-freeze", no_argument, NULL, 'n' },
		{ 0 },
	};
	struct ferry_checkpoint_options o = { 0 };
	bool list = false;
	int c, r;

	while ((c = command_getopt(cmd, argc, argv, options, "p:t:")) != -1) {
		if (c == 'i' || c == 'n') {
			list |= c == 'i';
			o.inventory_only |= c == 'n';
			continue;
		}
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
	if (list && o.pid)
		return command_usage_error(cmd, "--inventory takes no process");
	if (list) {
		inventory_print(stdout);
		return FERRY_EXIT_OK;
	}
	if (!o.pid)
		return command_usage_error(cmd, "missing --pid PID or --tree PID");
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
	.usage = "(--pid PID | --tree PID) [--no-freeze] | --inventory",
	.help = "Runs the checkpoint preflight. First the inventory, before anything is\n"
		"frozen: every source the kernel shows of each process (its threads'\n"
		"status, state and scheduling, settings in /proc/PID, namespaces, memory\n"
		"areas and their flags, every fd with its fdinfo and owner, POSIX timers,\n"
		"lock requests) is walked, and every value is either carried, at the\n"
		"value a restored process has anyway, or refused. If nothing is refused,\n"
		"it freezes the selection for a moment, asks each thread what only it can\n"
		"tell (prctl getters, interval timers), captures its state without\n"
		"writing an image and thaws it. Every object that cannot be checkpointed\n"
		"is named on stderr, with the reason.\n"
		"\n"
		"  --no-freeze   the inventory only: nothing is frozen, and what only a\n"
		"                frozen process can tell is not looked at\n"
		"  --inventory   list every source and key the inventory knows and what\n"
		"                it does with each (carried by whom, refused unless at a\n"
		"                value, without state); anything else is refused\n"
		"\n"
		"Exit status: 0 can be checkpointed, 1 cannot, 2 wrong usage.\n",
	.run = run_check,
};
