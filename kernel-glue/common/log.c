/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static const char *log_prefix = "ferry";
static void (*listener)(void *arg, const char *level, const char *msg);
static void *listener_arg;
static char first_error[512];

void glue_log_set_prefix(const char *prefix)
{
	log_prefix = prefix ? prefix : "ferry";
}

void glue_log_set_listener(void (*fn)(void *arg, const char *level, const char *msg),
			   void *arg)
{
	listener = fn;
	listener_arg = arg;
}

const char *glue_log_first_error(void)
{
	return first_error[0] ? first_error : NULL;
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
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err)
		fprintf(stderr, "%s: %s%s: %s\n", log_prefix, kind, msg, strerror(-err));
	else
		fprintf(stderr, "%s: %s%s\n", log_prefix, kind, msg);
	n = strlen(msg);
	if (err)
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(-err));
	if (!first_error[0] && !kind[0])
		snprintf(first_error, sizeof(first_error), "%s", msg);
	if (!listener)
		return;
	listener(listener_arg, !strcmp(kind, "warning: ") ? "warning" :
			       !strcmp(kind, "debug: ") ? "debug" : "error", msg);
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
