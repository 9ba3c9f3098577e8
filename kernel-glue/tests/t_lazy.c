/* SPDX-License-Identifier: MIT */
/*
 * What a process does to its memory while a lazy restore's pager still
 * places it: on SIGUSR1 it forks a child that checks every byte, drops a
 * range (MADV_DONTNEED: zeros after), moves one (mremap: its bytes at the
 * new place), has the kernel read and write its pages (a pipe), then checks
 * anonymous, shared anonymous, private file (written before it runs) and
 * heap memory. Run with the pager serving touches only
 * (FERRY_TEST_LAZY_FAULTS_ONLY), every page it checks is still missing.
 *
 * host-test: by lazy.sh
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "tlib.h"

#define PG 4096
#define ANON_PAGES 4096 /* 16 MiB */
#define SMALL 256

static unsigned char pattern(size_t i, int salt)
{
	return (unsigned char)(i * 131 + salt * 7 + (i >> 12) * 13);
}

static void fill(unsigned char *p, size_t len, int salt)
{
	for (size_t i = 0; i < len; i++)
		p[i] = pattern(i, salt);
}

static void check(const unsigned char *p, size_t len, int salt, const char *what)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != pattern(i, salt))
			t_fail("%s: byte %zu is %#x, expected %#x", what, i, p[i], pattern(i, salt));
}

static unsigned char *map(size_t pages, int flags)
{
	void *p = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		t_fail("mmap: %s", strerror(errno));
	return p;
}

int main(int argc, char **argv)
{
	unsigned char *anon, *shared, *dropped, *moved, *viakernel, *priv, *heap, *moved_to;
	char path[4096];
	int fd, p[2], status;
	pid_t child;

	t_init("lazy", argc, argv);
	anon = map(ANON_PAGES, MAP_PRIVATE);
	shared = map(SMALL, MAP_SHARED);
	dropped = map(SMALL, MAP_PRIVATE);
	moved = map(SMALL, MAP_PRIVATE);
	viakernel = map(SMALL, MAP_PRIVATE);
	heap = malloc(SMALL * PG);
	if (!heap)
		t_fail("malloc");
	fill(anon, ANON_PAGES * PG, 1);
	fill(shared, SMALL * PG, 2);
	fill(dropped, SMALL * PG, 3);
	fill(moved, SMALL * PG, 4);
	fill(viakernel, SMALL * PG, 5);
	fill(heap, SMALL * PG, 6);
	/* a private file mapping, every page written: uffd cannot serve it */
	snprintf(path, sizeof(path), "%s/lazy.dat", t_dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, SMALL * PG) < 0)
		t_fail("%s: %s", path, strerror(errno));
	priv = mmap(NULL, SMALL * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (priv == MAP_FAILED)
		t_fail("mmap %s: %s", path, strerror(errno));
	fill(priv, SMALL * PG, 7);

	t_ready();
	t_wait_go();

	/* a child made before anything is touched sees every byte too */
	child = fork();
	if (child < 0)
		t_fail("fork: %s", strerror(errno));
	if (child == 0) {
		check(anon, ANON_PAGES * PG, 1, "anonymous memory in a child");
		check(shared, SMALL * PG, 2, "shared memory in a child");
		check(heap, SMALL * PG, 6, "heap in a child");
		_exit(0);
	}
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
		t_fail("the child found wrong memory (status %#x)", status);

	/* dropped: zeros after, as without a pager (first half only) */
	if (madvise(dropped, SMALL / 2 * PG, MADV_DONTNEED) < 0)
		t_fail("madvise: %s", strerror(errno));
	for (size_t i = 0; i < SMALL / 2 * PG; i++)
		if (dropped[i])
			t_fail("a dropped page reads %#x at %zu", dropped[i], i);
	for (size_t i = SMALL / 2 * PG; i < SMALL * PG; i++)
		if (dropped[i] != pattern(i, 3))
			t_fail("the half not dropped: byte %zu", i);

	/* moved: its bytes at the new place */
	moved_to = mremap(moved, SMALL * PG, 2 * SMALL * PG, MREMAP_MAYMOVE);
	if (moved_to == MAP_FAILED)
		t_fail("mremap: %s", strerror(errno));
	check(moved_to, SMALL * PG, 4, "moved memory");
	for (size_t i = SMALL * PG; i < 2 * SMALL * PG; i++)
		if (moved_to[i])
			t_fail("the grown part of moved memory reads %#x", moved_to[i]);

	/* the kernel reads a missing page (write), and writes one (read) */
	if (pipe(p) < 0)
		t_fail("pipe: %s", strerror(errno));
	if (write(p[1], viakernel, PG) != PG)
		t_fail("write from a missing page: %s", strerror(errno));
	if (read(p[0], viakernel + 8 * PG, PG) != PG)
		t_fail("read into a missing page: %s", strerror(errno));
	check(viakernel, PG, 5, "a page the kernel read");
	for (size_t i = 0; i < PG; i++)
		if (viakernel[8 * PG + i] != pattern(i, 5))
			t_fail("a page the kernel wrote: byte %zu", i);
	check(viakernel, 8 * PG, 5, "pages next to them");

	check(anon, ANON_PAGES * PG, 1, "anonymous memory");
	check(shared, SMALL * PG, 2, "shared memory");
	check(priv, SMALL * PG, 7, "private file memory");
	check(heap, SMALL * PG, 6, "heap");
	t_pass();
}
