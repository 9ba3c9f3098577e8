/* SPDX-License-Identifier: MIT */
/* After the restore the process forks children that each write 64 KiB
 * into a pipe and exit; it reads every byte until end of file, 20 times
 * over: a restored process forks and reads as any other (no EINTR, no
 * early end of file, no child killed).
 *
 * host-test: run usr1 1
 * host-test: run usr1 2
 */
#include <sys/wait.h>

#include "tlib.h"

#define BYTES (64 * 1024)

static void one_round(int round)
{
	char buf[4096];
	size_t total = 0;
	int p[2], st;
	ssize_t n;
	pid_t child;

	if (pipe(p) < 0)
		t_fail("pipe: %s", strerror(errno));
	child = fork();
	if (child < 0)
		t_fail("fork: %s", strerror(errno));
	if (child == 0) {
		close(p[0]);
		memset(buf, 'x', sizeof(buf));
		for (int i = 0; i < BYTES / (int)sizeof(buf); i++)
			if (write(p[1], buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				_exit(2);
		_exit(0);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0)
		total += n;
	if (n < 0)
		t_fail("round %d: read: %s after %zu bytes", round, strerror(errno), total);
	close(p[0]);
	if (waitpid(child, &st, 0) != child)
		t_fail("round %d: waitpid: %s", round, strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		t_fail("round %d: the child ended with status %#x (signal %d) after %zu bytes", round, st,
		       WIFSIGNALED(st) ? WTERMSIG(st) : 0, total);
	if (total != BYTES)
		t_fail("round %d: %zu bytes before end of file, %d written", round, total, BYTES);
}

int main(int argc, char **argv)
{
	t_init("fork-read", argc, argv);
	t_ready();
	t_wait_go();
	for (int round = 0; round < 20; round++)
		one_round(round);
	t_pass();
}
