// SPDX-License-Identifier: MIT
/* ferry.region=SIZE@ADDR on the kernel command line, read by format/'s
 * command line and SIZE@ADDR parsers. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ferry/cmdline.h"
#include "ferry/size_addr.h"
#include "region.h"
#define LOG_PREFIX "region"
#include "../common/log.h"

int ferry_region_from_cmdline(const char *cmdline, uint64_t *ret_size, uint64_t *ret_phys)
{
	struct ferry_cmdline_param p;

	if (!ferry_cmdline_find(cmdline, strlen(cmdline), FERRY_PARAM_REGION, &p))
		return -ENOENT;
	if (!p.value ||
	    ferry_parse_size_addr(p.value, p.value_len, '@', ret_size, ret_phys, NULL) < 0)
		return -EINVAL;
	return 0;
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
		return log_error_errno(-errno, "cannot open /proc/cmdline");
	n = read(fd, buf, len - 1);
	if (n < 0) {
		int err = -errno;
		close(fd);
		return log_error_errno(err, "cannot read /proc/cmdline");
	}
	close(fd);
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}
