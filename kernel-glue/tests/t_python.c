/* SPDX-License-Identifier: MIT */
/*
 * An unmodified Debian python3 holding state in memory: a dict of 20000
 * entries and a counter that goes on. After restore the dict is intact and
 * the count has gone on from where it was. This program only execs it.
 *
 * host-test: run usr1 1
 * host-test: run usr1 2
 */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char script[] =
	"import os, signal, sys, time, hashlib\n"
	"d = sys.argv[1]\n"
	"go = False\n"
	"def on_usr1(sig, frame):\n"
	"    global go\n"
	"    go = True\n"
	"signal.signal(signal.SIGUSR1, on_usr1)\n"
	"print('started python pid', os.getpid(), flush=True)\n"
	"table = {'key%d' % i: i * i for i in range(20000)}\n"
	"digest = hashlib.sha256(repr(sorted(table.items())).encode()).hexdigest()\n"
	"count = 0\n"
	"while not go:\n"
	"    count += 1\n"
	"    table['key%d' % (count % 20000)] += 0\n"
	"    if count == 200:\n"
	"        at_ready = count\n"
	"        open(os.path.join(d, 'ready'), 'w').close()\n"
	"    time.sleep(0.001)\n"
	"now = hashlib.sha256(repr(sorted(table.items())).encode()).hexdigest()\n"
	"if now != digest:\n"
	"    print('FAIL: python: the dict changed', flush=True); sys.exit(1)\n"
	"if count <= at_ready:\n"
	"    print('FAIL: python: the count did not go on', flush=True); sys.exit(1)\n"
	"print('count', count, flush=True)\n"
	"print('PASS: python', flush=True)\n";

int main(int argc, char **argv)
{
	/* nothing inherited beyond stdio */
	syscall(SYS_close_range, 3, ~0u, 0);
	execl("/usr/bin/python3", "python3", "-I", "-S", "-c", script, argc > 1 ? argv[1] : ".",
	      (char *)NULL);
	perror("exec /usr/bin/python3");
	printf("FAIL: python: cannot run /usr/bin/python3\n");
	return 1;
}
