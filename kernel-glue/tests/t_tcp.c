/* SPDX-License-Identifier: MIT */
/*
 * A TCP connection with data in flight both ways across checkpoint/restore
 * of its server (driven by tcp_netns.sh, the client in another network
 * namespace).
 *
 *   t_tcp server ADDR DIR   listen on ADDR port 7000, accept one client,
 *                           send until the send blocks (the client does not
 *                           read), create DIR/ready, wait for SIGUSR1
 *   t_tcp client ADDR DIR   connect, send until the send blocks (the server
 *                           does not read), create DIR/client-filled, then
 *                           go on sending and reading (checked) until DIR/go;
 *                           verdict in DIR/client-result
 *
 * While the server is away (between DIR/killed and DIR/restored, made by
 * the driver) the client's kernel goes on sending to it: window updates
 * for what the client reads, probes of the server's closed window. Those
 * segments must be dropped silently (the network lock), not answered with
 * an RST: the client fails on any socket error and counts them.
 *
 * Then both send the rest of TOTAL bytes, read everything the other sends
 * and check it byte by byte: position i of each stream holds pattern(i),
 * so a byte lost or duplicated anywhere shows; both count exactly TOTAL.
 *
 * host-test: by tcp_netns.sh
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "tlib.h"

#define PORT 7000
#define TOTAL (8u << 20)
#define BUF 65536

static uint8_t pattern(uint64_t i, int dir)
{
	return (uint8_t)(((i * 2654435761u) >> 24) ^ (i >> 16) ^ (dir ? 0x5a : 0));
}

struct stream {
	uint64_t sent, got;
	uint32_t sum_sent, sum_got;
};

/* Send pattern bytes until @limit or EAGAIN; returns false on EAGAIN. */
static bool pump(int fd, struct stream *st, int dir, uint64_t limit)
{
	uint8_t buf[BUF];

	while (st->sent < limit) {
		size_t n = limit - st->sent < BUF ? limit - st->sent : BUF;
		ssize_t k;

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(st->sent + i, dir);
		k = send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k < 0 && errno == EAGAIN)
			return false;
		if (k < 0)
			t_fail("send after %llu bytes: %s", (unsigned long long)st->sent,
			       strerror(errno));
		for (ssize_t i = 0; i < k; i++)
			st->sum_sent = st->sum_sent * 31 + buf[i];
		st->sent += k;
	}
	return true;
}

/* Read what is there and check it; returns false at end of stream. */
static bool drain(int fd, struct stream *st, int dir)
{
	uint8_t buf[BUF];

	for (;;) {
		ssize_t k = recv(fd, buf, BUF, MSG_DONTWAIT);

		if (k == 0)
			return false;
		if (k < 0 && errno == EAGAIN)
			return true;
		if (k < 0)
			t_fail("recv after %llu bytes: %s", (unsigned long long)st->got,
			       strerror(errno));
		for (ssize_t i = 0; i < k; i++) {
			if (buf[i] != pattern(st->got + i, dir))
				t_fail("byte %llu of the stream is wrong (lost or duplicated data)",
				       (unsigned long long)(st->got + i));
			st->sum_got = st->sum_got * 31 + buf[i];
		}
		st->got += k;
	}
}

/* Phase 2: send the rest, read all, until both streams are complete. */
static void finish(int fd, struct stream *st, int dir)
{
	bool shut = false, open_in = true;
	double start = t_now(CLOCK_MONOTONIC);

	while (!shut || open_in) {
		struct pollfd p = { .fd = fd, .events = POLLIN | (shut ? 0 : POLLOUT) };

		if (t_now(CLOCK_MONOTONIC) - start > 60)
			t_fail("stuck: sent %llu, received %llu", (unsigned long long)st->sent,
			       (unsigned long long)st->got);
		poll(&p, 1, 200);
		if (!shut && pump(fd, st, dir, TOTAL)) {
			shutdown(fd, SHUT_WR);
			shut = true;
		}
		if (open_in)
			open_in = drain(fd, st, !dir);
	}
	if (st->got != TOTAL)
		t_fail("received %llu bytes, expected %u", (unsigned long long)st->got, TOTAL);
	printf("sent %llu (sum %08x), received %llu (sum %08x)\n", (unsigned long long)st->sent,
	       st->sum_sent, (unsigned long long)st->got, st->sum_got);
}

