/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../kernel-glue/common/log.h"
#include "memory_map.h"

#define FLOOR (256ull << 20)
#define ALIGN (2ull << 20)
#define BELOW_4G (4ull << 30)

static void add(struct memory_map *m, uint64_t start, uint64_t end, bool ram, bool nested)
{
	if (m->n == MEMORY_MAP_MAX || end < start)
		return;
	m->ranges[m->n++] = (struct memory_range){ start, end, ram, nested };
}

/* "  00100000-bfffffff : System RAM" lines; indentation is nesting */
static int load_iomem(const char *path, struct memory_map *m)
{
	char line[256];
	bool any = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		char *name = strstr(line, " : ");
		size_t indent = strspn(line, " ");

		if (!name || sscanf(line + indent, "%llx-%llx", &s, &e) != 2)
			continue;
		name += 3;
		name[strcspn(name, "\n")] = 0;
		any |= s || e;
		add(m, s, e, indent == 0 && !strcmp(name, "System RAM"), indent > 0);
	}
	fclose(f);
	return any ? 0 : -EPERM;
}

static int read_line(const char *dir, const char *entry, const char *file, char *out, size_t cap)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, entry, file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (!fgets(out, (int)cap, f))
		out[0] = 0;
	fclose(f);
	out[strcspn(out, "\n")] = 0;
	return 0;
}

/* /sys/firmware/memmap/N/{start,end,type} */
static int load_sysfs(const char *dir, struct memory_map *m)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char start[32], end[32], type[64];

		if (de->d_name[0] == '.')
			continue;
		if (read_line(dir, de->d_name, "start", start, sizeof(start)) < 0 ||
		    read_line(dir, de->d_name, "end", end, sizeof(end)) < 0 ||
		    read_line(dir, de->d_name, "type", type, sizeof(type)) < 0)
			continue;
		add(m, strtoull(start, NULL, 16), strtoull(end, NULL, 16), !strcmp(type, "System RAM"),
		    false);
	}
	closedir(d);
	return m->n ? 0 : -ENOENT;
}

int memory_map_load(const char *root, struct memory_map *ret)
{
	char iomem[4096], sysfs[4096];
	int r;

	snprintf(iomem, sizeof(iomem), "%s/proc/iomem", root);
	snprintf(sysfs, sizeof(sysfs), "%s/sys/firmware/memmap", root);
	memset(ret, 0, sizeof(*ret));
	r = load_iomem(iomem, ret);
	if (r == 0) {
		snprintf(ret->source, sizeof(ret->source), "/proc/iomem");
		return 0;
	}
	memset(ret, 0, sizeof(*ret));
	if (load_sysfs(sysfs, ret) == 0) {
		snprintf(ret->source, sizeof(ret->source), "/sys/firmware/memmap");
		return 0;
	}
	if (r == -EPERM)
		log_error("%s shows no addresses (run as root) and %s cannot be read", iomem, sysfs);
	else
		log_error("neither %s nor %s can be read: %s", iomem, sysfs, strerror(-r));
	return r;
}

/* [a, a+size) clear of everything nested in RAM */
static bool clear(const struct memory_map *m, uint64_t a, uint64_t size, uint64_t *ret_next)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct memory_range *r = &m->ranges[i];

		if (r->nested && r->start <= a + size - 1 && a <= r->end) {
			*ret_next = (r->end + ALIGN) & ~(ALIGN - 1);
			return false;
		}
	}
	return true;
}

static int first_fit(const struct memory_map *m, uint64_t size, uint64_t lo, uint64_t hi,
		     uint64_t *ret_addr, const struct memory_range **ret_ram)
{
	uint64_t best = UINT64_MAX;
	const struct memory_range *best_ram = NULL;

	for (size_t i = 0; i < m->n; i++) {
		const struct memory_range *r = &m->ranges[i];
		uint64_t a = r->start > lo ? r->start : lo, next;

		if (!r->ram)
			continue;
		a = (a + ALIGN - 1) & ~(ALIGN - 1);
		while (a + size - 1 <= r->end && a + size <= hi && a < best) {
			if (clear(m, a, size, &next)) {
				best = a;
				best_ram = r;
				break;
			}
			a = next;
		}
	}
	if (!best_ram)
		return -ENOSPC;
	*ret_addr = best;
	*ret_ram = best_ram;
	return 0;
}

int memory_map_suggest(const struct memory_map *map, uint64_t size, uint64_t *ret_addr,
		       const struct memory_range **ret_ram)
{
	if (!size)
		return -EINVAL;
	if (first_fit(map, size, FLOOR, BELOW_4G, ret_addr, ret_ram) == 0)
		return 0;
	return first_fit(map, size, FLOOR, UINT64_MAX, ret_addr, ret_ram);
}
