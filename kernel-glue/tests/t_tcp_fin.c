/* SPDX-License-Identifier: MIT */
/*
 * TCP connections whose FIN the peer has not acknowledged, over loopback,
 * both ends held by the process. A peer drops what comes to it while a
 * classic socket filter that takes nothing is attached to it (no
 * netfilter needed); the process lifts it after the restore.
 *
 *   1 FIN_WAIT1, the FIN never sent: the client sent until its send queue
 *     was full (the server reads nothing, small buffers), then shut down.
 *   2 FIN_WAIT1, the FIN sent: the server read nothing; once "hello" was
 *     acknowledged it dropped what came, and the client sent "tail" and
 *     shut down.
 *   3 LAST_ACK: the client shut down first (FIN_WAIT2, its FIN
 *     acknowledged); then it dropped what came, and the server (in
 *     CLOSE_WAIT) sent "bye" and shut down.
 *   4 CLOSING: the server dropped what came; the client shut down, its FIN
 *     lost; the server sent "last" and shut down: the client took its FIN
 *     before the acknowledgement of its own (CLOSING), the server is in
 *     FIN_WAIT1 (the client's acknowledgement lost too).
 *   5 LAST_ACK, the FIN never sent: the client shut down; the server (in
 *     CLOSE_WAIT) sent until its send queue was full, then shut down.
 *
 * After the restore each end is in its state again; the filters are
 * lifted; each reader gets every byte, in order, then end of file, again
 * and again (no reset, no byte more: the FIN was sent again at the
 * sequence number it had, after the bytes never sent); then the ends that
 * had not shut down do, and every end gets to its end: FIN_WAIT2, then
 * closed (through TIME_WAIT) or closed from LAST_ACK, with no error.
 *
 * With FAMILY=6 the pairs are IPv6, over ::1.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 * host-test: run FAMILY=6 usr1 2
 */
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "tcp_tlib.h"

/* up to 20 s: a FIN lost while the filter was there comes again only
 * with the retransmission timer */
#define TRIES 2000

static void wait_state(int fd, int state, const char *what)
{
	for (int i = 0; i < TRIES && t_tcp_state(fd) != state; i++)
		usleep(10000);
	if (t_tcp_state(fd) != state)
		t_fail("%s: TCP state %d, not %d", what, t_tcp_state(fd), state);
}

static void expect_state(int fd, int state, const char *what)
{
	if (t_tcp_state(fd) != state)
		t_fail("%s: TCP state %d, not %d", what, t_tcp_state(fd), state);
}

static void no_error(int fd, const char *what)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
		t_fail("%s: socket error %s", what, strerror(err));
}

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)((i * 2654435761u) >> 24 ^ i >> 8);
}

/* Exactly @len bytes of @want (NULL: pattern bytes), then end of file,
 * read twice. */
static void read_to_eof(int fd, const char *want, uint64_t len, const char *what)
{
	uint8_t buf[4096];
	uint64_t got = 0;
	ssize_t n;

	for (int idle = 0; idle < TRIES;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n < 0 && errno == EAGAIN) {
			idle++;
			usleep(10000);
			continue;
		}
		if (n < 0)
			t_fail("%s: recv after %llu bytes: %s", what, (unsigned long long)got,
			       strerror(errno));
		for (ssize_t i = 0; i < n; i++)
			if (got + i >= len ||
			    buf[i] != (want ? (uint8_t)want[got + i] : pattern(got + i)))
				t_fail("%s: byte %llu is wrong, or one too many", what,
				       (unsigned long long)(got + i));
		got += n;
		idle = 0;
	}
	if (got != len)
		t_fail("%s: %llu bytes before end of file, not %llu", what, (unsigned long long)got,
		       (unsigned long long)len);
	n = recv(fd, buf, 1, MSG_DONTWAIT);
	if (n != 0)
		t_fail("%s: after end of file, recv gives %zd (%s)", what, n,
		       n < 0 ? strerror(errno) : "data");
	no_error(fd, what);
}

static void expect_nothing(int fd, const char *what)
{
	char c;

	if (recv(fd, &c, 1, MSG_DONTWAIT) != -1 || errno != EAGAIN)
		t_fail("%s: something to read, end of file or an error", what);
}

