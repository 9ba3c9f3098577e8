/* SPDX-License-Identifier: MIT */
/*
 * Unix sockets across checkpoint/restore: stream, datagram and seqpacket
 * socketpairs with data queued in both directions; a listening socket bound
 * to a path (its socket file is made again) that accepts a new connection
 * after restore; an abstract datagram socket with queued datagrams; a pair
 * made by connecting to the listener (both ends in the process); an accepted
 * connection whose client has closed (its queued bytes, then end of file;
 * it must not take the listener's path).
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "tlib.h"

static void send_all(int fd, const char *s)
{
	if (send(fd, s, strlen(s), 0) != (ssize_t)strlen(s))
		t_fail("send: %s", strerror(errno));
}

static void expect(int fd, const char *want, const char *what)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n < 0)
		t_fail("%s: nothing to read: %s", what, strerror(errno));
	buf[n] = 0;
	if (strcmp(buf, want) != 0)
		t_fail("%s: read '%s', expected '%s'", what, buf, want);
}

static socklen_t path_addr(struct sockaddr_un *sun, const char *path)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, path, strnlen(path, sizeof(sun->sun_path) - 1));
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static socklen_t abstract_addr(struct sockaddr_un *sun, const char *name)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path + 1, name, strlen(name));
	return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

int main(int argc, char **argv)
{
	int st[2], dg[2], sp[2], lis, cli, acc, gone, acc_gone, ab, snd;
	struct sockaddr_un sun, ab_addr;
	char path[512], name[64];
	socklen_t len, ab_len;
	struct stat sb;

	t_init("unix", argc, argv);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, st) < 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, dg) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) < 0)
		t_fail("socketpair: %s", strerror(errno));
	send_all(st[0], "stream to 1");
	send_all(st[1], "stream to 0");
	send_all(dg[0], "dgram one");
	send_all(dg[0], "dgram two");
	send_all(dg[1], "dgram back");
	send_all(sp[1], "packet one");
	send_all(sp[1], "packet two");

	snprintf(path, sizeof(path), "%s/listen.sock", t_dir);
	lis = socket(AF_UNIX, SOCK_STREAM, 0);
	len = path_addr(&sun, path);
	if (lis < 0 || bind(lis, (struct sockaddr *)&sun, len) < 0 || listen(lis, 7) < 0 ||
	    chmod(path, 0640) < 0)
		t_fail("listening socket: %s", strerror(errno));
	cli = socket(AF_UNIX, SOCK_STREAM, 0);
	if (cli < 0 || connect(cli, (struct sockaddr *)&sun, len) < 0 ||
	    (acc = accept(lis, NULL, NULL)) < 0)
		t_fail("connect/accept: %s", strerror(errno));
	send_all(cli, "to server");
	gone = socket(AF_UNIX, SOCK_STREAM, 0);
	if (gone < 0 || connect(gone, (struct sockaddr *)&sun, len) < 0 ||
	    (acc_gone = accept(lis, NULL, NULL)) < 0)
		t_fail("connect/accept: %s", strerror(errno));
	send_all(gone, "bye");
	close(gone);

	snprintf(name, sizeof(name), "ferry-test-%d", getpid());
	ab = socket(AF_UNIX, SOCK_DGRAM, 0);
	snd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ab_len = abstract_addr(&ab_addr, name);
	if (ab < 0 || snd < 0 || bind(ab, (struct sockaddr *)&ab_addr, ab_len) < 0)
		t_fail("abstract socket: %s", strerror(errno));
	if (sendto(snd, "abstract 1", 10, 0, (struct sockaddr *)&ab_addr, ab_len) != 10 ||
	    sendto(snd, "abstract 2", 10, 0, (struct sockaddr *)&ab_addr, ab_len) != 10)
		t_fail("sendto: %s", strerror(errno));

	t_ready();
	t_wait_go();

	expect(st[1], "stream to 1", "stream pair end 1");
	expect(st[0], "stream to 0", "stream pair end 0");
	expect(dg[1], "dgram one", "datagram pair, first");
	expect(dg[1], "dgram two", "datagram pair, second");
	expect(dg[0], "dgram back", "datagram pair, other way");
	expect(sp[0], "packet one", "seqpacket, first");
	expect(sp[0], "packet two", "seqpacket, second");
	expect(acc, "to server", "accepted connection");
	send_all(acc, "to client");
	expect(cli, "to client", "client end");
	expect(acc_gone, "bye", "connection whose client closed");
	{
		char c;
		ssize_t n = read(acc_gone, &c, 1);

		if (n != 0)
			t_fail("connection whose client closed: read gives %zd (%s), not end of file",
			       n, n < 0 ? strerror(errno) : "data");
		if (send(acc_gone, "x", 1, MSG_NOSIGNAL) != -1 || errno != EPIPE)
			t_fail("connection whose client closed: send does not fail with EPIPE");
	}
	expect(ab, "abstract 1", "abstract datagram, first");
	expect(ab, "abstract 2", "abstract datagram, second");
	send_all(st[0], "again");
	expect(st[1], "again", "stream pair after restore");

	if (stat(path, &sb) < 0 || !S_ISSOCK(sb.st_mode) || (sb.st_mode & 07777) != 0640)
		t_fail("the socket file %s is not back with mode 0640", path);
	{
		int c2 = socket(AF_UNIX, SOCK_STREAM, 0), a2;

		if (c2 < 0 || connect(c2, (struct sockaddr *)&sun, len) < 0 ||
		    (a2 = accept(lis, NULL, NULL)) < 0)
			t_fail("a new connection to the listening socket: %s", strerror(errno));
		send_all(c2, "new");
		expect(a2, "new", "new connection");
	}
	if (sendto(snd, "abstract 3", 10, 0, (struct sockaddr *)&ab_addr, ab_len) != 10)
		t_fail("sendto after restore: %s", strerror(errno));
	expect(ab, "abstract 3", "abstract datagram after restore");
	t_pass();
}
