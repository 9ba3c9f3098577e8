/* SPDX-License-Identifier: MIT */
/*
 * Unix sockets: name (path or abstract), listening, or connected. The peer
 * of a connected socket comes from NETLINK_SOCK_DIAG; when it is in the
 * selection the two records name each other and come back as a socketpair.
 * A datagram socket connected to a named socket outside is connected again
 * by name; a stream or packet connection to a peer outside is named. A
 * connection whose peer has closed keeps no name (an accepted one has its
 * listener's) and comes back as the end of a pair with the other end
 * closed. The receive queue is peeked (socket_dgram.c); empty datagrams
 * are carried in their places, and one peeked before (which a peek offset
 * steps over) is named: at the head of the queue, or, for a pair, counted
 * from what the sender's end is charged for the queue. Descriptors in
 * flight (SCM_RIGHTS) come with their messages, each a file of the image
 * (unix_rights.c).
 *
 * At restore, two ends of a connection both in the image come back as a
 * socketpair: each end's queue is refilled by writing from the other end,
 * and the second end waits until its own record asks for it. Any other
 * socket is made alone: bound again to its name (a stale socket file of a
 * path name is removed first; the new one gets the recorded mode and
 * owner), listening, its queued datagrams sent to it, connected again by
 * name to a peer outside the image. A connection whose peer had closed is
 * one end of a socketpair, refilled from the other end, which is closed.
 * Each message of a queue that carried descriptors is sent with them.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/procfs.h"
#include "../common/sock_diag.h"
#include "../restore/internal.h"
#include "journal_stream.h"
#include "kind.h"
#include "socket.h"

/* ---- checkpoint ---- */

static bool unix_match(const struct fd_probe *fd)
{
	return fd->sock_family == AF_UNIX &&
	       (fd->sock_type == SOCK_STREAM || fd->sock_type == SOCK_DGRAM ||
		fd->sock_type == SOCK_SEQPACKET);
}

/* Has a process of the selection a descriptor of socket @ino? */
static bool in_selection(struct ckpt *c, uint64_t ino)
{
	for (size_t i = 0; i < c->fz.npids; i++)
		if (sock_fd_of(c->fz.pids[i], ino) >= 0)
			return true;
	return false;
}

