/* SPDX-License-Identifier: MIT */
/*
 * TCP connections being opened (SYN_SENT), over loopback, both ends held
 * by the process: a listener drops every SYN that comes to it while a
 * classic socket filter that takes nothing is attached to it (no
 * netfilter needed), so its clients stay in SYN_SENT, their SYN sent
 * again and again.
 *
 *   1 a non-blocking connect(): EINPROGRESS, the socket polled for its
 *     outcome;
 *   2 a blocking connect() in a thread of its own, waiting in the call.
 *
 * After the restore both clients are in SYN_SENT again, bound to the port
 * they had, with the status flags they had; the process lifts the filter,
 * and the SYN sent again completes each handshake: the non-blocking one
 * polls writable with SO_ERROR 0, the thread's connect() returns 0; the
 * listener accepts both, from the clients' ports, and a line goes each way
 * on each connection.
 *
 * With FAMILY=6 the connections are IPv6, over ::1.
 *
 * host-test: run usr1 1
 * host-test: run usr1 2
 * host-test: run FAMILY=6 usr1 2
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "tcp_tlib.h"

/* up to 30 s: the SYN comes again only with the retransmission timer
 * (1, 2, 4, 8 s after the first...) */
#define TRIES 3000

static int family = AF_INET;
static struct sockaddr_storage listen_addr;
static socklen_t listen_len;
static int blocking_fd = -1;
static volatile int blocking_result = 1, blocking_errno;

static unsigned port_of(int fd, bool peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if ((peer ? getpeername(fd, (struct sockaddr *)&ss, &len)
		  : getsockname(fd, (struct sockaddr *)&ss, &len)) < 0)
		t_fail("%s: %s", peer ? "getpeername" : "getsockname", strerror(errno));
	return ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
				       : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int listener(void)
{
	int fd = socket(family, SOCK_STREAM, 0);

	memset(&listen_addr, 0, sizeof(listen_addr));
	if (family == AF_INET) {
		struct sockaddr_in *in = (void *)&listen_addr;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		listen_len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (void *)&listen_addr;

		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		listen_len = sizeof(*in6);
	}
	if (fd < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) < 0 ||
	    bind(fd, (struct sockaddr *)&listen_addr, listen_len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&listen_addr, &listen_len) < 0 || listen(fd, 8) < 0)
		t_fail("listener: %s", strerror(errno));
	t_tcp_drop_all(fd, true);
	return fd;
}

static void *connect_blocking(void *arg)
{
	(void)arg;
	blocking_result = connect(blocking_fd, (struct sockaddr *)&listen_addr, listen_len);
	blocking_errno = errno;
	return NULL;
}

static void wait_syn_sent(int fd, const char *what)
{
	for (int i = 0; i < 200 && t_tcp_state(fd) != TCP_SYN_SENT; i++)
		usleep(10000);
	if (t_tcp_state(fd) != TCP_SYN_SENT)
		t_fail("%s: state %d, not SYN_SENT", what, t_tcp_state(fd));
}

/* the two connections the listener @l has, accepted: [0] from port @p1,
 * [1] from @p2 */
static void accept_both(int l, unsigned p1, unsigned p2, int ret[2])
{
	int n = 0;

	ret[0] = ret[1] = -1;
	for (int i = 0; i < TRIES && n < 2; i++) {
		int s = accept4(l, NULL, NULL, 0);
		unsigned port;

		if (s < 0 && errno != EAGAIN)
			t_fail("accept: %s", strerror(errno));
		if (s < 0) {
			usleep(10000);
			continue;
		}
		port = port_of(s, true);
		if ((port != p1 && port != p2) || ret[port == p2] >= 0)
			t_fail("accepted a connection from port %u, not one of %u and %u", port, p1,
			       p2);
		ret[port == p2] = s;
		n++;
	}
	if (n < 2)
		t_fail("%d connections to accept, not 2", n);
}

