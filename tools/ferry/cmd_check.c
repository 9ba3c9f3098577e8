/* SPDX-License-Identifier: MIT */
/* ferry check (--pid|--tree) PID: could these processes be checkpointed? */
#include <stdio.h>

#include "ferry-glue/checkpoint.h"
#include "../../kernel-glue/inventory/inventory.h"
#include "../../kernel-glue/common/log.h"

#include "commands.h"
#include "json.h"
#include "messages.h"

static int report_json(const struct ferry_checkpoint_options *o, bool ok)
{
	struct json_writer j;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_object_begin(&j, "selection");
	json_u64(&j, "pid", (uint64_t)o->pid);
	json_bool(&j, "tree", o->tree);
	json_object_end(&j);
	json_bool(&j, "inventory_only", o->inventory_only);
	json_bool(&j, "checkpointable", ok);
	messages_json(&j, "messages");
	json_object_end(&j);
	if (json_finish(&j) < 0) {
		log_error("cannot write the report");
		return FERRY_EXIT_FAILURE;
	}
	return ok ? FERRY_EXIT_OK : FERRY_EXIT_REFUSED;
}

static int run_check(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "tree", required_argument, NULL, 't' },
		{ "inventory", no_argument, NULL, 'i' },
		{ "no-freeze", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	struct ferry_checkpoint_options o = { 0 };
	bool list = false, json = false;
	int c, r;

	while ((c = command_getopt(cmd, argc, argv, options, "p:t:")) != -1) {
		if (c == 'j') {
			json = true;
			continue;
		}
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
	if (list && json)
		return command_usage_error(cmd, "--inventory is a table for reading, without --json");
	if (list) {
		inventory_print(stdout);
		return FERRY_EXIT_OK;
	}
	if (!o.pid)
		return command_usage_error(cmd, "missing --pid PID or --tree PID");
	if (json) {
		messages_collect();
		return report_json(&o, ferry_checkpoint(&o) == 0);
	}
	if (ferry_checkpoint(&o) < 0) {
		printf("%s %d: cannot be checkpointed\n", o.tree ? "tree" : "pid", o.pid);
		return FERRY_EXIT_REFUSED;
	}
	printf("%s %d: can be checkpointed\n", o.tree ? "tree" : "pid", o.pid);
	return FERRY_EXIT_OK;
}

const struct command command_check = {
	.name = "check",
	.summary = "tell whether processes can be checkpointed, writing nothing",
	.usage = "(--pid PID | --tree PID) [--no-freeze] [--json] | --inventory",
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
		"  --json        the verdict as one JSON object on stdout: selection,\n"
		"                inventory_only, checkpointable, and messages (each reason,\n"
		"                as on stderr)\n"
		"\n"
		"Exit status: 0 can be checkpointed, 3 refused (cannot be, nothing was\n"
		"changed), 2 wrong usage.\n",
	.run = run_check,
};
