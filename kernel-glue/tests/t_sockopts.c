/* SPDX-License-Identifier: MIT */
/*
 * Socket settings beyond the integer options: a UDP socket bound to the
 * device lo (SO_BINDTODEVICE), with a classic BPF filter that keeps only
 * datagrams of 4 bytes and more, locked (SO_ATTACH_FILTER, SO_LOCK_FILTER),
 * and only its send buffer size locked (SO_BUF_LOCK 1: the receive buffer
 * is the kernel's to tune); a second one with both sizes left to the
 * kernel. After the restore each reads the same back (SO_GET_FILTER gives
 * the same program), and the filter still drops a datagram of 2 bytes and
 * passes one of 5.
 *
 * host-test: run usr1 1
 * host-test: run LIVE_FIRST=1 usr1 1
 * host-test: run usr1 2
 */
#include <linux/filter.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "tlib.h"

#ifndef SO_BUF_LOCK
#define SO_BUF_LOCK 72
#endif

static struct sock_filter prog[] = {
	BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
	BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 8 + 4, 0, 1), /* its UDP header and 4 bytes */
	BPF_STMT(BPF_RET | BPF_K, 0xffff),
	BPF_STMT(BPF_RET | BPF_K, 0),
};
#define NPROG (sizeof(prog) / sizeof(prog[0]))

static int getint(int fd, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, name, &v, &len) < 0)
		return -1;
	return v;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sock_fprog fprog = { NPROG, prog };
	struct sock_filter got[16];
	socklen_t len = sizeof(a);
	char dev[IFNAMSIZ] = "", buf[16];
	int s, plain, tx, one = 1, size = 65536;

	t_init("sockopts", argc, argv);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	plain = socket(AF_INET, SOCK_DGRAM, 0);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || plain < 0 || tx < 0)
		t_fail("socket: %s", strerror(errno));
	if (setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "lo", 2) < 0)
		t_fail("SO_BINDTODEVICE: %s", strerror(errno));
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(s, (struct sockaddr *)&a, &len) < 0)
		t_fail("bind: %s", strerror(errno));
	if (setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) < 0 ||
	    setsockopt(s, SOL_SOCKET, SO_LOCK_FILTER, &one, sizeof(one)) < 0)
		t_fail("SO_ATTACH_FILTER: %s", strerror(errno));
	if (setsockopt(s, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) < 0)
		t_fail("SO_SNDBUF: %s", strerror(errno));
	if (getint(s, SO_BUF_LOCK) != 1 || getint(plain, SO_BUF_LOCK) != 0)
		t_fail("SO_BUF_LOCK is %d and %d, not 1 and 0", getint(s, SO_BUF_LOCK),
		       getint(plain, SO_BUF_LOCK));
	t_ready();
	t_wait_go();

	len = sizeof(dev);
	if (getsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, dev, &len) < 0 || strcmp(dev, "lo") != 0)
		t_fail("it is bound to the device '%s', not lo", dev);
	if (getint(s, SO_BUF_LOCK) != 1 || getint(plain, SO_BUF_LOCK) != 0)
		t_fail("SO_BUF_LOCK is %d and %d, not 1 and 0", getint(s, SO_BUF_LOCK),
		       getint(plain, SO_BUF_LOCK));
	if (getint(s, SO_LOCK_FILTER) != 1)
		t_fail("its filter is not locked");
	len = sizeof(got) / sizeof(got[0]);
	if (getsockopt(s, SOL_SOCKET, SO_GET_FILTER, got, &len) < 0 || len != NPROG ||
	    memcmp(got, prog, sizeof(prog)) != 0)
		t_fail("its filter is not the one it had (%u instructions)", len);
	if (sendto(tx, "ab", 2, 0, (struct sockaddr *)&a, sizeof(a)) != 2 ||
	    sendto(tx, "hello", 5, 0, (struct sockaddr *)&a, sizeof(a)) != 5)
		t_fail("sendto: %s", strerror(errno));
	if (recv(s, buf, sizeof(buf), 0) != 5)
		t_fail("the filter did not drop the datagram of 2 bytes");
	t_pass();
}
