/* SPDX-License-Identifier: MIT */
/*
 * Boot#### and BootNext through efivarfs: a file per variable, named
 * NAME-GUID, holding the 4-byte attributes followed by the value.
 *
 * Boot####: EFI_LOAD_OPTION (UEFI 2.10, 3.1.3): u32 attributes,
 * u16 file path list length, the description (UCS-2, NUL-terminated),
 * then the device path and optional data.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "internal.h"
#include "via_reboot.h"

#define EFI_VARIABLE_NON_VOLATILE 0x1u
#define EFI_VARIABLE_BOOTSERVICE_ACCESS 0x2u
#define EFI_VARIABLE_RUNTIME_ACCESS 0x4u

static void var_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, EFIVARS_DIR "/%s-" EFI_GLOBAL_GUID, name);
}

/* The value of variable @name (attributes stripped): its length or -errno. */
static ssize_t var_read(const char *name, uint8_t *buf, size_t cap)
{
	uint8_t raw[4096];
	char path[256];
	ssize_t n;
	int fd;

	var_path(path, sizeof(path), name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, raw, sizeof(raw));
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	if (n < 4)
		return -EIO;
	n -= 4;
	if ((size_t)n > cap)
		n = (ssize_t)cap;
	memcpy(buf, raw + 4, (size_t)n);
	return n;
}

/* Does Boot@num carry the description @label? 1, 0, or -errno. */
static int entry_is(uint16_t num, const char *label)
{
	uint8_t v[4096];
	char name[16];
	size_t i, n = strlen(label);
	ssize_t len;

	snprintf(name, sizeof(name), "Boot%04X", num);
	len = var_read(name, v, sizeof(v));
	if (len < 0)
		return (int)len;
	/* attributes (4), path list length (2), description */
	if ((size_t)len < 6 + 2 * (n + 1))
		return 0;
	for (i = 0; i <= n; i++) {
		uint16_t c = (uint16_t)(v[6 + 2 * i] | v[7 + 2 * i] << 8);

		if (c != (i < n ? (uint8_t)label[i] : 0))
			return 0;
	}
	return 1;
}

static int hex4(const char *s, uint16_t *ret)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (unsigned)(c - '0');
		else if (c >= 'A' && c <= 'F')
			v = v << 4 | (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*ret = (uint16_t)v;
	return 0;
}

int efivars_find_entry(const char *label, uint16_t *ret_num)
{
	uint8_t order[512];
	struct dirent *de;
	ssize_t len;
	DIR *d;
	int r;

	if (access(EFIVARS_DIR, F_OK) < 0)
		return -errno;
	len = var_read("BootOrder", order, sizeof(order));
	for (ssize_t i = 0; i + 1 < len; i += 2) {
		uint16_t num = (uint16_t)(order[i] | order[i + 1] << 8);

		if (entry_is(num, label) == 1) {
			*ret_num = num;
			return 0;
		}
	}
	/* not in BootOrder: BootNext can still name it */
	d = opendir(EFIVARS_DIR);
	if (!d)
		return -errno;
	r = -ENOENT;
	while ((de = readdir(d))) {
		uint16_t num;

		if (strncmp(de->d_name, "Boot", 4) || hex4(de->d_name + 4, &num) < 0 ||
		    strcmp(de->d_name + 8, "-" EFI_GLOBAL_GUID))
			continue;
		if (entry_is(num, label) == 1) {
			*ret_num = num;
			r = 0;
			break;
		}
	}
	closedir(d);
	return r;
}

/* efivarfs marks some variables immutable; BootNext normally is not. */
static void make_mutable(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), flags;

	if (fd < 0)
		return;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && (flags & FS_IMMUTABLE_FL)) {
		flags &= ~FS_IMMUTABLE_FL;
		(void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
	}
	close(fd);
}

int efivars_set_boot_next(uint16_t num)
{
	uint32_t attr = EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS |
			EFI_VARIABLE_RUNTIME_ACCESS;
	uint8_t buf[6];
	char path[256];
	ssize_t n;
	int fd, r = 0;

	var_path(path, sizeof(path), "BootNext");
	make_mutable(path);
	memcpy(buf, &attr, 4);
	buf[4] = (uint8_t)num;
	buf[5] = (uint8_t)(num >> 8);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	/* one write: efivarfs sets the variable from it */
	n = write(fd, buf, sizeof(buf));
	if (n < 0)
		r = -errno;
	else if (n != (ssize_t)sizeof(buf))
		r = -EIO;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (r == 0) {
		uint8_t v[2];

		if (var_read("BootNext", v, sizeof(v)) != 2 || (v[0] | v[1] << 8) != num)
			r = -EIO;
	}
	return r;
}

int efivars_clear_boot_next(void)
{
	char path[256];

	var_path(path, sizeof(path), "BootNext");
	make_mutable(path);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}
