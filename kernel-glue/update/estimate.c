/* SPDX-License-Identifier: MIT */
/*
 * How much staging the image of a selection may need: its resident memory
 * (an upper bound of the pages the checkpoint keeps, before compression)
 * plus room for the metadata.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int resident_of(pid_t pid, uint64_t *ret)
{
	static const char *const files[] = { "smaps_rollup", "status" };
	char path[64], line[256];
	unsigned long long kb;

	for (int i = 0; i < 2; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/%s", pid, files[i]);
		f = fopen(path, "re");
		if (!f) {
			if (errno == ENOENT && i == 0)
				continue;
			return log_error_errno(-errno, "cannot read %s", path);
		}
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, i == 0 ? "Rss: %llu" : "VmRSS: %llu", &kb) == 1) {
				fclose(f);
				*ret = kb * 1024ull;
				return 0;
			}
		fclose(f);
	}
	*ret = 0; /* a kernel thread or a zombie: nothing resident */
	return 0;
}

/* Add pid and, with tree, its descendants (through every thread's children). */
static int walk(pid_t pid, bool tree, struct update_estimate *e, int depth)
{
	char path[64];
	uint64_t rss;
	DIR *d;
	struct dirent *de;
	int r;

	if (depth > 64)
		return log_error_errno(-ELOOP, "pid %d: process tree deeper than 64", pid);
	r = resident_of(pid, &rss);
	if (r < 0)
		return r;
	e->resident += rss;
	e->nprocs++;
	if (!tree)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return log_error_errno(-errno, "cannot read %s", path);
	while ((de = readdir(d)) && r == 0) {
		char cpath[320];
		FILE *f;
		int child;

		if (de->d_name[0] == '.')
			continue;
		snprintf(cpath, sizeof(cpath), "/proc/%d/task/%s/children", pid, de->d_name);
		f = fopen(cpath, "re");
		if (!f)
			continue; /* thread gone */
		while (r == 0 && fscanf(f, "%d", &child) == 1)
			r = walk(child, tree, e, depth + 1);
		fclose(f);
	}
	closedir(d);
	return r;
}

int update_estimate(pid_t pid, bool tree, struct update_estimate *ret)
{
	int r;

	memset(ret, 0, sizeof(*ret));
	r = walk(pid, tree, ret, 0);
	if (r < 0)
		return r;
	/* chunk descriptors and CRCs (~1/64), metadata per process, the header */
	ret->image_bound = ret->resident + ret->resident / 64 + ret->nprocs * (256ull << 10) +
			   (1ull << 20);
	return 0;
}
