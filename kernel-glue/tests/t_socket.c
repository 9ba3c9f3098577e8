/* SPDX-License-Identifier: MIT */
/*
 * Holds a Unix stream connection to a child outside the selection, which
 * cannot be checkpointed and is found only once the process is frozen: the
 * checkpoint must fail, name it, and leave this process running exactly as
 * it was. Next to it a Unix socketpair and a TCP connection over loopback
 * with bytes queued both ways: the refused checkpoint put the connection in
 * repair mode to read it and must have taken it out again, so it still
 * carries data.
 *
 * host-test: run usr1 0
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include "tlib.h"

static void expect(int fd, const char *want, const char *what)
{
	char buf[64];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);

	if (n < 0)
		t_fail("%s: nothing to read: %s", what, strerror(errno));
	buf[n] = 0;
	if (strcmp(buf, want) != 0)
		t_fail("%s: read '%s', expected '%s'", what, buf, want);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	unsigned long count = 0;
	int sv[2], out[2], lis, cli, srv;
	char buf[8];
	pid_t child;

	t_init("socket", argc, argv);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, out) < 0)
		t_fail("socket: %s", strerror(errno));
	child = fork();
	if (child == 0) {
		/* the peer outside: holds its end until this process is gone */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(out[0]);
		for (;;)
			pause();
	}
	if (child < 0)
		t_fail("fork: %s", strerror(errno));
	close(out[1]);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lis = socket(AF_INET, SOCK_STREAM, 0);
	if (lis < 0 || bind(lis, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lis, 1) < 0 ||
	    getsockname(lis, (struct sockaddr *)&a, &len) < 0)
		t_fail("listen: %s", strerror(errno));
	cli = socket(AF_INET, SOCK_STREAM, 0);
	if (cli < 0 || connect(cli, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (srv = accept(lis, NULL, NULL)) < 0)
		t_fail("connect: %s", strerror(errno));
	if (send(cli, "up", 2, 0) != 2 || send(srv, "down", 4, 0) != 4)
		t_fail("send: %s", strerror(errno));
	usleep(20000);
	t_ready();
	while (!t_go)
		count++;
	if (write(sv[0], "ping", 4) != 4 || read(sv[1], buf, sizeof(buf)) != 4 ||
	    memcmp(buf, "ping", 4) != 0)
		t_fail("the socket does not work after the refused checkpoint");
	expect(srv, "up", "TCP bytes queued before the checkpoint");
	expect(cli, "down", "TCP bytes queued the other way");
	if (send(cli, "more", 4, 0) != 4)
		t_fail("send after the refused checkpoint: %s", strerror(errno));
	usleep(20000);
	expect(srv, "more", "TCP after the refused checkpoint (still in repair mode?)");
	if (count == 0)
		t_fail("the loop did not run");
	t_pass();
}
