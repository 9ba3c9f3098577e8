/* SPDX-License-Identifier: MIT */
/*
 * Holes in files the image carries: a deleted file and a memfd, each 2 MiB
 * with data in its first page, a hole, a page of data at 1 MiB, a page of
 * zeros written out (allocated, not a hole) and a hole to its end. After
 * the restore SEEK_DATA and SEEK_HOLE find the same extents as before, and
 * the contents read the same.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <sys/mman.h>

#include "tlib.h"

#define PAGE 4096
#define SIZE (2 << 20)

struct extents {
	off_t at[32];
	int n;
};

static void walk(int fd, struct extents *e)
{
	off_t at = 0;

	e->n = 0;
	while (at < SIZE && e->n < 30) {
		off_t data = lseek(fd, at, SEEK_DATA), hole;

		if (data < 0)
			break;
		hole = lseek(fd, data, SEEK_HOLE);
		e->at[e->n++] = data;
		e->at[e->n++] = hole;
		at = hole;
	}
}

static void make(int fd, const char *what)
{
	char page[PAGE];

	memset(page, 'a', sizeof(page));
	if (pwrite(fd, page, PAGE, 0) != PAGE)
		t_fail("%s: write: %s", what, strerror(errno));
	memset(page, 'b', sizeof(page));
	if (pwrite(fd, page, PAGE, 1 << 20) != PAGE)
		t_fail("%s: write: %s", what, strerror(errno));
	memset(page, 0, sizeof(page));
	if (pwrite(fd, page, PAGE, (1 << 20) + PAGE) != PAGE || ftruncate(fd, SIZE) < 0)
		t_fail("%s: write: %s", what, strerror(errno));
}

static void check(int fd, const struct extents *before, const char *what)
{
	struct extents now;
	char page[PAGE];

	walk(fd, &now);
	if (now.n != before->n || memcmp(now.at, before->at, now.n * sizeof(off_t)) != 0) {
		char a[256] = "", b[256] = "";

		for (int i = 0; i < before->n; i++)
			snprintf(a + strlen(a), sizeof(a) - strlen(a), " %lld", (long long)before->at[i]);
		for (int i = 0; i < now.n; i++)
			snprintf(b + strlen(b), sizeof(b) - strlen(b), " %lld", (long long)now.at[i]);
		t_fail("%s: its data extents were%s, are%s", what, a, b);
	}
	if (pread(fd, page, PAGE, 0) != PAGE || page[0] != 'a' || page[PAGE - 1] != 'a' ||
	    pread(fd, page, PAGE, 1 << 20) != PAGE || page[0] != 'b' ||
	    pread(fd, page, PAGE, PAGE) != PAGE || page[0] != 0 || lseek(fd, 0, SEEK_END) != SIZE)
		t_fail("%s: its contents changed", what);
}

int main(int argc, char **argv)
{
	struct extents before[2];
	char path[4096];
	int fds[2];

	t_init("holes", argc, argv);
	snprintf(path, sizeof(path), "%s/sparse", t_dir);
	fds[0] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	fds[1] = memfd_create("sparse", 0);
	if (fds[0] < 0 || fds[1] < 0)
		t_fail("open: %s", strerror(errno));
	make(fds[0], "the deleted file");
	make(fds[1], "the memfd");
	unlink(path);
	walk(fds[0], &before[0]);
	walk(fds[1], &before[1]);
	if (before[0].n < 4 || before[1].n < 4)
		t_fail("this filesystem made no holes (%d, %d extents)", before[0].n / 2,
		       before[1].n / 2);
	t_ready();
	t_wait_go();

	check(fds[0], &before[0], "the deleted file");
	check(fds[1], &before[1], "the memfd");
	t_pass();
}
