/* SPDX-License-Identifier: MIT */
/*
 * Half-closed TCP connections over loopback, both ends held by the
 * process: the client sent "hello" and shut down its side (its FIN
 * acknowledged: FIN_WAIT2), the server has not read it (CLOSE_WAIT, the
 * FIN after the data) and sent "world", which the client has not read.
 * After the restore each end is in its state again; the server reads
 * "hello", then end of file (once, and again); the client reads "world";
 * the server still sends and the client receives, the client cannot send
 * (EPIPE); then the server closes its side and both ends get to the end:
 * the client reads end of file and both are closed (the peer's FIN and
 * our own counted right both ways, or one side would wait for an
 * acknowledgement that never comes).
 *
 * A second pair: the client shut down at once, the server in CLOSE_WAIT
 * sent until its send queue is full (the client's receive queue full and
 * bytes never sent behind): the client reads every byte, in order, then
 * end of file after the server's shutdown (the peer's FIN given back
 * acknowledges only what had been).
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "tcp_tlib.h"

/* Until @fd is in @state, for up to 5 s. */
static void wait_state(int fd, int state, const char *what)
{
	for (int i = 0; i < 500 && t_tcp_state(fd) != state; i++)
		usleep(10000);
	if (t_tcp_state(fd) != state)
		t_fail("%s: TCP state %d, not %d", what, t_tcp_state(fd), state);
}

/* Exactly @want, then nothing more queued. */
static void expect_read(int fd, const char *want, const char *what)
{
	char buf[64] = "";
	size_t len = strlen(want), got = 0;

	for (int i = 0; i < 500 && got < len; i++) {
		ssize_t n = recv(fd, buf + got, len - got, MSG_DONTWAIT);

		if (n > 0)
			got += n;
		else if (n == 0)
			t_fail("%s: end of file after %zu bytes", what, got);
		else if (errno == EAGAIN)
			usleep(10000);
		else
			t_fail("%s: recv: %s", what, strerror(errno));
	}
	if (got != len || memcmp(buf, want, len) != 0)
		t_fail("%s: read \"%.*s\", not \"%s\"", what, (int)got, buf, want);
}

static void expect_eof(int fd, const char *what)
{
	char c;
	ssize_t n = -1;

	for (int i = 0; i < 500; i++) {
		n = recv(fd, &c, 1, MSG_DONTWAIT);
		if (n >= 0 || errno != EAGAIN)
			break;
		usleep(10000);
	}
	if (n != 0)
		t_fail("%s: recv gives %zd (%s), not end of file", what, n,
		       n < 0 ? strerror(errno) : "data");
}

static void expect_nothing(int fd, const char *what)
{
	char c;

	if (recv(fd, &c, 1, MSG_DONTWAIT) != -1 || errno != EAGAIN)
		t_fail("%s: something to read, or an error", what);
}

static uint8_t pattern(uint64_t i)
{
	return (uint8_t)((i * 2654435761u) >> 24 ^ i >> 8);
}