/* Who holds socket @ino, for a message: "pid N (COMM)", or what is known. */
static void holder_of(uint64_t ino, char *buf, size_t len)
{
	char comm[64] = "?", cpath[64];
	pid_t pid;
	FILE *f;
	int fd;

	pid = sock_holder(ino, NULL, &fd);
	if (!pid) {
		snprintf(buf, len, "no process (it is in flight or closed)");
		return;
	}
	snprintf(cpath, sizeof(cpath), "/proc/%d/comm", (int)pid);
	f = fopen(cpath, "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	snprintf(buf, len, "pid %d (%.64s)", (int)pid, comm);
}

struct pending_of {
	uint32_t ino;        /* a listener, or a socket connected to one */
	bool of_listener;
	uint32_t listener;   /* found: the listener */
	uint32_t *icons;     /* its connections (malloc'd) */
	size_t nicons;
};

static int find_pending(uint32_t ino, const uint32_t *icons, size_t n, void *arg)
{
	struct pending_of *po = arg;
	bool hit = po->of_listener && ino == po->ino;

	for (size_t i = 0; !po->of_listener && !hit && i < n; i++)
		hit = icons[i] == po->ino;
	if (!hit)
		return 0;
	po->listener = ino;
	po->icons = n ? malloc(n * sizeof(*icons)) : NULL;
	if (po->icons) {
		memcpy(po->icons, icons, n * sizeof(*icons));
		po->nicons = n;
	}
	return 1;
}

/*
 * A listening socket's connections not accepted yet: each comes back when
 * its connecting end is in the checkpoint and sent nothing on it; the
 * pending list is of inodes until dump_check makes them ids.
 */
static int dump_not_accepted(struct sock_ctx *x)
{
	struct socket_record *s = x->s;
	struct pending_of po = { .ino = x->ino, .of_listener = true };
	int r = sock_diag_unix_listeners(find_pending, &po);

	if (r < 0)
		return log_error_errno(r, "pid %d fd %d: %s: cannot list its connections not "
				       "accepted yet (sock_diag)", x->pid, x->fd, x->link);
	if (r == 0 || !po.nicons)
		return 0; /* accepted since */
	for (size_t i = 0; i < po.nicons; i++) {
		char who[128];

		if (!po.icons[i]) {
			sock_unsupported(x, "its connection %zu of %zu not accepted yet is of a socket "
					 "closed since, whose bytes cannot be read: accept it first",
					 i + 1, po.nicons);
			continue;
		}
		if (in_selection(x->c, po.icons[i]))
			continue;
		holder_of(po.icons[i], who, sizeof(who));
		sock_unsupported(x, "its connection %zu of %zu not accepted yet comes from "
				 "socket:[%u], held by %s outside the checkpoint: check that "
				 "process too (--tree), or accept it first", i + 1, po.nicons,
				 po.icons[i], who);
	}
	s->pending = po.icons;
	s->npending = po.nicons;
	return 0;
}

/* A stream or packet socket connected to a listening socket that has not
 * accepted it yet (its peer, not yet a file, shows no inode). Returns 1
 * for such a socket, 0 for another, or -errno. */
static int dump_connecting(struct sock_ctx *x, const struct unix_diag_info *di)
{
	struct pending_of po = { .ino = x->ino };
	int r = sock_diag_unix_listeners(find_pending, &po);
	char who[128];

	free(po.icons);
	if (r < 0)
		return log_error_errno(r, "pid %d fd %d: %s: cannot list listening sockets "
				       "(sock_diag)", x->pid, x->fd, x->link);
	if (r == 0)
		return 0;
	x->s->state = SOCKET_CONNECTED;
	if (!in_selection(x->c, po.listener)) {
		holder_of(po.listener, who, sizeof(who));
		sock_unsupported(x, "its connection is not accepted yet by socket:[%u], held by %s "
				 "outside the checkpoint: check that process too (--tree), or let "
				 "it accept first", po.listener, who);
	} else if (di->wqueue) {
		sock_unsupported(x, "what it sent on its connection, not accepted yet by "
				 "socket:[%u], cannot be read before it is accepted: let it accept "
				 "first", po.listener);
	}
	return 1;
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
	struct socket_record *s = x->s;
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	struct stat st;
	int r;

	if (getsockname(x->sfd, (struct sockaddr *)&sun, &len) < 0)
		return log_error_errno(-errno, "pid %d fd %d: %s: getsockname", x->pid, x->fd, x->link);
	r = copy_name(&sun, len, &s->unix_name, &s->unix_name_len);
	if (r < 0 || !s->unix_name_len || !s->unix_name[0])
		return r; /* unnamed or abstract */
	if (s->unix_name[0] != '/') {
		char cwd[64];

		snprintf(cwd, sizeof(cwd), "/proc/%d/cwd", x->pid);
		r = proc_read_link(cwd, &s->unix_dir);
		if (r < 0)
			return log_error_errno(r, "pid %d: cannot read its working directory", x->pid);
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
static void pair_up(struct ckpt *c, struct socket_record *s)
{
	size_t n;
	struct socket_record *all = socket_records(&c->img, &n);

	for (size_t i = 0; i < n; i++) {
		struct socket_record *o = &all[i];

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
	struct socket_record *s = x->s;
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);
	int r;

	s->state = SOCKET_CONNECTED;
	if (in_selection(x->c, s->peer_ino)) {
		pair_up(x->c, s);
		return 0;
	}
	if (s->type == SOCK_STREAM && getpeername(x->sfd, (struct sockaddr *)&sun, &len) == 0 &&
	    journal_stream_peer(&sun, len)) {
		r = copy_name(&sun, len, &s->unix_peer_name, &s->unix_peer_name_len);
		return r < 0 ? r : journal_stream_dump(x);
	}
	len = sizeof(sun);
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

/* The memory the kernel charges its sender for a datagram of @len bytes
 * on a Unix socket of @type: measured on a pair of ferry's own. */
static long dgram_truesize(int type, uint32_t len)
{
	int sv[2], outq = -1, big = 2 * (int)len + (64 << 10);
	long r = -1;
	char *buf;

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	buf = calloc(1, len + 1);
	if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big)) < 0)
		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
	if (buf && send(sv[0], buf, len, MSG_DONTWAIT) == (ssize_t)len &&
	    ioctl(sv[0], SIOCOUTQ, &outq) == 0)
		r = outq;
	free(buf);
	close(sv[0]);
	close(sv[1]);
	return r;
}

/*
 * Every datagram of a Unix pair's queue is charged to its sender, the other
 * end, until it is read: that end's outq, as sock_diag gives it, is the sum
 * over the queue. What the peek walk saw is measured; what is over, in
 * multiples of an empty datagram, is empty datagrams peeked before.
 */
static int count_hidden(struct sock_ctx *x)
{
	const struct socket_record *s = x->s;
	struct unix_diag_info pd;
	long sum = 0, empty;
	struct { uint32_t len; long size; } seen[32];
	size_t nseen = 0;

	if (sock_diag_unix(s->peer_ino, &pd) < 0 || pd.peer_ino != s->ino)
		return 0; /* not a pair: it may be sent to by others */
	for (size_t i = 0; i < s->ndgrams; i++) {
		long size = -1;

		for (size_t k = 0; k < nseen && size < 0; k++)
			if (seen[k].len == s->dgram_lens[i])
				size = seen[k].size;
		if (size < 0) {
			size = dgram_truesize(s->type, s->dgram_lens[i]);
			if (size < 0)
				return 0;
			if (nseen < 32)
				seen[nseen++] = (typeof(seen[0])){ s->dgram_lens[i], size };
		}
		sum += size;
	}
	empty = dgram_truesize(s->type, 0);
	if (empty <= 0 || pd.wqueue == sum)
		return 0;
	if (pd.wqueue > sum && (pd.wqueue - sum) % empty == 0)
		return sock_empty_peeked(x, (pd.wqueue - sum) / empty);
	log_warning("pid %d fd %d: %s: its peer holds %u bytes of datagrams in flight, its queue "
		    "accounts for %ld", x->pid, x->fd, x->link, pd.wqueue, sum);
	return 0;
}

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif

/*
 * What is queued was sent with its senders' credentials, which a socket
 * with SO_PASSCRED (or SO_PASSPIDFD) reads with each message. The restore
 * sends the queue again from the restorer, before the senders exist again:
 * the credentials would be the restorer's. Named rather than changed.
 */
static int dump_creds(struct sock_ctx *x)
{
	static const struct { int opt; const char *name; } pass[] = {
		{ SO_PASSCRED, "SO_PASSCRED: SCM_CREDENTIALS" },
		{ SO_PASSPIDFD, "SO_PASSPIDFD: SCM_PIDFD" },
	};

	for (size_t i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
		int on = 0;
		socklen_t len = sizeof(on);

		if (getsockopt(x->sfd, SOL_SOCKET, pass[i].opt, &on, &len) < 0 || !on)
			continue;
		return sock_unsupported(x, "it reads its senders' credentials (%s) with what is "
					"queued, which a restore cannot give back: read the queue "
					"first", pass[i].name);
	}
	return 0;
}

static int unix_dump_socket(struct sock_ctx *x)
{
	struct socket_record *s = x->s;
	struct unix_diag_info di;
	int r;

	s->ino = x->ino;
	r = dump_name(x);
	if (r < 0)
		return r;
	r = sock_diag_unix(x->ino, &di);
	if (r < 0)
		return log_error_errno(r, "pid %d fd %d: %s: cannot describe it (sock_diag)", x->pid,
				x->fd, x->link);
	s->peer_ino = di.peer_ino;
	if (di.state == TCP_LISTEN) {
		s->state = SOCKET_LISTENING;
		s->backlog = di.wqueue;
		return di.npending || di.rqueue ? dump_not_accepted(x) : 0;
	}
	if (di.peer_ino) {
		r = dump_peer(x);
		if (r < 0 || x->c->problems)
			return r;
	} else if (di.state == TCP_ESTABLISHED && s->type != SOCK_DGRAM &&
		   (r = dump_connecting(x, &di)) != 0) {
		if (r < 0 || x->c->problems)
			return r;
	} else if (di.state == TCP_ESTABLISHED && s->type != SOCK_DGRAM) {
		/* its peer has closed: what is queued, then end of file */
		s->state = SOCKET_CONNECTED;
		free(s->unix_name);
		s->unix_name = NULL;
		s->unix_name_len = 0;
		s->have_unix_file = false;
	}
	r = dump_sock_dgrams(x);
	if (r == 0 && s->type != SOCK_STREAM && s->peer_ino && !x->c->problems)
		r = count_hidden(x);
	if (r == 0 && (s->recv_len || s->ndgrams) && !x->c->problems)
		r = dump_creds(x);
	return r;
}

static int unix_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f)
{
	return socket_dump(c, fd, f, unix_dump_socket);
}

