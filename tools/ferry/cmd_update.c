/* SPDX-License-Identifier: MIT */
/* ferry update --kernel K [--initrd I] [--append ARGS] --via kexec|reboot SELECTION */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry-glue/checkpoint.h"
#include "ferry-glue/update.h"
#include "../../kernel-glue/common/log.h"

#include "commands.h"
#include "selection.h"
#include "json.h"
#include "messages.h"
#include "update_json.h"

/* What the update came to, once it returned: 3 or 4. */
static int outcome_status(const struct ferry_update_record *rec)
{
	return ferry_update_past_no_return(rec) ? FERRY_EXIT_AFTER_NO_RETURN : FERRY_EXIT_REFUSED;
}

/* --pre-copy: what the checkpoint copied before the freeze and during it */
static void precopy_json(struct json_writer *j, const struct ferry_checkpoint_stats *st)
{
	json_object_begin(j, "pre_copy");
	json_bool(j, "soft_dirty", st->pre_copied);
	if (st->pre_copied) {
		json_u64(j, "rounds", st->rounds);
		json_array_begin(j, "round_pages");
		for (unsigned k = 0; k < st->rounds; k++)
			json_u64(j, NULL, st->round_pages[k]);
		json_array_end(j);
		json_string(j, "rounds_ended", ferry_precopy_end_name(st->round_end));
		json_u64(j, "longest_stop_us", st->stop_ns_max / 1000);
		json_u64(j, "pages_before_freeze", st->pages_before);
		json_u64(j, "pages_during_freeze", st->pages_frozen);
	}
	json_object_end(j);
}

static int report_json(const struct ferry_update_record *rec,
		       const struct ferry_checkpoint_stats *st)
{
	struct json_writer j;
	int status = outcome_status(rec);

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_u64(&j, "exit_status", (uint64_t)status);
	json_bool(&j, "nothing_changed", status == FERRY_EXIT_REFUSED);
	update_record_json(&j, "record", rec);
	if (st)
		precopy_json(&j, st);
	messages_json(&j, "messages");
	json_object_end(&j);
	if (json_finish(&j) < 0)
		log_error("cannot write the report");
	return status;
}

static int run_update(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "via", required_argument, NULL, 'v' },
		SELECTION_OPTIONS,
		{ "level", required_argument, NULL, 'l' },
		{ "force", no_argument, NULL, 'f' },
		{ "watchdog", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "pre-copy", no_argument, NULL, 'P' },
		{ 0 },
	};
	struct ferry_update_options o = { .level = 0 };
	struct ferry_update_record rec = { 0 };
	struct ferry_checkpoint_stats stats = { 0 };
	struct selection sel = { 0 };
	const char *via = NULL;
	bool json = false;
	int c, r;

	while ((c = command_getopt(cmd, argc, argv, options, "")) != -1) {
		if (selection_is_option(c)) {
			r = selection_option(cmd, &sel, c, optarg);
			if (r)
				return r;
			continue;
		}
		switch (c) {
		case 'k': o.kernel = optarg; break;
		case 'i': o.initrd = optarg; break;
		case 'a': o.append = optarg; break;
		case 'v': via = optarg; break;
		case 'f': o.force = true; break;
		case 'w': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);

			if (*optarg < '0' || *optarg > '9' || *end || v < 1 || v > 65535)
				return command_usage_error(cmd, "--watchdog takes seconds, 1 to 65535");
			o.watchdog = (unsigned)v;
			break;
		}
		case 'j': json = true; break;
		case 'P': o.pre_copy = true; break;
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
		return command_usage_error(cmd, "unexpected argument '%s' (one selection per "
					   "update)", argv[optind]);
	if (!o.kernel)
		return command_usage_error(cmd, "missing --kernel KERNEL");
	if (!via)
		return command_usage_error(cmd, "missing --via kexec|reboot");
	if (!strcmp(via, "reboot"))
		o.via = &ferry_update_via_reboot;
	else if (strcmp(via, "kexec"))
		return command_usage_error(cmd, "--via %s: use --via kexec or --via reboot", via);
	r = selection_given(cmd, &sel);
	if (r)
		return r;
	o.ret_record = &rec;
	o.ret_stats = &stats;
	if (json) {
		/* stdout holds the JSON alone */
		o.progress = stderr;
		messages_collect();
	}
	r = selection_finish(cmd, &sel);
	if (r == FERRY_EXIT_REFUSED && json)
		return report_json(&rec, NULL); /* nothing was changed, the reason in messages */
	if (r)
		return r;
	o.pid = sel.pid;
	o.tree = sel.tree;
	o.cgroup = sel.cgroup;
	o.unit = sel.unit;
	o.unit_main_pid = sel.main_pid;
	ferry_update(&o); /* returns only when the kexec or reboot did not happen */
	selection_free(&sel);
	/* the pre-copy's numbers once its checkpoint sealed an image */
	return json ? report_json(&rec, o.pre_copy && rec.sealed.realtime_ns ? &stats : NULL) :
		      outcome_status(&rec);
}

