/* SPDX-License-Identifier: MIT */
/*
 * Locks ferry cannot carry exactly, each named by `ferry check` and by
 * the checkpoint (lock_refused.sh checkpoints this process alone, --pid):
 *
 *   outside.data  a POSIX read lock here, another by a child (outside)
 *   waiting.data  a POSIX write lock here, a child waits for it in F_SETLKW
 *   shared.data   an exclusive flock lock of an open file description a
 *                 child shares
 *   mapped.data   an exclusive flock lock whose descriptor was closed: only
 *                 a shared mapping keeps its open file description
 *   a pipe        a flock lock on it (a new inode after a restore)
 *   lease.data    a read lease a child's open has begun to break
 *
 * After the refusals the process runs on untouched: on SIGUSR1 it checks
 * that its locks and the children's are all still there.
 *
 * host-test: by lock_refused.sh
 */
#include <sys/file.h>
#include <sys/mman.h>

#include "tlocks.h"

static char path_buf[4096];

static const char *path_of(const char *name)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", t_dir, name);
	return path_buf;
}

static int make(const char *name, int flags)
{
	int fd = open(path_of(name), O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, 4096) < 0 || close(fd) < 0 ||
	    (fd = open(path_of(name), flags)) < 0)
		t_fail("cannot make %s: %s", name, strerror(errno));
	return fd;
}

static void posix(int fd, int cmd, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };

	if (fcntl(fd, cmd, &fl) < 0)
		t_fail("fcntl lock: %s", strerror(errno));
}

/* A child outside the selection: @what, then it waits to be killed. */
static pid_t child(int what)
{
	pid_t pid = fork();
	int fd;

	if (pid != 0)
		return pid;
	switch (what) {
	case 0: /* a read lock of its own on the parent's file */
		fd = open(path_of("outside.data"), O_RDONLY);
		posix(fd, F_SETLK, F_RDLCK);
		break;
	case 1: /* waits for the parent's write lock */
		fd = open(path_of("waiting.data"), O_RDWR);
		posix(fd, F_SETLKW, F_WRLCK);
		printf("FAIL: %s: the waiting child got the lock\n", t_name);
		break;
	case 2: /* keeps the shared open file description */
		break;
	}
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	char before[4096] = "", after[4096];
	int outside, waiting, shared, mapped, lease, p[2], fds[4], k;
	pid_t kids[3];
	void *map;

	t_init("lock-refused", argc, argv);
	signal(SIGIO, SIG_IGN);
	outside = make("outside.data", O_RDONLY);
	posix(outside, F_SETLK, F_RDLCK);
	waiting = make("waiting.data", O_RDWR);
	posix(waiting, F_SETLK, F_WRLCK);
	shared = make("shared.data", O_RDWR);
	mapped = make("mapped.data", O_RDWR);
	if (flock(shared, LOCK_EX | LOCK_NB) < 0 || flock(mapped, LOCK_EX | LOCK_NB) < 0)
		t_fail("flock: %s", strerror(errno));
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, mapped, 0);
	if (map == MAP_FAILED || close(mapped) < 0)
		t_fail("mmap: %s", strerror(errno));
	if (pipe(p) < 0 || flock(p[0], LOCK_EX | LOCK_NB) < 0)
		t_fail("flock on a pipe: %s", strerror(errno));
	lease = make("lease.data", O_RDONLY);
	if (fcntl(lease, F_SETLEASE, F_RDLCK) < 0)
		t_fail("F_SETLEASE: %s", strerror(errno));
	for (int i = 0; i < 3; i++)
		kids[i] = child(i);
	/* an open for writing begins to break the lease, without waiting */
	k = open(path_of("lease.data"), O_WRONLY | O_NONBLOCK);
	if (k >= 0 || errno != EWOULDBLOCK)
		t_fail("the open did not meet the lease (%s)", k >= 0 ? "opened" : strerror(errno));
	fds[0] = outside, fds[1] = waiting, fds[2] = shared, fds[3] = lease;
	/* the child waiting in F_SETLKW is queued */
	for (int i = 0; i < 200 && !strstr(before, "-> "); i++) {
		usleep(10000);
		t_locks_of(fds, 4, before, sizeof(before));
	}
	if (!strstr(before, "-> "))
		t_fail("the child is not waiting:\n%s", before);
	t_ready();
	t_wait_go();

	t_locks_of(fds, 4, after, sizeof(after));
	if (strcmp(before, after))
		t_fail("after the refusals /proc/locks shows\n%sinstead of\n%s", after, before);
	if (flock(p[0], LOCK_EX | LOCK_NB) < 0)
		t_fail("the pipe's flock lock is gone: %s", strerror(errno));
	for (int i = 0; i < 3; i++)
		kill(kids[i], SIGKILL);
	t_pass();
}
