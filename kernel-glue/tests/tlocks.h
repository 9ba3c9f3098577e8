/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the lock test programs (t_lock_*.c, t_lease.c): what another
 * process sees of the locks on a few files, in /proc/locks and with
 * F_GETLK, so that a program can compare it before the checkpoint and
 * after the restore.
 */
#ifndef FERRY_TLOCKS_H
#define FERRY_TLOCKS_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tlib.h"

static int t_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The lines of /proc/locks about the files open as @fds, each without the
 * kernel's ordinal (waiting requests as "-> LINE", without the indentation
 * that says which they wait behind), sorted, one per line, into @buf.
 */
__attribute__((unused)) static void t_locks_of(const int *fds, int nfds, char *buf, size_t size)
{
	char *lines[256], line[256];
	int n = 0;
	FILE *f = fopen("/proc/locks", "r");

	buf[0] = 0;
	if (!f)
		t_fail("cannot read /proc/locks: %s", strerror(errno));
	while (n < 256 && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':'), dev[64] = "", out[256];
		unsigned long long ino = 0;
		bool waiter = false, ours = false;

		if (!p)
			continue;
		for (p++; *p == ' '; p++)
			;
		if (strncmp(p, "->", 2) == 0) {
			waiter = true;
			for (p += 2; *p == ' '; p++)
				;
		}
		if (sscanf(p, "%*s %*s %*s %*d %63s", dev) != 1 || !strrchr(dev, ':'))
			continue;
		ino = strtoull(strrchr(dev, ':') + 1, NULL, 10);
		for (int i = 0; i < nfds; i++) {
			struct stat st;

			if (fstat(fds[i], &st) == 0 && st.st_ino == ino)
				ours = true;
		}
		if (!ours)
			continue;
		snprintf(out, sizeof(out), "%s%s", waiter ? "-> " : "", p);
		lines[n++] = strdup(out);
	}
	fclose(f);
	qsort(lines, n, sizeof(lines[0]), t_cmp_str);
	for (int i = 0; i < n; i++) {
		size_t used = strlen(buf);

		snprintf(buf + used, size - used, "%s", lines[i]);
		free(lines[i]);
	}
}

/* The "lock:" lines of fdinfo of our own fd @fd, without their ordinal. */
__attribute__((unused)) static void t_fd_locks(int fd, char *buf, size_t size)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	buf[0] = 0;
	if (!f)
		t_fail("cannot read %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line + 5, ':');
		size_t used = strlen(buf);

		if (strncmp(line, "lock:", 5) != 0 || !p)
			continue;
		for (p++; *p == ' '; p++)
			;
		snprintf(buf + used, size - used, "%s", p);
	}
	fclose(f);
}

/*
 * Run @check(@arg) in a new child process, one that holds none of our
 * locks and did not exist at the checkpoint; fail with what it printed
 * unless it exits 0.
 */
__attribute__((unused)) static void t_from_outside(const char *what, int (*check)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		t_fail("fork: %s", strerror(errno));
	if (pid == 0)
		_exit(check(arg));
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		t_fail("seen from another process: %s", what);
}

/* In a checking child: what F_GETLK (@cmd F_GETLK or F_OFD_GETLK) says a
 * lock of @type on [@start, +@len) of @fd would meet; 0 if it is what is
 * expected (@want_type F_UNLCK: nothing), else print why and return 1. */
__attribute__((unused)) static int t_probe(int fd, int cmd, short type, off_t start, off_t len,
					   short want_type, off_t want_start, off_t want_len,
					   pid_t want_pid)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

	if (fcntl(fd, cmd, &fl) < 0) {
		printf("note: F_GETLK: %s\n", strerror(errno));
		return 1;
	}
	if (fl.l_type != want_type ||
	    (want_type != F_UNLCK && (fl.l_start != want_start || fl.l_len != want_len ||
				      fl.l_pid != want_pid))) {
		printf("note: a %s lock on %lld+%lld meets type %d at %lld+%lld of pid %d, not type "
		       "%d at %lld+%lld of pid %d\n", type == F_WRLCK ? "write" : "read",
		       (long long)start, (long long)len, fl.l_type, (long long)fl.l_start,
		       (long long)fl.l_len, fl.l_pid, want_type, (long long)want_start,
		       (long long)want_len, want_pid);
		return 1;
	}
	return 0;
}

#endif
