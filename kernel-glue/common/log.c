/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static char program[64] = "ferry";
static FILE *log_file;
static char log_file_name[256];
static bool kmsg_on, kmsg_missing;
static void (*listener)(void *arg, enum log_level level, const char *text);
static void *listener_arg;
static char first_error[512];

void log_set_program(const char *p)
{
	snprintf(program, sizeof(program), "%s", p ? p : "ferry");
}

const char *log_program(void)
{
	return program;
}

bool log_debug_enabled(void)
{
	static int enabled = -1;

	if (enabled < 0) {
		const char *e = getenv("FERRY_DEBUG");

		enabled = e && *e && strcmp(e, "0") != 0;
	}
	return enabled;
}

int log_errno(int err)
{
	return err < 0 ? err : -EIO;
}

/*
 * One record per line. /dev/kmsg lets each open file burst 10 records in
 * 5 s unless printk.devkmsg=on; ferry-init writes a few dozen lines once
 * per boot, so it opens the device for each one.
 */
static void kmsg_write(enum log_level level, const char *line)
{
	static const int kmsg_level[] = {
		[LOG_ERROR] = 3, [LOG_WARNING] = 4, [LOG_HINT] = 5, [LOG_INFO] = 6, [LOG_DEBUG] = 7,
	};
	char rec[1024];
	int fd, n;

	if (kmsg_missing)
		return;
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		kmsg_missing = true;
		fprintf(stderr, "%s: cannot open /dev/kmsg: %s (not in the kernel's log)\n", program,
			strerror(errno));
		return;
	}
	/* the kernel takes about 1 KiB per record */
	n = snprintf(rec, sizeof(rec), "<%d>%.900s", kmsg_level[level], line);
	if (n > 0 && write(fd, rec, (size_t)n) < 0 && errno != EINVAL)
		kmsg_missing = true;
	close(fd);
}

int log_line(const char *prefix, enum log_level level, int err, const char *fmt, ...)
{
	static const char *const tags[] = {
		[LOG_WARNING] = "warning: ", [LOG_HINT] = "hint: ", [LOG_DEBUG] = "debug: ",
	};
	const char *tag = tags[level] ? tags[level] : "";
	char msg[1024], line[1400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line), "%s: %s%s%s%s%s%s\n", program, tag, prefix ? prefix : "",
		 prefix ? ": " : "", msg, err ? ": " : "", err ? strerror(-err) : "");
	fputs(line, stderr);
	if (log_file)
		fputs(line, log_file);
	if (kmsg_on)
		kmsg_write(level, line);
	if ((level == LOG_ERROR && !first_error[0]) || listener) {
		/* the line without the program and the tag */
		char text[1400];

		snprintf(text, sizeof(text), "%s%s%s%s%s", prefix ? prefix : "", prefix ? ": " : "",
			 msg, err ? ": " : "", err ? strerror(-err) : "");
		if (level == LOG_ERROR && !first_error[0])
			snprintf(first_error, sizeof(first_error), "%.500s", text);
		if (listener)
			listener(listener_arg, level, text);
	}
	return err;
}

void log_open_kmsg(void)
{
	kmsg_on = true;
}

void log_set_listener(void (*fn)(void *arg, enum log_level level, const char *text), void *arg)
{
	listener = fn;
	listener_arg = arg;
}

const char *log_first_error(void)
{
	return first_error[0] ? first_error : NULL;
}

void log_open_file(const char *path)
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
		log_line(NULL, LOG_ERROR, 0, "cannot open the log %s: %s (console only)", path,
			 strerror(errno));
		return;
	}
	snprintf(log_file_name, sizeof(log_file_name), "%s", path);
	setvbuf(log_file, NULL, _IOLBF, 0);
}

const char *log_file_path(void)
{
	return log_file ? log_file_name : NULL;
}

int log_file_fd(void)
{
	return log_file ? fileno(log_file) : -1;
}

void log_close_file(void)
{
	if (log_file)
		fclose(log_file);
	log_file = NULL;
}
