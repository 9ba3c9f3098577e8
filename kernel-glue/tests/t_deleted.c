/* SPDX-License-Identifier: MIT */
/* A file deleted while open: two descriptions of it (one dup'ed), with
 * their offsets and flags, and a shared mapping of it. After restore the
 * contents are there, the inode is still unlinked and shared by all.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include "tlib.h"

#define SIZE 20000

int main(int argc, char **argv)
{
	char path[2048], link[4096], want[4096], buf[64];
	struct stat st;
	int fd, fd2, fd3, n;
	char *map;

	t_init("deleted", argc, argv);
	snprintf(path, sizeof(path), "%s/gone.dat", t_dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0640);
	if (fd < 0)
		t_fail("open %s: %s", path, strerror(errno));
	for (int i = 0; i < SIZE / 10; i++)
		dprintf(fd, "line %04d\n", i);
	if (ftruncate(fd, SIZE + 8192) < 0) /* a zero tail */
		t_fail("ftruncate: %s", strerror(errno));
	fd2 = open(path, O_RDONLY | O_APPEND);
	fd3 = dup(fd2);
	map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (fd2 < 0 || fd3 < 0 || map == MAP_FAILED)
		t_fail("open/dup/mmap: %s", strerror(errno));
	lseek(fd, 1230, SEEK_SET);
	lseek(fd2, 50, SEEK_SET);
	unlink(path);
	memcpy(map, "MAPPED", 6);
	t_ready();
	t_wait_go();

	snprintf(want, sizeof(want), "%s (deleted)", path);
	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", fd);
	n = readlink(buf, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	if (strcmp(link, want) != 0)
		t_fail("fd %d is '%s', not '%s'", fd, link, want);
	if (fstat(fd, &st) < 0 || st.st_nlink != 0 || st.st_size != SIZE + 8192 ||
	    (st.st_mode & 0777) != 0640)
		t_fail("fstat: nlink %ld size %lld mode %o", (long)st.st_nlink,
		       (long long)st.st_size, st.st_mode & 0777);
	if (lseek(fd, 0, SEEK_CUR) != 1230 || lseek(fd2, 0, SEEK_CUR) != 50 ||
	    lseek(fd3, 0, SEEK_CUR) != 50)
		t_fail("offsets are %lld %lld %lld, not 1230 50 50",
		       (long long)lseek(fd, 0, SEEK_CUR), (long long)lseek(fd2, 0, SEEK_CUR),
		       (long long)lseek(fd3, 0, SEEK_CUR));
	if (!(fcntl(fd2, F_GETFL) & O_APPEND) || (fcntl(fd2, F_GETFL) & O_ACCMODE) != O_RDONLY)
		t_fail("fd %d lost its flags (%#x)", fd2, fcntl(fd2, F_GETFL));
	/* contents, through the mapping and the read-only description */
	if (memcmp(map, "MAPPED", 6) != 0)
		t_fail("the mapping lost its contents");
	if (pread(fd2, buf, 10, 10) != 10 || memcmp(buf, "line 0001\n", 10) != 0)
		t_fail("contents at 10 are wrong");
	if (pread(fd2, buf, 6, 0) != 6 || memcmp(buf, "MAPPED", 6) != 0)
		t_fail("the mapping does not share the file");
	if (pread(fd2, buf, 4, SIZE + 100) != 4 || memcmp(buf, "\0\0\0\0", 4) != 0)
		t_fail("the zero tail is wrong");
	/* one inode: a write through fd is seen through fd3 and the mapping */
	if (pwrite(fd, "WRITTEN", 7, 100) != 7 || pread(fd3, buf, 7, 100) != 7 ||
	    memcmp(buf, "WRITTEN", 7) != 0)
		t_fail("the descriptions do not share one inode");
	if (memcmp(map + 100, "WRITTEN", 7) != 0)
		t_fail("the mapping does not see writes to the file");
	t_pass();
}
