/* SPDX-License-Identifier: MIT */
/*
 * Sockets: made in the restorer (restore_socket_{inet,tcp,unix}.c) like
 * every other file, then taken by their processes. This file dispatches by
 * kind and holds what the kinds share: options and buffers.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "../common/log.h"
#include "restore_socket.h"
#include "restore_socket_kinds.h"

static bool needed_before_bind(const struct st_sockopt *o)
{
	return (o->level == SOL_SOCKET && (o->name == SO_REUSEADDR || o->name == SO_REUSEPORT)) ||
	       (o->level == IPPROTO_IPV6 && o->name == IPV6_V6ONLY) ||
	       (o->level == IPPROTO_IP && o->name == IP_TRANSPARENT);
}

void sock_apply_options(int fd, const struct st_socket *s, bool before_bind)
{
	for (size_t i = 0; i < s->nopts; i++) {
		const struct st_sockopt *o = &s->opts[i];
		int v = o->value;

		if (before_bind && !needed_before_bind(o))
			continue;
		if (!before_bind && o->level == IPPROTO_IPV6 && o->name == IPV6_V6ONLY)
			continue; /* fixed once bound */
		if (setsockopt(fd, o->level, o->name, &v, sizeof(v)) < 0)
			glue_warn("socket %u: cannot set option %u/%u to %d: %s", s->id, o->level,
				  o->name, v, strerror(errno));
	}
	if (before_bind)
		return;
	if (s->linger[0]) {
		struct linger lg = { .l_onoff = s->linger[0], .l_linger = s->linger[1] };

		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
			glue_warn("socket %u: SO_LINGER: %s", s->id, strerror(errno));
	}
	for (int k = 0; k < 2; k++) {
		struct timeval tv = { .tv_sec = s->timeouts[k] / 1000000,
				      .tv_usec = s->timeouts[k] % 1000000 };

		if (s->timeouts[k] &&
		    setsockopt(fd, SOL_SOCKET, k ? SO_SNDTIMEO : SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
			glue_warn("socket %u: timeout: %s", s->id, strerror(errno));
	}
}

void sock_apply_buffers(int fd, const struct st_socket *s)
{
	int rcv = s->rcvbuf / 2, snd = s->sndbuf / 2;

	if (rcv > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		glue_warn("socket %u: cannot set its receive buffer to %d: %s", s->id, rcv,
			  strerror(errno));
	if (snd > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) < 0)
		glue_warn("socket %u: cannot set its send buffer to %d: %s", s->id, snd,
			  strerror(errno));
}

int restore_socket(struct rst *r, const struct st_file *f)
{
	const struct st_socket *s = st_find_socket(&r->img, f->socket_id);
	int fd;

	if (!s)
		return glue_err(-EINVAL, "file %u: socket %u is not in the image", f->id,
				f->socket_id);
	if (s->family == AF_UNIX)
		fd = restore_socket_unix(r, s);
	else if (s->protocol == IPPROTO_TCP)
		fd = restore_socket_tcp(r, s);
	else
		fd = restore_socket_inet(r, s);
	if (fd < 0)
		return fd;
	if (fcntl(fd, F_SETFL, f->flags & ~(O_ACCMODE | O_CLOEXEC)) < 0) {
		int e = glue_err(-errno, "file %u: socket %u: cannot set its flags", f->id, s->id);

		close(fd);
		return e;
	}
	return fd;
}
