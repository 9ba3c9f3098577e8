/* SPDX-License-Identifier: MIT */
/*
 * seccomp filters, shared and not: the main thread installs filter A
 * (getppid fails with EPERM), makes a second thread (which inherits A),
 * installs filter B (getpgrp kills the process) with TSYNC, so both
 * threads share A and B; the second thread adds filter C of its own
 * (getsid fails with EACCES). After the restore: each thread's mode and
 * number of filters are as they were, getppid fails with EPERM in both
 * threads, getsid with EACCES only in the second, a child forked to call
 * getpgrp is killed by SIGSYS; and A and B are one filter object for both
 * threads again: a TSYNC from the second thread, which needs the main
 * thread's chain to be part of its own, succeeds. (getppid() is called
 * through syscall(): glibc's returns the kernel's -errno, not -1.)
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 * host-test: run RESTORE_LAZY=1 usr1 1
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "tlib.h"

#define DENY(sysno, action)                                                                    \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),               \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (sysno), 0, 1), BPF_STMT(BPF_RET | BPF_K, (action)), \
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static pid_t second_tid;
static int to_second[2], from_second[2];
static char second_result[160];

static long install(unsigned flags, struct sock_filter *insns, unsigned short n)
{
	struct sock_fprog prog = { .len = n, .filter = insns };

	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static long filter_a(unsigned flags)
{
	struct sock_filter f[] = { DENY(SYS_getppid, SECCOMP_RET_ERRNO | EPERM) };

	return install(flags, f, 4);
}

static long filter_b(unsigned flags)
{
	struct sock_filter f[] = { DENY(SYS_getpgrp, SECCOMP_RET_KILL_PROCESS) };

	return install(flags, f, 4);
}

static long filter_c(unsigned flags)
{
	struct sock_filter f[] = { DENY(SYS_getsid, SECCOMP_RET_ERRNO | EACCES) };

	return install(flags, f, 4);
}

static long allow_all(unsigned flags)
{
	struct sock_filter f[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };

	return install(flags, f, 1);
}

/* "MODE FILTERS" of a thread, from its status */
static void seccomp_of(pid_t tid, int *mode, int *filters)
{
	char path[64], line[128];
	FILE *f;

	*mode = *filters = -1;
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "Seccomp: %d", mode);
		sscanf(line, "Seccomp_filters: %d", filters);
	}
	fclose(f);
}

static void *second(void *arg)
{
	char c;

	(void)arg;
	second_tid = syscall(SYS_gettid);
	/* B first, from the main thread */
	if (read(to_second[0], &c, 1) != 1)
		return NULL;
	if (filter_c(0) < 0) {
		snprintf(second_result, sizeof(second_result), "filter C: %s", strerror(errno));
		return NULL;
	}
	if (write(from_second[1], "r", 1) != 1 || read(to_second[0], &c, 1) != 1)
		return NULL;
	/* after the restore */
	if (syscall(SYS_getppid) != -1 || errno != EPERM)
		snprintf(second_result, sizeof(second_result), "getppid is allowed");
	else if (getsid(0) != -1 || errno != EACCES)
		snprintf(second_result, sizeof(second_result), "getsid is allowed");
	else if (allow_all(SECCOMP_FILTER_FLAG_TSYNC) != 0)
		snprintf(second_result, sizeof(second_result), "TSYNC from it fails (%ld): the "
			 "threads do not share A and B", allow_all(SECCOMP_FILTER_FLAG_TSYNC));
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th_second;
	int mode, filters, status;
	char c;
	pid_t child;

	t_init("seccomp", argc, argv);
	if (pipe(to_second) < 0 || pipe(from_second) < 0)
		t_fail("pipe: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || filter_a(0) < 0)
		t_fail("filter A: %s", strerror(errno));
	if (pthread_create(&th_second, NULL, second, NULL) != 0)
		t_fail("second thread");
	if (filter_b(SECCOMP_FILTER_FLAG_TSYNC) != 0)
		t_fail("filter B with TSYNC: %s", strerror(errno));
	if (write(to_second[1], "b", 1) != 1 || read(from_second[0], &c, 1) != 1)
		t_fail("the second thread: %s", second_result);
	if (second_result[0])
		t_fail("second thread: %s", second_result);

	t_ready();
	t_wait_go();

	seccomp_of(getpid(), &mode, &filters);
	if (mode != 2 || filters != 2)
		t_fail("main thread: mode %d, %d filters (not 2, 2)", mode, filters);
	seccomp_of(second_tid, &mode, &filters);
	if (mode != 2 || filters != 3)
		t_fail("second thread: mode %d, %d filters (not 2, 3)", mode, filters);
	if (syscall(SYS_getppid) != -1 || errno != EPERM)
		t_fail("getppid is allowed in the main thread");
	if (getsid(0) < 0)
		t_fail("getsid fails in the main thread: %s", strerror(errno));
	child = fork();
	if (child == 0) {
		syscall(SYS_getpgrp);
		_exit(0);
	}
	if (child < 0 || waitpid(child, &status, 0) != child || !WIFSIGNALED(status) ||
	    WTERMSIG(status) != SIGSYS)
		t_fail("a child calling getpgrp was not killed by SIGSYS (status %#x)", status);
	if (write(to_second[1], "g", 1) != 1)
		t_fail("write: %s", strerror(errno));
	pthread_join(th_second, NULL);
	if (second_result[0])
		t_fail("second thread: %s", second_result);
	seccomp_of(getpid(), &mode, &filters);
	if (filters != 4)
		t_fail("after the TSYNC of the second thread, the main thread has %d filters, "
		       "not 4", filters);
	t_pass();
}
