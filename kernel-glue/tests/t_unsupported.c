/* SPDX-License-Identifier: MIT */
/* Descriptors of kinds ferry does not checkpoint: check_kinds.sh expects
 * `ferry check` to name each, and the program to run on untouched. An
 * epoll instance watching a file under a number the process closed since
 * is one of them, and a pidfd of its parent, outside the checkpoint.
 *
 * host-test: by check_kinds.sh
 */
#include <linux/netlink.h>
#include <sys/epoll.h>
#include <sys/fanotify.h>
#include <sys/socket.h>

#include "tlib.h"

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int p[2], ep;

	t_init("unsupported", argc, argv);
	ep = epoll_create1(0);
	if (ep < 0 || pipe(p) < 0 || dup(p[0]) < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) < 0 ||
	    close(p[0]) < 0 || fanotify_init(FAN_CLASS_NOTIF, O_RDONLY) < 0 ||
	    socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) < 0 ||
	    syscall(SYS_pidfd_open, getppid(), 0) < 0)
		t_fail("cannot make the descriptors: %s", strerror(errno));
	t_ready();
	t_wait_go();
	t_pass();
}
