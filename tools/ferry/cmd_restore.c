/* SPDX-License-Identifier: MIT */
/* ferry restore IMAGE [--pidns] [--lazy] [--json]: bring the processes of an image back. */
#include <stdio.h>
#include <stdlib.h>

#include "ferry-glue/restore.h"
#include "../../kernel-glue/common/log.h"

#include "commands.h"
#include "json.h"

/* --json: {"image", "processes": [{pid, comm, threads, areas, pages,
 * lazy_pages, fds, verify_ms}], "pager_guard" (a lazy restore's, while it runs)} */
static void report_json(void *arg, const char *image, const struct ferry_restored *procs,
			size_t n, int pager_guard)
{
	struct json_writer j;

	(void)arg;
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_string(&j, "image", image);
	json_array_begin(&j, "processes");
	for (size_t i = 0; i < n; i++) {
		json_object_begin(&j, NULL);
		json_u64(&j, "pid", (uint64_t)procs[i].pid);
		json_string(&j, "comm", procs[i].comm);
		json_u64(&j, "threads", procs[i].threads);
		json_u64(&j, "areas", procs[i].areas);
		json_u64(&j, "pages", procs[i].pages);
		json_u64(&j, "lazy_pages", procs[i].lazy_pages);
		json_u64(&j, "fds", procs[i].fds);
		if (procs[i].verified)
			json_double(&j, "verify_ms", procs[i].verify_ms);
		json_object_end(&j);
	}
	json_array_end(&j);
	if (pager_guard)
		json_u64(&j, "pager_guard", (uint64_t)pager_guard);
	json_object_end(&j);
	if (json_finish(&j) < 0)
		log_error("cannot write the report");
}

static int run_restore(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "pidns", no_argument, NULL, 'n' },
		{ "lazy", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "no-verify", no_argument, NULL, 'N' },
		{ "test-clock-shift", no_argument, NULL, 'T' },
		{ "force-vdso-redirect", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct ferry_restore_options o = { 0 };
	int c, r, status = 0;

	while ((c = command_getopt(cmd, argc, argv, options, "")) != -1) {
		if (c == 'n')
			o.pidns = true;
		else if (c == 'l')
			o.lazy = true;
		else if (c == 'j')
			o.report_fn = report_json;
		else if (c == 'N')
			o.no_verify = true;
		else if (c == 'T')
			setenv("FERRY_TEST_CLOCK_SHIFT", "1", 1);
		else if (c == 'V')
			setenv("FERRY_FORCE_VDSO_REDIRECT", "1", 1);
		else
			return FERRY_EXIT_USAGE;
	}
	r = command_expect_operands(cmd, argc, argv, 1, "IMAGE");
	if (r)
		return r;
	o.image = argv[optind];
	if (ferry_restore(&o, &status) < 0)
		return FERRY_EXIT_FAILURE;
	return o.pidns ? status : FERRY_EXIT_OK;
}

const struct command command_restore = {
	.name = "restore",
	.summary = "recreate the processes of an image and let them run",
	.usage = "IMAGE [--pidns] [--lazy] [--json] [--no-verify] [--test-clock-shift] "
		 "[--force-vdso-redirect]",
	.help = "Verifies IMAGE, recreates its processes with their original PIDs and\n"
		"TIDs, rebuilds memory, files, pipes, signals, credentials and registers,\n"
		"and lets them run untraced. Prints one line per restored process.\n"
		"\n"
		"Before any of them runs, each is read back from /proc and compared with\n"
		"the image: ids, threads, credentials, limits, directories, signal masks,\n"
		"actions and queued signals, every memory area and its protection, every\n"
		"fd with its flags, offset and sharing, what each kind of file holds; and\n"
		"what no kind carries (what the inventory accepts) must be as in a new\n"
		"process. A difference is named, the processes are removed before they\n"
		"ran and the image is kept. The check reads no page of memory: its cost\n"
		"grows with the processes, memory areas and fds, not with the memory\n"
		"(43 ms for a process of 1 GiB, 105 areas and 3 fds, by make\n"
		"bench-verify; --json reports it per process as verify_ms).\n"
		"\n"
		"  --pidns   restore into a new PID namespace (and mount namespace with\n"
		"            its own /proc); ferry stays as its init, reaps, and exits\n"
		"            with the first process's status when the namespace is empty\n"
		"  --lazy    let the processes run before their pages are home: a pager\n"
		"            process places each page on its first touch (userfaultfd)\n"
		"            and the rest in the background, then exits; anonymous\n"
		"            memory, and shared anonymous memory one mapping has, only:\n"
		"            the rest is written before they run. Every page's CRC is\n"
		"            still checked first. If the pager dies before every page\n"
		"            is home, its guard process ends the restored processes:\n"
		"            none runs on missing pages.\n"
		"            A checkpoint of them refuses until the pager is done.\n"
		"            Without userfaultfd (or its fork and remap events) the\n"
		"            pages are written before they run, as without --lazy\n"
		"  --json    print the report as JSON\n"
		"  --no-verify  let the processes run as restored, compared with nothing\n"
		"  --test-clock-shift  for testing: restore where the clocks read as if\n"
		"            this kernel had booted a second ago (FERRY_TEST_CLOCK_SHIFT=1)\n"
		"  --force-vdso-redirect  for testing: redirect the old vDSO's entry points\n"
		"            to this kernel's vDSO even when they are the same\n"
		"            (FERRY_FORCE_VDSO_REDIRECT=1)\n"
		"\n"
		"CLOCK_MONOTONIC and CLOCK_BOOTTIME of the restored processes go on from\n"
		"their values at the checkpoint (a time namespace of their own).\n"
		"\n"
		"On failure the processes begun are removed and the failing object is\n"
		"named on stderr.\n"
		"\n"
		"Exit status: 0 restored (with --pidns: the first process's status),\n"
		"1 failed, 2 wrong usage.\n",
	.run = run_restore,
};