/* The connections of each listener not accepted yet: from inodes to ids. */
static int unix_dump_check(struct ckpt *c)
{
	size_t n;
	struct socket_record *all = socket_records(&c->img, &n);

	if (c->problems)
		return 0; /* refused already */
	for (size_t i = 0; i < n; i++) {
		struct socket_record *l = &all[i];

		for (size_t k = 0; l->family == AF_UNIX && k < l->npending; k++) {
			uint32_t id = 0;

			for (size_t j = 0; j < n && !id; j++)
				if (all[j].family == AF_UNIX && all[j].ino == l->pending[k] &&
				    all[j].state == SOCKET_CONNECTED && !all[j].peer_id)
					id = all[j].id;
			if (!id)
				return log_error_errno(-ENOENT, "socket %u: its connection %zu not "
						       "accepted yet, socket:[%u], has no record", l->id,
						       k + 1, l->pending[k]);
			l->pending[k] = id;
		}
	}
	return 0;
}

/* ---- restore ---- */

static bool unix_owns(const struct st_image *img, const struct st_file *f)
{
	const struct socket_record *s = socket_of_file(img, f);

	return s && s->family == AF_UNIX;
}

struct pair_end {
	uint32_t socket_id;
	int fd;
};

struct restore_sockets {
	struct pair_end *ends;
	size_t nends;
};

