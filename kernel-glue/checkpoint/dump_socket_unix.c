/* SPDX-License-Identifier: MIT */
/*
 * Unix sockets: name (path or abstract), listening, or connected. The peer
 * of a connected socket comes from NETLINK_SOCK_DIAG; when it is in the
 * selection the two records name each other and come back as a socketpair.
 * A datagram socket connected to a named socket outside is connected again
 * by name; a stream or packet connection to a peer outside is named. A
 * connection whose peer has closed keeps no name (an accepted one has its
 * listener's) and comes back as the end of a pair with the other end
 * closed. The receive queue is peeked (dump_socket_dgram.c).
 */
#include <dirent.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../common/log.h"
#include "../common/procfs.h"
#include "../common/sock_diag.h"
#include "dump_socket_kinds.h"

/* Has a process of the selection a descriptor of socket @ino? */
static bool in_selection(struct ckpt *c, uint64_t ino)
{
	char want[64];

	snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)ino);
	for (size_t i = 0; i < c->fz.npids; i++) {
		char dir[64], path[320], link[64];
		struct dirent *de;
		bool found = false;
		DIR *d;

		snprintf(dir, sizeof(dir), "/proc/%d/fd", c->fz.pids[i]);
		d = opendir(dir);
		if (!d)
			continue;
		while (!found && (de = readdir(d))) {
			ssize_t n;

			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = 0;
			found = strcmp(link, want) == 0;
		}
		closedir(d);
		if (found)
			return true;
	}
	return false;
}

static int copy_name(const struct sockaddr_un *sun, socklen_t len, uint8_t **ret, size_t *ret_len)
{
	size_t n = len > offsetof(struct sockaddr_un, sun_path) ?
			   len - offsetof(struct sockaddr_un, sun_path) : 0;

	*ret = NULL;
	*ret_len = 0;
	if (!n)
		return 0;
	*ret = malloc(n + 1);
	if (!*ret)
		return -ENOMEM;
	memcpy(*ret, sun->sun_path, n);
	(*ret)[n] = 0;
	*ret_len = n;
	return 0;
}

static int dump_name(struct sock_ctx *x)
{
	struct st_socket *s = x->s;
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	struct stat st;
	int r;

	if (getsockname(x->sfd, (struct sockaddr *)&sun, &len) < 0)
		return glue_err(-errno, "pid %d fd %d: %s: getsockname", x->pid, x->fd, x->link);
	r = copy_name(&sun, len, &s->unix_name, &s->unix_name_len);
	if (r < 0 || !s->unix_name_len || !s->unix_name[0])
		return r; /* unnamed or abstract */
	if (s->unix_name[0] != '/') {
		char cwd[64];

		snprintf(cwd, sizeof(cwd), "/proc/%d/cwd", x->pid);
		r = proc_read_link(cwd, &s->unix_dir);
		if (r < 0)
			return glue_err(r, "pid %d: cannot read its working directory", x->pid);
	}
	{
		char path[PATH_MAX + sizeof(sun.sun_path) + 2];

		snprintf(path, sizeof(path), "%s%s%s", s->unix_dir ? s->unix_dir : "",
			 s->unix_dir ? "/" : "", (const char *)s->unix_name);
		if (stat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
			s->have_unix_file = true;
			s->unix_mode = st.st_mode & 07777;
			s->unix_uid = st.st_uid;
			s->unix_gid = st.st_gid;
		}
	}
	return 0;
}

/* Pair this socket with the record of its peer, if that is already made. */
static void pair_up(struct ckpt *c, struct st_socket *s)
{
	for (size_t i = 0; i < c->img.nsockets; i++) {
		struct st_socket *o = &c->img.sockets[i];

		if (o != s && o->family == AF_UNIX && o->ino == s->peer_ino &&
		    o->peer_ino == s->ino) {
			s->peer_id = o->id;
			o->peer_id = s->id;
			return;
		}
	}
}

static int dump_peer(struct sock_ctx *x)
{
	struct st_socket *s = x->s;
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	int r;

	s->state = ST_SOCK_CONNECTED;
	if (in_selection(x->c, s->peer_ino)) {
		pair_up(x->c, s);
		return 0;
	}
	if (s->type != SOCK_DGRAM)
		return sock_unsupported(x, "a Unix %s connection to a peer outside the checkpoint "
					"(socket:[%llu]) is not supported: check it with its "
					"peer (--tree) or close it", s->type == SOCK_STREAM ?
					"stream" : "packet", (unsigned long long)s->peer_ino);
	if (getpeername(x->sfd, (struct sockaddr *)&sun, &len) < 0 ||
	    len <= offsetof(struct sockaddr_un, sun_path))
		return sock_unsupported(x, "a Unix datagram socket connected to an unnamed socket "
					"outside the checkpoint is not supported");
	r = copy_name(&sun, len, &s->unix_peer_name, &s->unix_peer_name_len);
	if (r == 0 && s->unix_name_len == 0) {
		int inq = 0;
		socklen_t il = sizeof(inq);

		/* its queue could only be refilled by sending to its name */
		if (getsockopt(x->sfd, SOL_SOCKET, SO_RCVBUF, &inq, &il) == 0 &&
		    recv(x->sfd, &inq, 1, MSG_PEEK | MSG_DONTWAIT) >= 0)
			return sock_unsupported(x, "datagrams queued on an unnamed Unix socket "
						"connected outside the checkpoint cannot be "
						"carried");
	}
	return r;
}

int dump_socket_unix(struct sock_ctx *x)
{
	struct st_socket *s = x->s;
	struct unix_diag_info di;
	int r;

	s->ino = x->ino;
	r = dump_name(x);
	if (r < 0)
		return r;
	r = sock_diag_unix(x->ino, &di);
	if (r < 0)
		return glue_err(r, "pid %d fd %d: %s: cannot describe it (sock_diag)", x->pid,
				x->fd, x->link);
	s->peer_ino = di.peer_ino;
	if (di.state == TCP_LISTEN) {
		if (di.npending || di.rqueue)
			return sock_unsupported(x, "a listening Unix socket with %u connection%s "
						"not accepted yet is not supported", di.rqueue,
						di.rqueue == 1 ? "" : "s");
		s->state = ST_SOCK_LISTENING;
		s->backlog = di.wqueue;
		return 0;
	}
	if (di.peer_ino) {
		r = dump_peer(x);
		if (r < 0 || x->c->problems)
			return r;
	} else if (di.state == TCP_ESTABLISHED && s->type != SOCK_DGRAM) {
		/* its peer has closed: what is queued, then end of file */
		s->state = ST_SOCK_CONNECTED;
		free(s->unix_name);
		s->unix_name = NULL;
		s->unix_name_len = 0;
		s->have_unix_file = false;
	}
	return dump_sock_dgrams(x);
}
