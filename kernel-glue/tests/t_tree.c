/* SPDX-License-Identifier: MIT */
/*
 * A process tree with pipes between its members, checkpointed with --tree:
 *
 *   P  session and group leader; writes a numbered sequence into pipe A
 *   +- C  leads its own process group; reads A, checks it, copies it into B
 *   |  +- G  in C's group; reads B and checks the sequence; parent-death signal
 *   +- W  in P's group; blocked in wait4() on X
 *      +- X  blocked in read() on pipe D, written by P
 *
 * After the restore P stops writing and closes A and D; each member checks
 * its parent, process group and session, and exits 0 if all is well; P
 * collects the exit statuses (and W its child's, through a re-issued
 * wait4()) and says PASS.
 *
 * host-test: by scenario_tree.sh
 */
#include <sys/prctl.h>
#include <sys/wait.h>

#include "tlib.h"

static pid_t P;

/* Exit status 0, or print why and exit 1 (children speak as "note:"). */
static void check_ids(const char *who, pid_t ppid, pid_t pgid)
{
	if (getppid() != ppid) {
		printf("note: %s: parent is %d, not %d\n", who, getppid(), ppid);
		_exit(1);
	}
	if (getpgid(0) != pgid || getsid(0) != P) {
		printf("note: %s: group %d session %d, not %d and %d\n", who, getpgid(0),
		       getsid(0), pgid, P);
		_exit(1);
	}
}

/* Read numbers (one unsigned per 4 bytes) and check they follow; forward
 * them to @out when >= 0. Returns how many came. */
static unsigned long follow(const char *who, int in, int out)
{
	unsigned v, next = 0;
	unsigned long n = 0;

	for (;;) {
		ssize_t k = read(in, &v, sizeof(v));

		if (k == 0)
			return n;
		if (k != sizeof(v)) {
			printf("note: %s: read returned %zd (%s)\n", who, k,
			       k < 0 ? strerror(errno) : "short");
			_exit(1);
		}
		if (v != next) {
			printf("note: %s: got %u after %u\n", who, v, next);
			_exit(1);
		}
		next++;
		n++;
		if (out >= 0 && write(out, &v, sizeof(v)) != sizeof(v)) {
			printf("note: %s: write: %s\n", who, strerror(errno));
			_exit(1);
		}
	}
}

static int wait_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void run_g(pid_t c, int b)
{
	unsigned long n;

	prctl(PR_SET_PDEATHSIG, SIGUSR2);
	setpgid(0, c);
	n = follow("G", b, -1);
	check_ids("G", c, c);
	{
		int sig = 0;

		prctl(PR_GET_PDEATHSIG, &sig);
		if (sig != SIGUSR2) {
			printf("note: G: parent-death signal %d, not %d\n", sig, SIGUSR2);
			_exit(1);
		}
	}
	_exit(n > 10 ? 0 : 1);
}

static void run_c(int a)
{
	pid_t c = getpid(), g;
	int b[2];

	signal(SIGUSR1, SIG_IGN);
	setpgid(0, 0);
	if (pipe(b) < 0)
		_exit(1);
	g = fork();
	if (g == 0) {
		close(b[1]);
		close(a);
		run_g(c, b[0]);
	}
	close(b[0]);
	follow("C", a, b[1]);
	close(b[1]);
	check_ids("C", P, c);
	_exit(wait_status(g));
}

static void run_w(int d)
{
	pid_t x = fork();

	signal(SIGUSR1, SIG_IGN);
	if (x == 0) {
		char buf[8];

		if (read(d, buf, sizeof(buf)) != 3 || memcmp(buf, "bye", 3) != 0)
			_exit(1);
		check_ids("X", getppid(), P);
		_exit(0);
	}
	close(d);
	/* blocked here at the checkpoint */
	_exit(wait_status(x));
}

int main(int argc, char **argv)
{
	struct timespec tick = { 0, 2 * 1000 * 1000 };
	int a[2], d[2], sc, sw;
	unsigned v = 0;
	pid_t c, w;

	t_init("tree", argc, argv);
	P = getpid();
	if (pipe(a) < 0 || pipe(d) < 0)
		t_fail("pipe: %s", strerror(errno));
	c = fork();
	if (c == 0) {
		close(a[1]);
		close(d[0]);
		close(d[1]);
		run_c(a[0]);
	}
	w = fork();
	if (w == 0) {
		close(a[0]);
		close(a[1]);
		close(d[1]);
		run_w(d[0]);
	}
	close(a[0]);
	close(d[0]);
	signal(SIGPIPE, SIG_IGN);
	while (!t_go) {
		if (write(a[1], &v, sizeof(v)) != sizeof(v))
			t_fail("write to C: %s", strerror(errno));
		v++;
		if (v == 100)
			t_ready();
		nanosleep(&tick, NULL);
	}
	close(a[1]);
	if (write(d[1], "bye", 3) != 3)
		t_fail("write to X: %s", strerror(errno));
	close(d[1]);
	sc = wait_status(c);
	sw = wait_status(w);
	if (sc != 0 || sw != 0)
		t_fail("exit statuses: C %d (with G), W %d (with X)", sc, sw);
	if (getsid(0) != P || getpgid(0) != P)
		t_fail("P: session %d group %d", getsid(0), getpgid(0));
	t_pass();
}
