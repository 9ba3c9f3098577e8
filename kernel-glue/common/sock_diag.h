/* SPDX-License-Identifier: MIT */
/*
 * Sockets as NETLINK_SOCK_DIAG describes them: of a Unix socket the peer
 * of a connected one, the queue lengths, the connections a listening one
 * has not accepted yet; of an inet socket its shutdown state. Asked per
 * inode, in the caller's network namespace.
 */
#ifndef FERRY_GLUE_SOCK_DIAG_H
#define FERRY_GLUE_SOCK_DIAG_H

#include <stdbool.h>
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

/* Every listening Unix socket of the caller's network namespace to @each,
 * with the inodes of the sockets that connected to it and are not accepted
 * yet, in the order accept() takes them (0: one closed since), until @each
 * returns non-zero. Returns 1 if @each stopped the walk, 0 at its end, or
 * -errno. */
int sock_diag_unix_listeners(int (*each)(uint32_t ino, const uint32_t *icons, size_t nicons,
					 void *arg), void *arg);

/* The shutdown state (RCV_SHUTDOWN 1 | SEND_SHUTDOWN 2) of the inet socket
 * @ino of @family and @protocol (IPPROTO_TCP, IPPROTO_UDP), through
 * inet_diag. Returns 0 or -errno (-ENOENT: unknown). */
int sock_diag_inet_shutdown(int family, int protocol, uint64_t ino, uint8_t *ret);

/* An inet socket as inet_diag lists it. */
struct sock_diag_inet {
	int family;              /* AF_INET, AF_INET6 */
	uint8_t state;           /* TCP_* (TCP_LISTEN 10, TCP_TIME_WAIT 6) */
	uint64_t ino;            /* 0: a TIME_WAIT socket, of no process */
	uint32_t uid;            /* of its socket inode */
	uint32_t ifindex;        /* SO_BINDTODEVICE, or 0 */
	uint8_t local_addr[16];  /* network byte order, 4 bytes for AF_INET */
	uint32_t local_port;     /* host order */
	bool v6only;             /* IPV6_V6ONLY */
	uint8_t shutdown;        /* RCV_SHUTDOWN 1 | SEND_SHUTDOWN 2 */
};

/* Every socket of @family and @protocol in the caller's network namespace
 * to @each, until it returns non-zero. Returns 1 if @each stopped the walk,
 * 0 at its end, or -errno. */
int sock_diag_inet_each(int family, int protocol,
			int (*each)(const struct sock_diag_inet *si, void *arg), void *arg);

#endif
