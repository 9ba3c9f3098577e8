/* SPDX-License-Identifier: MIT */
/* Two memfds: one open, sealed, mapped shared and written through the
 * mapping; one only mapped (its fd closed). After restore: names, seals,
 * contents, and the mapping shares the memfd.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <sys/mman.h>

#include "tlib.h"

int main(int argc, char **argv)
{
	char link[256], buf[64];
	char *map, *only;
	int fd, fd2, n, seals;

	t_init("memfd", argc, argv);
	fd = memfd_create("ferry-test", MFD_ALLOW_SEALING);
	fd2 = memfd_create("mapped-only", 0);
	if (fd < 0 || fd2 < 0)
		t_fail("memfd_create: %s", strerror(errno));
	if (ftruncate(fd, 3 * 4096) < 0 || ftruncate(fd2, 4096) < 0)
		t_fail("ftruncate: %s", strerror(errno));
	map = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	only = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
	if (map == MAP_FAILED || only == MAP_FAILED)
		t_fail("mmap: %s", strerror(errno));
	close(fd2);
	strcpy(map + 4096, "through the mapping");
	strcpy(only, "only mapped");
	if (pwrite(fd, "through the fd", 14, 0) != 14)
		t_fail("pwrite: %s", strerror(errno));
	lseek(fd, 77, SEEK_SET);
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0)
		t_fail("F_ADD_SEALS: %s", strerror(errno));
	t_ready();
	t_wait_go();

	snprintf(buf, sizeof(buf), "/proc/self/fd/%d", fd);
	n = readlink(buf, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = 0;
	if (strcmp(link, "/memfd:ferry-test (deleted)") != 0)
		t_fail("fd %d is '%s'", fd, link);
	seals = fcntl(fd, F_GET_SEALS);
	if (seals != (F_SEAL_SHRINK | F_SEAL_GROW))
		t_fail("seals are %#x, not %#x", seals, F_SEAL_SHRINK | F_SEAL_GROW);
	if (ftruncate(fd, 4096) == 0)
		t_fail("the shrink seal does not hold");
	if (lseek(fd, 0, SEEK_CUR) != 77)
		t_fail("the offset is %lld, not 77", (long long)lseek(fd, 0, SEEK_CUR));
	if (strcmp(only, "only mapped") != 0 || strcmp(map + 4096, "through the mapping") != 0 ||
	    memcmp(map, "through the fd", 14) != 0)
		t_fail("the contents are not back");
	if (pread(fd, buf, 19, 4096) != 19 || memcmp(buf, "through the mapping", 19) != 0)
		t_fail("the memfd does not hold what the mapping wrote");
	if (pwrite(fd, "after", 5, 8192) != 5 || memcmp(map + 8192, "after", 5) != 0)
		t_fail("the mapping does not share the memfd");
	t_pass();
}
