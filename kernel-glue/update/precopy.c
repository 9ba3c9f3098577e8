/* SPDX-License-Identifier: MIT */
/*
 * ferry update --pre-copy: the checkpoint copies the selection's pages
 * while it runs, in rounds (kernel-glue/checkpoint/precopy.c), before the
 * freeze; here, where those copies are kept and what the update says of
 * them.
 *
 * The copies go into files without a name in the state directory (the
 * history's, FERRY_STATE_DIR), so a big selection does not hold its pages
 * twice in memory until the freeze; where that directory has no room for
 * the selection's resident memory (or takes no such file), in memory. They
 * go when ferry update does.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "ferry-glue/checkpoint.h"
#include "internal.h"

void update_precopy_setup(struct ferry_checkpoint_options *co, uint64_t resident, char *dir,
			  size_t len)
{
	struct statvfs sv;
	char *slash;

	ferry_history_path(dir, len);
	slash = strrchr(dir, '/');
	if (slash && slash != dir)
		*slash = 0;
	/* the history makes it at the seal at the latest; made here if need be */
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		log_debug("cannot make %s: %s", dir, strerror(errno));
	co->pre_copy = true;
	co->pre_copy_dir = dir;
	/* room for every resident page, and a tenth more */
	if (statvfs(dir, &sv) < 0 ||
	    (uint64_t)sv.f_bavail * sv.f_frsize < resident + resident / 10) {
		dir[0] = 0; /* in memory */
		update_phase("pre-copy: copying the pages of pid %d%s while it runs, into memory "
			     "(the state directory has no room for them)", co->pid,
			     co->tree ? " and its descendants" : "");
		return;
	}
	update_phase("pre-copy: copying the pages of pid %d%s while it runs, into %s", co->pid,
		     co->tree ? " and its descendants" : "", dir);
}

void update_precopy_phase(const struct ferry_checkpoint_stats *st)
{
	char rounds[FERRY_PRECOPY_MAX_ROUNDS * 24] = "";
	size_t at = 0;

	for (unsigned k = 0; k < st->rounds && at < sizeof(rounds); k++)
		at += (size_t)snprintf(rounds + at, sizeof(rounds) - at, "%s%llu", k ? " " : "",
				       (unsigned long long)st->round_pages[k]);
	update_phase("pre-copy: %llu pages written before the freeze (of %llu copied in %u "
		     "round%s: %s; ended: %s; longest stop %.1f ms), %llu during it",
		     (unsigned long long)st->pages_before, (unsigned long long)st->pages_precopied,
		     st->rounds, st->rounds == 1 ? "" : "s", rounds,
		     ferry_precopy_end_name(st->round_end), st->stop_ns_max / 1e6,
		     (unsigned long long)st->pages_frozen);
}
