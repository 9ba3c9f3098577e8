/* SPDX-License-Identifier: MIT */
/* What the TCP test programs share (after tlib.h). */
#ifndef FERRY_TCP_TLIB_H
#define FERRY_TCP_TLIB_H

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

#endif
