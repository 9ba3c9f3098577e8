/* SPDX-License-Identifier: MIT */
/*
 * In uninterruptible sleep at the checkpoint: the process waits in vfork()
 * for a child that sleeps for seconds before it exits. The checkpoint must
 * give up after its bound, name this process, and leave it running; the
 * process then goes on as if nothing had happened.
 *
 * host-test: by scenario_dstate.sh
 */
#include <sys/wait.h>

#include "tlib.h"

int main(int argc, char **argv)
{
	int status;
	pid_t child;

	t_init("dstate", argc, argv);
	t_ready();
	child = vfork();
	if (child == 0) {
		struct timespec ts = { 8, 0 };

		syscall(SYS_nanosleep, &ts, NULL);
		_exit(7);
	}
	if (child < 0)
		t_fail("vfork: %s", strerror(errno));
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 7)
		t_fail("the vfork child did not exit as it should");
	t_wait_go();
	t_pass();
}
