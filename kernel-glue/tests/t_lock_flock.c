/* SPDX-License-Identifier: MIT */
/*
 * flock() locks, which belong to an open file description: an exclusive
 * lock on one file (its descriptor dup()ed), shared locks of two opens of
 * a second file, and a shared lock on a directory. After the restore
 * /proc/locks shows the same locks (the pid that took each) and another
 * process is kept out as before: no lock at all on the first file, no
 * exclusive one on the second or the directory, while a shared one is
 * granted.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <sys/file.h>

#include "tlocks.h"

static int try_flock(const char *name, int flags, int op)
{
	char path[4096];
	int fd, r;

	snprintf(path, sizeof(path), "%s%s%s", t_dir, *name ? "/" : "", name);
	fd = open(path, flags);
	if (fd < 0)
		return -1;
	r = flock(fd, op | LOCK_NB);
	close(fd);
	return r;
}

static int check_locked(void *arg)
{
	int bad = 0;

	(void)arg;
	if (try_flock("flock.a", O_RDONLY, LOCK_SH) == 0) {
		printf("note: flock.a is not locked exclusively\n");
		bad = 1;
	}
	if (try_flock("flock.b", O_RDONLY, LOCK_EX) == 0 ||
	    try_flock("flock.b", O_RDONLY, LOCK_SH) < 0) {
		printf("note: flock.b is not under shared locks only\n");
		bad = 1;
	}
	if (try_flock("", O_RDONLY | O_DIRECTORY, LOCK_EX) == 0 ||
	    try_flock("", O_RDONLY | O_DIRECTORY, LOCK_SH) < 0) {
		printf("note: the directory is not under a shared lock only\n");
		bad = 1;
	}
	return bad;
}

static int check_released(void *arg)
{
	(void)arg;
	return try_flock("flock.a", O_RDONLY, LOCK_EX) < 0;
}

int main(int argc, char **argv)
{
	char path[4096], before[4096], after[4096];
	int a, a2, b1, b2, d, fds[3];

	t_init("lock-flock", argc, argv);
	snprintf(path, sizeof(path), "%s/flock.a", t_dir);
	a = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	a2 = dup(a);
	snprintf(path, sizeof(path), "%s/flock.b", t_dir);
	b1 = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	b2 = open(path, O_RDONLY);
	d = open(t_dir, O_RDONLY | O_DIRECTORY);
	if (a < 0 || a2 < 0 || b1 < 0 || b2 < 0 || d < 0)
		t_fail("cannot make the files: %s", strerror(errno));
	if (flock(a, LOCK_EX | LOCK_NB) < 0 || flock(b1, LOCK_SH | LOCK_NB) < 0 ||
	    flock(b2, LOCK_SH | LOCK_NB) < 0 || flock(d, LOCK_SH | LOCK_NB) < 0)
		t_fail("flock: %s", strerror(errno));
	fds[0] = a, fds[1] = b1, fds[2] = d;
	t_locks_of(fds, 3, before, sizeof(before));
	t_from_outside("the locks before the checkpoint", check_locked, NULL);
	t_ready();
	t_wait_go();

	t_locks_of(fds, 3, after, sizeof(after));
	if (strcmp(before, after))
		t_fail("/proc/locks shows\n%sinstead of\n%s", after, before);
	t_from_outside("the locks after the restore", check_locked, NULL);
	/* the lock is the open file description's: given up through the dup */
	if (flock(a2, LOCK_UN) < 0)
		t_fail("flock(LOCK_UN): %s", strerror(errno));
	t_from_outside("the lock given up through the dup", check_released, NULL);
	t_pass();
}
