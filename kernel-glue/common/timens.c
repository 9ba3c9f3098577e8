/* SPDX-License-Identifier: MIT */
/*
 * /proc/PID/timens_offsets shows the offsets of the namespace a task's
 * children enter; it is the task's own when /proc/PID/ns/time and
 * /proc/PID/ns/time_for_children are one namespace (always, unless the
 * task unshared one and made no child since).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "procfs.h"
#include "timens.h"

#define NSEC 1000000000ll

int64_t timens_clock_ns(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

int64_t timens_process_clock_ns(pid_t pid, int clock)
{
	struct timens_offsets mine = { 0 }, theirs = { 0 };
	int64_t now = timens_clock_ns(clock);

	if (clock != CLOCK_MONOTONIC && clock != CLOCK_BOOTTIME && clock != CLOCK_BOOTTIME_ALARM)
		return now;
	timens_read(0, &mine);
	timens_read(pid, &theirs);
	if (clock == CLOCK_MONOTONIC)
		return now - mine.monotonic_ns + theirs.monotonic_ns;
	return now - mine.boottime_ns + theirs.boottime_ns;
}

int timens_read(pid_t pid, struct timens_offsets *ret)
{
	char path[64], path2[64], *text, *line;
	struct stat a, b;
	int r;

	memset(ret, 0, sizeof(*ret));
	snprintf(path, sizeof(path), "/proc/%d/ns/time", pid ? pid : getpid());
	snprintf(path2, sizeof(path2), "/proc/%d/ns/time_for_children", pid ? pid : getpid());
	if (stat(path, &a) < 0 || stat(path2, &b) < 0)
		return -ENOENT;
	snprintf(path, sizeof(path), "/proc/%d/timens_offsets", pid ? pid : getpid());
	r = proc_read_file(path, &text, NULL);
	if (r < 0)
		return r;
	for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		char name[32];
		long long sec;
		long nsec;

		if (sscanf(line, "%31s %lld %ld", name, &sec, &nsec) != 3)
			continue;
		if (strcmp(name, "monotonic") == 0 || strcmp(name, "1") == 0)
			ret->monotonic_ns = sec * NSEC + nsec;
		else if (strcmp(name, "boottime") == 0 || strcmp(name, "7") == 0)
			ret->boottime_ns = sec * NSEC + nsec;
	}
	free(text);
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev ? 0 : -EXDEV;
}

/* "sec nsec" with 0 <= nsec < 1e9, as the kernel wants it */
static void split(int64_t ns, long long *sec, long *nsec)
{
	*sec = ns / NSEC;
	*nsec = ns % NSEC;
	if (*nsec < 0) {
		*nsec += NSEC;
		(*sec)--;
	}
}

int timens_write_for_children(const struct timens_offsets *o)
{
	long long ms, bs;
	long mn, bn;
	char buf[128];
	int fd, n, r = 0;

	split(o->monotonic_ns, &ms, &mn);
	split(o->boottime_ns, &bs, &bn);
	n = snprintf(buf, sizeof(buf), "monotonic %lld %ld\nboottime %lld %ld\n", ms, mn, bs, bn);
	fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, n) != n)
		r = -errno;
	close(fd);
	return r;
}
