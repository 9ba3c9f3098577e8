/* SPDX-License-Identifier: MIT */
/* Descriptors of kinds ferry does not checkpoint: check_kinds.sh expects
 * `ferry check` to name each, and the program to run on untouched. */
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include "tlib.h"

int main(int argc, char **argv)
{
	sigset_t set;

	t_init("unsupported", argc, argv);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	if (epoll_create1(0) < 0 || signalfd(-1, &set, 0) < 0 ||
	    timerfd_create(CLOCK_MONOTONIC, 0) < 0 || inotify_init1(0) < 0 ||
	    socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) < 0 ||
	    syscall(SYS_pidfd_open, getpid(), 0) < 0)
		t_fail("cannot make the descriptors: %s", strerror(errno));
	t_ready();
	t_wait_go();
	t_pass();
}
