/* SPDX-License-Identifier: MIT */
/* A parent that reaps its child late, and the child, a counter with a
 * second thread: kill_free.sh checkpoints the child with --kill and
 * restores it at once, which needs its pid (and its thread's) free, so
 * ferry must not return before the parent has reaped it. The parent reaps
 * half a second after the child died, then exits; the child, once
 * restored, counts on and passes on SIGUSR1. The child's pid is in
 * DIR/child.
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

int main(int argc, char **argv)
{
	char path[4096];
	sigset_t chld;
	FILE *f;
	pid_t child;
	int sig;

	t_init("kill-free", argc, argv);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, NULL);
	child = fork();
	if (child < 0)
		t_fail("fork: %s", strerror(errno));
	if (child == 0) {
		sigprocmask(SIG_UNBLOCK, &chld, NULL);
		child_main();
	}
	snprintf(path, sizeof(path), "%s/child", t_dir);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", child) < 0 || fclose(f) != 0)
		t_fail("cannot write %s", path);
	/* the child's death, then half a second before it is reaped */
	sigwait(&chld, &sig);
	usleep(500 * 1000);
	waitpid(child, NULL, 0);
	return 0;
}
