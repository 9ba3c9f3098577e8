/* SPDX-License-Identifier: MIT */
/*
 * An epoll instance watching a pipe and an eventfd, blocked in epoll_wait
 * across checkpoint and restore. After restore the interest list is
 * intact: an event on either target wakes it with its data, and
 * EPOLL_CTL_MOD/DEL still find the items.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "tlib.h"

static int efd;

static void on_usr1(int sig)
{
	uint64_t one = 1;

	(void)sig;
	t_go = 1;
	if (write(efd, &one, 8) != 8)
		_exit(3);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct epoll_event ev, got[4];
	int p[2], ep, n;

	t_init("epoll", argc, argv);
	sigaction(SIGUSR1, &sa, NULL);
	efd = eventfd(0, EFD_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (efd < 0 || ep < 0 || pipe(p) < 0)
		t_fail("setup: %s", strerror(errno));
	ev.events = EPOLLIN;
	ev.data.u64 = 0x1122334455667788ull;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) < 0)
		t_fail("add pipe: %s", strerror(errno));
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u64 = 0xe7e7;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) < 0)
		t_fail("add eventfd: %s", strerror(errno));
	t_ready();
	do
		n = epoll_wait(ep, got, 4, -1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || got[0].data.u64 != 0xe7e7 || !(got[0].events & EPOLLIN))
		t_fail("woke with %d events, data %#llx", n, (unsigned long long)got[0].data.u64);
	if (write(p[1], "x", 1) != 1)
		t_fail("write: %s", strerror(errno));
	n = epoll_wait(ep, got, 4, 1000);
	if (n != 1 || got[0].data.u64 != 0x1122334455667788ull)
		t_fail("the pipe gave %d events, data %#llx", n, (unsigned long long)got[0].data.u64);
	ev.events = EPOLLOUT;
	ev.data.u64 = 5;
	if (epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL) < 0)
		t_fail("the interest list lost its items: %s", strerror(errno));
	t_pass();
}
