/* SPDX-License-Identifier: MIT */
/*
 * The restore leaves files' times alone: a file open for writing, a
 * deleted file and a memfd, each written, then given a modification time
 * in the past (2001-09-09). After the restore each has that time again,
 * read by descriptor (and the file by path), and its contents.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include "tlib.h"

#define WHEN 1000000000

static void check(int fd, const char *what)
{
	struct stat st;
	char buf[16] = "";

	if (fstat(fd, &st) < 0)
		t_fail("fstat %s: %s", what, strerror(errno));
	if (st.st_mtim.tv_sec != WHEN || st.st_mtim.tv_nsec != 123456789)
		t_fail("%s's modification time is %lld.%09ld, not %d.123456789", what,
		       (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, WHEN);
	if (pread(fd, buf, 5, 0) != 5 || memcmp(buf, "hello", 5) != 0)
		t_fail("%s lost its contents", what);
}

int main(int argc, char **argv)
{
	struct timespec times[2] = { { WHEN, 123456789 }, { WHEN, 123456789 } };
	char path[4096], gone[4096];
	int fds[3];
	struct stat st;

	t_init("mtime", argc, argv);
	snprintf(path, sizeof(path), "%s/file", t_dir);
	snprintf(gone, sizeof(gone), "%s/deleted", t_dir);
	fds[0] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	fds[1] = open(gone, O_RDWR | O_CREAT | O_TRUNC, 0644);
	fds[2] = memfd_create("mtime", 0);
	for (int i = 0; i < 3; i++)
		if (fds[i] < 0 || write(fds[i], "hello", 5) != 5 || futimens(fds[i], times) < 0)
			t_fail("file %d: %s", i, strerror(errno));
	unlink(gone);
	t_ready();
	t_wait_go();

	check(fds[0], "the file");
	check(fds[1], "the deleted file");
	check(fds[2], "the memfd");
	if (stat(path, &st) < 0 || st.st_mtim.tv_sec != WHEN)
		t_fail("%s's modification time changed", path);
	t_pass();
}
