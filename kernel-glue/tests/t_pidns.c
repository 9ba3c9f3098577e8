/* SPDX-License-Identifier: MIT */
/*
 * Restored with --pidns into a PID namespace of its own, with ferry as its
 * init: it has its original pid there (getpid and that namespace's /proc),
 * its parent is that init, and it still works. Its comm has a quote and a
 * backslash, for the JSON report. On success it exits with status 23,
 * which ferry restore --pidns must pass on.
 *
 * host-test: by scenario_pidns.sh
 */
#include <sys/prctl.h>

#include "tlib.h"

#define T_PIDNS_COMM "t_pidns \"q\\"

int main(int argc, char **argv)
{
	char self[32] = { 0 }, want[32];
	pid_t pid, ppid;
	int p[2];
	char buf[8] = { 0 };

	t_init("pidns", argc, argv);
	prctl(PR_SET_NAME, T_PIDNS_COMM);
	pid = getpid();
	ppid = getppid();
	if (pipe(p) < 0)
		t_fail("pipe: %s", strerror(errno));
	t_ready();
	t_wait_go();

	if (getpid() != pid)
		t_fail("getpid() is %d, not %d", getpid(), pid);
	snprintf(want, sizeof(want), "%d", pid);
	if (readlink("/proc/self", self, sizeof(self) - 1) < 0 || strcmp(self, want) != 0)
		t_fail("/proc/self is '%s', not '%s'", self, want);
	if (getppid() != ppid)
		t_fail("its parent is %d, not %d", getppid(), ppid);
	if (write(p[1], "works", 5) != 5 || read(p[0], buf, sizeof(buf) - 1) != 5 ||
	    strcmp(buf, "works") != 0)
		t_fail("its pipe does not carry data: %s", strerror(errno));
	printf("PASS: %s\n", t_name);
	exit(23);
}
