/* SPDX-License-Identifier: MIT */
/*
 * The filesystems whose files ferry opens again by path (by_path.h), by
 * the names the inventory gives them (inventory/fds.c): disks, networks
 * and memory, where a name stays bound to its file. Not among them: the
 * kernel's own (proc, nsfs, bpf, tracefs, ...), whose files are views of
 * objects, and mqueue, whose path the restorer's mount namespace lacks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "../common/procfs.h"
#include "../common/mountinfo.h"
#include "by_path.h"

static const char *const keep_paths[] = {
	"ext4", "xfs", "btrfs", "tmpfs", "overlayfs", "nfs", "fuse", "vfat", "exfat", "f2fs",
	"squashfs", "iso9660", "ramfs", "zfs", "ntfs", "9p", "ceph", "cifs", "smb2", "erofs",
	"jfs", "reiserfs", "bcachefs", "sysfs", "hugetlbfs",
};

bool by_path_filesystem(const struct inv_item *it)
{
	for (size_t i = 0; i < sizeof(keep_paths) / sizeof(keep_paths[0]); i++)
		if (strcmp(it->value, keep_paths[i]) == 0)
			return true;
	return false;
}

bool by_path_lost_at_boot(dev_t dev, char *where, size_t size)
{
	struct mountinfo *v;
	bool lost = false;
	size_t n;

	if (mountinfo_read_self(&v, &n) < 0)
		return false;
	for (size_t i = 0; i < n && !lost; i++) {
		const struct mountinfo *m = &v[i];

		if (makedev(m->dev_major, m->dev_minor) == dev && strcmp(m->point, "/") != 0 &&
		    (strcmp(m->fstype, "tmpfs") == 0 || strcmp(m->fstype, "ramfs") == 0)) {
			mountinfo_unescape(m->point, where, size);
			lost = true;
		}
	}
	free(v);
	return lost;
}
