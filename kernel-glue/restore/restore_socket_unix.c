/* SPDX-License-Identifier: MIT */
/*
 * Unix sockets. Two ends of a connection both in the image come back as a
 * socketpair: each end's queue is refilled by writing from the other end,
 * and the second end waits in r->sockets until its own record asks for it.
 * Any other socket is made alone: bound again to its name (a stale socket
 * file of a path name is removed first; the new one gets the recorded mode
 * and owner), listening, its queued datagrams sent to it, connected again
 * by name to a peer outside the image. A connection whose peer had closed
 * is one end of a socketpair, refilled from the other end, which is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/log.h"
#include "restore_socket.h"
#include "restore_socket_kinds.h"

struct pair_end {
	uint32_t socket_id;
	int fd;
};

struct restore_sockets {
	struct pair_end *ends;
	size_t nends;
};

int sock_take_pair_end(struct rst *r, uint32_t socket_id)
{
	struct restore_sockets *rs = r->sockets;

	for (size_t i = 0; rs && i < rs->nends; i++)
		if (rs->ends[i].socket_id == socket_id && rs->ends[i].fd >= 0) {
			int fd = rs->ends[i].fd;

			rs->ends[i].fd = -1;
			return fd;
		}
	return -1;
}

static int keep_pair_end(struct rst *r, uint32_t socket_id, int fd)
{
	struct pair_end *e;

	if (!r->sockets) {
		r->sockets = calloc(1, sizeof(*r->sockets));
		if (!r->sockets)
			return -ENOMEM;
	}
	e = ST_PUSH(r->sockets->ends, r->sockets->nends);
	if (!e)
		return -ENOMEM;
	e->socket_id = socket_id;
	e->fd = fd;
	return 0;
}

void restore_sockets_free(struct rst *r)
{
	struct restore_sockets *rs = r->sockets;

	if (!rs)
		return;
	for (size_t i = 0; i < rs->nends; i++)
		if (rs->ends[i].fd >= 0)
			close(rs->ends[i].fd);
	free(rs->ends);
	free(rs);
	r->sockets = NULL;
}

/* The queue of @to (recorded in @s) refilled by writing from @from. */
static int refill_from(int from, const struct st_socket *s)
{
	size_t off = 0;

	if (s->type == SOCK_STREAM) {
		while (off < s->recv_len) {
			ssize_t n = send(from, s->recv_queue + off, s->recv_len - off,
					 MSG_DONTWAIT | MSG_NOSIGNAL);

			if (n <= 0)
				return glue_err(n < 0 ? -errno : -EIO, "socket %u: cannot put back "
						"%zu queued bytes", s->id, s->recv_len - off);
			off += n;
		}
		return 0;
	}
	for (size_t i = 0; i < s->ndgrams; i++) {
		ssize_t n = send(from, s->recv_queue + off, s->dgram_lens[i],
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n != (ssize_t)s->dgram_lens[i])
			return glue_err(n < 0 ? -errno : -EIO, "socket %u: cannot put back queued "
					"datagram %zu of %zu", s->id, i + 1, s->ndgrams);
		off += s->dgram_lens[i];
	}
	return 0;
}

static int restore_pair(struct rst *r, const struct st_socket *s)
{
	const struct st_socket *peer = st_find_socket(&r->img, s->peer_id);
	int sv[2], fd, e;

	fd = sock_take_pair_end(r, s->id);
	if (fd >= 0)
		return fd;
	if (!peer || peer->peer_id != s->id || peer->type != s->type)
		return glue_err(-EINVAL, "socket %u: its peer %u is not its other end", s->id,
				s->peer_id);
	if (socketpair(AF_UNIX, s->type | SOCK_CLOEXEC, 0, sv) < 0)
		return glue_err(-errno, "socket %u: cannot create a socketpair", s->id);
	sock_apply_buffers(sv[0], s);
	sock_apply_buffers(sv[1], peer);
	e = refill_from(sv[1], s);
	if (e == 0)
		e = refill_from(sv[0], peer);
	if (e == 0)
		e = keep_pair_end(r, peer->id, sv[1]);
	if (e < 0) {
		close(sv[0]);
		close(sv[1]);
		return e;
	}
	sock_apply_options(sv[0], s, false);
	sock_apply_options(sv[1], peer, false);
	return sv[0];
}

static int restore_closed_peer(const struct st_socket *s)
{
	int sv[2], e;

	if (socketpair(AF_UNIX, s->type | SOCK_CLOEXEC, 0, sv) < 0)
		return glue_err(-errno, "socket %u: cannot create a socketpair", s->id);
	sock_apply_buffers(sv[0], s);
	e = refill_from(sv[1], s);
	close(sv[1]);
	if (e < 0) {
		close(sv[0]);
		return e;
	}
	sock_apply_options(sv[0], s, false);
	return sv[0];
}

