/* SPDX-License-Identifier: MIT */
/*
 * Sockets as NETLINK_SOCK_DIAG describes them: of a Unix socket the peer
 * of a connected one, the queue lengths, the connections a listening one
 * has not accepted yet; of an inet socket its shutdown state. Asked per
 * inode, in the caller's network namespace.
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

/* The shutdown state (RCV_SHUTDOWN 1 | SEND_SHUTDOWN 2) of the inet socket
 * @ino of @family and @protocol (IPPROTO_TCP, IPPROTO_UDP), through
 * inet_diag. Returns 0 or -errno (-ENOENT: unknown). */
int sock_diag_inet_shutdown(int family, int protocol, uint64_t ino, uint8_t *ret);

#endif
