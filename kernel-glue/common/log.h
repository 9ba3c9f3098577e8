/* SPDX-License-Identifier: MIT */
/*
 * The one logger of kernel-glue/ and tools/ferry: one line per message on
 * stderr, and in the log file when one is open (ferry-init's):
 *
 *	PROGRAM: [warning: |hint: |debug: ][PREFIX: ]MESSAGE[: errno text]
 *
 * PROGRAM is set once by the program ("ferry checkpoint", "ferry-init";
 * "ferry" until then). PREFIX is the file's own, for a file that speaks for
 * a part of its own; it defines it before including this header:
 *
 *	#define LOG_PREFIX "region"
 *	#include "../common/log.h"
 *
 * Errors are logged and returned in one line:
 *
 *	return log_error_errno(-errno, "pid %d: cannot read %s", pid, path);
 *
 * prints "ferry checkpoint: pid 12: cannot read /proc/12/maps: No such file
 * or directory" and returns the negative errno. FERRY_DEBUG=1 in the
 * environment turns on log_debug().
 */
#ifndef FERRY_GLUE_LOG_H
#define FERRY_GLUE_LOG_H

#include <stdbool.h>

#ifndef LOG_PREFIX
#define LOG_PREFIX NULL
#endif

enum log_level {
	LOG_ERROR,
	LOG_WARNING, /* "warning: " */
	LOG_HINT,    /* "hint: ": what the user can do about the error before */
	LOG_INFO,
	LOG_DEBUG,   /* "debug: ", only with FERRY_DEBUG=1 */
};

/* The line of @level for @fmt, with @prefix; with "strerror(-@err)" after
 * it when @err is not 0. Returns @err. */
int log_line(const char *prefix, enum log_level level, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#define log_error(...) ((void)log_line(LOG_PREFIX, LOG_ERROR, 0, __VA_ARGS__))
#define log_warning(...) ((void)log_line(LOG_PREFIX, LOG_WARNING, 0, __VA_ARGS__))
#define log_hint(...) ((void)log_line(LOG_PREFIX, LOG_HINT, 0, __VA_ARGS__))
#define log_info(...) ((void)log_line(LOG_PREFIX, LOG_INFO, 0, __VA_ARGS__))
#define log_debug(...) ((void)(log_debug_enabled() && log_line(LOG_PREFIX, LOG_DEBUG, 0, __VA_ARGS__)))
/* Print "MESSAGE: strerror(-err)" and return @err, a negative errno (-EIO
 * when it is not one). */
#define log_error_errno(err, ...) log_line(LOG_PREFIX, LOG_ERROR, log_errno(err), __VA_ARGS__)
/* Print "MESSAGE" (no errno text) and return @err. */
#define log_error_status(err, ...) (log_error(__VA_ARGS__), (err))

/* @err as a negative errno: -EIO when it is not one. */
int log_errno(int err);
bool log_debug_enabled(void);

/* "ferry" or "ferry CMD", "ferry-init": set once the program is known. */
void log_set_program(const char *program);
const char *log_program(void);

/* Every line goes to @path too, from now on (its directory is made). A
 * failure is logged and the lines stay on stderr. */
void log_open_file(const char *path);
/* The log file's path, or NULL when none is open. */
const char *log_file_path(void);
/* Its descriptor, or -1: for a helper process that closes all others. */
int log_file_fd(void);
void log_close_file(void);

/*
 * Every line goes to the kernel's log too, from now on: one record
 * "<LEVEL>PROGRAM: ..." written to /dev/kmsg (ferry-init's, where the real
 * init's journal and dmesg find it; level 3 error, 4 warning, 5 hint,
 * 6 info, 7 debug; facility user, as the kernel gives user space). Without
 * /dev/kmsg that is said once and the other places remain.
 */
void log_open_kmsg(void);

/*
 * Hand each line also to @fn, after it was written: its level and its
 * text without the program (prefix and errno text included). For reports
 * that carry the messages (`ferry check --json`) and for the reason of a
 * failure (ferry-init). NULL: none.
 */
void log_set_listener(void (*fn)(void *arg, enum log_level level, const char *text),
		      void *arg);

/* The text of the first error this process logged, or NULL: the reason a
 * refused operation records. */
const char *log_first_error(void);

#endif