/* sockaddr_un of a recorded name (resolved against unix-dir if relative). */
static int make_addr(const struct st_socket *s, const uint8_t *name, size_t len,
		     struct sockaddr_un *sun, socklen_t *ret_len, bool *ret_path)
{
	char buf[PATH_MAX];
	size_t n = len;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	*ret_path = len && name[0];
	if (*ret_path) {
		/* a path: without its terminating NUL, made absolute */
		n = strnlen((const char *)name, len);
		snprintf(buf, sizeof(buf), "%s%s%.*s", name[0] != '/' && s->unix_dir ? s->unix_dir : "",
			 name[0] != '/' && s->unix_dir ? "/" : "", (int)n, (const char *)name);
		n = strlen(buf);
		if (n >= sizeof(sun->sun_path))
			return glue_err(-ENAMETOOLONG, "socket %u: %s is too long a socket path",
					s->id, buf);
		memcpy(sun->sun_path, buf, n);
		*ret_len = offsetof(struct sockaddr_un, sun_path) + n + 1;
		return 0;
	}
	if (n > sizeof(sun->sun_path))
		return glue_err(-EINVAL, "socket %u: a name of %zu bytes", s->id, n);
	memcpy(sun->sun_path, name, n);
	*ret_len = offsetof(struct sockaddr_un, sun_path) + n;
	return 0;
}

static int bind_name(int fd, const struct st_socket *s, struct sockaddr_un *sun,
		     socklen_t *ret_len)
{
	struct stat st;
	bool path;
	int e = make_addr(s, s->unix_name, s->unix_name_len, sun, ret_len, &path);

	if (e < 0)
		return e;
	/* the socket file left by the checkpointed socket */
	if (path && lstat(sun->sun_path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    unlink(sun->sun_path) < 0)
		return glue_err(-errno, "socket %u: cannot remove the stale socket file %s", s->id,
				sun->sun_path);
	if (bind(fd, (struct sockaddr *)sun, *ret_len) < 0)
		return glue_err(-errno, "socket %u: cannot bind to %s%s", s->id,
				path ? "" : "abstract name @", path ? sun->sun_path :
				sun->sun_path + 1);
	if (path && s->have_unix_file &&
	    (chmod(sun->sun_path, s->unix_mode) < 0 ||
	     chown(sun->sun_path, s->unix_uid, s->unix_gid) < 0))
		glue_warn("socket %u: %s: cannot give it its mode and owner: %s", s->id,
			  sun->sun_path, strerror(errno));
	return 0;
}

int restore_socket_unix(struct rst *r, const struct st_socket *s)
{
	struct sockaddr_un sun;
	socklen_t len = 0;
	int fd, e = 0;

	if (s->peer_id)
		return restore_pair(r, s);
	if (s->state == ST_SOCK_CONNECTED && s->type != SOCK_DGRAM)
		return restore_closed_peer(s);
	fd = socket(AF_UNIX, s->type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return glue_err(-errno, "socket %u: cannot create a Unix socket", s->id);
	sock_apply_buffers(fd, s);
	if (s->unix_name_len)
		e = bind_name(fd, s, &sun, &len);
	if (e == 0 && s->state == ST_SOCK_LISTENING && listen(fd, s->backlog) < 0)
		e = glue_err(-errno, "socket %u: cannot listen", s->id);
	if (e == 0 && s->ndgrams) {
		if (!s->unix_name_len) {
			glue_warn("socket %u: %zu queued datagrams on an unnamed socket are dropped",
				  s->id, s->ndgrams);
		} else {
			e = sock_requeue_dgrams(s, (struct sockaddr *)&sun, len);
		}
	}
	if (e == 0 && s->state == ST_SOCK_CONNECTED && s->unix_peer_name_len) {
		struct sockaddr_un peer;
		socklen_t plen;
		bool path;

		e = make_addr(s, s->unix_peer_name, s->unix_peer_name_len, &peer, &plen, &path);
		if (e == 0 && connect(fd, (struct sockaddr *)&peer, plen) < 0)
			glue_warn("socket %u: cannot connect it again to %s%s: %s; it is left "
				  "unconnected", s->id, path ? "" : "@",
				  path ? peer.sun_path : peer.sun_path + 1, strerror(errno));
	}
	if (e < 0) {
		close(fd);
		return e;
	}
	sock_apply_options(fd, s, false);
	return fd;
}
