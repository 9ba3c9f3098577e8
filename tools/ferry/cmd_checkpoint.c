/* SPDX-License-Identifier: MIT */
/* ferry checkpoint SELECTION -o IMAGE [--kill]: freeze and save processes. */
#include <stdio.h>
#include <stdlib.h>

#include "ferry-glue/checkpoint.h"
#include "../../kernel-glue/common/log.h"

#include "commands.h"
#include "selection.h"

static int run_checkpoint(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		SELECTION_OPTIONS,
		{ "output", required_argument, NULL, 'o' },
		{ "kill", no_argument, NULL, 'k' },
		{ "level", required_argument, NULL, 'l' },
		{ "pre-copy", no_argument, NULL, 'P' },
		{ 0 },
	};
	struct ferry_checkpoint_stats stats = { 0 };
	struct ferry_checkpoint_options o = { .level = 1, .stats = &stats };
	struct selection sel = { 0 };
	int c, r;

	while ((c = command_getopt(cmd, argc, argv, options, "p:t:o:kl:")) != -1) {
		if (selection_is_option(c)) {
			r = selection_option(cmd, &sel, c, optarg);
			if (r)
				return r;
			continue;
		}
		switch (c) {
		case 'o':
			o.output = optarg;
			break;
		case 'k':
			o.kill = true;
			break;
		case 'P':
			o.pre_copy = true;
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
	r = command_expect_operands(cmd, argc, argv, 0, "");
	if (r)
		return r;
	r = selection_given(cmd, &sel);
	if (r)
		return r;
	if (!o.output)
		return command_usage_error(cmd, "missing -o IMAGE");
	r = selection_finish(cmd, &sel);
	if (r)
		return r;
	o.pid = sel.pid;
	o.tree = sel.tree;
	o.cgroup = sel.cgroup;
	o.unit = sel.unit;
	o.unit_main_pid = sel.main_pid;
	r = ferry_checkpoint(&o);
	if (r == 0 && stats.pre_copied) {
		printf("checkpointed %s to %s%s: %llu pages written before the freeze "
		       "(of %llu copied in %u round%s), %llu during it\n", selection_describe(&sel),
		       o.output, o.kill ? " (killed)" : "", (unsigned long long)stats.pages_before,
		       (unsigned long long)stats.pages_precopied, stats.rounds,
		       stats.rounds == 1 ? "" : "s", (unsigned long long)stats.pages_frozen);
		printf("pre-copy: pages copied by round:");
		for (unsigned k = 0; k < stats.rounds; k++)
			printf(" %llu", (unsigned long long)stats.round_pages[k]);
		printf("; rounds ended: %s; longest stop to read soft-dirty bits %.1f ms; "
		       "frozen %.1f ms\n", ferry_precopy_end_name(stats.round_end),
		       stats.stop_ns_max / 1e6, stats.freeze_ns / 1e6);
	} else if (r == 0)
		printf("checkpointed %s to %s%s\n", selection_describe(&sel), o.output,
		       o.kill ? " (killed)" : "");
	selection_free(&sel);
	if (r < 0)
		return FERRY_EXIT_REFUSED; /* thawed as they were, no image left */
	return FERRY_EXIT_OK;
}

const struct command command_checkpoint = {
	.name = "checkpoint",
	.summary = "freeze processes and save them into an image",
	.usage = SELECTION_USAGE " -o IMAGE [--kill] [--level N] [--pre-copy]",
	.help = "Freezes every thread of the selection at one instant (ptrace), captures\n"
		"processes, memory, open files with their locks and pipes, writes IMAGE\n"
		"(metadata first, then pages, sealed last) and lets the processes run on.\n"
		"They keep their pages as they were: a page they share copy-on-write is\n"
		"read without being given a copy of its own.\n"
		"\n"
		SELECTION_HELP
		"  -o, --output IMAGE  where the image goes (written without a name,\n"
		"                named IMAGE once sealed: a killed checkpoint leaves none)\n"
		"  --kill        kill the processes once the image is sealed\n"
		"  --level N     zlib level of the page chunks, 0 (stored) to 9; default 1\n"
		"  --pre-copy    copy private anonymous memory while the processes run,\n"
		"                then at the freeze only the pages they changed since\n"
		"\n"
		"Pre-copy: the soft-dirty bits of the processes are cleared, their\n"
		"private anonymous pages copied into a file without a name next to\n"
		"IMAGE. Then, in rounds, the processes are stopped for as long as it\n"
		"takes to read and clear those bits (a millisecond or so), and what\n"
		"they wrote since is copied again, while the processes run; rounds go\n"
		"on while each copies at most half of what the one before did and more\n"
		"than 2 MiB, up to 8. Frozen, each copied chunk none of whose pages\n"
		"changed since (written, unmapped, remapped, dropped) goes into IMAGE\n"
		"as it is, and every other page is read as without --pre-copy. The\n"
		"freeze still copies the kept chunks' bytes from those files,\n"
		"compressed, without reading the processes or deflating. The image is\n"
		"an ordinary one. A kernel without soft-dirty pages\n"
		"(CONFIG_MEM_SOFT_DIRTY) is said so, and every page is copied once, at\n"
		"the freeze. The summary gives the pages written before the freeze and\n"
		"during it, the pages each round copied, why the rounds ended, the\n"
		"longest stop of a round and how long the processes were frozen.\n"
		"\n"
		"Level: 1, the fastest deflate, by default: an image file is half the size\n"
		"on typical memory, which a disk writes and keeps faster; a chunk whose\n"
		"sample does not shrink (random or already compressed data) is stored\n"
		"without compressing it, so such memory costs almost nothing at any\n"
		"level. Use 0 when the image goes to memory (tmpfs), where storing is\n"
		"fastest.\n"
		"\n"
		"On any failure the processes are thawed as they were, no image is left,\n"
		"and each object that cannot be checkpointed is named on stderr.\n"
		"\n"
		"Exit status: 0 saved, 3 refused or failed with nothing changed (the\n"
		"processes run on, no image), 2 wrong usage.\n",
	.run = run_checkpoint,
};
