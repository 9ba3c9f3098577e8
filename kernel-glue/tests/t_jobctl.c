/* SPDX-License-Identifier: MIT */
/*
 * Job control, checkpointed with --tree (scenario_tree.sh):
 *
 *   P  session leader; counts the SIGCHLD it gets
 *   +- A  own process group; stopped by SIGSTOP, the stop collected by P
 *   +- B  own process group; stopped by SIGTSTP, the stop not yet collected
 *   +- W  blocked in waitpid(Q, WUNTRACED)
 *      +- Q  own process group, running
 *
 * After the restore: A and B are still stopped (P reads their state); P's
 * waitpid(WUNTRACED | WNOHANG) finds nothing for A (reported before) and
 * B's stop with SIGTSTP (not reported before); no SIGCHLD came meanwhile.
 * P then stops Q with SIGTSTP, which W's waitpid (re-issued after the
 * restore) reports; W resumes Q. P resumes A and B with SIGCONT, sees
 * WCONTINUED for both, and each of A, B, Q answers through a pipe before
 * exiting 0.
 *
 * host-test: by scenario_tree.sh
 */
#include <sys/wait.h>

#include "tlib.h"

static volatile sig_atomic_t sigchld_count;

static void on_sigchld(int sig)
{
	(void)sig;
	sigchld_count++;
}

/* A stopped child: waits for a byte on @in, answers it on @out, exits. */
__attribute__((noreturn)) static void run_stopped(int in, int out)
{
	char c;

	signal(SIGUSR1, SIG_IGN);
	setpgid(0, 0);
	while (read(in, &c, 1) < 0 && errno == EINTR)
		;
	if (write(out, &c, 1) != 1)
		_exit(1);
	_exit(0);
}

/* W: waits for Q's stop, resumes it, waits for its exit. */
__attribute__((noreturn)) static void run_w(int in, int out)
{
	pid_t q = fork();
	int st;

	signal(SIGUSR1, SIG_IGN);
	if (q == 0)
		run_stopped(in, out);
	setpgid(q, q);
	/* blocked here at the checkpoint */
	while (waitpid(q, &st, WUNTRACED) < 0)
		if (errno != EINTR)
			_exit(2);
	if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTSTP) {
		printf("note: W: Q's status %#x, not a stop by SIGTSTP\n", st);
		_exit(3);
	}
	kill(q, SIGCONT);
	while (waitpid(q, &st, 0) < 0)
		if (errno != EINTR)
			_exit(4);
	_exit(WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 5);
}

static void wait_stopped(pid_t pid, int sig, const char *who)
{
	int st;

	if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st) || WSTOPSIG(st) != sig)
		t_fail("%s did not stop with %s", who, strsignal(sig));
}

static void wait_continued(pid_t pid, const char *who)
{
	int st;

	if (waitpid(pid, &st, WCONTINUED) != pid || !WIFCONTINUED(st))
		t_fail("%s: waitpid(WCONTINUED) gave %#x", who, st);
}

static int exit_status(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_sigchld, .sa_flags = SA_RESTART };
	int go[2], answer[2], st, before;
	pid_t a, b, w, q = 0;
	char c = 'x';

	t_init("jobctl", argc, argv);
	if (pipe(go) < 0 || pipe(answer) < 0)
		t_fail("pipe: %s", strerror(errno));
	sigaction(SIGCHLD, &sa, NULL);
	a = fork();
	if (a == 0)
		run_stopped(go[0], answer[1]);
	b = fork();
	if (b == 0)
		run_stopped(go[0], answer[1]);
	w = fork();
	if (w == 0)
		run_w(go[0], answer[1]);
	setpgid(a, a);
	setpgid(b, b);
	kill(a, SIGSTOP);
	wait_stopped(a, SIGSTOP, "A");
	kill(b, SIGTSTP);
	/* B's stop is seen, not collected */
	while (t_state_of(b) != 'T')
		usleep(1000);
	usleep(100 * 1000);
	before = sigchld_count;
	t_ready();
	t_wait_go();

	if (sigchld_count != before)
		t_fail("%d SIGCHLD came with the restore", sigchld_count - before);
	if (t_state_of(a) != 'T' || t_state_of(b) != 'T')
		t_fail("A is in state %c, B in %c, both should be stopped (T)", t_state_of(a),
		       t_state_of(b));
	if (waitpid(a, &st, WUNTRACED | WNOHANG) != 0)
		t_fail("A's stop, collected before the checkpoint, is reported again");
	if (waitpid(b, &st, WUNTRACED | WNOHANG) != b || !WIFSTOPPED(st) ||
	    WSTOPSIG(st) != SIGTSTP)
		t_fail("B's stop by SIGTSTP, not collected before, is not reported (%#x)", st);
	/* Q is W's child, in its own group: found through /proc */
	{
		char path[64];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", w, w);
		f = fopen(path, "r");
		if (!f || fscanf(f, "%d", &q) != 1)
			t_fail("W has no child");
		fclose(f);
	}
	if (t_state_of(q) == 'T')
		t_fail("Q, running at the checkpoint, is stopped");
	kill(q, SIGTSTP);
	kill(a, SIGCONT);
	kill(b, SIGCONT);
	wait_continued(a, "A");
	wait_continued(b, "B");
	if (t_state_of(a) == 'T' || t_state_of(b) == 'T')
		t_fail("SIGCONT did not resume A and B");
	for (int i = 0; i < 3; i++)
		if (write(go[1], &c, 1) != 1 || read(answer[0], &c, 1) != 1)
			t_fail("no answer from A, B and Q (%d of 3)", i);
	if (exit_status(a) != 0 || exit_status(b) != 0)
		t_fail("A or B failed");
	if ((st = exit_status(w)) != 0)
		t_fail("W (with Q) exited with %d", st);
	t_pass();
}