extern const struct kind kind_unix;

/* An end of a pair made for an earlier record, or -1. */
static int take_pair_end(struct rst *r, uint32_t socket_id)
{
	struct restore_sockets *rs = rst_kind_state(r, &kind_unix, 0);

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
	struct restore_sockets *rs = rst_kind_state(r, &kind_unix, sizeof(*rs));
	struct pair_end *e;

	if (!rs)
		return -ENOMEM;
	e = ST_PUSH(rs->ends, rs->nends);
	if (!e)
		return -ENOMEM;
	e->socket_id = socket_id;
	e->fd = fd;
	return 0;
}

/* The ends of pairs no record took. */
static void unix_restore_end(struct rst *r)
{
	struct restore_sockets *rs = rst_kind_state(r, &kind_unix, 0);

	if (!rs)
		return;
	for (size_t i = 0; i < rs->nends; i++)
		if (rs->ends[i].fd >= 0)
			close(rs->ends[i].fd);
	free(rs->ends);
	rs->ends = NULL;
	rs->nends = 0;
}

/* Send @len bytes of @s's queue from @off, from @from, as one message or
 * more (a stream's, as the kernel splits them). */
static int send_bytes(int from, const struct socket_record *s, size_t off, size_t len)
{
	while (len) {
		ssize_t n = send(from, s->recv_queue + off, len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n <= 0)
			return log_error_errno(n < 0 ? -errno : -EIO, "socket %u: cannot put back "
					       "%zu queued bytes", s->id, len);
		off += n;
		len -= n;
	}
	return 0;
}

/* The queue of @to (recorded in @s) refilled by writing from @from: a
 * stream's bytes, each message with descriptors in flight sent with them
 * on its own; each datagram, with its descriptors. */
