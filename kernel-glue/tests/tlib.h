/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the checkpoint/restore test programs. A test program gets a
 * directory, sets up its state, creates DIR/ready, and waits (in whatever
 * way it tests) to be checkpointed and restored; then it checks its state
 * and prints "PASS: name" or "FAIL: name: why" and exits 0 or 1. SIGUSR1,
 * sent by the driver after the last restore, means "check now".
 */
#ifndef FERRY_TLIB_H
#define FERRY_TLIB_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static const char *t_name = "?";
static const char *t_dir = ".";
static volatile sig_atomic_t t_go;

static void t_on_usr1(int sig)
{
	(void)sig;
	t_go = 1;
}

static void t_init(const char *name, int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = t_on_usr1, .sa_flags = SA_RESTART };

	/* nothing inherited beyond stdio: the test owns all its state */
	syscall(SYS_close_range, 3, ~0u, 0);
	t_name = name;
	if (argc > 1)
		t_dir = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	setsid();
	sigaction(SIGUSR1, &sa, NULL);
	printf("started %s pid %d\n", name, getpid());
}

static void t_ready(void)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/ready", t_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
}

__attribute__((unused)) static void t_wait_go(void)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	while (!t_go)
		nanosleep(&ts, NULL);
}

__attribute__((noreturn, format(printf, 1, 2))) static void t_fail(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL: %s: ", t_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(1);
}

__attribute__((noreturn, unused)) static void t_pass(void)
{
	printf("PASS: %s\n", t_name);
	exit(0);
}

__attribute__((unused)) static double t_now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Where the kernel's [vdso] is mapped now (/proc/self/maps), or 0. */
__attribute__((unused)) static uint64_t t_vdso_start(void)
{
	char line[512];
	uint64_t start = 0;
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[vdso]"))
			start = strtoull(line, NULL, 16);
	if (f)
		fclose(f);
	return start;
}

/*
 * The state letter of process @pid (R, S, T, Z...: the field after its
 * comm in /proc/PID/stat), or '?' if it cannot be read.
 */
__attribute__((unused)) static char t_state_of(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

#endif
