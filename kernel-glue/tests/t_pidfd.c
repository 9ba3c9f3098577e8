/* SPDX-License-Identifier: MIT */
/* pidfds of processes of the checkpoint (--tree): the root holds one of
 * itself and one of its child (PIDFD_NONBLOCK); a second child, its
 * sibling, holds one of it too. After the restore each
 * refers to the same process: fdinfo names it, the flags are kept, the
 * child's is not readable while it lives, pidfd_send_signal() reaches it,
 * and once it exits the pidfd polls readable and waitid(P_PIDFD) gives
 * its exit status.
 *
 * host-test: by scenario_tree.sh
 */
#include <poll.h>
#include <sys/wait.h>

#include "tlib.h"

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static void on_usr2(int sig)
{
	(void)sig;
	_exit(42);
}

/* the pid fdinfo shows for @fd */
static long pid_of(int fd)
{
	char path[64], buf[512];
	int f;
	ssize_t n;
	const char *line;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	n = f < 0 ? -1 : read(f, buf, sizeof(buf) - 1);
	if (f >= 0)
		close(f);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	line = strstr(buf, "Pid:");
	return line ? strtol(line + 4, NULL, 10) : 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr2 };
	struct pollfd pfd;
	siginfo_t info = { 0 };
	int self, cfd;
	pid_t child, sibling;
	int st;

	t_init("pidfd", argc, argv);
	child = fork();
	if (child < 0)
		t_fail("fork: %s", strerror(errno));
	if (child == 0) {
		sigaction(SIGUSR2, &sa, NULL);
		for (;;)
			pause();
	}
	sibling = fork();
	if (sibling < 0)
		t_fail("fork: %s", strerror(errno));
	if (sibling == 0) {
		int sfd = (int)syscall(SYS_pidfd_open, child, 0);

		/* lives until its pidfd of the child says the child ended */
		pfd = (struct pollfd){ .fd = sfd, .events = POLLIN };
		_exit(sfd >= 0 && poll(&pfd, 1, -1) == 1 ? 0 : 1);
	}
	self = (int)syscall(SYS_pidfd_open, getpid(), 0);
	cfd = (int)syscall(SYS_pidfd_open, child, PIDFD_NONBLOCK);
	if (self < 0 || cfd < 0)
		t_fail("pidfd_open: %s", strerror(errno));
	t_ready();
	t_wait_go();
	if (pid_of(self) != getpid() || pid_of(cfd) != child)
		t_fail("the pidfds refer to pids %ld and %ld, not %d and %d", pid_of(self), pid_of(cfd),
		       getpid(), child);
	if ((fcntl(self, F_GETFL) & O_NONBLOCK) || !(fcntl(cfd, F_GETFL) & O_NONBLOCK))
		t_fail("the pidfds' flags changed: %#x, %#x", fcntl(self, F_GETFL), fcntl(cfd, F_GETFL));
	pfd = (struct pollfd){ .fd = cfd, .events = POLLIN };
	if (poll(&pfd, 1, 0) != 0)
		t_fail("the child's pidfd is readable while the child lives");
	if (syscall(SYS_pidfd_send_signal, cfd, SIGUSR2, NULL, 0) < 0)
		t_fail("pidfd_send_signal: %s", strerror(errno));
	if (poll(&pfd, 1, 5000) != 1 || !(pfd.revents & POLLIN))
		t_fail("the child's pidfd did not become readable when it exited");
	if (waitid(P_PIDFD, cfd, &info, WEXITED) < 0 || info.si_pid != child ||
	    info.si_code != CLD_EXITED || info.si_status != 42)
		t_fail("waitid(P_PIDFD): %s, pid %d, code %d, status %d", strerror(errno), info.si_pid,
		       info.si_code, info.si_status);
	if (waitpid(sibling, &st, 0) != sibling || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		t_fail("the sibling's pidfd of the child did not see it end (status %#x)", st);
	t_pass();
}