static int refill_from(struct rst *r, int from, const struct socket_record *s)
{
	const struct socket_rights *m = s->rights, *end = s->rights + s->nrights;
	size_t off = 0;
	int e = 0;

	if (s->type == SOCK_STREAM) {
		for (; m < end && e == 0; m++) {
			ssize_t n;

			e = send_bytes(from, s, off, m->at - off);
			if (e < 0)
				break;
			n = unix_rights_send(r, from, s, m, s->recv_queue + m->at, m->len, NULL, 0);
			if (n >= 0 && n != (ssize_t)m->len)
				n = log_error_errno(-EIO, "socket %u: a message of its queue with "
						    "descriptors in flight was sent in part", s->id);
			e = n < 0 ? (int)n : 0;
			off = m->at + m->len;
		}
		return e < 0 ? e : send_bytes(from, s, off, s->recv_len - off);
	}
	for (size_t i = 0; i < s->ndgrams; i++) {
		ssize_t n;

		if (m < end && m->at == i)
			n = unix_rights_send(r, from, s, m++, s->recv_queue + off, s->dgram_lens[i],
					     NULL, 0);
		else
			n = send(from, s->recv_queue + off, s->dgram_lens[i],
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n != (ssize_t)s->dgram_lens[i])
			return log_error_errno(n < 0 ? -errno : -EIO, "socket %u: cannot put back queued "
					"datagram %zu of %zu", s->id, i + 1, s->ndgrams);
		off += s->dgram_lens[i];
	}
	return 0;
}

static int restore_pair(struct rst *r, const struct socket_record *s)
{
	const struct socket_record *peer = socket_record(&r->img, s->peer_id);
	int sv[2], fd, e;

	fd = take_pair_end(r, s->id);
	if (fd >= 0)
		return fd;
	if (!peer || peer->peer_id != s->id || peer->type != s->type)
		return log_error_errno(-EINVAL, "socket %u: its peer %u is not its other end", s->id,
				s->peer_id);
	if (socketpair(AF_UNIX, s->type | SOCK_CLOEXEC, 0, sv) < 0)
		return log_error_errno(-errno, "socket %u: cannot create a socketpair", s->id);
	sock_apply_buffers(sv[0], s);
	sock_apply_buffers(sv[1], peer);
	e = refill_from(r, sv[1], s);
	if (e == 0)
		e = refill_from(r, sv[0], peer);
	if (e == 0)
		e = unix_rights_check_stream(sv[0], s);
	if (e == 0)
		e = unix_rights_check_stream(sv[1], peer);
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

static int restore_closed_peer(struct rst *r, const struct socket_record *s)
{
	int sv[2], e;

	if (socketpair(AF_UNIX, s->type | SOCK_CLOEXEC, 0, sv) < 0)
		return log_error_errno(-errno, "socket %u: cannot create a socketpair", s->id);
	sock_apply_buffers(sv[0], s);
	e = refill_from(r, sv[1], s);
	close(sv[1]);
	if (e == 0)
		e = unix_rights_check_stream(sv[0], s);
	if (e < 0) {
		close(sv[0]);
		return e;
	}
	sock_apply_options(sv[0], s, false);
	return sv[0];
}

/* sockaddr_un of a recorded name (resolved against unix-dir if relative). */
static int make_addr(const struct socket_record *s, const uint8_t *name, size_t len,
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
			return log_error_errno(-ENAMETOOLONG, "socket %u: %s is too long a socket path",
					s->id, buf);
		memcpy(sun->sun_path, buf, n);
		*ret_len = offsetof(struct sockaddr_un, sun_path) + n + 1;
		return 0;
	}
	if (n > sizeof(sun->sun_path))
		return log_error_errno(-EINVAL, "socket %u: a name of %zu bytes", s->id, n);
	memcpy(sun->sun_path, name, n);
	*ret_len = offsetof(struct sockaddr_un, sun_path) + n;
	return 0;
}

