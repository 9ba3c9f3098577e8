/* SPDX-License-Identifier: MIT */
/*
 * What prctl() sets for a whole process: it becomes a child subreaper,
 * turns transparent huge pages off and makes itself not dumpable. After
 * the restore prctl() reads each back, and /proc/self/status says
 * THP_enabled 0.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <stdbool.h>
#include <sys/prctl.h>

#include "tlib.h"

int main(int argc, char **argv)
{
	int subreaper = 0;
	char line[256];
	bool thp_line = false;
	FILE *f;

	t_init("prctl", argc, argv);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		t_fail("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) < 0)
		t_fail("PR_SET_THP_DISABLE: %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		t_fail("PR_SET_DUMPABLE: %s", strerror(errno));
	t_ready();
	t_wait_go();

	if (prctl(PR_GET_CHILD_SUBREAPER, &subreaper, 0, 0, 0) < 0 || !subreaper)
		t_fail("it is not a child subreaper");
	if (prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0) != 1)
		t_fail("transparent huge pages are not off (PR_GET_THP_DISABLE %d)",
		       prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		t_fail("it is dumpable");
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, "THP_enabled:", 12) == 0) {
			thp_line = true;
			if (atoi(line + 12) != 0)
				t_fail("/proc/self/status: %s", line);
		}
	if (f)
		fclose(f);
	if (!thp_line)
		printf("this kernel has no THP_enabled in /proc/self/status\n");
	t_pass();
}
