/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"

static char program[64] = "ferry";
static FILE *log_file;
static char log_file_name[256];

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
	return err;
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

void log_close_file(void)
{
	if (log_file)
		fclose(log_file);
	log_file = NULL;
}
