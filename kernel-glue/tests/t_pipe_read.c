/* SPDX-License-Identifier: MIT */
/* Blocked in read() on an empty pipe at the checkpoint; a second pipe holds
 * buffered bytes. After restore the read goes on waiting (no EINTR), the
 * SIGUSR1 handler (restored) writes into the pipe, the read returns it; the
 * buffered bytes are still there.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include "tlib.h"

static int wake[2];

static void on_usr1(int sig)
{
	(void)sig;
	if (write(wake[1], "w", 1) != 1)
		_exit(3);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	int held[2];
	char buf[64];
	ssize_t n;

	t_init("pipe-read", argc, argv);
	if (pipe(wake) < 0 || pipe(held) < 0)
		t_fail("pipe: %s", strerror(errno));
	sigaction(SIGUSR1, &sa, NULL);
	if (write(held[1], "buffered bytes", 14) != 14)
		t_fail("write");
	t_ready();
	n = read(wake[0], buf, sizeof(buf));
	if (n != 1 || buf[0] != 'w')
		t_fail("read on the wake pipe returned %zd (%s)", n, n < 0 ? strerror(errno) : "");
	n = read(held[0], buf, sizeof(buf));
	if (n != 14 || memcmp(buf, "buffered bytes", 14) != 0)
		t_fail("buffered pipe gave %zd bytes", n);
	t_pass();
}
