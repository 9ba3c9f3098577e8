/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ferry/image.h"
#include "diag.h"
#include "layout.h"
#include "le.h"
#include "testlib.h"

static int failures;
static char fail_msg[512];
static char detail_msg[256];

int test_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(fail_msg, sizeof(fail_msg), fmt, ap);
	va_end(ap);
	return -1;
}

void test_detail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail_msg, sizeof(detail_msg), fmt, ap);
	va_end(ap);
}

void test_report(const char *name, int r, const char *detail)
{
	if (r < 0) {
		printf("FAIL: %s: %s\n", name, fail_msg);
		failures++;
	} else if (detail && *detail) {
		printf("PASS: %s (%s)\n", name, detail);
	} else {
		printf("PASS: %s\n", name);
	}
	fflush(stdout);
}

/* What the child sends back: its verdict, the failure text or the detail. */
struct verdict {
	int r;
	char text[512];
};

void test_run_isolated(const char *name, int (*fn)(const void *arg), const void *arg)
{
	struct verdict v = { .r = -1 };
	int fds[2], status;
	ssize_t got = 0, n;
	pid_t pid;

	fflush(stdout);
	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		test_fail("cannot start the case: %s", strerror(errno));
		test_report(name, -1, NULL);
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		detail_msg[0] = '\0';
		v.r = fn(arg);
		snprintf(v.text, sizeof(v.text), "%s", v.r < 0 ? fail_msg : detail_msg);
		if (write(fds[1], &v, sizeof(v)) != (ssize_t)sizeof(v))
			_exit(2);
		fflush(stdout);
		_exit(0);
	}
	close(fds[1]);
	while (got < (ssize_t)sizeof(v) &&
	       ((n = read(fds[0], (char *)&v + got, sizeof(v) - (size_t)got)) > 0 ||
		(n < 0 && errno == EINTR)))
		got += n > 0 ? n : 0;
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status)) {
		test_fail("the case died of signal %d (%s)", WTERMSIG(status),
			  strsignal(WTERMSIG(status)));
		v.r = -1;
	} else if (got != (ssize_t)sizeof(v) || !WIFEXITED(status) || WEXITSTATUS(status)) {
		test_fail("the case ended without a verdict (exit status %d; a sanitizer report may be above)",
			  WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		v.r = -1;
	} else if (v.r < 0) {
		test_fail("%s", v.text);
	}
	test_report(name, v.r, v.r < 0 ? NULL : v.text);
}

int test_exit_status(void)
{
	return failures ? 1 : 0;
}

int test_read_file(const char *path, uint8_t **ret_buf, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	if (!buf)
		return -1;
	*ret_buf = buf;
	*ret_len = (size_t)n;
	return 0;
}

void test_fix_header_crc(uint8_t *img)
{
	le32_store(img + HDR_CRC, ferry_header_crc(img));
}

int test_reseal(uint8_t *img, size_t len)
{
	struct ferry_image im;
	uint8_t digest[FERRY_DIGEST_SIZE];

	test_fix_header_crc(img);
	if (ferry_image_open(&im, img, len, FERRY_OPEN_ALLOW_UNSEALED, NULL) < 0)
		return -1;
	(void)ferry_image_compute_digest(&im, digest, NULL);
	memcpy(img + HDR_DIGEST, digest, sizeof(digest));
	test_fix_header_crc(img);
	return 0;
}
