/* SPDX-License-Identifier: MIT */
/*
 * An unmodified Debian busybox shell in a loop of builtins: shell variables
 * and a counter survive, the loop goes on, the trap still runs. This
 * program only execs it.
 *
 * host-test: run usr1 1
 * host-test: run usr1 2
 */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char script[] =
	"go=0\n"
	"trap 'go=1' USR1\n"
	"echo \"started busybox pid $$\"\n"
	"state=\"alpha beta gamma\"\n"
	"i=0\n"
	"while [ \"$go\" = 0 ]; do\n"
	"  i=$((i + 1))\n"
	"  [ \"$i\" = 2000 ] && : >\"$1/ready\" && at_ready=$i\n"
	"done\n"
	"[ \"$state\" = \"alpha beta gamma\" ] || { echo \"FAIL: busybox: state is '$state'\"; exit 1; }\n"
	"[ \"$i\" -gt \"$at_ready\" ] || { echo \"FAIL: busybox: count $i did not go on\"; exit 1; }\n"
	"echo \"count $i\"\n"
	"echo \"PASS: busybox\"\n";

int main(int argc, char **argv)
{
	/* nothing inherited beyond stdio */
	syscall(SYS_close_range, 3, ~0u, 0);
	execl("/usr/bin/busybox", "sh", "-c", script, "sh", argc > 1 ? argv[1] : ".",
	      (char *)NULL);
	perror("exec /usr/bin/busybox");
	printf("FAIL: busybox: cannot run /usr/bin/busybox\n");
	return 1;
}
