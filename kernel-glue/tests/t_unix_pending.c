/* SPDX-License-Identifier: MIT */
/*
 * Unix listening sockets with connections not accepted yet, across
 * checkpoint/restore: a stream listener on a path with three connections
 * waiting (one of its connecting sockets bound to an abstract name of its
 * own) and one it accepted before; a seqpacket listener on an abstract name
 * with two waiting. After the restore accept() must give the same
 * connections in the same order, each still joined to its connecting
 * socket (bytes and packets both ways), then none; the listeners go on
 * accepting new ones. (A waiting connection from outside the checkpoint,
 * or with bytes sent on it, is refused: refused.sh unix_pending_outside,
 * unix_pending_bytes.)
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "tlib.h"

#define NSTREAM 3
#define NPACKET 2

static void say(int fd, const char *s, const char *what)
{
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) != (ssize_t)strlen(s))
		t_fail("%s: send: %s", what, strerror(errno));
}

static void hear(int fd, const char *want, const char *what)
{
	char buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n < 0)
		t_fail("%s: nothing to read: %s", what, strerror(errno));
	buf[n] = 0;
	if (strcmp(buf, want) != 0)
		t_fail("%s: read '%s', expected '%s'", what, buf, want);
}

static socklen_t abstract(struct sockaddr_un *sun, const char *what)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	return offsetof(struct sockaddr_un, sun_path) + 1 +
	       snprintf(sun->sun_path + 1, sizeof(sun->sun_path) - 1, "ferry-pending-%s-%d", what,
			getpid());
}

static int connect_to(int type, const struct sockaddr_un *sun, socklen_t len)
{
	int fd = socket(AF_UNIX, type, 0);

	if (fd < 0 || connect(fd, (const struct sockaddr *)sun, len) < 0)
		t_fail("connect: %s", strerror(errno));
	return fd;
}

/* The waiting connections of @lis, accepted in order, each joined to its
 * connecting socket in @cli; then none waits. */
static void accept_in_order(int lis, const int *cli, int n, const char *what)
{
	for (int i = 0; i < n; i++) {
		char msg[32];

		/* each connecting socket says who it is, then its connection is accepted */
		snprintf(msg, sizeof(msg), "%s %d", what, i);
		say(cli[i], msg, what);
	}
	for (int i = 0; i < n; i++) {
		char msg[32], label[64];
		int a = accept(lis, NULL, NULL);

		snprintf(label, sizeof(label), "%s: connection %d accepted", what, i);
		if (a < 0)
			t_fail("%s: %s", label, strerror(errno));
		snprintf(msg, sizeof(msg), "%s %d", what, i);
		hear(a, msg, label);
		say(a, "back", label);
		hear(cli[i], "back", label);
	}
	{
		int flags = fcntl(lis, F_GETFL);
		int a;

		fcntl(lis, F_SETFL, flags | O_NONBLOCK);
		a = accept(lis, NULL, NULL);
		if (a >= 0 || errno != EAGAIN)
			t_fail("%s: one more connection than %d waits", what, n);
		fcntl(lis, F_SETFL, flags);
	}
}

int main(int argc, char **argv)
{
	int lis, pk, before, before_acc, cli[NSTREAM], pcli[NPACKET];
	struct sockaddr_un sun, pun, own;
	socklen_t len, plen, own_len = 0;
	char path[512];

	t_init("unix_pending", argc, argv);
	snprintf(path, sizeof(path), "%s/pending.sock", t_dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		t_fail("%s is too long a socket path", path);
	memcpy(sun.sun_path, path, strlen(path));
	len = offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
	lis = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lis < 0 || bind(lis, (struct sockaddr *)&sun, len) < 0 || listen(lis, 8) < 0)
		t_fail("stream listener: %s", strerror(errno));
	before = connect_to(SOCK_STREAM, &sun, len);
	before_acc = accept(lis, NULL, NULL);
	if (before_acc < 0)
		t_fail("accept: %s", strerror(errno));
	for (int i = 0; i < NSTREAM; i++) {
		if (i != 1) {
			cli[i] = connect_to(SOCK_STREAM, &sun, len);
			continue;
		}
		/* one bound to a name of its own, which the accepted end sees */
		own_len = abstract(&own, "client");
		cli[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		if (cli[i] < 0 || bind(cli[i], (struct sockaddr *)&own, own_len) < 0 ||
		    connect(cli[i], (struct sockaddr *)&sun, len) < 0)
			t_fail("bound client: %s", strerror(errno));
	}
	plen = abstract(&pun, "packet");
	pk = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (pk < 0 || bind(pk, (struct sockaddr *)&pun, plen) < 0 || listen(pk, 4) < 0)
		t_fail("seqpacket listener: %s", strerror(errno));
	for (int i = 0; i < NPACKET; i++)
		pcli[i] = connect_to(SOCK_SEQPACKET, &pun, plen);

	t_ready();
	t_wait_go();

	say(before, "old", "accepted before");
	hear(before_acc, "old", "accepted before");
	accept_in_order(lis, cli, NSTREAM, "stream");
	accept_in_order(pk, pcli, NPACKET, "seqpacket");
	{
		struct sockaddr_un peer;
		socklen_t pl = sizeof(peer);

		if (getpeername(cli[0], (struct sockaddr *)&peer, &pl) < 0 ||
		    strcmp(peer.sun_path, path) != 0)
			t_fail("a connecting socket's peer is not %s", path);
		pl = sizeof(peer);
		if (getsockname(cli[1], (struct sockaddr *)&peer, &pl) < 0 || pl != own_len ||
		    memcmp(&peer, &own, own_len) != 0)
			t_fail("the bound connecting socket lost its name");
	}
	{
		int c = connect_to(SOCK_STREAM, &sun, len);

		accept_in_order(lis, &c, 1, "stream, new");
		c = connect_to(SOCK_SEQPACKET, &pun, plen);
		accept_in_order(pk, &c, 1, "seqpacket, new");
	}
	t_pass();
}
