/* SPDX-License-Identifier: MIT */
/*
 * Messages of kernel-glue/ on stderr, with errno text. Errors are logged and
 * returned in one line:
 *
 *	return glue_err(-errno, "pid %d: cannot read %s", pid, path);
 *
 * prints "PREFIX: pid 12: cannot read /proc/12/maps: No such file or
 * directory" and returns the negative errno. FERRY_DEBUG=1 in the
 * environment turns on glue_debug().
 */
#ifndef FERRY_GLUE_LOG_H
#define FERRY_GLUE_LOG_H

#include <stdbool.h>

/* "ferry checkpoint" or similar; the default is "ferry". */
void glue_log_set_prefix(const char *prefix);

/*
 * Hand each message also to @fn, after it went to stderr: its level
 * ("error", "warning", "debug") and its text without the prefix (errno text
 * included). For reports that carry the messages, such as `ferry check
 * --json`. NULL: stderr only.
 */
void glue_log_set_listener(void (*fn)(void *arg, const char *level, const char *msg),
			   void *arg);

/* Print "PREFIX: MESSAGE: strerror(-err)" and return @err (negative errno). */
int glue_err(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print "PREFIX: MESSAGE". */
void glue_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void glue_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void glue_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool glue_debug_enabled(void);

/* The text of the first error this process logged (without the prefix),
 * or NULL: the reason a refused operation records. */
const char *glue_log_first_error(void);

#endif
