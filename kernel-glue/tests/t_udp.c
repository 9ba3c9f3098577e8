/* SPDX-License-Identifier: MIT */
/*
 * UDP across checkpoint/restore: an IPv4 socket bound to loopback with
 * datagrams queued from a sender that is gone (they come back in order,
 * with their source), and a connected IPv6 pair with a datagram queued on
 * one side; options (SO_RCVBUF, IP_TOS, SO_REUSEADDR) come back.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tlib.h"

static int udp(int family)
{
	int fd = socket(family, SOCK_DGRAM, 0);

	if (fd < 0)
		t_fail("socket: %s", strerror(errno));
	return fd;
}

static void get_name(int fd, void *sa, socklen_t len)
{
	if (getsockname(fd, sa, &len) < 0)
		t_fail("getsockname: %s", strerror(errno));
}

static void expect_from(int fd, const char *want, const struct sockaddr_in *from,
			const char *what)
{
	struct sockaddr_in src;
	socklen_t len = sizeof(src);
	char buf[256];
	ssize_t n = recvfrom(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT, (struct sockaddr *)&src, &len);

	if (n < 0)
		t_fail("%s: nothing to read: %s", what, strerror(errno));
	buf[n] = 0;
	if (strcmp(buf, want) != 0)
		t_fail("%s: read '%s', expected '%s'", what, buf, want);
	if (from && (src.sin_port != from->sin_port || src.sin_addr.s_addr != from->sin_addr.s_addr))
		t_fail("%s: from port %u, expected %u", what, ntohs(src.sin_port),
		       ntohs(from->sin_port));
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET }, snd_addr;
	struct sockaddr_in6 b6 = { .sin6_family = AF_INET6 }, c6 = { .sin6_family = AF_INET6 };
	int rx, tx, b, c, one = 1, tos = 0x10, v;
	socklen_t len;

	t_init("udp", argc, argv);
	rx = udp(AF_INET);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(rx, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(rx, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)) < 0 ||
	    bind(rx, (struct sockaddr *)&a, sizeof(a)) < 0)
		t_fail("bind: %s", strerror(errno));
	get_name(rx, &a, sizeof(a));
	tx = udp(AF_INET);
	snd_addr = (struct sockaddr_in){ .sin_family = AF_INET,
					 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	if (bind(tx, (struct sockaddr *)&snd_addr, sizeof(snd_addr)) < 0)
		t_fail("bind: %s", strerror(errno));
	get_name(tx, &snd_addr, sizeof(snd_addr));
	for (int i = 0; i < 3; i++) {
		char msg[32];

		snprintf(msg, sizeof(msg), "datagram %d", i);
		if (sendto(tx, msg, strlen(msg), 0, (struct sockaddr *)&a, sizeof(a)) < 0)
			t_fail("sendto: %s", strerror(errno));
	}
	close(tx); /* its port is free again: the queue comes back from it */

	b = udp(AF_INET6);
	c = udp(AF_INET6);
	b6.sin6_addr = in6addr_loopback;
	c6.sin6_addr = in6addr_loopback;
	if (bind(b, (struct sockaddr *)&b6, sizeof(b6)) < 0 ||
	    bind(c, (struct sockaddr *)&c6, sizeof(c6)) < 0)
		t_fail("bind ::1: %s", strerror(errno));
	get_name(b, &b6, sizeof(b6));
	get_name(c, &c6, sizeof(c6));
	if (connect(b, (struct sockaddr *)&c6, sizeof(c6)) < 0 ||
	    connect(c, (struct sockaddr *)&b6, sizeof(b6)) < 0)
		t_fail("connect: %s", strerror(errno));
	if (send(b, "to c", 4, 0) != 4)
		t_fail("send: %s", strerror(errno));
	usleep(10000);

	t_ready();
	t_wait_go();

	for (int i = 0; i < 3; i++) {
		char msg[32];

		snprintf(msg, sizeof(msg), "datagram %d", i);
		expect_from(rx, msg, &snd_addr, "bound IPv4 socket");
	}
	len = sizeof(v);
	if (getsockopt(rx, IPPROTO_IP, IP_TOS, &v, &len) < 0 || v != tos)
		t_fail("IP_TOS is %d, not %d", v, tos);
	len = sizeof(v);
	if (getsockopt(rx, SOL_SOCKET, SO_REUSEADDR, &v, &len) < 0 || !v)
		t_fail("SO_REUSEADDR was lost");
	expect_from(c, "to c", NULL, "connected IPv6 socket");
	if (send(c, "to b", 4, 0) != 4 || send(b, "again", 5, 0) != 5)
		t_fail("send after restore: %s", strerror(errno));
	usleep(10000);
	expect_from(b, "to b", NULL, "connected IPv6 socket, other way");
	expect_from(c, "again", NULL, "connected IPv6 socket after restore");
	t_pass();
}
