/* SPDX-License-Identifier: MIT */
/*
 * Lock requests that wait, checkpointed with --tree while they wait:
 *
 *   P  holds a POSIX write lock on bytes 0-99 of a file, an OFD write lock
 *   |  on bytes 200-299 of it and an exclusive flock lock on a second file;
 *   |  its thread T1 waits in F_OFD_SETLKW for bytes 200-299 through another
 *   |  open, its thread T2 in flock(LOCK_EX) through another open
 *   +- C  waits in F_SETLKW for bytes 0-99
 *   +- X  waits in lockf(F_LOCK) for bytes 50-59
 *
 * After the restore /proc/locks shows the same locks and the same four
 * requests waiting behind them, none of them has been granted; then P
 * gives up each lock, and each waiter gets what it waited for, in turn.
 *
 * host-test: by scenario_tree.sh
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/file.h>

#include "tlocks.h"

static int o2, f2;
static atomic_int t1_got, t2_got;

static void *t1_main(void *arg)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 200, .l_len = 100 };

	(void)arg;
	if (fcntl(o2, F_OFD_SETLKW, &fl) == 0)
		t1_got = 1;
	else
		t1_got = -errno;
	return NULL;
}

static void *t2_main(void *arg)
{
	(void)arg;
	t2_got = flock(f2, LOCK_EX) == 0 ? 1 : -errno;
	return NULL;
}

/* A child that waits for a lock on the file, then says so on @report. */
static pid_t waiter(const char *path, int report, bool use_lockf)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100 };
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return pid;
	fd = open(path, O_RDWR);
	if (fd < 0)
		_exit(2);
	if (use_lockf) {
		if (lseek(fd, 50, SEEK_SET) != 50 || lockf(fd, F_LOCK, 10) < 0)
			_exit(3);
	} else if (fcntl(fd, F_SETLKW, &fl) < 0) {
		_exit(3);
	}
	/* it is ours now: nobody else holds any of it */
	if (write(report, use_lockf ? "X" : "C", 1) != 1)
		_exit(4);
	_exit(0);
}

static int count_waiting(const char *locks)
{
	int n = 0;

	for (const char *p = locks; (p = strstr(p, "-> ")); p++)
		n++;
	return n;
}

/* Poll /proc/locks until it shows @want (or 4 waiting requests when NULL). */
static void wait_locks(const int *fds, int n, char *buf, size_t size, const char *want)
{
	for (int i = 0; i < 500; i++) {
		t_locks_of(fds, n, buf, size);
		if (want ? strcmp(buf, want) == 0 : count_waiting(buf) == 4)
			return;
		usleep(10000);
	}
	if (want)
		t_fail("/proc/locks shows\n%sinstead of\n%s", buf, want);
	t_fail("the requests are not all waiting:\n%s", buf);
}

static void give_up(int fd, int cmd, off_t start, off_t len)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

	if (fcntl(fd, cmd, &fl) < 0)
		t_fail("cannot give up a lock: %s", strerror(errno));
}

static void wait_flag(atomic_int *flag, const char *who)
{
	for (int i = 0; i < 500 && !*flag; i++)
		usleep(10000);
	if (*flag != 1)
		t_fail("%s did not get its lock (%d)", who, *flag);
}

int main(int argc, char **argv)
{
	char w[4096], f[4096], before[8192], after[8192], got[2];
	struct flock posix = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100 };
	struct flock ofd = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 200, .l_len = 100 };
	int pw, o1, f1, report[2], fds[2], status;
	pthread_t t1, t2;
	pid_t c, x;

	t_init("lock-waiter", argc, argv);
	snprintf(w, sizeof(w), "%s/waiter.data", t_dir);
	snprintf(f, sizeof(f), "%s/waiter.flock", t_dir);
	pw = open(w, O_RDWR | O_CREAT | O_TRUNC, 0644);
	o1 = open(w, O_RDWR);
	o2 = open(w, O_RDWR);
	f1 = open(f, O_RDWR | O_CREAT | O_TRUNC, 0644);
	f2 = open(f, O_RDONLY);
	if (pw < 0 || o1 < 0 || o2 < 0 || f1 < 0 || f2 < 0 || pipe(report) < 0)
		t_fail("cannot make the files: %s", strerror(errno));
	if (fcntl(pw, F_SETLK, &posix) < 0 || fcntl(o1, F_OFD_SETLK, &ofd) < 0 ||
	    flock(f1, LOCK_EX | LOCK_NB) < 0)
		t_fail("cannot take the locks: %s", strerror(errno));
	c = waiter(w, report[1], false);
	x = waiter(w, report[1], true);
	if (c < 0 || x < 0 || pthread_create(&t1, NULL, t1_main, NULL) ||
	    pthread_create(&t2, NULL, t2_main, NULL))
		t_fail("cannot start the waiters");
	fcntl(report[0], F_SETFL, O_NONBLOCK);
	fds[0] = pw, fds[1] = f1;
	wait_locks(fds, 2, before, sizeof(before), NULL);
	t_ready();
	t_wait_go();

	/* back, and waiting again as they were */
	wait_locks(fds, 2, after, sizeof(after), before);
	if (t1_got || t2_got || read(report[0], got, 1) != -1)
		t_fail("a waiter got its lock while the holder still held it");
	give_up(o1, F_OFD_SETLK, 200, 100);
	wait_flag(&t1_got, "the thread waiting in F_OFD_SETLKW");
	if (flock(f1, LOCK_UN) < 0)
		t_fail("flock(LOCK_UN): %s", strerror(errno));
	wait_flag(&t2_got, "the thread waiting in flock()");
	if (t_probe(pw, F_GETLK, F_WRLCK, 0, 1, F_UNLCK, 0, 0, 0))
		t_fail("a child got bytes 0-99 while this process held them");
	give_up(pw, F_SETLK, 0, 100);
	fcntl(report[0], F_SETFL, 0);
	for (int i = 0; i < 2; i++)
		if (read(report[0], got, 1) != 1)
			t_fail("a waiting child did not say it got its lock");
	if (waitpid(c, &status, 0) != c || !WIFEXITED(status) || WEXITSTATUS(status) ||
	    waitpid(x, &status, 0) != x || !WIFEXITED(status) || WEXITSTATUS(status))
		t_fail("a waiting child failed");
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	t_pass();
}
