/* SPDX-License-Identifier: MIT */
/* A child, a counter with a second thread, and its parent, as kill_free.sh
 * asks (DIR MODE): kill_free.sh checkpoints the child with --kill and
 * restores it at once, which needs its pid (and its thread's) free, so
 * ferry must not return before the parent has reaped it, or must refuse
 * the kill when the parent would not. The child, once restored (or left
 * running by a refusal), counts on and passes on SIGUSR1. Its pid is in
 * DIR/child. MODE:
 *   late     the parent reaps half a second after the child died, then exits
 *   stopped  the same, stopped by kill_free.sh for the checkpoint
 *   zombie   the parent first leaves a child of its own a zombie, and reaps
 *            nothing before the child has passed
 *   init     (DIR init COMMAND...) this program is PID 1 of its PID
 *            namespace: it starts the child, runs COMMAND, reaps every
 *            other process half a second after it ended, and exits with
 *            COMMAND's status
 *
 * host-test: by kill_free.sh
 */
#include <pthread.h>
#include <sys/wait.h>

#include "tlib.h"

static void *spin(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void child_main(void)
{
	unsigned long count = 0;
	pthread_t th;

	if (pthread_create(&th, NULL, spin, NULL) != 0)
		t_fail("cannot start a thread");
	t_ready();
	while (!t_go)
		count++;
	if (!count)
		t_fail("the loop did not run");
	t_pass();
}

static void write_child(pid_t child)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/child", t_dir);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", child) < 0 || fclose(f) != 0)
		t_fail("cannot write %s", path);
}

/* PID 1: the child (its output in DIR/out), COMMAND, and late reaping. */
static int init_main(char *dir, char **command)
{
	char out[4096], *child_argv[] = { "t_kill_free", dir, NULL };
	pid_t child, runner;
	siginfo_t si;
	int status;

	snprintf(out, sizeof(out), "%s/out", dir);
	child = fork();
	if (child == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_APPEND, 0644);

		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(1);
		t_init("kill-free", 2, child_argv);
		child_main();
	}
	t_dir = dir;
	if (child < 0)
		t_fail("fork: %s", strerror(errno));
	write_child(child);
	runner = fork();
	if (runner == 0) {
		execvp(command[0], command);
		_exit(127);
	}
	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) < 0)
			return errno == EINTR ? 0 : 1;
		if (si.si_pid != runner)
			usleep(500 * 1000);
		if (waitpid(si.si_pid, &status, 0) == runner)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 2 ? argv[2] : "late";
	sigset_t chld;
	siginfo_t si;
	pid_t child, zombie = 0;
	int sig;

	if (strcmp(mode, "init") == 0 && argc > 3)
		return init_main(argv[1], argv + 3);
	t_init("kill-free", argc, argv);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	if (strcmp(mode, "zombie") == 0) {
		zombie = fork();
		if (zombie == 0)
			_exit(0);
		if (zombie < 0 || waitid(P_PID, zombie, &si, WEXITED | WNOWAIT) < 0)
			t_fail("cannot make a zombie: %s", strerror(errno));
	}
	child = fork();
	if (child < 0)
		t_fail("fork: %s", strerror(errno));
	if (child == 0) {
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		child_main();
	}
	write_child(child);
	if (zombie) {
		/* seen, not reaped, until the child has ended */
		do {
			memset(&si, 0, sizeof(si));
			usleep(100 * 1000);
		} while (waitid(P_PID, child, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && !si.si_pid);
		waitpid(zombie, NULL, 0);
		waitpid(child, NULL, 0);
		return 0;
	}
	/* the child's death, then half a second before it is reaped */
	sigwait(&chld, &sig);
	usleep(500 * 1000);
	waitpid(child, NULL, 0);
	return 0;
}