const struct command command_update = {
	.name = "update",
	.summary = "move processes onto a new kernel through kexec or a warm reboot",
	.usage = "--kernel KERNEL [--initrd INITRD] [--append ARGS] --via kexec|reboot "
		 SELECTION_USAGE " [--level N] [--pre-copy] [--force] "
		 "[--watchdog SECONDS] [--json]",
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
		SELECTION_HELP
		"  --level N         deflate level of the page chunks, 0 to 9; default 0:\n"
		"                    the region is sized for the image uncompressed, and\n"
		"                    compressing only adds to the downtime\n"
		"  --pre-copy        copy the private anonymous pages while the\n"
		"                    processes run, in rounds while what they change\n"
		"                    shrinks (as 'ferry checkpoint --pre-copy'), then\n"
		"                    freeze and write only what changed since: the\n"
		"                    downtime no longer grows with the memory they\n"
		"                    leave alone. The copies are kept in files without\n"
		"                    a name in the state directory (FERRY_STATE_DIR,\n"
		"                    or in memory). A step line says the pages written\n"
		"                    before the freeze and during it; a kernel without\n"
		"                    soft-dirty pages is said so and copies them once,\n"
		"                    frozen\n"
		"  --force           overwrite a sealed image that was never restored\n"
		"  --watchdog SECONDS  arm the hardware watchdog (/dev/watchdog) with\n"
		"                    this timeout just before the kexec or reboot and\n"
		"                    leave it running across it: a new kernel that hangs\n"
		"                    before ferry-init stops it is reset into the default\n"
		"                    kernel, whose ferry-init restores the image (still\n"
		"                    sealed). ferry-init re-arms it for the restore and\n"
		"                    stops it after; 'ferry status' says what became of\n"
		"                    it. The new kernel needs the watchdog's driver (its\n"
		"                    probe stops a running i6300esb: the watchdog covers\n"
		"                    the new kernel until then). Refused when\n"
		"                    /dev/watchdog is softdog, a timer of the running\n"
		"                    kernel that the kexec ends; on the reboot path a\n"
		"                    watchdog that the firmware's reset stops (QEMU's\n"
		"                    i6300esb) covers only the way down\n"
		"  --json            when it returns: the outcome as one JSON object on\n"
		"                    stdout (exit_status, nothing_changed, the record as\n"
		"                    'ferry status --json' shows it, pre_copy with\n"
		"                    --pre-copy once an image was sealed, messages);\n"
		"                    the steps go to stderr\n"
		"\n"
		"On any failure before the kexec or reboot (the point of no return) the\n"
		"processes are thawed as they were, the loaded kernel is dropped (reboot:\n"
		"ferry.conf and BootNext are put back) and the region holds no sealed\n"
		"image. If the kexec or reboot call itself comes back, the processes are\n"
		"thawed too and the record says why. Every update, refused ones too, goes\n"
		"into the history ('ferry status --history').\n"
		"'ferry status' on the new kernel shows the outcome and the downtime.\n"
		"\n"
		"Exit status: does not return on success; 3 refused or failed before the\n"
		"point of no return, nothing changed; 4 failed after it (the kexec or\n"
		"reboot came back); 2 wrong usage.\n",
	.run = run_update,
};
