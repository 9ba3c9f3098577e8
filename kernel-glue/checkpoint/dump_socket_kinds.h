/* SPDX-License-Identifier: MIT */
/* Shared by dump_socket*.c: one function per kind of socket. */
#ifndef FERRY_GLUE_DUMP_SOCKET_KINDS_H
#define FERRY_GLUE_DUMP_SOCKET_KINDS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../common/state_socket.h"
#include "internal.h"

/* What the kind functions get: the socket (a copy of the process's fd). */
struct sock_ctx {
	struct ckpt *c;
	pid_t pid;
	int fd;             /* the process's fd number, for messages */
	const char *link;   /* "socket:[INODE]" */
	uint64_t ino;
	int sfd;            /* ferry's copy of it (pidfd_getfd) */
	struct st_socket *s;
};

/* Name the socket as not supported, with the reason. Returns 0. */
int sock_unsupported(struct sock_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Keep ferry's copy of a TCP socket put in repair mode, until the end. */
int sock_hold_repaired(struct ckpt *c, int sfd);

/*
 * Lock the established connection @s (common/netlock.h) if the processes
 * are to go away, until the end of the checkpoint. Returns 0 or -errno.
 */
int sock_lock(struct ckpt *c, const struct st_socket *s);

/* Datagrams in the receive queue, peeked one by one with their sources. */
int dump_sock_dgrams(struct sock_ctx *x);

int dump_socket_inet(struct sock_ctx *x);
int dump_socket_tcp(struct sock_ctx *x);
int dump_socket_unix(struct sock_ctx *x);

#endif
