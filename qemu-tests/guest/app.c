/* SPDX-License-Identifier: MIT */
/*
 * guest-app: the application the update scenarios carry across kernels.
 *
 *   guest-app [--log PATH] [--console DEV] [--period MS] [--mem MIB] [--stdout]
 *             [--syscall-clock] [--dirty MIB]
 *   guest-app --copy-to PATH        (reads lines on stdin, appends them)
 *
 * Counts every PERIOD ms and appends "N REALTIME_MS" to PATH (one open
 * descriptor, so the offset must survive), every 10th count also to the
 * console DEV, or to stdout with --stdout (a pipeline's first stage). It
 * logs "start PID" once, when it starts: a second one means a restart. With
 * --mem it holds MIB of data (a pattern it checks every second count) and
 * writes "data bad" if any of it changed. --syscall-clock reads the clock
 * with the system call instead of the vDSO. --dirty writes the first MIB of
 * that data again (the same values) at each count: a process that keeps
 * writing a small part of its memory (make bench-precopy).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int syscall_clock;

static uint64_t now_ms(void)
{
	struct timespec ts;

	if (syscall_clock)
		syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
	else
		clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int copy_to(const char *path)
{
	char line[256];
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);

	if (fd < 0)
		return 1;
	while (fgets(line, sizeof(line), stdin))
		if (write(fd, line, strlen(line)) < 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	const char *log = "/data/counter.log", *console = NULL;
	unsigned long period = 100, mib = 0, n = 0, dirty_mib = 0;
	int to_stdout = 0, fd, cfd = -1;
	uint64_t *data = NULL;
	size_t words = 0;
	char line[128];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--log") && i + 1 < argc)
			log = argv[++i];
		else if (!strcmp(argv[i], "--console") && i + 1 < argc)
			console = argv[++i];
		else if (!strcmp(argv[i], "--period") && i + 1 < argc)
			period = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--mem") && i + 1 < argc)
			mib = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--dirty") && i + 1 < argc)
			dirty_mib = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--syscall-clock"))
			syscall_clock = 1;
		else if (!strcmp(argv[i], "--stdout"))
			to_stdout = 1;
		else if (!strcmp(argv[i], "--copy-to") && i + 1 < argc)
			return copy_to(argv[i + 1]);
		else {
			fprintf(stderr, "guest-app: unknown argument %s\n", argv[i]);
			return 2;
		}
	}
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if (fd < 0) {
		perror(log);
		return 1;
	}
	if (console)
		cfd = open(console, O_WRONLY | O_NOCTTY);
	if (mib) {
		words = mib * 1024 * 1024 / sizeof(*data);
		data = malloc(words * sizeof(*data));
		if (!data)
			return 1;
		/* not compressible to nothing, cheap to check */
		for (size_t i = 0; i < words; i++)
			data[i] = (i * 0x9e3779b97f4a7c15ull) ^ (i >> 7);
	}
	snprintf(line, sizeof(line), "start %d\n", getpid());
	if (write(fd, line, strlen(line)) < 0)
		return 1;
	for (;;) {
		struct timespec tick = { period / 1000, (period % 1000) * 1000000 };
		int len;

		n++;
		for (size_t i = 0; data && i < dirty_mib * 1024 * 1024 / sizeof(*data) && i < words;
		     i++)
			((volatile uint64_t *)data)[i] = (i * 0x9e3779b97f4a7c15ull) ^ (i >> 7);
		if (data && n % 20 == 0)
			for (size_t i = 0; i < words; i += 509)
				if (data[i] != ((i * 0x9e3779b97f4a7c15ull) ^ (i >> 7))) {
					len = snprintf(line, sizeof(line), "data bad at %zu\n", i);
					if (write(fd, line, len) < 0)
						return 1;
					break;
				}
		len = snprintf(line, sizeof(line), "%lu %llu\n", n, (unsigned long long)now_ms());
		if (write(fd, line, len) < 0)
			return 1;
		if (to_stdout && (write(1, line, len) < 0))
			return 1;
		if (cfd >= 0 && n % 10 == 0) {
			len = snprintf(line, sizeof(line), "guest-app %d: count %lu\n", getpid(), n);
			if (write(cfd, line, len) < 0)
				cfd = -1;
		}
		nanosleep(&tick, NULL);
	}
}
