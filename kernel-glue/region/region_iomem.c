// SPDX-License-Identifier: MIT
/* Is the marked range really reserved? Ask /proc/iomem. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "region.h"
#define LOG_PREFIX "region"
#include "../common/log.h"

static bool overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 <= b1 && b0 <= a1; /* inclusive ends */
}

static enum ferry_region_reservation kind_of(const char *name)
{
	if (!strcmp(name, "Reserved") || !strcmp(name, "reserved"))
		return FERRY_RESERVED_E820;
	if (!strncmp(name, "Persistent Memory", 17))
		return FERRY_RESERVED_PMEM;
	return FERRY_RESERVED_NONE;
}

int ferry_region_check_iomem(const char *iomem, uint64_t phys, uint64_t size,
			     enum ferry_region_reservation *ret_kind)
{
	enum ferry_region_reservation kind = FERRY_RESERVED_NONE;
	uint64_t last = phys + size - 1;
	bool any_address = false, ram = false;
	const char *line = iomem;

	while (line && *line) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		char buf[256], *p, *end, *name;
		uint64_t s, e;

		if (n >= sizeof(buf))
			n = sizeof(buf) - 1;
		memcpy(buf, line, n);
		buf[n] = '\0';
		line = nl ? nl + 1 : NULL;

		p = buf + strspn(buf, " ");
		s = strtoull(p, &end, 16);
		if (*end != '-')
			continue;
		e = strtoull(end + 1, &end, 16);
		name = strstr(end, " : ");
		if (!name)
			continue;
		name += 3;
		if (s || e)
			any_address = true;
		if (!overlaps(s, e, phys, last))
			continue;
		if (!strcmp(name, "System RAM"))
			ram = true;
		else if (s <= phys && e >= last && kind_of(name) != FERRY_RESERVED_NONE &&
			 kind == FERRY_RESERVED_NONE)
			kind = kind_of(name);
	}
	if (!any_address)
		return -EPERM;
	if (ram)
		return -EADDRINUSE;
	if (kind == FERRY_RESERVED_NONE)
		return -ENOENT;
	if (ret_kind)
		*ret_kind = kind;
	return 0;
}

static int read_all(const char *path, char **ret)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap);
	int fd;

	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return -errno;
	}
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				close(fd);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			int err = -errno;
			free(buf);
			close(fd);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	*ret = buf;
	return 0;
}

int ferry_region_check_reserved(uint64_t phys, uint64_t size,
				enum ferry_region_reservation *ret_kind)
{
	const char *path = getenv("FERRY_IOMEM") ? getenv("FERRY_IOMEM") : "/proc/iomem";
	char *text = NULL;
	int r;

	r = read_all(path, &text);
	if (r < 0)
		return log_error_errno(r, "cannot read %s", path);
	r = ferry_region_check_iomem(text, phys, size, ret_kind);
	free(text);
	switch (r) {
	case 0:
		return 0;
	case -EPERM:
		return log_error_status(r, "%s shows no addresses; run as root", path);
	case -EADDRINUSE:
		return log_error_status(r, "0x%" PRIx64 "-0x%" PRIx64 " overlaps System RAM: "
				 "the range is not reserved (memmap=0x%" PRIx64 "$0x%" PRIx64
				 " missing from the kernel command line?)",
				 phys, phys + size - 1, size, phys);
	default:
		return log_error_status(r, "0x%" PRIx64 "-0x%" PRIx64 " is not a reserved range in %s "
				 "(memmap=0x%" PRIx64 "$0x%" PRIx64 " missing, or outside physical memory?)",
				 phys, phys + size - 1, path, size, phys);
	}
}
