/* SPDX-License-Identifier: MIT */
/*
 * Unix sockets as NETLINK_SOCK_DIAG describes them: the peer of a
 * connected socket, the queue lengths, the connections a listening socket
 * has not accepted yet. Asked per inode, in the caller's network namespace.
 */
#ifndef FERRY_GLUE_SOCK_DIAG_H
#define FERRY_GLUE_SOCK_DIAG_H

#include <stdint.h>

struct unix_diag_info {
	uint32_t ino;
	uint32_t peer_ino;    /* 0: not connected */
	uint32_t state;       /* TCP_ESTABLISHED 1, TCP_LISTEN 10, TCP_CLOSE 7 */
	uint32_t rqueue, wqueue; /* listening: pending connections, backlog */
	uint32_t npending;    /* listening: connections not accepted yet */
	uint8_t shutdown;     /* RCV_SHUTDOWN 1 | SEND_SHUTDOWN 2 */
};

/* Describe the Unix socket @ino. Returns 0 or -errno (-ENOENT: unknown). */
int sock_diag_unix(uint32_t ino, struct unix_diag_info *ret);

#endif