static int bind_name(int fd, const struct socket_record *s, struct sockaddr_un *sun,
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
		return log_error_errno(-errno, "socket %u: cannot remove the stale socket file %s", s->id,
				sun->sun_path);
	if (bind(fd, (struct sockaddr *)sun, *ret_len) < 0)
		return log_error_errno(-errno, "socket %u: cannot bind to %s%s", s->id,
				path ? "" : "abstract name @", path ? sun->sun_path :
				sun->sun_path + 1);
	if (path && s->have_unix_file &&
	    (chmod(sun->sun_path, s->unix_mode) < 0 ||
	     chown(sun->sun_path, s->unix_uid, s->unix_gid) < 0))
		log_warning("socket %u: %s: cannot give it its mode and owner: %s", s->id,
			  sun->sun_path, strerror(errno));
	return 0;
}

/* The listening socket that has not accepted @s yet, or NULL. */
static const struct socket_record *listener_of(const struct st_image *img,
						const struct socket_record *s)
{
	size_t n;
	const struct socket_record *all = socket_records(img, &n);

	for (size_t i = 0; s->state == SOCKET_CONNECTED && i < n; i++)
		for (size_t k = 0; all[i].family == AF_UNIX && k < all[i].npending; k++)
			if (all[i].pending[k] == s->id)
				return &all[i];
	return NULL;
}

/* Its connections not accepted yet, connected again in their order, from
 * sockets made as their records say, kept for their own records. */
static int connect_pending(struct rst *r, const struct socket_record *l,
			   const struct sockaddr_un *sun, socklen_t len)
{
	for (size_t k = 0; k < l->npending; k++) {
		const struct socket_record *c = socket_record(&r->img, l->pending[k]);
		struct sockaddr_un own;
		socklen_t own_len;
		int fd, e = 0;

		if (!c || c->family != AF_UNIX || c->type != l->type)
			return log_error_errno(-EINVAL, "socket %u: its connection %zu not accepted "
					       "yet is no Unix socket of its type", l->id, k + 1);
		/* not blocking: a full backlog fails the restore (its flags come later) */
		fd = socket(AF_UNIX, c->type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return log_error_errno(-errno, "socket %u: cannot create a Unix socket", c->id);
		sock_apply_buffers(fd, c);
		if (c->unix_name_len)
			e = bind_name(fd, c, &own, &own_len);
		if (e == 0 && connect(fd, (const struct sockaddr *)sun, len) < 0)
			e = log_error_errno(-errno, "socket %u: cannot connect it again to socket %u, "
					    "which had not accepted it yet", c->id, l->id);
		if (e == 0)
			e = keep_pair_end(r, c->id, fd);
		if (e < 0) {
			close(fd);
			return e;
		}
		sock_apply_options(fd, c, false);
	}
	return 0;
}

/* A stream to journald: made here, connected by the process that
 * connected it (unix_settle). */
static int restore_journal_stream(const struct socket_record *s)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return log_error_errno(-errno, "socket %u: cannot create a Unix socket", s->id);
	sock_apply_buffers(fd, s);
	sock_apply_options(fd, s, false);
	return fd;
}