/* A pair over loopback (::1 with FAMILY=6), small buffers: *cli
 * connected, *srv accepted. */
static void pair(int *cli, int *srv)
{
	static const char *family;
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_storage a;
	socklen_t alen;
	int fam, lis, v = 16384;

	if (!family)
		family = getenv("FAMILY") ? getenv("FAMILY") : "4";
	fam = strcmp(family, "6") == 0 ? AF_INET6 : AF_INET;
	alen = fam == AF_INET6 ? sizeof(a6) : sizeof(a4);
	memcpy(&a, fam == AF_INET6 ? (void *)&a6 : (void *)&a4, alen);
	lis = socket(fam, SOCK_STREAM, 0);

	if (lis < 0 || setsockopt(lis, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0 ||
	    setsockopt(lis, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) < 0 ||
	    bind(lis, (struct sockaddr *)&a, alen) < 0 || listen(lis, 1) < 0 ||
	    getsockname(lis, (struct sockaddr *)&a, &alen) < 0)
		t_fail("listen: %s", strerror(errno));
	*cli = socket(fam, SOCK_STREAM, 0);
	if (*cli < 0 || setsockopt(*cli, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0 ||
	    setsockopt(*cli, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) < 0 ||
	    connect(*cli, (struct sockaddr *)&a, alen) < 0)
		t_fail("connect: %s", strerror(errno));
	*srv = accept(lis, NULL, NULL);
	if (*srv < 0)
		t_fail("accept: %s", strerror(errno));
	close(lis);
}

/* From now on @fd drops every segment that comes to it. */
/* Send pattern bytes until the send queue is full; how many. */
static uint64_t fill(int fd)
{
	uint8_t buf[4096];
	uint64_t sent = 0;

	for (int idle = 0; idle < 20;) {
		ssize_t n;

		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = pattern(sent + i);
		n = send(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			sent += n;
			idle = 0;
		} else if (n < 0 && errno == EAGAIN) {
			idle++;
			usleep(10000);
		} else {
			t_fail("fill: %s", strerror(errno));
		}
	}
	return sent;
}

static void queued(int fd, int *outq, int *unsent)
{
	if (ioctl(fd, SIOCOUTQ, outq) < 0 || ioctl(fd, SIOCOUTQNSD, unsent) < 0)
		t_fail("SIOCOUTQ: %s", strerror(errno));
}

static void send_all(int fd, const char *s)
{
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) != (ssize_t)strlen(s))
		t_fail("send: %s", strerror(errno));
}

static void shut(int fd)
{
	if (shutdown(fd, SHUT_WR) < 0)
		t_fail("shutdown: %s", strerror(errno));
}

/* Our end, shut down, sees its FIN acknowledged, then the peer's FIN:
 * closed (through TIME_WAIT). */
static void closes_after_peer(int ours, int peer, const char *what)
{
	wait_state(ours, TCP_FIN_WAIT2, what);
	expect_nothing(ours, what);
	shut(peer);
	read_to_eof(ours, "", 0, what);
	wait_state(ours, TCP_CLOSE, what);
	wait_state(peer, TCP_CLOSE, what);
	no_error(ours, what);
	no_error(peer, what);
}

