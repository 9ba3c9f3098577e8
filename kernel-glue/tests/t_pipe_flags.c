/* SPDX-License-Identifier: MIT */
/*
 * The status flags of each pipe end, each open file description on its
 * own: a pipe in packet mode (O_DIRECT) whose write end is also
 * O_NONBLOCK and O_APPEND; its read end opened a second time through
 * /proc/self/fd (a description of its own), O_NONBLOCK there only. After
 * the restore every descriptor's F_GETFL reads as before, the two read
 * descriptions still have flags of their own (setting O_NONBLOCK on one
 * leaves the other), and the pipe still keeps packets apart.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include "tlib.h"

#define STATUS_FLAGS (O_APPEND | O_NONBLOCK | O_DIRECT | O_ASYNC | O_NOATIME)

int main(int argc, char **argv)
{
	int p[2], r2, before[3], now;
	char path[64], buf[16];
	const char *names[3] = { "the read end", "the write end", "the second read end" };

	t_init("pipe_flags", argc, argv);
	if (pipe2(p, O_DIRECT) < 0)
		t_fail("pipe2(O_DIRECT): %s", strerror(errno));
	if (fcntl(p[1], F_SETFL, O_DIRECT | O_NONBLOCK | O_APPEND) < 0)
		t_fail("F_SETFL: %s", strerror(errno));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	r2 = open(path, O_RDONLY | O_NONBLOCK);
	if (r2 < 0)
		t_fail("open %s: %s", path, strerror(errno));
	before[0] = fcntl(p[0], F_GETFL) & STATUS_FLAGS;
	before[1] = fcntl(p[1], F_GETFL) & STATUS_FLAGS;
	before[2] = fcntl(r2, F_GETFL) & STATUS_FLAGS;
	if (before[0] & O_NONBLOCK || !(before[2] & O_NONBLOCK))
		t_fail("the two read descriptions share their flags (%#o, %#o)", before[0], before[2]);
	t_ready();
	t_wait_go();

	for (int i = 0; i < 3; i++) {
		now = fcntl(i == 2 ? r2 : p[i], F_GETFL) & STATUS_FLAGS;
		if (now != before[i])
			t_fail("%s's status flags are %#o, not %#o", names[i], now, before[i]);
	}
	if (fcntl(p[0], F_SETFL, O_NONBLOCK) < 0 || fcntl(r2, F_SETFL, 0) < 0 ||
	    !(fcntl(p[0], F_GETFL) & O_NONBLOCK) || (fcntl(r2, F_GETFL) & O_NONBLOCK))
		t_fail("the two read descriptions of the pipe share their flags now");
	if (write(p[1], "ab", 2) != 2 || write(p[1], "cd", 2) != 2)
		t_fail("write: %s", strerror(errno));
	if (read(p[0], buf, sizeof(buf)) != 2)
		t_fail("the pipe is no longer in packet mode");
	t_pass();
}
