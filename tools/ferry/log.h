/* SPDX-License-Identifier: MIT */
/*
 * Messages for the user, on stderr, prefixed with the program or command
 * name. Errors are logged and returned in one line:
 *
 *	return log_error_errno(-errno, "cannot open image '%s'", path);
 *
 * prints "ferry inspect: cannot open image 'x': No such file or directory"
 * and returns the negative errno.
 */
#ifndef FERRY_TOOL_LOG_H
#define FERRY_TOOL_LOG_H

/* "ferry" or "ferry CMD": set once the command is known. */
void log_set_prefix(const char *prefix);
const char *log_prefix(void);

/* Print "PREFIX: MESSAGE". */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "PREFIX: MESSAGE: strerror(-err)" and return @err (a negative errno). */
int log_error_errno(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print "PREFIX: hint: MESSAGE": what the user can do about the error. */
void log_hint(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