int main(int argc, char **argv)
{
	int c1, s1, c2, s2, c3, s3, c4, s4, c5, s5, outq, unsent;
	uint64_t filled1, filled5;

	t_init("tcp_fin", argc, argv);
	/* 1: FIN_WAIT1, the FIN behind bytes never sent */
	pair(&c1, &s1);
	filled1 = fill(c1);
	shut(c1);
	queued(c1, &outq, &unsent);
	if (t_tcp_state(c1) != TCP_FIN_WAIT1 || unsent <= 1)
		t_fail("1: state %d, %d of %d queued not sent: not FIN_WAIT1 behind bytes",
		       t_tcp_state(c1), unsent, outq);
	/* 2: FIN_WAIT1, the FIN sent */
	pair(&c2, &s2);
	send_all(c2, "hello");
	for (int i = 0; i < 500 && (queued(c2, &outq, &unsent), outq); i++)
		usleep(10000);
	t_tcp_drop_all(s2, 1);
	send_all(c2, "tail");
	shut(c2);
	usleep(50000);
	queued(c2, &outq, &unsent);
	if (t_tcp_state(c2) != TCP_FIN_WAIT1 || outq != 5 || unsent != 0)
		t_fail("2: state %d, %d queued, %d not sent: not FIN_WAIT1 with \"tail\" and the "
		       "FIN sent", t_tcp_state(c2), outq, unsent);
	/* 3: LAST_ACK */
	pair(&c3, &s3);
	shut(c3);
	wait_state(s3, TCP_CLOSE_WAIT, "3: the server before");
	wait_state(c3, TCP_FIN_WAIT2, "3: the client before");
	t_tcp_drop_all(c3, 1);
	send_all(s3, "bye");
	shut(s3);
	expect_state(s3, TCP_LAST_ACK, "3: the server before");
	/* 4: CLOSING, its peer in FIN_WAIT1 */
	pair(&c4, &s4);
	t_tcp_drop_all(s4, 1);
	shut(c4);
	send_all(s4, "last");
	shut(s4);
	wait_state(c4, TCP_CLOSING, "4: the client before");
	expect_state(s4, TCP_FIN_WAIT1, "4: the server before");
	/* 5: LAST_ACK, the FIN behind bytes never sent */
	pair(&c5, &s5);
	shut(c5);
	wait_state(s5, TCP_CLOSE_WAIT, "5: the server before");
	filled5 = fill(s5);
	shut(s5);
	queued(s5, &outq, &unsent);
	if (t_tcp_state(s5) != TCP_LAST_ACK || unsent <= 1)
		t_fail("5: state %d, %d of %d queued not sent: not LAST_ACK behind bytes",
		       t_tcp_state(s5), unsent, outq);
	t_ready();
	t_wait_go();

	expect_state(c1, TCP_FIN_WAIT1, "1: the client");
	expect_state(c2, TCP_FIN_WAIT1, "2: the client");
	expect_state(s3, TCP_LAST_ACK, "3: the server");
	expect_state(c3, TCP_FIN_WAIT2, "3: the client");
	expect_state(c4, TCP_CLOSING, "4: the client");
	expect_state(s4, TCP_FIN_WAIT1, "4: the server");
	expect_state(s5, TCP_LAST_ACK, "5: the server");
	expect_state(c5, TCP_FIN_WAIT2, "5: the client");
	for (int i = 0; i < 5; i++) {
		int ends[] = { c1, c2, s3, c4, s5 };

		if (send(ends[i], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) != -1 || errno != EPIPE)
			t_fail("%d: shut down for writing, it can send", i + 1);
	}
	t_tcp_drop_all(s2, 0);
	t_tcp_drop_all(c3, 0);
	t_tcp_drop_all(s4, 0);

	read_to_eof(s1, NULL, filled1, "1: the server");
	closes_after_peer(c1, s1, "1: the client");

	read_to_eof(s2, "hellotail", 9, "2: the server");
	closes_after_peer(c2, s2, "2: the client");

	read_to_eof(c3, "bye", 3, "3: the client");
	wait_state(s3, TCP_CLOSE, "3: the server, its FIN acknowledged");
	wait_state(c3, TCP_CLOSE, "3: the client, after the server's FIN");
	read_to_eof(s3, "", 0, "3: the server");
	no_error(c3, "3: the client");

	read_to_eof(c4, "last", 4, "4: the client");
	read_to_eof(s4, "", 0, "4: the server");
	wait_state(c4, TCP_CLOSE, "4: the client, its FIN acknowledged");
	wait_state(s4, TCP_CLOSE, "4: the server, both FINs acknowledged");
	no_error(c4, "4: the client");
	no_error(s4, "4: the server");

	read_to_eof(c5, NULL, filled5, "5: the client");
	wait_state(s5, TCP_CLOSE, "5: the server, its FIN acknowledged");
	wait_state(c5, TCP_CLOSE, "5: the client, after the server's FIN");
	read_to_eof(s5, "", 0, "5: the server");
	t_pass();
}
