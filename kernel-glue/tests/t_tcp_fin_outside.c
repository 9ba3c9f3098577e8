/* SPDX-License-Identifier: MIT */
/*
 * Connections whose FIN is not acknowledged, their peer a process outside
 * the checkpoint (driven by tcp_fin_outside.sh, over loopback):
 *
 *   t_tcp_fin_outside peer DIR ROUNDS   listen, write the port to DIR/port,
 *                           accept two connections, read "hello" on the
 *                           first and "bye" on the second, shut the second
 *                           down; then drop what comes on both (a socket
 *                           filter that takes nothing) and create
 *                           DIR/dropping
 *   t_tcp_fin_outside server DIR PORT   connect twice, send "hello" on the
 *                           first and "bye" on the second; once DIR/dropping
 *                           is there shut both down (FIN_WAIT1 and
 *                           LAST_ACK: the FINs sent and lost, after every
 *                           byte had been acknowledged, so that the peer
 *                           would see one at once); create DIR/ready, wait
 *                           for SIGUSR1
 *
 * While the server is away (DIR/killed-R, made by the driver) the peer
 * takes what comes again and creates DIR/open-R; the driver makes a
 * restore fail right before its connections would leave repair mode, then
 * creates DIR/failed-R: the peer must have had nothing from it (no byte,
 * no FIN, no reset: the FINs come only once out of repair mode); it drops
 * again (DIR/closed-R) and the driver restores. At DIR/go the peer takes
 * what comes for good: it reads end of file on both (the second closed
 * through TIME_WAIT), and once the
 * server says its first is in FIN_WAIT2 (DIR/fin-wait2) shuts that one
 * down and waits for it to close. The server, after SIGUSR1, sees
 * FIN_WAIT1 then FIN_WAIT2 then closed on the first, LAST_ACK then closed
 * on the second. Each says PASS or FAIL.
 *
 * host-test: by tcp_fin_outside.sh
 */
#include <stdbool.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "tcp_tlib.h"

/* Until @fd is in @state, for up to 15 s (a FIN lost comes again with the
 * retransmission timer). */
static void wait_state(int fd, int state, const char *what)
{
	for (int i = 0; i < 1500 && t_tcp_state(fd) != state; i++)
		usleep(10000);
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

static bool exists(const char *name)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", t_dir, name);
	return stat(path, &st) == 0;
}

static void await(const char *name)
{
	while (!exists(name))
		usleep(10000);
}

static void create(const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", t_dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		t_fail("cannot create %s: %s", path, strerror(errno));
	close(fd);
}

/* Exactly @want within 15 s, then end of file, and again. */
static void read_to_eof(int fd, const char *want, const char *what)
{
	char buf[64];
	size_t len = strlen(want), got = 0;
	ssize_t n;

	for (int i = 0; i < 1500; i++) {
		n = recv(fd, buf + got, sizeof(buf) - got, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n < 0 && errno != EAGAIN)
			t_fail("%s: recv: %s", what, strerror(errno));
		if (n > 0)
			got += n;
		else
			usleep(10000);
	}
	if (got != len || memcmp(buf, want, len) != 0)
		t_fail("%s: read \"%.*s\" before end of file, not \"%s\"", what, (int)got, buf, want);
	if (recv(fd, buf, 1, MSG_DONTWAIT) != 0)
		t_fail("%s: not end of file again", what);
	no_error(fd, what);
}

/* Nothing came: no byte, no end of file, no error, still in @state. */
static void nothing(int fd, int state, const char *what)
{
	char c;

	if (recv(fd, &c, 1, MSG_DONTWAIT) != -1 || errno != EAGAIN)
		t_fail("%s: something came from the failed restore (a byte, its FIN or a reset)",
		       what);
	no_error(fd, what);
	if (t_tcp_state(fd) != state)
		t_fail("%s: in TCP state %d after the failed restore, not %d", what, t_tcp_state(fd),
		       state);
}

