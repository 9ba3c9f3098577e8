/* SPDX-License-Identifier: MIT */
/* Holds a netlink socket, which cannot be checkpointed: the checkpoint must
 * fail, name it, and leave this process running exactly as it was. A Unix
 * socketpair next to it must still work. */
#include <linux/netlink.h>
#include <sys/socket.h>

#include "tlib.h"

int main(int argc, char **argv)
{
	unsigned long count = 0;
	char buf[8];
	int sv[2];

	t_init("socket", argc, argv);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) < 0)
		t_fail("socket: %s", strerror(errno));
	t_ready();
	while (!t_go)
		count++;
	if (write(sv[0], "ping", 4) != 4 || read(sv[1], buf, sizeof(buf)) != 4 ||
	    memcmp(buf, "ping", 4) != 0)
		t_fail("the socket does not work after the refused checkpoint");
	if (count == 0)
		t_fail("the loop did not run");
	t_pass();
}
