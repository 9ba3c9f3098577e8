/* SPDX-License-Identifier: MIT */
/*
 * ferry-init's messages: on the console, in a log file, and in the kernel's
 * log through /dev/kmsg, where they outlive the /run the real init mounts
 * over and reach the journal (journalctl -b, dmesg) as "ferry-init: ...".
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "early_init.h"

#define KMSG "/dev/kmsg"
/* the kernel takes at most about 1 KiB per record written to /dev/kmsg */
#define KMSG_LINE_MAX 900

static FILE *log_file;
static char log_name[256];
static bool kmsg_missing;
static int console_fd = -1; /* -1: stderr */

void init_log_set_console(int fd)
{
	fflush(stderr);
	console_fd = fd;
}

int init_log_console(void)
{
	return console_fd >= 0 ? console_fd : 2;
}

void init_log_open(const char *path)
{
	char dir[256], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		mkdir(dir, 0755);
	}
	log_file = fopen(path, "ae");
	if (!log_file) {
		fprintf(stderr, "ferry-init: cannot open the log %s: %s (console only)\n", path,
			strerror(errno));
		return;
	}
	snprintf(log_name, sizeof(log_name), "%s", path);
	setvbuf(log_file, NULL, _IOLBF, 0);
}

const char *init_log_path(void)
{
	return log_file ? log_name : NULL;
}

/*
 * One record "<LEVEL>ferry-init: MESSAGE" (facility user, as the kernel
 * gives what user space writes). /dev/kmsg limits each open file to a burst
 * of 10 records in 5 s unless printk.devkmsg=on; ferry-init writes a few
 * dozen lines once per boot, so it opens the device for each one. Without
 * /dev/kmsg (no devtmpfs, a container) the console and the file remain.
 */
static void kmsg_write(int level, const char *msg)
{
	char rec[KMSG_LINE_MAX + 32];
	int fd, n;

	if (kmsg_missing)
		return;
	fd = open(KMSG, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		kmsg_missing = true;
		fprintf(stderr, "ferry-init: cannot open %s: %s (not in the kernel's log)\n", KMSG,
			strerror(errno));
		return;
	}
	n = snprintf(rec, sizeof(rec), "<%d>ferry-init: %.*s\n", level, KMSG_LINE_MAX, msg);
	if (n > 0 && write(fd, rec, (size_t)n) < 0 && errno != EINVAL)
		kmsg_missing = true;
	close(fd);
}

static void log_v(int level, const char *fmt, va_list ap)
{
	char msg[2048];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (console_fd >= 0)
		dprintf(console_fd, "ferry-init: %s\n", msg);
	else
		fprintf(stderr, "ferry-init: %s\n", msg);
	if (log_file)
		fprintf(log_file, "ferry-init: %s\n", msg);
	kmsg_write(level, msg);
}

void init_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(LOG_INFO, fmt, ap);
	va_end(ap);
}

void init_log_at(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(level, fmt, ap);
	va_end(ap);
}

void init_log_close(void)
{
	if (log_file)
		fclose(log_file);
	log_file = NULL;
}
