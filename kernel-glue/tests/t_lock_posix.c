/* SPDX-License-Identifier: MIT */
/*
 * POSIX record locks (fcntl F_SETLK, lockf) owned by the process, on two
 * files, one of them through two open file descriptions: write and read
 * locks on byte ranges, one to the end of the file. After the restore
 * another process meets each of them with F_GETLK as before (type, range,
 * owner), /proc/locks shows the same locks, the process's fdinfo shows
 * each on the descriptor it was taken through, and they work: one given
 * up is free to another process, the others still keep it out.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include "tlocks.h"

static int a, b, c;

static void lock(int fd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

	if (fcntl(fd, F_SETLK, &fl) < 0)
		t_fail("F_SETLK %lld+%lld: %s", (long long)start, (long long)len, strerror(errno));
}

/* What another process meets on the locked file. */
static int check_locked(void *arg)
{
	pid_t owner = *(pid_t *)arg;
	char path[4096];
	int fd, bad = 0;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 20, .l_len = 10 };

	snprintf(path, sizeof(path), "%s/posix.data", t_dir);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return 1;
	bad |= t_probe(fd, F_GETLK, F_RDLCK, 0, 1, F_WRLCK, 0, 10, owner);
	bad |= t_probe(fd, F_GETLK, F_WRLCK, 150, 1, F_RDLCK, 100, 100, owner);
	bad |= t_probe(fd, F_GETLK, F_RDLCK, 150, 1, F_UNLCK, 0, 0, 0);
	bad |= t_probe(fd, F_GETLK, F_WRLCK, 305, 1, F_RDLCK, 300, 10, owner);
	bad |= t_probe(fd, F_GETLK, F_RDLCK, 520, 1, F_WRLCK, 500, 50, owner);
	bad |= t_probe(fd, F_GETLK, F_RDLCK, 1 << 30, 1, F_WRLCK, 1000, 0, owner);
	bad |= t_probe(fd, F_GETLK, F_WRLCK, 20, 10, F_UNLCK, 0, 0, 0);
	if (fcntl(fd, F_SETLK, &fl) < 0) {
		printf("note: the free range 20+10 cannot be locked: %s\n", strerror(errno));
		bad = 1;
	}
	return bad;
}

/* After the parent gave up 0+10: free to others, the rest still held. */
static int check_released(void *arg)
{
	pid_t owner = *(pid_t *)arg;
	char path[4096];
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
	int fd, bad = 0;

	snprintf(path, sizeof(path), "%s/posix.data", t_dir);
	fd = open(path, O_RDWR);
	if (fd < 0 || fcntl(fd, F_SETLK, &fl) < 0) {
		printf("note: 0+10 is still held after it was given up\n");
		return 1;
	}
	bad |= t_probe(fd, F_GETLK, F_RDLCK, 520, 1, F_WRLCK, 500, 50, owner);
	return bad;
}

static int check_other(void *arg)
{
	pid_t owner = *(pid_t *)arg;
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/posix.other", t_dir);
	fd = open(path, O_RDWR);
	return fd < 0 || t_probe(fd, F_GETLK, F_WRLCK, 7, 1, F_RDLCK, 0, 0, owner);
}

int main(int argc, char **argv)
{
	char path[4096], before[4096], after[4096], fa[1024], fb[1024], fc[1024];
	char fa2[1024], fb2[1024], fc2[1024], block[4096] = { 0 };
	int fds[3];
	pid_t me;

	t_init("lock-posix", argc, argv);
	me = getpid();
	snprintf(path, sizeof(path), "%s/posix.data", t_dir);
	a = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	b = open(path, O_RDONLY);
	snprintf(path, sizeof(path), "%s/posix.other", t_dir);
	c = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (a < 0 || b < 0 || c < 0 || write(a, block, sizeof(block)) != sizeof(block))
		t_fail("cannot make the files: %s", strerror(errno));
	lock(a, F_WRLCK, 0, 10);
	lock(a, F_RDLCK, 100, 100);
	lock(a, F_WRLCK, 1000, 0);
	lock(b, F_RDLCK, 300, 10);
	/* lockf() locks from the file offset */
	if (lseek(a, 500, SEEK_SET) != 500 || lockf(a, F_TLOCK, 50) < 0)
		t_fail("lockf: %s", strerror(errno));
	lock(c, F_RDLCK, 0, 0);
	fds[0] = a, fds[1] = b, fds[2] = c;
	t_locks_of(fds, 3, before, sizeof(before));
	t_fd_locks(a, fa, sizeof(fa));
	t_fd_locks(b, fb, sizeof(fb));
	t_fd_locks(c, fc, sizeof(fc));
	t_from_outside("the locks before the checkpoint", check_locked, &me);
	t_ready();
	t_wait_go();

	t_locks_of(fds, 3, after, sizeof(after));
	if (strcmp(before, after))
		t_fail("/proc/locks shows\n%sinstead of\n%s", after, before);
	t_fd_locks(a, fa2, sizeof(fa2));
	t_fd_locks(b, fb2, sizeof(fb2));
	t_fd_locks(c, fc2, sizeof(fc2));
	if (strcmp(fa, fa2) || strcmp(fb, fb2) || strcmp(fc, fc2))
		t_fail("fdinfo shows the locks\n%s%s%sinstead of\n%s%s%s", fa2, fb2, fc2, fa, fb, fc);
	if (lseek(a, 0, SEEK_CUR) != 500)
		t_fail("the offset moved");
	t_from_outside("the locks after the restore", check_locked, &me);
	t_from_outside("the lock of the other file", check_other, &me);
	lock(a, F_UNLCK, 0, 10);
	t_from_outside("a lock given up after the restore", check_released, &me);
	t_pass();
}
