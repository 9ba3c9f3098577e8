/* SPDX-License-Identifier: MIT */
/*
 * Empty datagrams in Unix receive queues across checkpoint/restore: a
 * datagram and a seqpacket socketpair with empty messages at the head, in
 * the middle and at the end of their queues, both ways; an abstract
 * datagram socket with empty datagrams queued among others. After the
 * restore each queue must read back exactly: the same messages, empty ones
 * included, in the same order and with the same boundaries, then nothing.
 * (A queue whose empty datagram was peeked before cannot be seen whole
 * again: refused.sh, unix_empty_peeked; so no LIVE_FIRST run here: the
 * checkpoint without --kill peeks every one of them.)
 *
 * host-test: run usr1 1
 * host-test: run usr1 2
 */
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "tlib.h"

static const char *const to_1[] = { "", "one", "", "", "two", "" };
static const char *const to_0[] = { "back", "" };
static const char *const named[] = { "", "", "abstract", "" };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void send_all(int fd, const char *const *msgs, size_t n, const struct sockaddr_un *to,
		     socklen_t to_len)
{
	for (size_t i = 0; i < n; i++)
		if (sendto(fd, msgs[i], strlen(msgs[i]), 0, (const struct sockaddr *)to, to_len) !=
		    (ssize_t)strlen(msgs[i]))
			t_fail("send: %s", strerror(errno));
}

/* The queue of @fd is exactly @msgs, then empty. */
static void expect_queue(int fd, const char *const *msgs, size_t n, const char *what)
{
	char buf[256];

	for (size_t i = 0; i < n; i++) {
		ssize_t got = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT | MSG_TRUNC);

		if (got < 0)
			t_fail("%s: message %zu of %zu ('%s'): nothing to read: %s", what, i + 1, n,
			       msgs[i], strerror(errno));
		if ((size_t)got >= sizeof(buf))
			t_fail("%s: message %zu is %zd bytes long", what, i + 1, got);
		buf[got] = 0;
		if (strcmp(buf, msgs[i]) != 0)
			t_fail("%s: message %zu of %zu is '%s' (%zd bytes), expected '%s'", what,
			       i + 1, n, buf, got, msgs[i]);
	}
	if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >= 0 || errno != EAGAIN)
		t_fail("%s: more than its %zu messages are queued", what, n);
}

int main(int argc, char **argv)
{
	int dg[2], sp[2], ab, snd;
	struct sockaddr_un ab_addr;
	socklen_t ab_len;

	t_init("unix_empty", argc, argv);
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, dg) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) < 0)
		t_fail("socketpair: %s", strerror(errno));
	send_all(dg[0], to_1, N(to_1), NULL, 0);
	send_all(dg[1], to_0, N(to_0), NULL, 0);
	send_all(sp[0], to_1, N(to_1), NULL, 0);
	send_all(sp[1], to_0, N(to_0), NULL, 0);

	memset(&ab_addr, 0, sizeof(ab_addr));
	ab_addr.sun_family = AF_UNIX;
	ab_len = offsetof(struct sockaddr_un, sun_path) + 1 +
		 snprintf(ab_addr.sun_path + 1, sizeof(ab_addr.sun_path) - 1,
			  "ferry-test-empty-%d", getpid());
	ab = socket(AF_UNIX, SOCK_DGRAM, 0);
	snd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (ab < 0 || snd < 0 || bind(ab, (struct sockaddr *)&ab_addr, ab_len) < 0)
		t_fail("abstract socket: %s", strerror(errno));
	send_all(snd, named, N(named), &ab_addr, ab_len);

	t_ready();
	t_wait_go();

	expect_queue(dg[1], to_1, N(to_1), "datagram pair, end 1");
	expect_queue(dg[0], to_0, N(to_0), "datagram pair, end 0");
	expect_queue(sp[1], to_1, N(to_1), "seqpacket pair, end 1");
	expect_queue(sp[0], to_0, N(to_0), "seqpacket pair, end 0");
	expect_queue(ab, named, N(named), "abstract datagram socket");
	/* and they go on carrying empty messages */
	send_all(sp[0], to_0, N(to_0), NULL, 0);
	expect_queue(sp[1], to_0, N(to_0), "seqpacket pair after restore");
	send_all(snd, named, N(named), &ab_addr, ab_len);
	expect_queue(ab, named, N(named), "abstract datagram socket after restore");
	t_pass();
}
