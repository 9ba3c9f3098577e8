/* SPDX-License-Identifier: MIT */
/*
 * A stdout or stderr stream to journald (journal_stream.c): a Unix stream
 * connected to /run/systemd/journal/stdout, carried by connecting again
 * with the same header and the same credentials. Part of the Unix socket
 * kind (unix.c), which calls these.
 */
#ifndef FERRY_GLUE_KINDS_JOURNAL_STREAM_H
#define FERRY_GLUE_KINDS_JOURNAL_STREAM_H

#include <stdbool.h>
#include <sys/un.h>

#include "../common/meta_fields.h"
#include "socket.h"

#define JOURNAL_STDOUT_PATH "/run/systemd/journal/stdout"

extern const struct meta_node journal_stream_node;

/* Is @peer (as getpeername gives it) journald's stdout socket? */
bool journal_stream_peer(const struct sockaddr_un *peer, socklen_t len);
/* The stream @x, connected to journald's stdout socket, into x->s, or named
 * as not carried. Returns 0 or -errno. */
int journal_stream_dump(struct sock_ctx *x);
/* In the image: is what @s holds a stream that can be connected again?
 * NULL, or why not. */
const char *journal_stream_invalid(struct st_image *img, const struct socket_record *s);
/* In @rp, which holds the stream @s as @fd: connected again if @rp is the
 * process that connected it (1), else 0; -errno on failure. @own is the
 * restorer's fd of the same socket. */
int journal_stream_settle(struct rst *r, struct rproc *rp, int fd, int own,
			  const struct socket_record *s);

#endif
