/* SPDX-License-Identifier: MIT */
/*
 * The audit login uid: set to 1000 (as a login does) before the
 * checkpoint, with a thread made afterwards. After the restore the
 * process and its thread read 1000 from /proc/self/loginuid, and a child
 * made then inherits it.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <pthread.h>
#include <sys/wait.h>

#include "tlib.h"

static volatile int done;

static unsigned long read_uid(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		t_fail("cannot read %s: %s", path, strerror(errno));
	buf[n] = 0;
	return strtoul(buf, NULL, 10);
}

static void *run(void *arg)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	*(pid_t *)arg = syscall(SYS_gettid);
	while (!done)
		nanosleep(&ts, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	char path[64];
	pthread_t th;
	pid_t tid = 0, child;
	int fd, status;

	t_init("loginuid", argc, argv);
	if (access("/proc/self/loginuid", F_OK) < 0)
		t_fail("this test needs a kernel with audit (/proc/self/loginuid)");
	fd = open("/proc/self/loginuid", O_WRONLY);
	if (fd < 0 || write(fd, "1000", 4) != 4)
		t_fail("cannot set the login uid to 1000: %s", strerror(errno));
	close(fd);
	if (pthread_create(&th, NULL, run, &tid) != 0)
		t_fail("pthread_create");
	while (!tid)
		usleep(1000);
	t_ready();
	t_wait_go();

	if (read_uid("/proc/self/loginuid") != 1000)
		t_fail("the login uid is %lu, not 1000", read_uid("/proc/self/loginuid"));
	snprintf(path, sizeof(path), "/proc/self/task/%d/loginuid", tid);
	if (read_uid(path) != 1000)
		t_fail("the thread's login uid is %lu, not 1000", read_uid(path));
	child = fork();
	if (child == 0)
		_exit(read_uid("/proc/self/loginuid") == 1000 ? 0 : 1);
	while (child > 0 && waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	if (child < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		t_fail("a child does not inherit the login uid 1000");
	done = 1;
	pthread_join(th, NULL);
	t_pass();
}
