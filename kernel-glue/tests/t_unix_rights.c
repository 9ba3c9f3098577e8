/* SPDX-License-Identifier: MIT */
/*
 * Descriptors in flight (SCM_RIGHTS) in Unix receive queues across
 * checkpoint/restore. A stream pair whose queue holds plain bytes, a
 * message carrying a regular file (at an offset) and a pipe's read end
 * (data in the pipe, every other end closed), plain bytes, a message
 * carrying a memfd (also held by the process) and the regular file again
 * (the same open file description), then plain bytes; a datagram pair with
 * datagrams carrying a file, and a pipe's write end (its read end held by
 * the process) with an eventfd, among plain ones; a seqpacket pair with a
 * directory in flight; an abstract datagram socket with a datagram carrying
 * an eventfd. After the restore each queue must read back exactly: the same
 * bytes, the same boundaries (a stream read stops where a message with
 * descriptors begins and ends), the same descriptors, each working: the
 * file's offset shared by its two copies, the pipe's bytes then its end,
 * the memfd the process's own, the eventfd's count.
 *
 * host-test: run usr1 1
 * host-test: run usr1 2
 */
#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "tlib.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void send_rights(int fd, const char *msg, const int *fds, size_t nfds,
			const struct sockaddr_un *to, socklen_t to_len)
{
	union {
		char b[CMSG_SPACE(8 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { (void *)msg, strlen(msg) };
	struct msghdr m = { .msg_name = (void *)to, .msg_namelen = to_len, .msg_iov = &iov,
			    .msg_iovlen = 1 };

	if (nfds) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		m.msg_control = ctl.b;
		m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cm = CMSG_FIRSTHDR(&m);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nfds * sizeof(int));
	}
	if (sendmsg(fd, &m, 0) != (ssize_t)strlen(msg))
		t_fail("sendmsg '%s': %s", msg, strerror(errno));
}

/* One read of at most @max bytes from @fd: it must give @want and @nfds
 * descriptors (into @fds). */
static void expect_read(int fd, size_t max, const char *want, int *fds, size_t nfds,
			const char *what)
{
	union {
		char b[CMSG_SPACE(16 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char buf[256];
	struct iovec iov = { buf, max < sizeof(buf) - 1 ? max : sizeof(buf) - 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			    .msg_controllen = sizeof(ctl.b) };
	size_t got_fds = 0;
	ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	if (n < 0)
		t_fail("%s: nothing to read (expected '%s'): %s", what, want, strerror(errno));
	buf[n] = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			t_fail("%s: a control message %d/%d", what, cm->cmsg_level, cm->cmsg_type);
		for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++, got_fds++)
			if (got_fds < nfds)
				fds[got_fds] = ((int *)CMSG_DATA(cm))[i];
	}
	if (strcmp(buf, want) != 0)
		t_fail("%s: read '%s' (%zd bytes), expected '%s'", what, buf, n, want);
	if (got_fds != nfds || (m.msg_flags & MSG_CTRUNC))
		t_fail("%s: '%s' came with %zu descriptors%s, expected %zu", what, want, got_fds,
		       m.msg_flags & MSG_CTRUNC ? " (truncated)" : "", nfds);
}

static void expect_empty(int fd, const char *what)
{
	char b;

	if (recv(fd, &b, 1, MSG_DONTWAIT) >= 0 || errno != EAGAIN)
		t_fail("%s: more is queued than what was sent", what);
}

static void expect_bytes(int fd, const char *want, const char *what)
{
	char buf[64] = { 0 };
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	if (n != (ssize_t)strlen(want) || memcmp(buf, want, n) != 0)
		t_fail("%s: read '%s' (%zd), expected '%s'", what, n >= 0 ? buf : "", n, want);
}

static off_t where(int fd)
{
	return lseek(fd, 0, SEEK_CUR);
}

int main(int argc, char **argv)
{
	static const char content[] = "0123456789abcdef";
	int st[2], dg[2], sp[2], p1[2], p2[2], ab, snd, file, file2, mfd, ev, ev2, dir;
	char path[4096];
	struct sockaddr_un ab_addr;
	socklen_t ab_len;
	struct stat a, b;
	uint64_t count;
	int got[4];

	t_init("unix_rights", argc, argv);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, st) < 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, dg) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) < 0 || pipe(p1) < 0 || pipe(p2) < 0)
		t_fail("socketpair, pipe: %s", strerror(errno));

	snprintf(path, sizeof(path), "%s/rights-file", t_dir);
	file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	snprintf(path, sizeof(path), "%s/rights-file2", t_dir);
	file2 = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	mfd = memfd_create("rights", 0);
	ev = eventfd(5, 0);
	ev2 = eventfd(7, 0);
	dir = open(t_dir, O_RDONLY | O_DIRECTORY);
	if (file < 0 || file2 < 0 || mfd < 0 || ev < 0 || ev2 < 0 || dir < 0 ||
	    write(file, content, 16) != 16 || write(file2, content, 16) != 16 ||
	    write(mfd, "memfd-content", 13) != 13 || write(p1[1], "pipe-data", 9) != 9)
		t_fail("files: %s", strerror(errno));
	lseek(file, 4, SEEK_SET);
	lseek(file2, 2, SEEK_SET);
	lseek(mfd, 3, SEEK_SET);

	/* the stream: plain, message A, plain, message B, plain */
	send_rights(st[0], "plain-0", NULL, 0, NULL, 0);
	send_rights(st[0], "msg-A", (int[]){ file, p1[0] }, 2, NULL, 0);
	send_rights(st[0], "plain-1", NULL, 0, NULL, 0);
	send_rights(st[0], "msg-B", (int[]){ mfd, file }, 2, NULL, 0);
	send_rights(st[0], "tail", NULL, 0, NULL, 0);
	/* the datagrams */
	send_rights(dg[0], "d0", NULL, 0, NULL, 0);
	send_rights(dg[0], "d1", (int[]){ file2 }, 1, NULL, 0);
	send_rights(dg[0], "d2", NULL, 0, NULL, 0);
	send_rights(dg[0], "d3", (int[]){ p2[1], ev }, 2, NULL, 0);
	send_rights(sp[1], "s0", (int[]){ dir }, 1, NULL, 0);
	send_rights(sp[1], "s1", NULL, 0, NULL, 0);

	memset(&ab_addr, 0, sizeof(ab_addr));
	ab_addr.sun_family = AF_UNIX;
	ab_len = offsetof(struct sockaddr_un, sun_path) + 1 +
		 snprintf(ab_addr.sun_path + 1, sizeof(ab_addr.sun_path) - 1,
			  "ferry-test-rights-%d", getpid());
	ab = socket(AF_UNIX, SOCK_DGRAM, 0);
	snd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (ab < 0 || snd < 0 || bind(ab, (struct sockaddr *)&ab_addr, ab_len) < 0)
		t_fail("abstract socket: %s", strerror(errno));
	send_rights(snd, "n0", (int[]){ ev2 }, 1, &ab_addr, ab_len);
	send_rights(snd, "n1", NULL, 0, &ab_addr, ab_len);

	/* only in flight from now on: the files, the pipe, the eventfds,
	 * the directory; the process keeps the memfd and p2's read end */
	fstat(dir, &a);
	close(file);
	close(file2);
	close(p1[0]);
	close(p1[1]);
	close(p2[1]);
	close(ev);
	close(ev2);
	close(dir);

	t_ready();
	t_wait_go();

	/* the stream: a short read stops at the end of the plain bytes,
	 * without descriptors; message A comes alone, with its two */
	expect_read(st[1], 7, "plain-0", NULL, 0, "stream, plain bytes first");
	expect_read(st[1], 200, "msg-A", got, 2, "stream, message A");
	if (where(got[0]) != 4)
		t_fail("the file in flight is at offset %lld, expected 4", (long long)where(got[0]));
	expect_bytes(got[1], "pipe-data", "the pipe's read end in flight");
	if (read(got[1], path, 1) != 0)
		t_fail("the pipe in flight has a writer left");
	/* plain bytes and message B come in one read, which ends with B */
	expect_read(st[1], 200, "plain-1msg-B", got + 2, 2, "stream, message B");
	if (fstat(got[2], &b) < 0 || fstat(mfd, &a) < 0 || a.st_ino != b.st_ino)
		t_fail("the memfd in flight is not the process's");
	if (where(got[2]) != 3 || lseek(mfd, 5, SEEK_SET) != 5 || where(got[2]) != 5)
		t_fail("the memfd in flight does not share its offset with the process's");
	if (where(got[3]) != 4 || read(got[0], path, 2) != 2 || where(got[3]) != 6)
		t_fail("the file in flight twice is not one open file (offsets %lld, %lld)",
		       (long long)where(got[0]), (long long)where(got[3]));
	if (read(got[3], path, 3) != 3 || memcmp(path, "678", 3) != 0)
		t_fail("the file in flight reads '%.3s' at offset 6", path);
	expect_read(st[1], 200, "tail", NULL, 0, "stream, last bytes");
	expect_empty(st[1], "stream");

	/* the datagrams */
	expect_read(dg[1], 200, "d0", NULL, 0, "datagram 0");
	expect_read(dg[1], 200, "d1", got, 1, "datagram 1");
	expect_bytes(got[0], "23456789abcdef", "the file of datagram 1");
	close(got[0]);
	expect_read(dg[1], 200, "d2", NULL, 0, "datagram 2");
	expect_read(dg[1], 200, "d3", got, 2, "datagram 3");
	if (write(got[0], "through", 7) != 7)
		t_fail("the pipe's write end in flight: %s", strerror(errno));
	close(got[0]);
	expect_bytes(p2[0], "through", "the pipe written through its end in flight");
	if (read(got[1], &count, 8) != 8 || count != 5)
		t_fail("the eventfd in flight counts %llu, expected 5", (unsigned long long)count);
	expect_empty(dg[1], "datagram pair");

	expect_read(sp[0], 200, "s0", got, 1, "seqpacket 0");
	if (fstat(got[0], &b) < 0 || !S_ISDIR(b.st_mode))
		t_fail("the directory in flight is no directory");
	{
		struct stat d;

		if (stat(t_dir, &d) < 0 || d.st_ino != b.st_ino)
			t_fail("the directory in flight is another one");
	}
	expect_read(sp[0], 200, "s1", NULL, 0, "seqpacket 1");
	expect_empty(sp[0], "seqpacket pair");

	expect_read(ab, 200, "n0", got, 1, "abstract datagram 0");
	if (read(got[0], &count, 8) != 8 || count != 7)
		t_fail("the eventfd in flight to the abstract socket counts %llu, expected 7",
		       (unsigned long long)count);
	expect_read(ab, 200, "n1", NULL, 0, "abstract datagram 1");
	expect_empty(ab, "abstract datagram socket");

	/* and they go on carrying descriptors */
	send_rights(st[0], "again", (int[]){ mfd }, 1, NULL, 0);
	expect_read(st[1], 200, "again", got, 1, "stream after restore");
	t_pass();
}
