/* SPDX-License-Identifier: MIT */
/*
 * The clocks at the freeze, as the checkpointed processes see them: ferry's
 * own reading, less ferry's time namespace offsets, plus theirs. A process
 * restored before lives in a time namespace of its own, so this is what
 * lets a second checkpoint go on from where the first restore put it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "../common/timens.h"
#include "dump_time.h"

/* Is @link the time namespace of @pid? */
static bool time_ns_of(pid_t pid, const char *link)
{
	char path[64], *ns;
	bool same;

	snprintf(path, sizeof(path), "/proc/%d/ns/time", pid);
	if (proc_read_link(path, &ns) < 0)
		return false;
	same = strcmp(ns, link) == 0;
	free(ns);
	return same;
}

/* One pair of clocks per image: every process must see the same. */
static bool roots_time(const struct inv_item *it)
{
	return time_ns_of(it->root, it->value);
}

/* Children are made in the process's own time namespace. */
static bool own_time(const struct inv_item *it)
{
	return time_ns_of(it->pid, it->value);
}

const struct inv_claim dump_time_claims[] = {
	INV_CLAIM_IF(INV_NS, "time", roots_time,
	  "a time namespace other than the first process's is not carried yet (one pair of "
	  "clocks per image)"),
	INV_CLAIM_IF(INV_NS, "time_for_children", own_time,
	  "a time namespace made for its children is not carried yet"),
	INV_CLAIMS_END,
};

int dump_clocks(struct ckpt *c, pid_t pid)
{
	struct timens_offsets mine, theirs;
	int64_t mono = timens_clock_ns(CLOCK_MONOTONIC);
	int64_t boot = timens_clock_ns(CLOCK_BOOTTIME);
	int r;

	r = timens_read(0, &mine);
	if (r == -EXDEV)
		log_warning("ferry's own time namespace is not the one it gives its children; "
			  "its clock offsets are taken as those");
	r = timens_read(pid, &theirs);
	if (r == -EXDEV)
		log_warning("pid %d made a time namespace for its children; its clocks are "
			  "recorded as theirs", pid);
	c->img.clock_monotonic_ns = mono - mine.monotonic_ns + theirs.monotonic_ns;
	c->img.clock_boottime_ns = boot - mine.boottime_ns + theirs.boottime_ns;
	log_debug("pid %d: clocks at the freeze: monotonic %lld ns, boottime %lld ns", pid,
		   (long long)c->img.clock_monotonic_ns, (long long)c->img.clock_boottime_ns);
	return 0;
}
