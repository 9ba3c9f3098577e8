/* SPDX-License-Identifier: MIT */
/*
 * Open file description locks (F_OFD_SETLK): a write lock of one open of a
 * file, a read lock of a second open, shared with a dup() of it. After the
 * restore another process meets both with F_OFD_GETLK and F_GETLK as
 * before, /proc/locks shows the same locks, and each still belongs to its
 * own open file description: the second open cannot take what the first
 * holds, the dup sees the read lock as its own.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include "tlocks.h"

static int ofd_lock(int fd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

	return fcntl(fd, F_OFD_SETLK, &fl);
}

static int check_locked(void *arg)
{
	char path[4096];
	int fd, bad = 0;

	(void)arg;
	snprintf(path, sizeof(path), "%s/ofd.data", t_dir);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return 1;
	/* an OFD lock belongs to no process: its pid reads as -1 */
	bad |= t_probe(fd, F_OFD_GETLK, F_RDLCK, 50, 1, F_WRLCK, 0, 100, -1);
	bad |= t_probe(fd, F_GETLK, F_RDLCK, 50, 1, F_WRLCK, 0, 100, -1);
	bad |= t_probe(fd, F_OFD_GETLK, F_WRLCK, 250, 1, F_RDLCK, 200, 0, -1);
	bad |= t_probe(fd, F_OFD_GETLK, F_RDLCK, 250, 1, F_UNLCK, 0, 0, 0);
	bad |= t_probe(fd, F_OFD_GETLK, F_WRLCK, 120, 50, F_UNLCK, 0, 0, 0);
	if (ofd_lock(fd, F_WRLCK, 0, 1) == 0 || errno != EAGAIN) {
		printf("note: another open could take byte 0\n");
		bad = 1;
	}
	return bad;
}

int main(int argc, char **argv)
{
	char path[4096], before[4096], after[4096], block[4096] = { 0 };
	int a, b, d, fds[1];

	t_init("lock-ofd", argc, argv);
	snprintf(path, sizeof(path), "%s/ofd.data", t_dir);
	a = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	b = open(path, O_RDONLY);
	d = dup(b);
	if (a < 0 || b < 0 || d < 0 || write(a, block, sizeof(block)) != sizeof(block))
		t_fail("cannot make the file: %s", strerror(errno));
	if (ofd_lock(a, F_WRLCK, 0, 100) < 0 || ofd_lock(b, F_RDLCK, 200, 0) < 0)
		t_fail("F_OFD_SETLK: %s", strerror(errno));
	fds[0] = a;
	t_locks_of(fds, 1, before, sizeof(before));
	t_from_outside("the locks before the checkpoint", check_locked, NULL);
	t_ready();
	t_wait_go();

	t_locks_of(fds, 1, after, sizeof(after));
	if (strcmp(before, after))
		t_fail("/proc/locks shows\n%sinstead of\n%s", after, before);
	t_from_outside("the locks after the restore", check_locked, NULL);
	/* owners: the second open cannot take the first's range, the dup
	 * shares the second's lock and the first converts its own */
	if (ofd_lock(b, F_RDLCK, 10, 10) == 0 || errno != EAGAIN)
		t_fail("the second open took part of the first one's write lock");
	if (t_probe(d, F_OFD_GETLK, F_WRLCK, 300, 1, F_UNLCK, 0, 0, 0))
		t_fail("the dup does not own the read lock of its open file description");
	if (t_probe(a, F_OFD_GETLK, F_WRLCK, 300, 1, F_RDLCK, 200, 0, -1))
		t_fail("the first open does not meet the second one's read lock");
	if (ofd_lock(a, F_RDLCK, 0, 100) < 0)
		t_fail("the first open cannot turn its own lock into a read lock: %s",
		       strerror(errno));
	if (ofd_lock(b, F_RDLCK, 10, 10) < 0)
		t_fail("a read lock does not share with a read lock: %s", strerror(errno));
	t_pass();
}
