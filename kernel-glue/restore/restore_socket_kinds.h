/* SPDX-License-Identifier: MIT */
/* Shared by restore_socket*.c. */
#ifndef FERRY_GLUE_RESTORE_SOCKET_KINDS_H
#define FERRY_GLUE_RESTORE_SOCKET_KINDS_H

#include <stdbool.h>
#include <sys/socket.h>

#include "../common/state_socket.h"
#include "internal.h"

/* Set the recorded options: those needed before bind (@before_bind), or all
 * the others. Failures are warnings. */
void sock_apply_options(int fd, const struct st_socket *s, bool before_bind);

/* The recorded buffer sizes, forced (so the queues fit). */
void sock_apply_buffers(int fd, const struct st_socket *s);

/* Send the recorded datagrams to @dest from sockets bound to their sources
 * where possible. Returns 0 or -errno. */
int sock_requeue_dgrams(const struct st_socket *s, const struct sockaddr *dest,
			socklen_t dest_len);

/* The local or peer address of an inet socket record. */
socklen_t sock_inet_addr(const struct st_socket *s, bool peer, struct sockaddr_storage *ss);

/* Bind an inet socket to its recorded address, whether configured or not. */
int sock_inet_bind(int fd, const struct st_socket *s);

/* Wait until the datagrams put back are in the queue of @fd. */
void sock_wait_queued(int fd, const struct st_socket *s);

int restore_socket_inet(struct rst *r, const struct st_socket *s);
int restore_socket_tcp(struct rst *r, const struct st_socket *s);
int restore_socket_unix(struct rst *r, const struct st_socket *s);

/* restore_socket_unix.c: an end of a pair made earlier, or -1. */
int sock_take_pair_end(struct rst *r, uint32_t socket_id);

#endif
