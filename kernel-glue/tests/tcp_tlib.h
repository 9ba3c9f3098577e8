/* SPDX-License-Identifier: MIT */
/* What the TCP test programs share (after tlib.h). */
#ifndef FERRY_TCP_TLIB_H
#define FERRY_TCP_TLIB_H

#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "tlib.h"

/* The TCP_* state of socket @fd (tcpi_state), or the test fails. */
__attribute__((unused)) static int t_tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0)
		t_fail("TCP_INFO: %s", strerror(errno));
	return ti.tcpi_state;
}

/* @on: socket @fd drops every packet that comes to it (a classic socket
 * filter that takes nothing: no netfilter needed); off: takes them again. */
__attribute__((unused)) static void t_tcp_drop_all(int fd, int on)
{
	struct sock_filter none[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
	struct sock_fprog prog = { .len = 1, .filter = none };
	int v = 0;

	if (on ? setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog))
	       : setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &v, sizeof(v)))
		t_fail("%s: %s", on ? "SO_ATTACH_FILTER" : "SO_DETACH_FILTER", strerror(errno));
}

#endif
