/* SPDX-License-Identifier: MIT */
/*
 * Source: /proc/PID/task/TID/status, every field of every thread (the
 * leader's, then each other thread's, with the leader's value beside it).
 * What ferry carries of it is claimed by checkpoint/dump_process.c,
 * dump_threads.c and dump_signals.c; the rest is below.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "inventory.h"

const struct inv_rule inv_status_rules[] = {
	/* ids, sizes, counters, and what other sources show */
	INV_NO_STATE("State"), INV_NO_STATE("Tgid"), INV_NO_STATE("Ngid"), INV_NO_STATE("Pid"),
	INV_NO_STATE("FDSize"), INV_NO_STATE("NStgid"),
	INV_NO_STATE("NSpid"), INV_NO_STATE("NSpgid"), INV_NO_STATE("NSsid"),
	INV_NO_STATE("VmPeak"), INV_NO_STATE("VmSize"), INV_NO_STATE("VmLck"),
	INV_NO_STATE("VmPin"), INV_NO_STATE("VmHWM"), INV_NO_STATE("VmRSS"),
	INV_NO_STATE("RssAnon"), INV_NO_STATE("RssFile"), INV_NO_STATE("RssShmem"),
	INV_NO_STATE("VmData"), INV_NO_STATE("VmStk"), INV_NO_STATE("VmExe"), INV_NO_STATE("VmLib"),
	INV_NO_STATE("VmPTE"), INV_NO_STATE("VmPMD"),
	INV_NO_STATE("VmSwap"), INV_NO_STATE("HugetlbPages"), INV_NO_STATE("Threads"),
	INV_NO_STATE("SigQ"),
	INV_NO_STATE("voluntary_ctxt_switches"), INV_NO_STATE("nonvoluntary_ctxt_switches"),
	/* state ferry does not carry: accepted only as a new process has it */
	INV_DEFAULT("TracerPid", "being traced (the pid of its tracer)", "0"),
	INV_DEFAULT("Kthread", "being a kernel thread", "0"),
	INV_DEFAULT("CoreDumping", "dumping core", "0"),
	INV_DEFAULT("THP_enabled", "transparent huge pages (off: PR_SET_THP_DISABLE)", "1"),
	INV_DEFAULT("untag_mask", "its address tag mask (x86 LAM)", "0xffffffffffffffff"),
	INV_DEFAULT("Seccomp", "its seccomp mode", "0"),
	INV_DEFAULT("Seccomp_filters", "its number of seccomp filters", "0"),
	INV_DEFAULT("x86_Thread_features", "its x86 thread features (shadow stack)", ""),
	INV_DEFAULT("x86_Thread_features_locked", "its locked x86 thread features", ""),
	INV_FERRYS("Speculation_Store_Bypass", "its speculative store bypass control "
	  "(PR_SET_SPECULATION_CTRL)"),
	INV_FERRYS("SpeculationIndirectBranch", "its indirect branch speculation control "
	  "(PR_SET_SPECULATION_CTRL)"),
	INV_FERRYS("Cpus_allowed", "its CPU affinity"),
	INV_FERRYS("Cpus_allowed_list", "its CPU affinity"),
	INV_FERRYS("Mems_allowed", "its NUMA memory nodes"),
	INV_FERRYS("Mems_allowed_list", "its NUMA memory nodes"),
	INV_RULES_END,
};

/* Offer each "Key:\tvalue" line of @text; @leader: the leader's text, or NULL. */
static void offer_fields(struct inv *v, pid_t pid, pid_t tid, char *text, const char *leader)
{
	for (char *line = text, *next; line && *line; line = next) {
		char *colon, *val, key[64], lval[512];
		struct inv_item it = { .source = INV_STATUS, .root = inv_root(v), .pid = pid,
				       .tid = tid };

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		colon = strchr(line, ':');
		if (!colon || colon - line >= (long)sizeof(key))
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)(colon - line), line);
		for (val = colon + 1; *val == ' ' || *val == '\t'; val++)
			;
		for (size_t n = strlen(val); n && (val[n - 1] == ' ' || val[n - 1] == '\t');)
			val[--n] = 0;
		it.key = key;
		it.value = val;
		if (leader && proc_status_field(leader, key, lval, sizeof(lval)) == 0) {
			for (size_t n = strlen(lval);
			     n && (lval[n - 1] == ' ' || lval[n - 1] == '\t');)
				lval[--n] = 0;
			it.leader_value = lval;
		} else if (leader) {
			it.leader_value = "";
		}
		inv_offer(v, &it);
	}
}

int inv_walk_status(struct inv *v, pid_t pid, const pid_t *tids, size_t ntids)
{
	char path[64], *leader, *text;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	r = proc_read_file(path, &leader, NULL);
	if (r < 0)
		return r == -ENOENT ? 0 : log_error_errno(r, "pid %d: cannot read %s", pid, path);
	text = strdup(leader);
	if (!text) {
		free(leader);
		return -ENOMEM;
	}
	offer_fields(v, pid, pid, text, NULL);
	free(text);
	for (size_t i = 0; i < ntids; i++) {
		if (tids[i] == pid)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tids[i]);
		if (proc_read_file(path, &text, NULL) < 0)
			continue; /* gone meanwhile */
		offer_fields(v, pid, tids[i], text, leader);
		free(text);
	}
	free(leader);
	return 0;
}
