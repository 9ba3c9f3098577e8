/* SPDX-License-Identifier: MIT */
/*
 * Source: /proc/PID/smaps, every field of every area and each mnemonic of
 * its VmFlags line. What ferry maps again (protections, sharing, growth,
 * the kernel's own areas, madvise() advice, MAP_NORESERVE) is claimed by
 * checkpoint/dump_mm.c; page counts hold no state; the rest is below.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "inventory.h"

const struct inv_rule inv_area_rules[] = {
	/* sizes and page counts */
	INV_NO_STATE("Size"), INV_NO_STATE("KernelPageSize"), INV_NO_STATE("MMUPageSize"),
	INV_NO_STATE("Rss"), INV_NO_STATE("Pss"),
	INV_NO_STATE("Pss_Anon"), INV_NO_STATE("Pss_File"), INV_NO_STATE("Pss_Shmem"),
	INV_NO_STATE("Pss_Dirty"), INV_NO_STATE("Shared_Clean"),
	INV_NO_STATE("Shared_Dirty"), INV_NO_STATE("Private_Clean"), INV_NO_STATE("Private_Dirty"),
	INV_NO_STATE("Referenced"),
	INV_NO_STATE("Anonymous"), INV_NO_STATE("KSM"), INV_NO_STATE("LazyFree"),
	INV_NO_STATE("AnonHugePages"), INV_NO_STATE("ShmemPmdMapped"),
	INV_NO_STATE("FilePmdMapped"), INV_NO_STATE("Shared_Hugetlb"),
	INV_NO_STATE("Private_Hugetlb"), INV_NO_STATE("Swap"),
	INV_NO_STATE("SwapPss"), INV_NO_STATE("Locked"), INV_NO_STATE("THPeligible"),
	INV_NO_STATE("sd"), /* soft-dirty tracking: every new area has it */
	INV_DEFAULT("ProtectionKey", "its memory protection key (pkey_mprotect)", "0"),
	/* VmFlags */
	INV_REFUSED("lo", "being locked in memory (mlock)"),
	INV_REFUSED("lf", "being locked in memory on fault (mlock2 MLOCK_ONFAULT)"),
	INV_REFUSED("io", "being a device's I/O mapping"),
	INV_REFUSED("pf", "being a device's page-frame mapping"),
	INV_REFUSED("mm", "being a device's mixed mapping"),
	INV_REFUSED("de", "being a mapping that cannot grow (a driver's)"),
	INV_REFUSED("dd", "being left out of core dumps (MADV_DONTDUMP)"),
	INV_REFUSED("ht", "being a hugetlb mapping"),
	INV_REFUSED("sf", "being a synchronous-fault mapping (MAP_SYNC)"),
	INV_REFUSED("ar", "an architecture-specific flag"),
	INV_REFUSED("bt", "being a branch-target mapping (arm64 BTI)"),
	INV_REFUSED("mt", "having memory tagging (arm64 MTE)"),
	INV_REFUSED("um", "being registered with userfaultfd (missing pages)"),
	INV_REFUSED("uw", "being registered with userfaultfd (write protection)"),
	INV_REFUSED("ui", "being registered with userfaultfd (minor faults)"),
	INV_REFUSED("ss", "being a shadow stack"),
	INV_REFUSED("sl", "being sealed (mseal)"),
	INV_REFUSED("dp", "being droppable"),
	INV_RULES_END,
};

static void offer(struct inv *v, pid_t pid, const char *area, const char *key, const char *val)
{
	struct inv_item it = { .source = INV_AREA, .root = inv_root(v), .pid = pid, .tid = pid,
			       .key = key, .value = val, .area = area };

	inv_offer(v, &it);
}

static void offer_vmflags(struct inv *v, pid_t pid, const char *area, const char *flags)
{
	for (const char *p = flags; *p;) {
		char flag[8];
		size_t n;

		while (*p == ' ')
			p++;
		for (n = 0; p[n] && p[n] != ' '; n++)
			;
		if (n && n < sizeof(flag)) {
			memcpy(flag, p, n);
			flag[n] = 0;
			offer(v, pid, area, flag, flag);
		}
		p += n;
	}
}

int inv_walk_maps(struct inv *v, pid_t pid)
{
	char path[64], area[512] = "", *buf;
	int r;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	r = proc_read_file(path, &buf, NULL);
	if (r < 0)
		return r == -ENOENT ? 0 : log_error_errno(r, "pid %d: cannot read %s", pid, path);
	for (char *line = buf, *next; line && *line; line = next) {
		char *colon, *val, key[64];
		uint64_t start, end;
		int name_off = 0;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %*s %*s %*s %n", &start, &end,
			   &name_off) == 2 && isxdigit((unsigned char)line[0])) {
			snprintf(area, sizeof(area), "%#" PRIx64 "-%#" PRIx64 "%s%.400s", start,
				 end, name_off && line[name_off] ? " " : "",
				 name_off ? line + name_off : "");
			continue;
		}
		colon = strchr(line, ':');
		if (!colon || colon - line >= (long)sizeof(key))
			continue;
		snprintf(key, sizeof(key), "%.*s", (int)(colon - line), line);
		for (val = colon + 1; *val == ' ' || *val == '\t'; val++)
			;
		if (strcmp(key, "VmFlags") == 0)
			offer_vmflags(v, pid, area, val);
		else
			offer(v, pid, area, key, val);
	}
	free(buf);
	return 0;
}
