/* SPDX-License-Identifier: MIT */
/*
 * Logging for the region and kexec glue: one line on stderr, errno text
 * appended, the error returned so callers can `return region_log_errno(r, ...)`.
 */
#ifndef FERRY_REGION_LOG_H
#define FERRY_REGION_LOG_H

__attribute__((format(printf, 1, 2)))
void region_log_info(const char *fmt, ...);

/* err is a negative errno; prints "...: strerror(-err)" and returns err. */
__attribute__((format(printf, 2, 3)))
int region_log_errno(int err, const char *fmt, ...);

/* Prints the message as is and returns err. */
__attribute__((format(printf, 2, 3)))
int region_log_error(int err, const char *fmt, ...);

#endif
