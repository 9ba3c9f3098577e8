/* SPDX-License-Identifier: MIT */
/* The file systems ferry-init needs, mounted only where missing. */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common/cgroupfs.h"
#include "../common/log.h"
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

/*
 * The cgroup2 hierarchy, where a restore puts the processes back into
 * their cgroups (kinds/cgroup.c): mounted on /sys/fs/cgroup for the
 * restore only, when nothing is mounted there, and detached after it, so
 * that the real init finds /sys/fs/cgroup as on any boot and mounts what
 * it uses there. The cgroups the restore made stay: the hierarchy is one
 * per boot, whoever mounts it.
 */
static bool cgroup2_mounted;

void init_mount_cgroup2(void)
{
	char point[1024];

	if (cgroupfs_mount("", point, sizeof(point)) == 0 ||
	    access("/sys/fs/cgroup", F_OK) < 0)
		return;
	if (mount("cgroup2", "/sys/fs/cgroup", "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) == 0)
		cgroup2_mounted = true;
	else
		log_warning("cannot mount the cgroup2 hierarchy on /sys/fs/cgroup (%s): a process "
			    "in a cgroup of its own cannot be restored", strerror(errno));
}

void init_unmount_cgroup2(void)
{
	if (cgroup2_mounted && umount2("/sys/fs/cgroup", MNT_DETACH) < 0)
		log_error_errno(-errno, "cannot detach the cgroup2 hierarchy from /sys/fs/cgroup");
	cgroup2_mounted = false;
}

/*
 * --root DIR: the real root, mounted by an initramfs at DIR before it
 * switches to it. The restored processes' files are there, so ferry-init
 * restores with DIR as root: /dev, /proc, /sys and /run are bound onto
 * DIR's where nothing is mounted there yet (the initramfs moves its own
 * there afterwards), and ferry-init chroots into DIR. The processes keep
 * DIR as their root, which the switch makes /.
 */
static const char *const carried[] = { "dev", "proc", "sys", "run" };
static bool bound[sizeof(carried) / sizeof(carried[0])];

/* something else than DIR's own file system is mounted at DIR/SUB */
static bool mounted_at(const char *dir, const char *sub)
{
	char path[4096];
	struct stat top, st;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	return stat(dir, &top) == 0 && stat(path, &st) == 0 && st.st_dev != top.st_dev;
}

int init_enter_root(const char *dir)
{
	char from[64], to[4096];
	int err;

	for (size_t i = 0; i < sizeof(carried) / sizeof(carried[0]); i++) {
		snprintf(from, sizeof(from), "/%s", carried[i]);
		snprintf(to, sizeof(to), "%s/%s", dir, carried[i]);
		if (mounted_at(dir, carried[i]) || access(to, F_OK) < 0)
			continue;
		if (mount(from, to, NULL, MS_BIND | MS_REC, NULL) < 0)
			log_error_errno(-errno, "cannot bind %s onto %s", from, to);
		else
			bound[i] = true;
	}
	if (chroot(dir) == 0 && chdir("/") == 0)
		return 0;
	err = log_error_errno(-errno, "cannot enter the real root %s", dir);
	init_leave_root(dir);
	return err;
}

void init_leave_root(const char *prefix)
{
	char path[4096];

	/* detached, not unmounted: what a restored process opened there stays */
	for (size_t i = 0; i < sizeof(carried) / sizeof(carried[0]); i++) {
		if (!bound[i])
			continue;
		snprintf(path, sizeof(path), "%s/%s", prefix, carried[i]);
		if (umount2(path, MNT_DETACH) < 0)
			log_error_errno(-errno, "cannot detach %s", path);
		bound[i] = false;
	}
}
