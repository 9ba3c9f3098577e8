// SPDX-License-Identifier: MIT
/* Map the marked range: /dev/mem, or a pmem block device covering it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cacheflush.h"
#include "region.h"
#define LOG_PREFIX "region"
#include "../common/log.h"

void ferry_region_init(struct ferry_region *r, unsigned flags)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
	r->flags = flags;
}

static int read_u64_file(const char *path, uint64_t *ret)
{
	char buf[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EINVAL;
	buf[n] = '\0';
	*ret = strtoull(buf, NULL, 0);
	return 0;
}

/* Find /dev/pmemN whose namespace starts at phys and is at least size long. */
static int find_pmem(uint64_t phys, uint64_t size, char *ret, size_t len)
{
	DIR *d = opendir("/sys/block");
	struct dirent *de;
	int r = -ENODEV;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[512];
		uint64_t start, bytes;

		if (strncmp(de->d_name, "pmem", 4))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/device/resource", de->d_name);
		if (read_u64_file(path, &start) < 0 || start != phys)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/size", de->d_name);
		if (read_u64_file(path, &bytes) < 0 || bytes * 512 < size)
			continue;
		if (strlen(de->d_name) + 6 > len)
			continue;
		memcpy(ret, "/dev/", 5);
		memcpy(ret + 5, de->d_name, strlen(de->d_name) + 1);
		r = 0;
		break;
	}
	closedir(d);
	return r;
}

static int map_fd(struct ferry_region *r, const char *dev, off_t off, uint64_t size)
{
	int oflags = O_RDWR | O_CLOEXEC;
	void *p;

	if (!(r->flags & FERRY_REGION_MAP_CACHED))
		oflags |= O_SYNC;
	r->fd = open(dev, oflags);
	if (r->fd < 0)
		return -errno;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, off);
	if (p == MAP_FAILED) {
		int err = -errno;
		close(r->fd);
		r->fd = -1;
		return err;
	}
	r->base = p;
	snprintf(r->device, sizeof(r->device), "%s", dev);
	return 0;
}

/* 1 if the kernel is locked down (Secure Boot on Debian): /dev/mem is refused. */
static int locked_down(void)
{
	char buf[128];
	ssize_t n;
	int fd = open("/sys/kernel/security/lockdown", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return !strstr(buf, "[none]");
}

int ferry_region_map(struct ferry_region *r, uint64_t phys, uint64_t size)
{
	enum ferry_region_reservation kind = FERRY_RESERVED_E820;
	const char *mem = getenv("FERRY_DEVMEM") ? getenv("FERRY_DEVMEM") : "/dev/mem";
	char pmem[32];
	int err, perr;

	if (size < FERRY_REGION_MIN_SIZE)
		return log_error_status(-ENOSPC, "0x%" PRIx64 " bytes is too small (minimum 0x%x)",
				 size, FERRY_REGION_MIN_SIZE);
	if (!(r->flags & FERRY_REGION_MAP_NOCHECK)) {
		err = ferry_region_check_reserved(phys, size, &kind);
		if (err < 0)
			return err;
	}
	r->phys = phys;
	r->size = size;

	if (kind == FERRY_RESERVED_E820) {
		err = map_fd(r, mem, (off_t)phys, size);
		if (err == 0)
			return 0;
		log_error_errno(err, "cannot map 0x%" PRIx64 "@0x%" PRIx64 " through %s",
			  size, phys, mem);
	} else {
		err = -ENODEV;
	}
	perr = find_pmem(phys, size, pmem, sizeof(pmem));
	if (perr == 0) {
		perr = map_fd(r, pmem, 0, size);
		if (perr == 0) {
			r->is_pmem = 1;
			return 0;
		}
		return log_error_errno(perr, "cannot map %s", pmem);
	}
	if (err == -EPERM && locked_down())
		return log_error_status(err, "the kernel is locked down (Secure Boot?), so /dev/mem "
				 "is closed and no pmem device covers the range: reserve it with "
				 "memmap=0x%" PRIx64 "!0x%" PRIx64 " (and load nd_e820, nd_pmem) to map "
				 "it through /dev/pmemN", size, phys);
	if (kind == FERRY_RESERVED_PMEM)
		return log_error_status(-ENODEV, "0x%" PRIx64 "@0x%" PRIx64 " is legacy persistent "
				 "memory but no /dev/pmemN covers it (load nd_e820 and nd_pmem)",
				 size, phys);
	return log_error_status(err, "no way to map the range: /dev/mem refused it "
			 "(CONFIG_STRICT_DEVMEM or kernel lockdown?) and no pmem device covers it "
			 "(reserve it with memmap=0x%" PRIx64 "!0x%" PRIx64 " to get /dev/pmemN)",
			 size, phys);
}

int ferry_region_open(struct ferry_region *r)
{
	char cmdline[4096];
	uint64_t size, phys;
	int err;

	err = ferry_region_read_cmdline(cmdline, sizeof(cmdline));
	if (err < 0)
		return err;
	err = ferry_region_from_cmdline(cmdline, &size, &phys);
	if (err == -ENOENT)
		return log_error_status(err, "no ferry.region=SIZE@ADDR on the kernel command line "
				 "(add it together with memmap=SIZE$ADDR)");
	if (err < 0)
		return log_error_errno(err, "bad ferry.region= on the kernel command line "
				 "(expected SIZE@ADDR, page aligned, e.g. 64M@0x30000000)");
	return ferry_region_map(r, phys, size);
}

void ferry_region_close(struct ferry_region *r)
{
	if (r->base)
		munmap(r->base, r->size);
	if (r->fd >= 0)
		close(r->fd);
	r->base = NULL;
	r->fd = -1;
}

void ferry_region_flush(const struct ferry_region *r, uint64_t off, uint64_t len)
{
	if (!r->base || off >= r->size)
		return;
	if (len > r->size - off)
		len = r->size - off;
	ferry_arch_flush_range(r->base + off, len);
	if (r->is_pmem) {
		/* page cache over a block device: push it to the device */
		uint64_t start = off & ~(uint64_t)(FERRY_REGION_PAGE - 1);

		msync(r->base + start, len + (off - start), MS_SYNC);
		fsync(r->fd);
	}
}
