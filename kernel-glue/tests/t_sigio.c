/* SPDX-License-Identifier: MIT */
/*
 * Signal-driven I/O: the read end of a pipe with O_ASYNC, owned by the
 * process, signal SIGRTMIN+1; one end of a socket pair with O_ASYNC and
 * SIGIO, owned by a thread (F_OWNER_TID); a FIFO-less pipe end with only
 * an owner set. After the restore F_GETOWN_EX, F_GETSIG and F_GETFL read
 * the same, and writing to the pipe and to the socket pair sends each
 * signal: SIGRTMIN+1 to the process, SIGIO to the owning thread.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "tlib.h"

static volatile sig_atomic_t rt_count, io_count;
static volatile pid_t io_tid;
static pid_t thread_tid;
static volatile int done;

static void on_rt(int sig)
{
	(void)sig;
	rt_count++;
}

static void on_io(int sig)
{
	(void)sig;
	io_count++;
	io_tid = syscall(SYS_gettid);
}

static void *run(void *arg)
{
	struct timespec ts = { 0, 5 * 1000 * 1000 };

	(void)arg;
	thread_tid = syscall(SYS_gettid);
	while (!done)
		nanosleep(&ts, NULL);
	return NULL;
}

static void check(int fd, int type, pid_t owner, int sig, bool async, const char *what)
{
	struct f_owner_ex o = { 0 };
	int fl = fcntl(fd, F_GETFL);

	if (fcntl(fd, F_GETOWN_EX, &o) < 0 || o.pid != owner || (owner && (int)o.type != type))
		t_fail("%s: its owner is %d (type %d), not %d (type %d)", what, o.pid, o.type, owner,
		       type);
	if (fcntl(fd, F_GETSIG) != sig)
		t_fail("%s: its signal is %d, not %d", what, fcntl(fd, F_GETSIG), sig);
	if (!!(fl & O_ASYNC) != async)
		t_fail("%s: O_ASYNC is %s", what, async ? "off" : "on");
}

static void wait_count(volatile sig_atomic_t *count, const char *what)
{
	for (int i = 0; i < 1000 && !*count; i++)
		usleep(1000);
	if (!*count)
		t_fail("no %s came", what);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_rt, .sa_flags = SA_RESTART };
	int p[2], q[2], sv[2];
	pthread_t th;
	struct f_owner_ex o;
	char c = 'x';

	t_init("sigio", argc, argv);
	sigaction(SIGRTMIN + 1, &sa, NULL);
	sa.sa_handler = on_io;
	sigaction(SIGIO, &sa, NULL);
	if (pthread_create(&th, NULL, run, NULL) != 0)
		t_fail("pthread_create");
	while (!thread_tid)
		usleep(1000);
	if (pipe(p) < 0 || pipe(q) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		t_fail("pipe, socketpair: %s", strerror(errno));
	o = (struct f_owner_ex){ F_OWNER_PID, getpid() };
	if (fcntl(p[0], F_SETOWN_EX, &o) < 0 || fcntl(p[0], F_SETSIG, SIGRTMIN + 1) < 0 ||
	    fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK) < 0)
		t_fail("the pipe's signal-driven I/O: %s", strerror(errno));
	o = (struct f_owner_ex){ F_OWNER_TID, thread_tid };
	if (fcntl(sv[0], F_SETOWN_EX, &o) < 0 || fcntl(sv[0], F_SETFL, O_ASYNC | O_NONBLOCK) < 0)
		t_fail("the socket's signal-driven I/O: %s", strerror(errno));
	if (fcntl(q[0], F_SETOWN, getpid()) < 0)
		t_fail("F_SETOWN: %s", strerror(errno));
	/* it works before */
	if (write(p[1], &c, 1) != 1)
		t_fail("write: %s", strerror(errno));
	wait_count(&rt_count, "SIGRTMIN+1 before the checkpoint");
	read(p[0], &c, 1);
	rt_count = 0;
	t_ready();
	t_wait_go();

	check(p[0], F_OWNER_PID, getpid(), SIGRTMIN + 1, true, "the pipe");
	check(sv[0], F_OWNER_TID, thread_tid, 0, true, "the socket");
	check(q[0], F_OWNER_PID, getpid(), 0, false, "the other pipe");
	check(p[1], F_OWNER_PID, 0, 0, false, "the pipe's write end");
	if (write(p[1], &c, 1) != 1 || write(sv[1], &c, 1) != 1)
		t_fail("write: %s", strerror(errno));
	wait_count(&rt_count, "SIGRTMIN+1 from the pipe");
	wait_count(&io_count, "SIGIO from the socket");
	if (io_tid != thread_tid)
		t_fail("SIGIO went to thread %d, not to its owner %d", io_tid, thread_tid);
	done = 1;
	pthread_join(th, NULL);
	t_pass();
}
