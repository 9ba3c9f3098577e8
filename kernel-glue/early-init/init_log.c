/* SPDX-License-Identifier: MIT */
/* ferry-init's messages: on the console and in a log file. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "early_init.h"

static FILE *log_file;
static char log_name[256];

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

void init_log(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ferry-init: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (!log_file)
		return;
	fprintf(log_file, "ferry-init: ");
	va_start(ap, fmt);
	vfprintf(log_file, fmt, ap);
	va_end(ap);
	fputc('\n', log_file);
}

void init_log_close(void)
{
	if (log_file)
		fclose(log_file);
	log_file = NULL;
}