static void peer(int rounds)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int lis = socket(AF_INET, SOCK_STREAM, 0), first, second;
	char buf[8] = "", port[32];
	FILE *f;

	if (lis < 0 || bind(lis, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lis, 2) < 0 ||
	    getsockname(lis, (struct sockaddr *)&a, &alen) < 0)
		t_fail("listen: %s", strerror(errno));
	snprintf(port, sizeof(port), "%s/port", t_dir);
	f = fopen(port, "w");
	if (!f || fprintf(f, "%u\n", ntohs(a.sin_port)) < 0 || fclose(f) != 0)
		t_fail("cannot write %s", port);
	first = accept(lis, NULL, NULL);
	second = accept(lis, NULL, NULL);
	if (first < 0 || second < 0)
		t_fail("accept: %s", strerror(errno));
	close(lis);
	if (recv(first, buf, 5, MSG_WAITALL) != 5 || memcmp(buf, "hello", 5) != 0 ||
	    recv(second, buf, 3, MSG_WAITALL) != 3 || memcmp(buf, "bye", 3) != 0)
		t_fail("the connections did not bring \"hello\" and \"bye\"");
	if (shutdown(second, SHUT_WR) < 0)
		t_fail("shutdown: %s", strerror(errno));
	wait_state(second, TCP_FIN_WAIT2, "the second connection, shut down");
	t_tcp_drop_all(first, true);
	t_tcp_drop_all(second, true);
	create("dropping");
	for (int r = 1; r <= rounds; r++) {
		char name[32];

		snprintf(name, sizeof(name), "killed-%d", r);
		await(name);
		t_tcp_drop_all(first, false);
		t_tcp_drop_all(second, false);
		snprintf(name, sizeof(name), "open-%d", r);
		create(name);
		snprintf(name, sizeof(name), "failed-%d", r);
		await(name);
		usleep(300000); /* what it would have sent is there by now */
		nothing(first, TCP_ESTABLISHED, "the first connection");
		nothing(second, TCP_FIN_WAIT2, "the second connection");
		t_tcp_drop_all(first, true);
		t_tcp_drop_all(second, true);
		snprintf(name, sizeof(name), "closed-%d", r);
		create(name);
	}
	await("go");
	t_tcp_drop_all(first, false);
	t_tcp_drop_all(second, false);
	read_to_eof(first, "", "the first connection");
	read_to_eof(second, "", "the second connection");
	wait_state(second, TCP_CLOSE, "the second connection, after the server's FIN");
	await("fin-wait2");
	if (shutdown(first, SHUT_WR) < 0)
		t_fail("shutdown: %s", strerror(errno));
	wait_state(first, TCP_CLOSE, "the first connection, its FIN acknowledged");
	no_error(first, "the first connection");
	no_error(second, "the second connection");
	t_pass();
}

static void server(unsigned port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				 .sin_port = htons(port) };
	int first = socket(AF_INET, SOCK_STREAM, 0), second = socket(AF_INET, SOCK_STREAM, 0);

	if (first < 0 || second < 0 || connect(first, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    connect(second, (struct sockaddr *)&a, sizeof(a)) < 0)
		t_fail("connect: %s", strerror(errno));
	if (send(first, "hello", 5, 0) != 5 || send(second, "bye", 3, 0) != 3)
		t_fail("send: %s", strerror(errno));
	wait_state(second, TCP_CLOSE_WAIT, "the second connection, its peer shut down");
	await("dropping");
	if (shutdown(first, SHUT_WR) < 0 || shutdown(second, SHUT_WR) < 0)
		t_fail("shutdown: %s", strerror(errno));
	if (t_tcp_state(first) != TCP_FIN_WAIT1 || t_tcp_state(second) != TCP_LAST_ACK)
		t_fail("in TCP states %d and %d, not FIN_WAIT1 and LAST_ACK", t_tcp_state(first),
		       t_tcp_state(second));
	t_ready();
	t_wait_go();
	if (t_tcp_state(first) != TCP_FIN_WAIT1 || t_tcp_state(second) != TCP_LAST_ACK)
		t_fail("restored in TCP states %d and %d, not FIN_WAIT1 and LAST_ACK",
		       t_tcp_state(first), t_tcp_state(second));
	wait_state(first, TCP_FIN_WAIT2, "the first connection, its FIN acknowledged");
	create("fin-wait2");
	wait_state(second, TCP_CLOSE, "the second connection, its FIN acknowledged");
	read_to_eof(first, "", "the first connection, after the peer's FIN");
	wait_state(first, TCP_CLOSE, "the first connection, after the peer's FIN");
	read_to_eof(second, "", "the second connection");
	t_pass();
}

int main(int argc, char **argv)
{
	if (argc < 4)
		t_fail("usage: t_tcp_fin_outside peer DIR ROUNDS | server DIR PORT");
	if (strcmp(argv[1], "peer") == 0) {
		t_init("tcp_fin_outside-peer", argc - 1, argv + 1);
		peer(atoi(argv[3]));
	}
	t_init("tcp_fin_outside-server", argc - 1, argv + 1);
	server((unsigned)atoi(argv[3]));
	return 0;
}
