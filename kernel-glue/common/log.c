/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *log_prefix = "ferry";

void glue_log_set_prefix(const char *prefix)
{
	log_prefix = prefix ? prefix : "ferry";
}

bool glue_debug_enabled(void)
{
	static int enabled = -1;

	if (enabled < 0) {
		const char *e = getenv("FERRY_DEBUG");

		enabled = e && *e && strcmp(e, "0") != 0;
	}
	return enabled;
}

static void log_line(const char *kind, int err, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err)
		fprintf(stderr, "%s: %s%s: %s\n", log_prefix, kind, msg, strerror(-err));
	else
		fprintf(stderr, "%s: %s%s\n", log_prefix, kind, msg);
}

int glue_err(int err, const char *fmt, ...)
{
	va_list ap;

	if (err >= 0)
		err = -EIO;
	va_start(ap, fmt);
	log_line("", err, fmt, ap);
	va_end(ap);
	return err;
}

void glue_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("", 0, fmt, ap);
	va_end(ap);
}

void glue_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_line("warning: ", 0, fmt, ap);
	va_end(ap);
}

void glue_debug(const char *fmt, ...)
{
	va_list ap;

	if (!glue_debug_enabled())
		return;
	va_start(ap, fmt);
	log_line("debug: ", 0, fmt, ap);
	va_end(ap);
}
