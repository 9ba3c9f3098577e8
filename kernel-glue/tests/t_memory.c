/* SPDX-License-Identifier: MIT */
/* Anonymous, read-only, inaccessible, shared anonymous and private file
 * memory, a heap: every byte comes back; written zero pages and pages only
 * read (the kernel's zero page) come back as zeros; untouched file pages
 * still come from the file; the heap still grows.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <sys/mman.h>

#include "tlib.h"

#define PG 4096
#define N 64

static unsigned char pattern(size_t i, int salt)
{
	return (unsigned char)(i * 131 + salt * 7 + (i >> 12));
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

int main(int argc, char **argv)
{
	unsigned char *anon, *ro, *shared, *priv, *heap, *sparse, *noacc, *readonly_zero;
	char path[4096];
	int fd;

	t_init("memory", argc, argv);
	anon = mmap(NULL, N * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, N * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	shared = mmap(NULL, N * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	sparse = mmap(NULL, 1024 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (anon == MAP_FAILED || ro == MAP_FAILED || shared == MAP_FAILED || sparse == MAP_FAILED)
		t_fail("mmap: %s", strerror(errno));
	fill(anon, N * PG, 1);
	fill(ro, N * PG, 2);
	mprotect(ro, N * PG, PROT_READ);
	fill(shared, N * PG, 3);
	sparse[0] = 0x11;
	sparse[700 * PG + 5] = 0x22;
	/* PROT_NONE pages with data, every third page written with zeros */
	noacc = mmap(NULL, N * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	readonly_zero = mmap(NULL, N * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0);
	if (noacc == MAP_FAILED || readonly_zero == MAP_FAILED)
		t_fail("mmap: %s", strerror(errno));
	fill(noacc, N * PG, 6);
	for (int i = 0; i < N; i += 3)
		memset(noacc + i * PG, 0, PG);
	mprotect(noacc, N * PG, PROT_NONE);
	/* pages only read map the zero page; two of them are written */
	for (int i = 0; i < N; i++)
		if (((volatile unsigned char *)readonly_zero)[i * PG] != 0)
			t_fail("a fresh page is not zero");
	readonly_zero[5 * PG + 1] = 0x33;
	readonly_zero[40 * PG + 2] = 0x44;

	/* a file of N pages; its private mapping gets every other page written */
	snprintf(path, sizeof(path), "%s/memory.dat", t_dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		t_fail("open %s: %s", path, strerror(errno));
	{
		unsigned char *buf = malloc(N * PG);

		fill(buf, N * PG, 4);
		if (write(fd, buf, N * PG) != N * PG)
			t_fail("write %s", path);
		free(buf);
	}
	priv = mmap(NULL, N * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (priv == MAP_FAILED)
		t_fail("mmap file: %s", strerror(errno));
	for (int i = 0; i < N; i += 2)
		memset(priv + i * PG, 0x5a, PG);

	heap = malloc(100 * 1000);
	fill(heap, 100 * 1000, 5);

	t_ready();
	t_wait_go();

	check(anon, N * PG, 1, "anonymous");
	check(ro, N * PG, 2, "read-only");
	check(shared, N * PG, 3, "shared anonymous");
	check(heap, 100 * 1000, 5, "heap");
	if (sparse[0] != 0x11 || sparse[700 * PG + 5] != 0x22 || sparse[300 * PG] != 0)
		t_fail("sparse area");
	if (mprotect(noacc, N * PG, PROT_READ) < 0)
		t_fail("mprotect: %s", strerror(errno));
	for (size_t i = 0; i < N * PG; i++)
		if (noacc[i] != (i / PG % 3 == 0 ? 0 : pattern(i, 6)))
			t_fail("inaccessible area: byte %zu is %#x", i, noacc[i]);
	for (size_t i = 0; i < N * PG; i++)
		if (readonly_zero[i] != (i == 5 * PG + 1 ? 0x33 : i == 40 * PG + 2 ? 0x44 : 0))
			t_fail("read-only-touched area: byte %zu is %#x", i, readonly_zero[i]);
	for (int i = 0; i < N; i++) {
		if (i % 2 == 0) {
			for (int k = 0; k < PG; k++)
				if (priv[i * PG + k] != 0x5a)
					t_fail("private file page %d: written byte lost", i);
		} else {
			for (size_t k = 0; k < PG; k++)
				if (priv[i * PG + k] != pattern(i * PG + k, 4))
					t_fail("private file page %d: byte %zu differs from the file",
					       i, k);
		}
	}
	/* the heap goes on growing after restore */
	for (int i = 0; i < 100; i++) {
		unsigned char *more = malloc(64 * 1024);

		if (!more)
			t_fail("malloc after restore");
		memset(more, i, 64 * 1024);
	}
	{
		unsigned char *w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
					-1, 0);

		if (w == MAP_FAILED)
			t_fail("mmap after restore");
		w[0] = 1;
	}
	if (mprotect(ro, N * PG, PROT_READ | PROT_WRITE) == 0)
		ro[0] = 0;
	t_pass();
}