/* a line each way between the client @c and the server's end @s */
static void talk(int c, int s, const char *what)
{
	char buf[16];

	if (send(c, "ping\n", 5, MSG_NOSIGNAL) != 5 || recv(s, buf, 5, MSG_WAITALL) != 5 ||
	    memcmp(buf, "ping\n", 5))
		t_fail("%s: the client's line did not reach the server", what);
	if (send(s, "pong\n", 5, MSG_NOSIGNAL) != 5)
		t_fail("%s: the server cannot answer: %s", what, strerror(errno));
	for (int i = 0; i < TRIES; i++) {
		ssize_t n = recv(c, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 5 && !memcmp(buf, "pong\n", 5))
			return;
		if (n >= 0 || errno != EAGAIN)
			t_fail("%s: the client read %zd bytes (%s)", what, n, strerror(errno));
		usleep(10000);
	}
	t_fail("%s: the answer did not come back", what);
}

int main(int argc, char **argv)
{
	const char *fam = getenv("FAMILY");
	pthread_t th;
	struct pollfd pfd;
	int l, c1, fl1, fl2, err = -1, ends[2];
	unsigned p1, p2;
	socklen_t len = sizeof(err);

	t_init("tcp_syn_sent", argc, argv);
	if (fam && !strcmp(fam, "6"))
		family = AF_INET6;
	l = listener();
	/* 1: non-blocking */
	c1 = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c1 < 0)
		t_fail("socket: %s", strerror(errno));
	if (connect(c1, (struct sockaddr *)&listen_addr, listen_len) == 0 || errno != EINPROGRESS)
		t_fail("1: connect: %s, not EINPROGRESS", strerror(errno));
	wait_syn_sent(c1, "1: before");
	/* 2: blocking, in a thread that waits in connect() */
	blocking_fd = socket(family, SOCK_STREAM, 0);
	if (blocking_fd < 0 || pthread_create(&th, NULL, connect_blocking, NULL))
		t_fail("2: socket or thread: %s", strerror(errno));
	wait_syn_sent(blocking_fd, "2: before");
	p1 = port_of(c1, false);
	p2 = port_of(blocking_fd, false);
	fl1 = fcntl(c1, F_GETFL);
	fl2 = fcntl(blocking_fd, F_GETFL);
	t_ready();
	t_wait_go();

	if (t_tcp_state(c1) != TCP_SYN_SENT || t_tcp_state(blocking_fd) != TCP_SYN_SENT)
		t_fail("after the restore: states %d and %d, not SYN_SENT", t_tcp_state(c1),
		       t_tcp_state(blocking_fd));
	if (port_of(c1, false) != p1 || port_of(blocking_fd, false) != p2)
		t_fail("after the restore: ports %u and %u, were %u and %u", port_of(c1, false),
		       port_of(blocking_fd, false), p1, p2);
	if (fcntl(c1, F_GETFL) != fl1 || fcntl(blocking_fd, F_GETFL) != fl2)
		t_fail("after the restore: status flags %#x and %#x, were %#x and %#x",
		       fcntl(c1, F_GETFL), fcntl(blocking_fd, F_GETFL), fl1, fl2);
	if (blocking_result != 1)
		t_fail("2: the thread's connect() returned %d (%s) while the SYN was dropped",
		       blocking_result, strerror(blocking_errno));
	t_tcp_drop_all(l, false);

	pfd = (struct pollfd){ .fd = c1, .events = POLLOUT };
	if (poll(&pfd, 1, TRIES * 10) != 1 || getsockopt(c1, SOL_SOCKET, SO_ERROR, &err, &len) < 0 ||
	    err != 0)
		t_fail("1: the connection did not complete: revents %#x, SO_ERROR %d", pfd.revents,
		       err);
	if (pthread_join(th, NULL) || blocking_result != 0)
		t_fail("2: the thread's connect() returned %d: %s", blocking_result,
		       strerror(blocking_errno));
	if (t_tcp_state(c1) != TCP_ESTABLISHED || t_tcp_state(blocking_fd) != TCP_ESTABLISHED)
		t_fail("after the handshakes: states %d and %d", t_tcp_state(c1), t_tcp_state(blocking_fd));
	accept_both(l, p1, p2, ends);
	talk(c1, ends[0], "1");
	talk(blocking_fd, ends[1], "2");
	t_pass();
}
