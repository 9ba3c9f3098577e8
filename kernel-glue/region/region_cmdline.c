// SPDX-License-Identifier: MIT
/* ferry.region=SIZE@ADDR on the kernel command line. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "region.h"
#include "region_log.h"

int ferry_region_parse_size(const char *s, const char **ret_end, uint64_t *ret)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno)
		return -errno;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*ret = (uint64_t)v << shift;
	if (ret_end)
		*ret_end = end;
	return 0;
}

int ferry_region_parse_spec(const char *spec, uint64_t *ret_size, uint64_t *ret_phys)
{
	const char *p;
	uint64_t size, phys;
	int r;

	r = ferry_region_parse_size(spec, &p, &size);
	if (r < 0)
		return r;
	if (*p != '@')
		return -EINVAL;
	r = ferry_region_parse_size(p + 1, &p, &phys);
	if (r < 0)
		return r;
	if (*p && !isspace((unsigned char)*p))
		return -EINVAL;
	if (size == 0 || phys + size < phys)
		return -ERANGE;
	if ((phys | size) & (FERRY_REGION_PAGE - 1))
		return -EINVAL;
	*ret_size = size;
	*ret_phys = phys;
	return 0;
}

int ferry_region_from_cmdline(const char *cmdline, uint64_t *ret_size, uint64_t *ret_phys)
{
	static const char key[] = "ferry.region=";
	const char *p = cmdline, *found = NULL;

	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		if (!strncmp(p, key, sizeof(key) - 1))
			found = p + sizeof(key) - 1;
		if (!strncmp(p, "--", 2) && (p[2] == '\0' || isspace((unsigned char)p[2])))
			break; /* what follows "--" belongs to init */
		while (*p && !isspace((unsigned char)*p))
			p++;
	}
	if (!found)
		return -ENOENT;
	return ferry_region_parse_spec(found, ret_size, ret_phys);
}

int ferry_region_read_cmdline(char *buf, size_t len)
{
	const char *override = getenv("FERRY_CMDLINE");
	ssize_t n;
	int fd;

	if (len == 0)
		return -EINVAL;
	if (override) {
		if (strlen(override) >= len)
			return -E2BIG;
		strcpy(buf, override);
		return 0;
	}
	fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return region_log_errno(-errno, "region: cannot open /proc/cmdline");
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int err = -errno;
		close(fd);
		return region_log_errno(err, "region: cannot read /proc/cmdline");
	}
	close(fd);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}
