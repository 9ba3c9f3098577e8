/* SPDX-License-Identifier: MIT */
/* Pipes with one end closed by every process: the read end of one whose
 * writer is gone, with bytes still in it, and the write end of one whose
 * reader is gone. After restore the first gives its bytes, then end of
 * file; writing to the second fails with EPIPE.
 *
 * host-test: run usr1 1
 * host-test: run usr1 2
 */
#include "tlib.h"

int main(int argc, char **argv)
{
	int orphan_reader[2], orphan_writer[2];
	char buf[16] = { 0 };

	t_init("pipe-closed", argc, argv);
	signal(SIGPIPE, SIG_IGN);
	if (pipe(orphan_reader) < 0 || pipe(orphan_writer) < 0)
		t_fail("pipe: %s", strerror(errno));
	if (write(orphan_reader[1], "left", 4) != 4)
		t_fail("write: %s", strerror(errno));
	close(orphan_reader[1]);
	close(orphan_writer[0]);

	t_ready();
	t_wait_go();

	if (read(orphan_reader[0], buf, sizeof(buf)) != 4 || strcmp(buf, "left") != 0)
		t_fail("the pipe lost what was left in it ('%s')", buf);
	if (read(orphan_reader[0], buf, sizeof(buf)) != 0)
		t_fail("a pipe whose writer is gone does not end");
	if (write(orphan_writer[1], "x", 1) != -1 || errno != EPIPE)
		t_fail("a pipe whose reader is gone takes a write");
	t_pass();
}
