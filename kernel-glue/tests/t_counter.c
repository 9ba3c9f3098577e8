/* SPDX-License-Identifier: MIT */
/* Counts in memory and in a file; after restore the count goes on from
 * where it was, in both, with no restart.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include "tlib.h"

int main(int argc, char **argv)
{
	struct timespec tick = { 0, 1000 * 1000 };
	unsigned long count = 0, at_ready = 0;
	char path[4096], line[64];
	FILE *f;
	int fd;

	t_init("counter", argc, argv);
	snprintf(path, sizeof(path), "%s/counter.txt", t_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		t_fail("open %s: %s", path, strerror(errno));
	while (!t_go) {
		int n = snprintf(line, sizeof(line), "%lu\n", ++count);

		if (write(fd, line, n) != n)
			t_fail("write: %s", strerror(errno));
		if (count == 100) {
			at_ready = count;
			t_ready();
		}
		nanosleep(&tick, NULL);
	}
	close(fd);
	if (count <= at_ready)
		t_fail("count %lu did not go on past %lu", count, at_ready);
	/* the file holds 1..count, one per line, in order: its offset survived */
	f = fopen(path, "r");
	if (!f)
		t_fail("reopen %s: %s", path, strerror(errno));
	for (unsigned long i = 1; i <= count; i++) {
		unsigned long v;

		if (fscanf(f, "%lu", &v) != 1 || v != i)
			t_fail("line %lu of the file is not %lu", i, i);
	}
	if (fscanf(f, "%s", line) == 1)
		t_fail("more lines than the count %lu", count);
	fclose(f);
	printf("count %lu\n", count);
	t_pass();
}
