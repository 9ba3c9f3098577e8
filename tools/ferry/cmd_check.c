/* SPDX-License-Identifier: MIT */
/* ferry check SELECTION: could these processes be checkpointed? */
#include <stdio.h>
#include <string.h>

#include "ferry-glue/checkpoint.h"
#include "../../kernel-glue/inventory/inventory.h"
#include "../../kernel-glue/common/log.h"

#include "commands.h"
#include "json.h"
#include "messages.h"
#include "selection.h"

static int report_json(const struct selection *sel, const struct ferry_checkpoint_options *o,
		       bool ok)
{
	struct json_writer j;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_object_begin(&j, "selection");
	json_u64(&j, "pid", (uint64_t)o->pid);
	json_bool(&j, "tree", o->tree);
	if (!strcmp(sel->given, "--unit"))
		json_string(&j, "unit", sel->name);
	if (sel->cgroup)
		json_string(&j, "cgroup", sel->cgroup);
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
		SELECTION_OPTIONS,
		{ "inventory", no_argument, NULL, 'i' },
		{ "no-freeze", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	struct ferry_checkpoint_options o = { 0 };
	struct selection sel = { 0 };
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
		if (!selection_is_option(c))
			return FERRY_EXIT_USAGE;
		r = selection_option(cmd, &sel, c, optarg);
		if (r)
			return r;
	}
	r = command_expect_operands(cmd, argc, argv, 0, "");
	if (r)
		return r;
	if (list && sel.given)
		return command_usage_error(cmd, "--inventory takes no process");
	if (list && json)
		return command_usage_error(cmd, "--inventory is a table for reading, without --json");
	if (list) {
		inventory_print(stdout);
		return FERRY_EXIT_OK;
	}
	r = selection_given(cmd, &sel);
	if (r)
		return r;
	if (json)
		messages_collect();
	r = selection_finish(cmd, &sel);
	if (r == FERRY_EXIT_REFUSED && !json)
		printf("%s %s: cannot be checkpointed\n", sel.given + 2, sel.name);
	if (r == FERRY_EXIT_REFUSED && json)
		r = report_json(&sel, &o, false);
	if (r)
		goto out;
	o.pid = sel.pid;
	o.tree = sel.tree;
	o.cgroup = sel.cgroup;
	o.unit = sel.unit;
	o.unit_main_pid = sel.main_pid;
	if (json) {
		r = report_json(&sel, &o, ferry_checkpoint(&o) == 0);
		goto out;
	}
	r = ferry_checkpoint(&o) < 0 ? FERRY_EXIT_REFUSED : FERRY_EXIT_OK;
	printf("%s: %s\n", selection_describe(&sel),
	       r ? "cannot be checkpointed" : "can be checkpointed");
out:
	selection_free(&sel);
	return r;
}

const struct command command_check = {
	.name = "check",
	.summary = "tell whether processes can be checkpointed, writing nothing",
	.usage = SELECTION_USAGE " [--no-freeze] [--json] | --inventory",
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
		SELECTION_HELP
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
