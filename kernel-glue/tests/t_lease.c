/* SPDX-License-Identifier: MIT */
/*
 * Leases (F_SETLEASE): a read lease of a read-only open, and a write lease
 * of a read-write open whose break comes as a real-time signal (F_SETSIG)
 * with the descriptor in si_fd. After the restore F_GETLEASE gives the
 * same types, /proc/locks shows the same leases, and they work: another
 * process opening the files without waiting is refused (EWOULDBLOCK),
 * this process is told with the signal of each, and once it gives a lease
 * up the other process opens the file.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include "tlocks.h"

#define BREAK_SIGNAL (SIGRTMIN + 3)

static volatile sig_atomic_t broke_fd = -1, sigio;

static void on_break(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	broke_fd = si->si_fd;
}

static void on_sigio(int sig)
{
	(void)sig;
	sigio++;
}

/* A child opening @name with @flags, without waiting for a lease break:
 * 0 when it is refused with EWOULDBLOCK (@want_refused) or opens it. */
static int try_open(const char *name, int flags, bool want_refused)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t_dir, name);
	fd = open(path, flags | O_NONBLOCK);
	if (want_refused && (fd >= 0 || errno != EWOULDBLOCK)) {
		printf("note: %s opened (%s) despite its lease\n", name,
		       fd >= 0 ? "yes" : strerror(errno));
		return 1;
	}
	if (!want_refused && fd < 0) {
		printf("note: %s cannot be opened: %s\n", name, strerror(errno));
		return 1;
	}
	return 0;
}

static int break_read(void *arg)
{
	return try_open("lease.read", O_WRONLY, *(bool *)arg);
}

static int break_write(void *arg)
{
	return try_open("lease.write", O_RDONLY, *(bool *)arg);
}

static int make(const char *name, int flags)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t_dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || close(fd) < 0 || (fd = open(path, flags)) < 0)
		t_fail("cannot make %s: %s", path, strerror(errno));
	return fd;
}

static void wait_signal(volatile sig_atomic_t *v, int unset, const char *what)
{
	for (int i = 0; i < 300 && *v == unset; i++)
		usleep(10000);
	if (*v == unset)
		t_fail("no %s came", what);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_break, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct sigaction io = { .sa_handler = on_sigio, .sa_flags = SA_RESTART };
	char before[2048], after[2048];
	bool refused = true, opens = false;
	int r, w, fds[2];

	t_init("lease", argc, argv);
	sigaction(BREAK_SIGNAL, &sa, NULL);
	sigaction(SIGIO, &io, NULL);
	r = make("lease.read", O_RDONLY);
	w = make("lease.write", O_RDWR);
	if (fcntl(r, F_SETLEASE, F_RDLCK) < 0 || fcntl(w, F_SETSIG, BREAK_SIGNAL) < 0 ||
	    fcntl(w, F_SETLEASE, F_WRLCK) < 0)
		t_fail("F_SETLEASE: %s", strerror(errno));
	fds[0] = r, fds[1] = w;
	t_locks_of(fds, 2, before, sizeof(before));
	t_ready();
	t_wait_go();

	t_locks_of(fds, 2, after, sizeof(after));
	if (strcmp(before, after))
		t_fail("/proc/locks shows\n%sinstead of\n%s", after, before);
	if (fcntl(r, F_GETLEASE) != F_RDLCK || fcntl(w, F_GETLEASE) != F_WRLCK)
		t_fail("F_GETLEASE gives %d and %d", fcntl(r, F_GETLEASE), fcntl(w, F_GETLEASE));
	if (fcntl(w, F_GETSIG) != BREAK_SIGNAL || fcntl(w, F_GETOWN) != getpid())
		t_fail("the write lease's break goes to pid %d with signal %d", fcntl(w, F_GETOWN),
		       fcntl(w, F_GETSIG));
	/* broken by another process: refused, and this one is told */
	t_from_outside("an open for reading despite the write lease", break_write, &refused);
	wait_signal(&broke_fd, -1, "signal of the write lease's break");
	if (broke_fd != w)
		t_fail("the break signal names fd %d, not %d", broke_fd, w);
	if (fcntl(w, F_SETLEASE, F_UNLCK) < 0)
		t_fail("cannot give the write lease up: %s", strerror(errno));
	t_from_outside("an open for reading once the write lease is given up", break_write, &opens);
	t_from_outside("an open for writing despite the read lease", break_read, &refused);
	wait_signal(&sigio, 0, "SIGIO of the read lease's break");
	if (fcntl(r, F_SETLEASE, F_UNLCK) < 0)
		t_fail("cannot give the read lease up: %s", strerror(errno));
	t_from_outside("an open for writing once the read lease is given up", break_read, &opens);
	t_pass();
}