static int unix_restore(struct rst *r, const struct socket_record *s)
{
	const struct socket_record *l;
	struct sockaddr_un sun;
	socklen_t len = 0;
	int fd, e = 0;

	if (s->peer_id)
		return restore_pair(r, s);
	if (s->have_journal)
		return restore_journal_stream(s);
	/* made with its listener, or one of a listener's connections */
	fd = take_pair_end(r, s->id);
	if (fd >= 0)
		return fd;
	l = s->type != SOCK_DGRAM ? listener_of(&r->img, s) : NULL;
	if (l) {
		fd = unix_restore(r, l);
		if (fd < 0)
			return fd;
		e = keep_pair_end(r, l->id, fd);
		if (e < 0) {
			close(fd);
			return e;
		}
		fd = take_pair_end(r, s->id);
		return fd >= 0 ? fd : log_error_errno(-EINVAL, "socket %u: its listener %u did "
						      "not connect it again", s->id, l->id);
	}
	if (s->state == SOCKET_CONNECTED && s->type != SOCK_DGRAM)
		return restore_closed_peer(r, s);
	fd = socket(AF_UNIX, s->type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return log_error_errno(-errno, "socket %u: cannot create a Unix socket", s->id);
	sock_apply_buffers(fd, s);
	if (s->unix_name_len)
		e = bind_name(fd, s, &sun, &len);
	if (e == 0 && s->state == SOCKET_LISTENING && listen(fd, s->backlog) < 0)
		e = log_error_errno(-errno, "socket %u: cannot listen", s->id);
	if (e == 0 && s->state == SOCKET_LISTENING && s->npending)
		e = connect_pending(r, s, &sun, len);
	if (e == 0 && s->ndgrams) {
		if (!s->unix_name_len) {
			log_warning("socket %u: %zu queued datagrams on an unnamed socket are dropped",
				  s->id, s->ndgrams);
		} else {
			e = sock_requeue_dgrams(r, s, (struct sockaddr *)&sun, len);
		}
	}
	if (e == 0 && s->state == SOCKET_CONNECTED && s->unix_peer_name_len) {
		struct sockaddr_un peer;
		socklen_t plen;
		bool path;

		e = make_addr(s, s->unix_peer_name, s->unix_peer_name_len, &peer, &plen, &path);
		if (e == 0 && connect(fd, (struct sockaddr *)&peer, plen) < 0)
			log_warning("socket %u: cannot connect it again to %s%s: %s; it is left "
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

static int unix_open(struct rst *r, const struct st_file *f)
{
	return socket_open(r, f, unix_restore);
}

/* What only a process that holds a socket can do: connect a stream to
 * journald again, as the one that connected it. */
static int unix_settle(struct rst *r, struct rproc *rp, int fd, const struct st_file *f)
{
	const struct socket_record *s = socket_of_file(&r->img, f);

	if (!s || !s->have_journal)
		return 1;
	return journal_stream_settle(r, rp, fd, r->files_fd[f - r->img.files], s);
}

/* What a record holds that only makes sense with the rest of the image. */
static int unix_image_check(struct meta_in *in, struct st_image *img)
{
	size_t n;
	const struct socket_record *all = socket_records(img, &n);

	for (size_t i = 0; i < n && !in->err; i++) {
		const char *why = all[i].have_journal ? journal_stream_invalid(img, &all[i]) : NULL;
		uint32_t file = 0;

		if (why)
			in->err = log_error_errno(-EINVAL, "image metadata: socket %u, a stream to "
						  "journald: %s", all[i].id, why);
		why = all[i].nrights_files ? unix_rights_invalid(img, &all[i], &file) : NULL;
		if (why && !in->err)
			in->err = log_error_errno(-EINVAL, "image metadata: socket %u: file %u in "
						  "flight in its queue: %s", all[i].id, file, why);
	}
	return in->err;
}

static const struct inv_claim unix_claims[] = {
	INV_CLAIM(INV_FD, "filesystem"), /* its own, not opened by path */
	INV_CLAIM(INV_FD, "scm_fds"),    /* its descriptors in flight: unix_rights.c */
	INV_CLAIMS_END,
};

/* The descriptors in flight of the sockets of process @pid, once each of
 * its own is a file of the image. */
static int unix_dump_process(struct ckpt *c, pid_t pid, struct st_process *p)
{
	(void)pid;
	(void)p;
	return unix_rights_dump(c);
}

static void unix_dump_end(struct ckpt *c, bool kept)
{
	(void)kept;
	unix_rights_dump_end(c);
}

const struct kind kind_unix = {
	.name = "socket",
	.claims = unix_claims,
	.match = unix_match,
	.dump = unix_dump,
	.dump_process = unix_dump_process,
	.dump_check = unix_dump_check,
	.dump_end = unix_dump_end,
	.file_size = sizeof(struct socket_file),
	.file_fields = socket_file_fields,
	.owns_record = unix_owns,
	.image_check = unix_image_check,
	.open = unix_open,
	.settle = unix_settle,
	.restore_end = unix_restore_end,
};
