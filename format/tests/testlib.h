/* SPDX-License-Identifier: MIT */
/*
 * What the unit tests of format/ share: one line per case ("PASS: name",
 * "PASS: name (detail)" or "FAIL: name: why", the protocol of
 * mk/run-tests.sh), cases run in a child process so that a crash is a FAIL
 * naming the signal instead of the end of the run, and the rewriting of
 * checksums that lets a test reach the check it aims at.
 */
#ifndef FERRY_TESTLIB_H
#define FERRY_TESTLIB_H

#include <stddef.h>
#include <stdint.h>

/* Record why the running case fails; returns -1 for `return test_fail(...)`. */
__attribute__((format(printf, 1, 2))) int test_fail(const char *fmt, ...);

/* Print the case's line: r < 0 is a failure with the last test_fail() text. */
void test_report(const char *name, int r, const char *detail);

/* Say what the running case found, for its PASS line. */
__attribute__((format(printf, 1, 2))) void test_detail(const char *fmt, ...);

/* Run @fn(@arg) in a child process and report it. A case that dies of a
 * signal or exits without a verdict (a sanitizer's abort) fails saying so. */
void test_run_isolated(const char *name, int (*fn)(const void *arg), const void *arg);

/* Cases failed so far; main returns test_exit_status(). */
int test_exit_status(void);

/* The whole file into a new malloc'ed buffer. Returns 0 or -1. */
int test_read_file(const char *path, uint8_t **ret_buf, size_t *ret_len);

/* Recompute the header CRC of the image @img. */
void test_fix_header_crc(uint8_t *img);

/* Recompute the digest and the header CRC, as a forger would. Returns 0, or
 * -1 when the header or layout no longer open (the CRC is fixed anyway). */
int test_reseal(uint8_t *img, size_t len);

#endif
