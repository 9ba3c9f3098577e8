/* SPDX-License-Identifier: MIT */
/*
 * Sockets keep their shutdown state: a Unix stream pair with one end shut
 * for writing, another with one end shut for reading, a connected UDP
 * socket shut for reading and one shut for writing. After the restore each
 * behaves as before: end of file where reading was shut (on the peer of
 * an end that stopped writing; POLLRDHUP on the UDP socket), EPIPE where
 * writing was, and the other way still open.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include "tlib.h"

static void expect_eof(int fd, const char *what)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);

	if (n != 0)
		t_fail("%s: recv gives %zd (%s), not end of file", what, n,
		       n < 0 ? strerror(errno) : "data");
}

/* a datagram socket says so through poll(): recv would wait for nothing */
static void expect_rdhup(int fd, const char *what)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };

	if (poll(&p, 1, 0) != 1 || !(p.revents & POLLRDHUP))
		t_fail("%s: poll shows no POLLRDHUP (%#x)", what, p.revents);
}

static void expect_epipe(int fd, const char *what)
{
	if (send(fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) != -1 || errno != EPIPE)
		t_fail("%s: send does not fail with EPIPE", what);
}

static void expect_flows(int from, int to, const char *what)
{
	char c = 0;

	if (send(from, "y", 1, MSG_NOSIGNAL) != 1)
		t_fail("%s: send: %s", what, strerror(errno));
	for (int i = 0; i < 1000 && recv(to, &c, 1, MSG_DONTWAIT) != 1; i++)
		usleep(1000);
	if (c != 'y')
		t_fail("%s: the byte did not come", what);
}

static int udp_bound(struct sockaddr_in *a)
{
	socklen_t len = sizeof(*a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a->sin_port = 0;
	if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)a, &len) < 0)
		t_fail("udp: %s", strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a, b;
	int wr[2], rd[2], u1, u2, u3, u4;

	t_init("shutdown", argc, argv);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, wr) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, rd) < 0)
		t_fail("socketpair: %s", strerror(errno));
	if (shutdown(wr[0], SHUT_WR) < 0 || shutdown(rd[0], SHUT_RD) < 0)
		t_fail("shutdown: %s", strerror(errno));
	u1 = udp_bound(&a);
	u2 = udp_bound(&b);
	if (connect(u1, (struct sockaddr *)&b, sizeof(b)) < 0 ||
	    connect(u2, (struct sockaddr *)&a, sizeof(a)) < 0 || shutdown(u1, SHUT_RD) < 0)
		t_fail("udp: %s", strerror(errno));
	u3 = udp_bound(&a);
	u4 = udp_bound(&b);
	if (connect(u3, (struct sockaddr *)&b, sizeof(b)) < 0 ||
	    connect(u4, (struct sockaddr *)&a, sizeof(a)) < 0 || shutdown(u3, SHUT_WR) < 0)
		t_fail("udp: %s", strerror(errno));
	t_ready();
	t_wait_go();

	expect_eof(wr[1], "the peer of a Unix end shut for writing");
	expect_epipe(wr[0], "a Unix end shut for writing");
	expect_flows(wr[1], wr[0], "a Unix end shut for writing, the other way");
	expect_eof(rd[0], "a Unix end shut for reading");
	expect_epipe(rd[1], "the peer of a Unix end shut for reading");
	expect_flows(rd[0], rd[1], "a Unix end shut for reading, the other way");
	expect_rdhup(u1, "a UDP socket shut for reading");
	expect_epipe(u3, "a UDP socket shut for writing");
	expect_flows(u4, u3, "a UDP socket shut for writing, receiving");
	t_pass();
}
