/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static char prefix[64] = "ferry";

void log_set_prefix(const char *p)
{
	snprintf(prefix, sizeof(prefix), "%s", p);
}

const char *log_prefix(void)
{
	return prefix;
}

static void log_vprint(const char *tag, const char *fmt, va_list ap, const char *suffix)
{
	fprintf(stderr, "%s: %s", prefix, tag);
	vfprintf(stderr, fmt, ap);
	if (suffix)
		fprintf(stderr, ": %s", suffix);
	fputc('\n', stderr);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint("", fmt, ap, NULL);
	va_end(ap);
}

int log_error_errno(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint("", fmt, ap, strerror(err < 0 ? -err : err));
	va_end(ap);
	return err;
}

void log_hint(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vprint("hint: ", fmt, ap, NULL);
	va_end(ap);
}