static socklen_t make_addr(const char *s, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(s, ':')) {
		struct sockaddr_in6 *a = (void *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(PORT);
		if (inet_pton(AF_INET6, s, &a->sin6_addr) != 1)
			t_fail("bad address %s", s);
		return sizeof(*a);
	}
	{
		struct sockaddr_in *a = (void *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(PORT);
		if (inet_pton(AF_INET, s, &a->sin_addr) != 1)
			t_fail("bad address %s", s);
		return sizeof(*a);
	}
}

static void small_buffers(int fd)
{
	int v = 128 << 10, one = 1;

	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void touch(const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t_dir, name);
	f = fopen(path, "w");
	if (f)
		fclose(f);
}

static int server(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(addr, &ss);
	struct stream st = { 0 };
	int lis, fd, one = 1, v;

	lis = socket(ss.ss_family, SOCK_STREAM, 0);
	if (lis < 0 || setsockopt(lis, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		t_fail("socket: %s", strerror(errno));
	small_buffers(lis);
	if (bind(lis, (struct sockaddr *)&ss, len) < 0 || listen(lis, 4) < 0)
		t_fail("listen on %s: %s", addr, strerror(errno));
	touch("listening");
	fd = accept(lis, NULL, NULL);
	if (fd < 0)
		t_fail("accept: %s", strerror(errno));
	v = 1;
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v));
	v = 77;
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v));
	/* fill the client's receive queue and our send queue */
	for (int i = 0; i < 50 && !pump(fd, &st, 0, TOTAL); i++)
		usleep(20000);
	while (pump(fd, &st, 0, TOTAL / 2))
		;
	printf("server sent %llu before the checkpoint\n", (unsigned long long)st.sent);
	t_ready();
	t_wait_go();
	len = sizeof(v);
	if (getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len) < 0 || v != 77)
		t_fail("TCP_KEEPIDLE is %d, not 77", v);
	len = sizeof(v);
	if (getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len) < 0 || !v)
		t_fail("TCP_NODELAY was lost");
	finish(fd, &st, 0);
	/* the listening socket still accepts */
	touch("accept-again");
	fd = accept(lis, NULL, NULL);
	if (fd < 0 || send(fd, "hello", 5, 0) != 5)
		t_fail("a new connection after restore: %s", strerror(errno));
	close(fd);
	t_pass();
}

static bool exists(const char *name)
{
	char path[4096];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", t_dir, name);
	return stat(path, &sb) == 0;
}

/* Segments sent: tcpi_segs_out of the kernel's struct tcp_info (Linux 4.2). */
static uint64_t segs_out(int fd)
{
	struct {
		struct tcp_info base; /* glibc's, up to tcpi_total_retrans */
		uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
		uint32_t segs_out, segs_in;
	} ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len);
	return ti.segs_out;
}

/* Until DIR/go: keep sending and reading; no error, no RST. */
static void keep_talking(int fd, struct stream *st)
{
	uint64_t segs_killed = 0, got_killed = 0, segs_away = 0, got_away = 0;
	bool killed = false, restored = false;
	int err;
	socklen_t len;

	while (!exists("go")) {
		pump(fd, st, 1, TOTAL);
		if (!drain(fd, st, 0))
			t_fail("the server closed the connection");
		len = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err)
			t_fail("socket error while the server was %s: %s",
			       killed && !restored ? "away" : "checkpointed", strerror(err));
		if (!killed && exists("killed")) {
			killed = true;
			segs_killed = segs_out(fd);
			got_killed = st->got;
		}
		if (killed && !restored && exists("restored")) {
			restored = true;
			segs_away = segs_out(fd) - segs_killed;
			got_away = st->got - got_killed;
		}
		usleep(killed && !restored ? 5000 : 20000);
	}
	printf("while the server was away: %llu segments sent to it, %llu bytes read\n",
	       (unsigned long long)segs_away, (unsigned long long)got_away);
	if (!restored)
		t_fail("the driver did not mark the server killed and restored");
	if (!segs_away)
		t_fail("no segment was sent to the server while it was away: the lock was "
		       "not put to the test");
}

static int client(const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(addr, &ss);
	struct stream st = { 0 };
	char buf[8];
	int fd = -1;

	for (int i = 0; i < 100; i++) {
		fd = socket(ss.ss_family, SOCK_STREAM, 0);
		small_buffers(fd);
		if (connect(fd, (struct sockaddr *)&ss, len) == 0)
			break;
		close(fd);
		fd = -1;
		usleep(100000);
	}
	if (fd < 0)
		t_fail("connect to %s: %s", addr, strerror(errno));
	for (int i = 0; i < 50 && !pump(fd, &st, 1, TOTAL); i++)
		usleep(20000);
	while (pump(fd, &st, 1, TOTAL / 2))
		;
	printf("client sent %llu before the checkpoint\n", (unsigned long long)st.sent);
	touch("client-filled");
	keep_talking(fd, &st);
	finish(fd, &st, 1);
	close(fd);
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0 || recv(fd, buf, 5, MSG_WAITALL) != 5)
		t_fail("a new connection after restore: %s", strerror(errno));
	t_pass();
}

int main(int argc, char **argv)
{
	bool is_client = argc > 1 && strcmp(argv[1], "client") == 0;

	if (argc < 4) {
		fprintf(stderr, "usage: t_tcp server|client ADDR DIR\n");
		return 2;
	}
	{
		char *args[2] = { argv[0], argv[3] };

		t_init(is_client ? "tcp-client" : "tcp", 2, args);
	}
	return is_client ? client(argv[2]) : server(argv[2]);
}
