/* SPDX-License-Identifier: MIT */
/* A signalfd for SIGUSR2 (blocked), one pending at the checkpoint. After
 * restore it reads the pending one, and one sent after the restore.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <sys/signalfd.h>

#include "tlib.h"

int main(int argc, char **argv)
{
	struct signalfd_siginfo si;
	sigset_t set;
	int fd;

	t_init("signalfd", argc, argv);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		t_fail("signalfd: %s", strerror(errno));
	kill(getpid(), SIGUSR2);
	t_ready();
	t_wait_go();

	if (!(fcntl(fd, F_GETFL) & O_NONBLOCK) || !(fcntl(fd, F_GETFD) & FD_CLOEXEC))
		t_fail("its flags changed");
	if (read(fd, &si, sizeof(si)) != sizeof(si) || si.ssi_signo != SIGUSR2)
		t_fail("the pending signal was not read");
	if (read(fd, &si, sizeof(si)) != -1 || errno != EAGAIN)
		t_fail("a second signal appeared");
	kill(getpid(), SIGUSR2);
	if (read(fd, &si, sizeof(si)) != sizeof(si) || si.ssi_signo != SIGUSR2 ||
	    (pid_t)si.ssi_pid != getpid())
		t_fail("a signal sent after restore was not read");
	t_pass();
}