/* A pair over loopback, small buffers: *cli connected, *srv accepted. */
static void pair(int *cli, int *srv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int lis = socket(AF_INET, SOCK_STREAM, 0), v = 16384;

	if (lis < 0 || setsockopt(lis, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0 ||
	    setsockopt(lis, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)) < 0 ||
	    bind(lis, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lis, 1) < 0 ||
	    getsockname(lis, (struct sockaddr *)&a, &alen) < 0)
		t_fail("listen: %s", strerror(errno));
	*cli = socket(AF_INET, SOCK_STREAM, 0);
	if (*cli < 0 || setsockopt(*cli, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0 ||
	    connect(*cli, (struct sockaddr *)&a, sizeof(a)) < 0)
		t_fail("connect: %s", strerror(errno));
	*srv = accept(lis, NULL, NULL);
	if (*srv < 0)
		t_fail("accept: %s", strerror(errno));
	close(lis);
}

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

/* Exactly @total pattern bytes, then end of file. */
static void drain_all(int fd, uint64_t total, const char *what)
{
	uint8_t buf[4096];
	uint64_t got = 0;

	for (int idle = 0; idle < 500;) {
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 0)
			break;
		if (n < 0 && errno == EAGAIN) {
			idle++;
			usleep(10000);
			continue;
		}
		if (n < 0)
			t_fail("%s: recv: %s", what, strerror(errno));
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern(got + i))
				t_fail("%s: byte %llu is wrong", what, (unsigned long long)(got + i));
		got += n;
		idle = 0;
	}
	if (got != total)
		t_fail("%s: %llu bytes, not %llu", what, (unsigned long long)got,
		       (unsigned long long)total);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int lis, cli, srv, cli2, srv2;
	uint64_t filled;
	int unsent = 0;

	t_init("tcp_states", argc, argv);
	lis = socket(AF_INET, SOCK_STREAM, 0);
	if (lis < 0 || bind(lis, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lis, 1) < 0 ||
	    getsockname(lis, (struct sockaddr *)&a, &alen) < 0)
		t_fail("listen: %s", strerror(errno));
	cli = socket(AF_INET, SOCK_STREAM, 0);
	if (cli < 0 || connect(cli, (struct sockaddr *)&a, sizeof(a)) < 0)
		t_fail("connect: %s", strerror(errno));
	srv = accept(lis, NULL, NULL);
	if (srv < 0)
		t_fail("accept: %s", strerror(errno));
	close(lis);
	if (send(cli, "hello", 5, 0) != 5 || shutdown(cli, SHUT_WR) < 0 || send(srv, "world", 5, 0) != 5)
		t_fail("send, shutdown: %s", strerror(errno));
	wait_state(srv, TCP_CLOSE_WAIT, "the server before");
	wait_state(cli, TCP_FIN_WAIT2, "the client before");
	pair(&cli2, &srv2);
	if (shutdown(cli2, SHUT_WR) < 0)
		t_fail("shutdown: %s", strerror(errno));
	wait_state(srv2, TCP_CLOSE_WAIT, "the full server before");
	filled = fill(srv2);
	if (ioctl(srv2, SIOCOUTQNSD, &unsent) < 0 || unsent <= 0)
		t_fail("the full server has no bytes left unsent (%d of %llu)", unsent,
		       (unsigned long long)filled);
	t_ready();
	t_wait_go();

	if (t_tcp_state(srv) != TCP_CLOSE_WAIT)
		t_fail("the server's connection is in TCP state %d, not CLOSE_WAIT", t_tcp_state(srv));
	if (t_tcp_state(cli) != TCP_FIN_WAIT2)
		t_fail("the client's connection is in TCP state %d, not FIN_WAIT2", t_tcp_state(cli));
	expect_read(srv, "hello", "the server");
	expect_eof(srv, "the server after the data");
	expect_eof(srv, "the server again");
	expect_read(cli, "world", "the client");
	expect_nothing(cli, "the client after the data");
	if (send(srv, "more", 4, MSG_NOSIGNAL) != 4)
		t_fail("the server cannot send any more: %s", strerror(errno));
	expect_read(cli, "more", "the client, sent after the restore");
	if (send(cli, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) != -1 || errno != EPIPE)
		t_fail("the client, shut down for writing, can send");
	if (shutdown(srv, SHUT_WR) < 0)
		t_fail("the server's shutdown: %s", strerror(errno));
	expect_eof(cli, "the client after the server's shutdown");
	/* the client acknowledged the server's FIN: LAST_ACK over; the client
	 * went through TIME_WAIT (its socket closed) */
	wait_state(srv, TCP_CLOSE, "the server after its shutdown");
	wait_state(cli, TCP_CLOSE, "the client after the server's FIN");
	close(srv);
	close(cli);

	if (t_tcp_state(srv2) != TCP_CLOSE_WAIT)
		t_fail("the full server's connection is in TCP state %d, not CLOSE_WAIT",
		       t_tcp_state(srv2));
	expect_eof(srv2, "the full server");
	if (shutdown(srv2, SHUT_WR) < 0)
		t_fail("the full server's shutdown: %s", strerror(errno));
	drain_all(cli2, filled, "the full server's client");
	wait_state(srv2, TCP_CLOSE, "the full server after its shutdown");
	close(srv2);
	close(cli2);
	t_pass();
}
