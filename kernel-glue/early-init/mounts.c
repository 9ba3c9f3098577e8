/* SPDX-License-Identifier: MIT */
/* The file systems ferry-init needs, mounted only where missing. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "early_init.h"

static void mount_if_missing(const char *probe, const char *what, const char *where,
			     const char *type)
{
	if (access(probe, F_OK) == 0)
		return;
	mkdir(where, 0755);
	if (mount(what, where, type, MS_NOSUID | (strcmp(type, "devtmpfs") ? MS_NODEV : 0),
		  NULL) < 0)
		fprintf(stderr, "ferry-init: cannot mount %s on %s: %s\n", type, where,
			strerror(errno));
}

void init_mount_basics(void)
{
	mount_if_missing("/proc/self", "proc", "/proc", "proc");
	mount_if_missing("/sys/kernel", "sysfs", "/sys", "sysfs");
	mount_if_missing("/dev/null", "devtmpfs", "/dev", "devtmpfs");
}
