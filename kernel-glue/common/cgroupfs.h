/* SPDX-License-Identifier: MIT */
/* The cgroup file systems as this process sees them. All return 0 or -errno
 * and do not log. */
#ifndef FERRY_GLUE_CGROUPFS_H
#define FERRY_GLUE_CGROUPFS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Where hierarchy @ctrl is mounted whole (the mount's root is the
 * hierarchy's root), in @buf: @ctrl as /proc/PID/cgroup names it, "" for
 * cgroup2, "cpu,cpuacct" or "name=systemd" for cgroup v1. -ENOENT: not
 * mounted here.
 */
int cgroupfs_mount(const char *ctrl, char *buf, size_t size);

/* The processes of the cgroup directory @dir and of every cgroup below
 * it (cgroup.procs), in *ret (malloc'd). */
int cgroupfs_members(const char *dir, pid_t **ret, size_t *ret_n);

#endif
