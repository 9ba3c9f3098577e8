/* SPDX-License-Identifier: MIT */
/*
 * Private pages shared copy-on-write after fork(): P writes a pattern into
 * 1024 pages of a private anonymous area and forks C, which rewrites the
 * second half (512 pages of its own) and leaves the first half shared with
 * P. cow_counted.sh checks that the checkpoint counts C's shared pages; on
 * SIGUSR1 (after the restore) both check every page: P's pattern in all of
 * P's, C's in C's second half and P's in its first.
 *
 * host-test: by cow_counted.sh
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "tlib.h"

#define PG 4096
#define PAGES 1024

static unsigned char *area;

/* 0 if page @i holds @tag's pattern, else 1. */
static int check_page(size_t i, unsigned char tag)
{
	for (size_t k = 0; k < PG; k += 512)
		if (area[i * PG + k] != (unsigned char)(tag + i + k / 512))
			return 1;
	return 0;
}

static void fill_page(size_t i, unsigned char tag)
{
	for (size_t k = 0; k < PG; k += 512)
		area[i * PG + k] = tag + i + k / 512;
}

static size_t wrong_pages(size_t from, size_t to, unsigned char tag)
{
	size_t bad = 0;

	for (size_t i = from; i < to; i++)
		bad += check_page(i, tag);
	return bad;
}

int main(int argc, char **argv)
{
	int ready[2], st;
	size_t bad;
	char b;
	pid_t c;

	t_init("cow", argc, argv);
	area = mmap(NULL, PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED || pipe(ready) < 0)
		t_fail("setup: %s", strerror(errno));
	for (size_t i = 0; i < PAGES; i++)
		fill_page(i, 'P');
	c = fork();
	if (c == 0) {
		for (size_t i = PAGES / 2; i < PAGES; i++)
			fill_page(i, 'C');
		if (write(ready[1], "r", 1) != 1)
			_exit(2);
		close(ready[0]);
		close(ready[1]);
		t_wait_go(); /* SIGUSR1 from P, after the restore */
		bad = wrong_pages(0, PAGES / 2, 'P') + wrong_pages(PAGES / 2, PAGES, 'C');
		if (bad)
			printf("note: C: %zu of its pages are not as before\n", bad);
		_exit(bad ? 1 : 0);
	}
	if (read(ready[0], &b, 1) != 1)
		t_fail("C did not get ready");
	close(ready[0]);
	close(ready[1]);
	/* for cow_counted.sh, which counts the shared pages from outside */
	printf("area: %p %d pages, child %d\n", (void *)area, PAGES, c);
	t_ready();
	t_wait_go();
	bad = wrong_pages(0, PAGES, 'P');
	kill(c, SIGUSR1);
	if (waitpid(c, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		t_fail("C did not find its pages as before");
	if (bad)
		t_fail("%zu of P's pages are not as before", bad);
	t_pass();
}
