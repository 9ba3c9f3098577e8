/* SPDX-License-Identifier: MIT */
/*
 * The socket records of an image (/sockets/socket@ID, SPEC.md §3.7), and
 * what every socket shares whatever its family: at checkpoint, ferry's own
 * copy of it (pidfd_getfd), its network namespace (the processes': ferry's,
 * or their own, which ferry's thread has joined, kinds/net_ns.c), the
 * integer options common to all; at restore, those options and the buffer
 * sizes. The families (unix.c, tcp.c, udp.c) are kinds of their own that
 * call in here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "../common/sock_diag.h"
#include "../restore/internal.h"
#include "ferry/schema.h"
#include "kind.h"
#include "journal_stream.h"
#include "net_ns.h"
#include "socket.h"

/* ---- the records ---- */

static const char *const socket_states[] = {
	[SOCKET_CLOSED] = "closed",
	[SOCKET_LISTENING] = "listening",
	[SOCKET_CONNECTED] = "connected",
	[SOCKET_CONNECTING] = "connecting",
};

static bool is_inet(const void *obj)
{
	const struct socket_record *s = obj;

	return s->family == AF_INET || s->family == AF_INET6;
}

/* an inet socket with a peer: connected, or connecting to it */
static bool inet_connected(const void *obj)
{
	const struct socket_record *s = obj;

	return is_inet(obj) && (s->state == SOCKET_CONNECTED || s->state == SOCKET_CONNECTING);
}

static bool listening(const void *obj)
{
	return ((const struct socket_record *)obj)->state == SOCKET_LISTENING;
}

static bool not_stream(const void *obj)
{
	return ((const struct socket_record *)obj)->type != SOCK_STREAM;
}

static bool has_dgrams(const void *obj)
{
	return ((const struct socket_record *)obj)->ndgrams != 0;
}

static size_t inet_addr_len(const void *obj)
{
	return ((const struct socket_record *)obj)->family == AF_INET6 ? 16 : 4;
}

static int check_tcp(struct meta_in *in, int node, void *obj)
{
	const struct socket_tcp *t = obj;

	if (t->send_unsent > t->send_len)
		return meta_fail(in, node, "%u unsent bytes of a send queue of %zu",
				 t->send_unsent, t->send_len);
	if (tcp_state_invalid(t))
		return meta_fail(in, node, "%s", tcp_state_invalid(t));
	return 0;
}

static const struct meta_cell tcp_seqs[] = {
	META_CELL(struct socket_tcp, send_seq, 4),
	META_CELL(struct socket_tcp, recv_seq, 4),
};
static const struct meta_cell tcp_wscale[] = {
	META_CELL(struct socket_tcp, snd_wscale, 4),
	META_CELL(struct socket_tcp, rcv_wscale, 4),
};

static const struct meta_field tcp_fields[] = {
	META_CELLS(FM_S_TCP_SEQS, tcp_seqs, META_REQUIRED),
	META_BYTES(FM_S_TCP_SEND_QUEUE, struct socket_tcp, send_queue, send_len, 0),
	META_U32(FM_S_TCP_SEND_UNSENT, struct socket_tcp, send_unsent, 0),
	META_WORDS(FM_S_TCP_WINDOW, struct socket_tcp, window, 4, META_REQUIRED),
	META_U32(FM_S_TCP_MSS, struct socket_tcp, mss, META_REQUIRED),
	META_U32(FM_S_TCP_OPTIONS, struct socket_tcp, options, META_REQUIRED),
	META_CELLS(FM_S_TCP_WSCALE, tcp_wscale, 0),
	META_U32(FM_S_TCP_TIMESTAMP, struct socket_tcp, timestamp, 0),
	META_U32(FM_S_TCP_STATE, struct socket_tcp, state, META_OMIT_ZERO),
	META_U32(FM_S_TCP_FIN, struct socket_tcp, fin, META_OMIT_ZERO),
	{ 0 },
};

static const struct meta_node tcp_node = {
	.name = "tcp", .size = sizeof(struct socket_tcp), .fields = tcp_fields,
	.check = check_tcp,
};

static const struct meta_cell unix_file[] = {
	META_CELL(struct socket_record, unix_mode, 4),
	META_CELL(struct socket_record, unix_uid, 4),
	META_CELL(struct socket_record, unix_gid, 4),
};
static const struct meta_cell buffers[] = {
	META_CELL(struct socket_record, rcvbuf, 4),
	META_CELL(struct socket_record, sndbuf, 4),
};
static const struct meta_cell opt_cells[] = {
	META_CELL(struct socket_opt, level, 4),
	META_CELL(struct socket_opt, name, 4),
	META_CELL(struct socket_opt, value, 4),
};
static const struct meta_cell u32_cell[] = { { 0, 4, 4 } };
static const struct meta_cell rights_cells[] = {
	META_CELL(struct socket_rights, at, 4),
	META_CELL(struct socket_rights, len, 4),
	META_CELL(struct socket_rights, nfds, 4),
};

#define BOUND META_PRESENT(struct socket_record, bound)

static const struct meta_field socket_fields[] = {
	META_U32(FM_S_ID, struct socket_record, id, META_REQUIRED | META_UNIT),
	META_U32(FM_S_FAMILY, struct socket_record, family, META_REQUIRED),
	META_U32(FM_S_TYPE, struct socket_record, type, META_REQUIRED),
	META_U32(FM_S_PROTOCOL, struct socket_record, protocol, 0),
	META_NAME(FM_S_STATE, struct socket_record, state, socket_states, META_REQUIRED),
	META_U32(FM_S_BACKLOG, struct socket_record, backlog, META_REQUIRED, .when = listening),
	META_FIXED(FM_S_LOCAL_ADDRESS, struct socket_record, local_addr, META_REQUIRED,
		   .present = BOUND, .when = is_inet, .count_of = inet_addr_len),
	META_U32(FM_S_LOCAL_PORT, struct socket_record, local_port, META_REQUIRED, .present = BOUND,
		 .when = is_inet),
	META_FIXED(FM_S_PEER_ADDRESS, struct socket_record, peer_addr, META_REQUIRED,
		   .when = inet_connected, .count_of = inet_addr_len),
	META_U32(FM_S_PEER_PORT, struct socket_record, peer_port, META_REQUIRED,
		 .when = inet_connected),
	META_BYTES(FM_S_UNIX_NAME, struct socket_record, unix_name, unix_name_len, META_OMIT_ZERO),
	META_BYTES(FM_S_UNIX_PEER_NAME, struct socket_record, unix_peer_name, unix_peer_name_len,
		   META_OMIT_ZERO),
	META_STR(FM_S_UNIX_DIR, struct socket_record, unix_dir, 0),
	META_CELLS(FM_S_UNIX_FILE, unix_file, 0,
		   .present = META_PRESENT(struct socket_record, have_unix_file)),
	META_U32(FM_S_PEER, struct socket_record, peer_id, META_OMIT_ZERO),
	META_RECORDS(FM_S_UNIX_PENDING, struct socket_record, pending, npending, uint32_t,
		     u32_cell, META_OMIT_ZERO, .when = listening),
	META_RECORDS(FM_S_OPTIONS, struct socket_record, opts, nopts, struct socket_opt, opt_cells,
		     META_OMIT_ZERO),
	META_WORDS(FM_S_LINGER, struct socket_record, linger, 4, 0),
	META_WORDS(FM_S_TIMEOUTS, struct socket_record, timeouts, 8, 0),
	META_CELLS(FM_S_BUFFERS, buffers, 0),
	META_U32(FM_S_BUF_LOCK, struct socket_record, buf_lock, 0,
		 .present = META_PRESENT(struct socket_record, have_buf_lock)),
	META_STR(FM_S_BIND_DEVICE, struct socket_record, bind_device, 0),
	META_RECORDS(FM_S_FILTER, struct socket_record, filter, nfilter, uint32_t, u32_cell,
		     META_OMIT_ZERO),
	META_FLAG(FM_S_FILTER_LOCKED, struct socket_record, filter_locked, 0),
	META_U32(FM_S_SHUTDOWN, struct socket_record, shutdown, META_OMIT_ZERO),
	META_BYTES(FM_S_RECV_QUEUE, struct socket_record, recv_queue, recv_len, META_OMIT_ZERO),
	META_RECORDS(FM_S_RECV_LENGTHS, struct socket_record, dgram_lens, ndgrams, uint32_t,
		     u32_cell, META_OMIT_ZERO, .when = not_stream),
	META_RECORDS(FM_S_RECV_SOURCE_LENGTHS, struct socket_record, dgram_source_lens, ndgrams,
		     uint32_t, u32_cell, META_OMIT_ZERO | META_SAME_COUNT, .when = not_stream),
	META_BYTES(FM_S_RECV_SOURCES, struct socket_record, dgram_sources, dgram_sources_len, 0,
		   .when = has_dgrams),
	META_RECORDS(FM_S_RECV_RIGHTS, struct socket_record, rights, nrights, struct socket_rights,
		     rights_cells, META_OMIT_ZERO),
	META_RECORDS(FM_S_RECV_RIGHTS_FILES, struct socket_record, rights_files, nrights_files,
		     uint32_t, u32_cell, META_OMIT_ZERO),
	{ .name = "tcp", .type = META_T_INLINE, .offset = offsetof(struct socket_record, tcp),
	  .node = &tcp_node, .present = META_PRESENT(struct socket_record, have_tcp) },
	{ .name = FM_S_JOURNAL, .type = META_T_INLINE,
	  .offset = offsetof(struct socket_record, journal), .node = &journal_stream_node,
	  .present = META_PRESENT(struct socket_record, have_journal) },
	{ 0 },
};

/* The messages with descriptors in flight: in queue order, inside the
 * queue, each with 1 to SOCKET_RIGHTS_MAX_FDS of rights_files, all of them. */
static int check_rights(struct meta_in *in, int node, const struct socket_record *s)
{
	uint64_t end = 0, fds = 0;

	if (!s->nrights && !s->nrights_files)
		return 0;
	if (s->family != AF_UNIX)
		return meta_fail(in, node, "descriptors in flight on a socket of family %u",
				 s->family);
	if (s->nrights_files > SOCKET_RIGHTS_MAX_QUEUE)
		return meta_fail(in, node, "%zu descriptors in flight, more than %u",
				 s->nrights_files, SOCKET_RIGHTS_MAX_QUEUE);
	for (size_t i = 0; i < s->nrights; i++) {
		const struct socket_rights *m = &s->rights[i];

		if (!m->nfds || m->nfds > SOCKET_RIGHTS_MAX_FDS)
			return meta_fail(in, node, "message %zu with descriptors in flight carries %u "
					 "of them (1 to %u)", i + 1, m->nfds, SOCKET_RIGHTS_MAX_FDS);
		fds += m->nfds;
		if (s->type == SOCK_STREAM) {
			if (!m->len || m->at < end || (uint64_t)m->at + m->len > s->recv_len)
				return meta_fail(in, node, "message %zu with descriptors in flight, "
						 "bytes %u to %llu, is not in order inside the %zu "
						 "queued bytes", i + 1, m->at,
						 (unsigned long long)m->at + m->len, s->recv_len);
			end = (uint64_t)m->at + m->len;
		} else {
			if (m->len || m->at >= s->ndgrams || (i && m->at < end))
				return meta_fail(in, node, "message %zu with descriptors in flight is "
						 "datagram %u, not one after the last of %zu queued",
						 i + 1, m->at, s->ndgrams);
			end = (uint64_t)m->at + 1;
		}
	}
	if (fds != s->nrights_files)
		return meta_fail(in, node, "its messages carry %llu descriptors in flight, and %zu "
				 "are named", (unsigned long long)fds, s->nrights_files);
	return 0;
}

/* What spans fields: a known family, queued datagrams that add up. */
static int check_socket(struct meta_in *in, int node, void *obj)
{
	struct socket_record *s = obj;
	size_t total = 0, srcs = 0;

	if (s->family != AF_UNIX && !is_inet(s))
		return meta_fail(in, node, "family %u is not known", s->family);
	if (s->state == SOCKET_CONNECTING && (!is_inet(s) || s->type != SOCK_STREAM || s->have_tcp))
		return meta_fail(in, node, "a connecting socket that is no TCP socket without a "
				 "connection's state");
	if (check_rights(in, node, s) < 0)
		return in->err;
	for (size_t i = 0; i < s->ndgrams; i++) {
		total += s->dgram_lens[i];
		srcs += s->dgram_source_lens ? s->dgram_source_lens[i] : 0;
	}
	for (size_t i = 0; i < s->npending; i++)
		if (!s->pending[i] || s->pending[i] == s->id || s->family != AF_UNIX)
			return meta_fail(in, node, "its connection %zu not accepted yet is socket %u",
					 i + 1, s->pending[i]);
	if (not_stream(s) && (total != s->recv_len || srcs != s->dgram_sources_len))
		return meta_fail(in, node, "the lengths of its queued datagrams do not match "
				 "their data");
	if (s->ndgrams && !s->dgram_source_lens) {
		/* no sources: all of length 0 */
		s->dgram_source_lens = calloc(s->ndgrams, sizeof(uint32_t));
		if (!s->dgram_source_lens)
			meta_in_oom(in);
	}
	return in->err;
}

static const struct meta_node socket_node = {
	.name = FM_SOCKET, .size = sizeof(struct socket_record), .fields = socket_fields,
	.check = check_socket,
};

static const struct meta_field socket_image_fields[] = {
	META_NODES(FM_SOCKETS, struct socket_image, sockets, n, &socket_node, META_OMIT_ZERO),
	{ 0 },
};

const struct meta_field socket_file_fields[] = {
	META_U32(FM_F_SOCKET, struct socket_file, socket_id, META_REQUIRED),
	{ 0 },
};

extern const struct kind kind_sockets;

struct socket_record *socket_records(const struct st_image *img, size_t *ret_n)
{
	struct socket_image *si = kind_image_data_if(img, &kind_sockets);

	*ret_n = si ? si->n : 0;
	return si ? si->sockets : NULL;
}

struct socket_record *socket_record(const struct st_image *img, uint32_t id)
{
	size_t n;
	struct socket_record *s = socket_records(img, &n);

	for (size_t i = 0; i < n; i++)
		if (s[i].id == id)
			return &s[i];
	return NULL;
}

const struct socket_record *socket_of_file(const struct st_image *img, const struct st_file *f)
{
	if (!f->kind || f->kind->file_fields != socket_file_fields)
		return NULL;
	return socket_record(img, ((const struct socket_file *)f->kind_data)->socket_id);
}

/* Every open of a socket names a record of the image. */
static int sockets_image_check(struct meta_in *in, struct st_image *img)
{
	for (size_t i = 0; i < img->nfiles && !in->err; i++) {
		const struct st_file *f = &img->files[i];

		if (f->kind && f->kind->file_fields == socket_file_fields && !socket_of_file(img, f))
			in->err = log_error_errno(-EINVAL, "image metadata: file %u: socket %u is not in "
					   "the image", f->id,
					   ((const struct socket_file *)f->kind_data)->socket_id);
	}
	return in->err;
}

/* ---- checkpoint ---- */

int sock_unsupported(struct sock_ctx *x, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ckpt_unsupported(x->c, "pid %d fd %d: %s: %s", x->pid, x->fd, x->link, msg);
	return 0;
}

/* Integer options worth carrying, per level; those that fail are left out. */
struct opt_name {
	int level, name;
	bool tcp_only;
};

static const struct opt_name int_opts[] = {
	{ SOL_SOCKET, SO_REUSEADDR, false },
	{ SOL_SOCKET, SO_REUSEPORT, false },
	{ SOL_SOCKET, SO_KEEPALIVE, false },
	{ SOL_SOCKET, SO_BROADCAST, false },
	{ SOL_SOCKET, SO_OOBINLINE, false },
	{ SOL_SOCKET, SO_PRIORITY, false },
	{ SOL_SOCKET, SO_RCVLOWAT, false },
	{ SOL_SOCKET, SO_PASSCRED, false },
	{ SOL_SOCKET, SO_MARK, false },
	{ SOL_SOCKET, SO_DONTROUTE, false },
	{ IPPROTO_TCP, TCP_NODELAY, true },
	{ IPPROTO_TCP, TCP_CORK, true },
	{ IPPROTO_TCP, TCP_KEEPIDLE, true },
	{ IPPROTO_TCP, TCP_KEEPINTVL, true },
	{ IPPROTO_TCP, TCP_KEEPCNT, true },
	{ IPPROTO_TCP, TCP_USER_TIMEOUT, true },
	{ IPPROTO_TCP, TCP_NOTSENT_LOWAT, true },
	{ IPPROTO_TCP, TCP_LINGER2, true },
	{ IPPROTO_IP, IP_TOS, false },
	{ IPPROTO_IP, IP_TTL, false },
	{ IPPROTO_IP, IP_FREEBIND, false },
	{ IPPROTO_IP, IP_TRANSPARENT, false },
	{ IPPROTO_IP, IP_PKTINFO, false },
	{ IPPROTO_IP, IP_RECVTOS, false },
	{ IPPROTO_IP, IP_MTU_DISCOVER, false },
	{ IPPROTO_IPV6, IPV6_V6ONLY, false },
	{ IPPROTO_IPV6, IPV6_TCLASS, false },
	{ IPPROTO_IPV6, IPV6_RECVPKTINFO, false },
	{ IPPROTO_IPV6, 78 /* IPV6_FREEBIND */, false },
	{ IPPROTO_IPV6, IPV6_TRANSPARENT, false },
};

#define EBPF_FILTER_REFUSAL                                                          \
	"an eBPF socket filter (SO_ATTACH_BPF) cannot be read back from the kernel, so " \
	"it cannot be attached again"

#ifndef SO_BUF_LOCK
#define SO_BUF_LOCK 72
#endif

/* The interface it is bound to, and its classic BPF filter (SO_GET_FILTER).
 * A filter of eBPF (SO_ATTACH_BPF) cannot be read back: SO_GET_FILTER
 * says EACCES. The inventory refuses it; one attached since is refused
 * here. */
static int dump_device_and_filter(struct sock_ctx *x)
{
	struct socket_record *s = x->s;
	char dev[IFNAMSIZ + 1] = "";
	socklen_t len = IFNAMSIZ;
	struct sock_filter *prog;
	int v;

	if (is_inet(s) && getsockopt(x->sfd, SOL_SOCKET, SO_BINDTODEVICE, dev, &len) == 0 &&
	    len > 0 && dev[0]) {
		dev[IFNAMSIZ] = 0;
		s->bind_device = strdup(dev);
		if (!s->bind_device)
			return -ENOMEM;
	}
	len = 0;
	if (getsockopt(x->sfd, SOL_SOCKET, SO_GET_FILTER, NULL, &len) < 0 && errno == EACCES)
		return sock_unsupported(x, EBPF_FILTER_REFUSAL);
	if (len == 0)
		return 0; /* none */
	prog = calloc(len, sizeof(*prog));
	s->filter = calloc(2 * len, sizeof(*s->filter));
	if (!prog || !s->filter) {
		free(prog);
		return -ENOMEM;
	}
	if (getsockopt(x->sfd, SOL_SOCKET, SO_GET_FILTER, prog, &len) < 0) {
		v = -errno;
		free(prog);
		return log_error_errno(v, "pid %d fd %d: %s: cannot read its socket filter", x->pid, x->fd,
				x->link);
	}
	for (socklen_t i = 0; i < len; i++) {
		s->filter[2 * i] = (uint32_t)prog[i].code << 16 | prog[i].jt << 8 | prog[i].jf;
		s->filter[2 * i + 1] = prog[i].k;
	}
	s->nfilter = 2 * len;
	free(prog);
	len = sizeof(v);
	if (getsockopt(x->sfd, SOL_SOCKET, SO_LOCK_FILTER, &v, &len) == 0)
		s->filter_locked = v != 0;
	return 0;
}

static int dump_options(struct sock_ctx *x)
{
	struct socket_record *s = x->s;
	struct linger lg;
	struct timeval tv;
	socklen_t len;
	int v;

	for (size_t i = 0; i < sizeof(int_opts) / sizeof(int_opts[0]); i++) {
		const struct opt_name *o = &int_opts[i];
		struct socket_opt *so;

		if (s->family == AF_UNIX && o->level != SOL_SOCKET)
			continue;
		if (o->tcp_only && s->protocol != IPPROTO_TCP)
			continue;
		if (o->level == IPPROTO_IPV6 && s->family != AF_INET6)
			continue;
		if (o->level == IPPROTO_IP && s->family != AF_INET)
			continue;
		len = sizeof(v);
		if (getsockopt(x->sfd, o->level, o->name, &v, &len) < 0 || len != sizeof(v))
			continue;
		so = ST_PUSH(s->opts, s->nopts);
		if (!so)
			return -ENOMEM;
		so->level = o->level;
		so->name = o->name;
		so->value = v;
	}
	len = sizeof(lg);
	if (getsockopt(x->sfd, SOL_SOCKET, SO_LINGER, &lg, &len) == 0) {
		s->linger[0] = lg.l_onoff;
		s->linger[1] = lg.l_linger;
	}
	len = sizeof(tv);
	if (getsockopt(x->sfd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) == 0)
		s->timeouts[0] = tv.tv_sec * 1000000ull + tv.tv_usec;
	len = sizeof(tv);
	if (getsockopt(x->sfd, SOL_SOCKET, SO_SNDTIMEO, &tv, &len) == 0)
		s->timeouts[1] = tv.tv_sec * 1000000ull + tv.tv_usec;
	len = sizeof(v);
	if (getsockopt(x->sfd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0)
		s->rcvbuf = v;
	len = sizeof(v);
	if (getsockopt(x->sfd, SOL_SOCKET, SO_SNDBUF, &v, &len) == 0)
		s->sndbuf = v;
	len = sizeof(v);
	/* which sizes were set by hand, not tuned by the kernel (Linux 5.14) */
	if (getsockopt(x->sfd, SOL_SOCKET, SO_BUF_LOCK, &v, &len) == 0) {
		s->have_buf_lock = true;
		s->buf_lock = v;
	}
	return dump_device_and_filter(x);
}

/* Is the socket in the network namespace ferry's thread is in: ferry's own,
 * or the selection's own that ferry joined to read it (kinds/net_ns.c)? */
static bool same_netns(int sfd)
{
	struct stat a, b;
	int ns = ioctl(sfd, SIOCGSKNS);
	bool same;

	if (ns < 0)
		return true; /* cannot tell: assume it is */
	same = fstat(ns, &a) == 0 && stat("/proc/thread-self/ns/net", &b) == 0 &&
	       a.st_ino == b.st_ino;
	close(ns);
	return same;
}

/* A socket inet_diag does not list (a UDP socket never bound): poll()
 * shows a shutdown for reading, and both ways; one for writing alone
 * cannot be seen there. */
static int shutdown_by_poll(int sfd, uint8_t *how)
{
	struct pollfd p = { .fd = sfd, .events = POLLIN | POLLRDHUP };

	if (poll(&p, 1, 0) < 0)
		return -errno;
	*how = p.revents & POLLHUP ? 3 : p.revents & POLLRDHUP ? 1 : 0;
	return 0;
}

/* Which ways shutdown() has closed (sock_diag: the kernel shows it nowhere
 * else). */
static int dump_shutdown(struct sock_ctx *x)
{
	struct socket_record *s = x->s;
	struct unix_diag_info di;
	uint8_t how = 0;
	int r = -EAFNOSUPPORT;

	if (s->family == AF_UNIX) {
		r = sock_diag_unix(x->ino, &di);
		how = di.shutdown;
	} else if (is_inet(s) && (s->protocol == IPPROTO_TCP || s->protocol == IPPROTO_UDP)) {
		r = sock_diag_inet_shutdown(s->family, s->protocol, x->ino, &how);
		/* not listed: a TCP socket never bound or connected has no
		 * shutdown to keep; a UDP one never bound may */
		if (r == -ENOENT && s->protocol == IPPROTO_UDP)
			r = shutdown_by_poll(x->sfd, &how);
		else if (r == -ENOENT)
			r = 0;
	}
	if (r == -EAFNOSUPPORT)
		return 0; /* the family refuses it */
	if (r < 0)
		return log_error_errno(r, "pid %d fd %d: %s: cannot read its shutdown state (sock_diag)",
				x->pid, x->fd, x->link);
	s->shutdown = how & 3;
	return 0;
}

int socket_dump(struct ckpt *c, const struct fd_probe *fd, struct st_file *f,
		int (*family)(struct sock_ctx *x))
{
	struct sock_ctx x = { .c = c, .pid = fd->pid, .fd = fd->fd, .link = fd->link,
			      .sfd = fd->sfd };
	struct socket_image *si = kind_image_data(&c->img, &kind_sockets);
	struct socket_file *sf = f->kind_data;
	unsigned before = c->problems;
	int r;

	sscanf(fd->link, "socket:[%lu]", &x.ino);
	if (!same_netns(x.sfd))
		return sock_unsupported(&x, "a socket of another network namespace than the "
					"processes' is not supported (sockets are made again in "
					"the one the restorer gives them: %s)",
					net_ns_dump_private(c) ? "their own" : "its own, ferry's");
	x.s = si ? ST_PUSH(si->sockets, si->n) : NULL;
	if (!x.s)
		return -ENOMEM;
	x.s->id = si->n;
	x.s->ino = x.ino;
	x.s->family = fd->sock_family;
	x.s->type = fd->sock_type;
	x.s->protocol = fd->sock_protocol;
	r = dump_options(&x);
	if (r == 0)
		r = dump_shutdown(&x);
	if (r == 0)
		r = family(&x);
	if (r == 0 && c->problems == before) {
		sf->socket_id = x.s->id;
		f->path = strdup(fd->link);
		if (!f->path)
			r = -ENOMEM;
	}
	return r;
}

/* The fd by which process @pid holds socket @ino, or -1. */
int sock_fd_of(pid_t pid, uint64_t ino)
{
	char dir[64], path[320], link[64], want[64];
	struct dirent *de;
	int found = -1;
	DIR *d;

	snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)ino);
	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	while (d && found < 0 && (de = readdir(d))) {
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (strcmp(link, want) == 0)
			found = atoi(de->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

pid_t sock_holder(uint64_t ino, const struct freeze *skip, int *ret_fd)
{
	DIR *proc = opendir("/proc");
	struct dirent *pe;
	pid_t found = 0;

	while (proc && !found && (pe = readdir(proc))) {
		pid_t pid;
		int fd;

		if (pe->d_name[0] < '1' || pe->d_name[0] > '9')
			continue;
		pid = atoi(pe->d_name);
		if ((skip && freeze_has_pid(skip, pid)) || (fd = sock_fd_of(pid, ino)) < 0)
			continue;
		found = pid;
		*ret_fd = fd;
	}
	if (proc)
		closedir(proc);
	return found;
}

/* ---- restore ---- */

static bool needed_before_bind(const struct socket_opt *o)
{
	return (o->level == SOL_SOCKET && (o->name == SO_REUSEADDR || o->name == SO_REUSEPORT)) ||
	       (o->level == IPPROTO_IPV6 && o->name == IPV6_V6ONLY) ||
	       (o->level == IPPROTO_IP && o->name == IP_TRANSPARENT);
}

void sock_apply_options(int fd, const struct socket_record *s, bool before_bind)
{
	for (size_t i = 0; i < s->nopts; i++) {
		const struct socket_opt *o = &s->opts[i];
		int v = o->value;

		if (before_bind && !needed_before_bind(o))
			continue;
		if (!before_bind && o->level == IPPROTO_IPV6 && o->name == IPV6_V6ONLY)
			continue; /* fixed once bound */
		if (setsockopt(fd, o->level, o->name, &v, sizeof(v)) < 0)
			log_warning("socket %u: cannot set option %u/%u to %d: %s", s->id, o->level,
				  o->name, v, strerror(errno));
	}
	if (before_bind && s->bind_device &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, s->bind_device,
		       strlen(s->bind_device)) < 0)
		log_warning("socket %u: cannot bind it to the device %s: %s", s->id, s->bind_device,
			  strerror(errno));
	if (before_bind)
		return;
	if (s->linger[0]) {
		struct linger lg = { .l_onoff = s->linger[0], .l_linger = s->linger[1] };

		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
			log_warning("socket %u: SO_LINGER: %s", s->id, strerror(errno));
	}
	for (int k = 0; k < 2; k++) {
		struct timeval tv = { .tv_sec = s->timeouts[k] / 1000000,
				      .tv_usec = s->timeouts[k] % 1000000 };

		if (s->timeouts[k] &&
		    setsockopt(fd, SOL_SOCKET, k ? SO_SNDTIMEO : SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
			log_warning("socket %u: timeout: %s", s->id, strerror(errno));
	}
}

void sock_apply_buffers(int fd, const struct socket_record *s)
{
	int rcv = s->rcvbuf / 2, snd = s->sndbuf / 2;

	if (rcv > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		log_warning("socket %u: cannot set its receive buffer to %d: %s", s->id, rcv,
			  strerror(errno));
	if (snd > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) < 0)
		log_warning("socket %u: cannot set its send buffer to %d: %s", s->id, snd,
			  strerror(errno));
}

int socket_open(struct rst *r, const struct st_file *f,
		int (*family)(struct rst *r, const struct socket_record *s))
{
	const struct socket_record *s = socket_of_file(&r->img, f);
	int fd;

	if (!s)
		return log_error_errno(-EINVAL, "file %u: its socket is not in the image", f->id);
	fd = family(r, s);
	if (fd < 0)
		return fd;
	if (fcntl(fd, F_SETFL, f->flags & ~(O_ACCMODE | O_CLOEXEC)) < 0) {
		int e = log_error_errno(-errno, "file %u: socket %u: cannot set its flags", f->id, s->id);

		close(fd);
		return e;
	}
	return fd;
}

/* Its classic BPF filter, then the lock that keeps it. */
static int attach_filter(int fd, const struct socket_record *s)
{
	size_t n = s->nfilter / 2;
	struct sock_filter *prog = calloc(n, sizeof(*prog));
	struct sock_fprog fprog = { .len = n, .filter = prog };
	int e = 0;

	if (!prog)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		prog[i].code = s->filter[2 * i] >> 16;
		prog[i].jt = s->filter[2 * i] >> 8;
		prog[i].jf = s->filter[2 * i];
		prog[i].k = s->filter[2 * i + 1];
	}
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) < 0)
		e = log_error_errno(-errno, "socket %u: cannot attach its filter of %zu "
				    "instructions", s->id, n);
	else if (s->filter_locked &&
		 setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, &(int){ 1 }, sizeof(int)) < 0)
		e = log_error_errno(-errno, "socket %u: cannot lock its filter", s->id);
	free(prog);
	return e;
}

/*
 * What comes once every socket is complete, its queues filled: its filter
 * (the queued data passed it once already), which of its buffer sizes the
 * kernel may tune (setting a size locked it), the device it was bound to
 * before its bind (read back), then its shutdown (a shut down end takes no
 * more; a Unix end shut down for writing shuts its peer for reading and
 * the reverse, as it did at first). Any of these that does not take fails
 * the restore.
 */
static int finish_socket(int fd, const struct socket_record *s)
{
	static const int hows[] = { 0, SHUT_RD, SHUT_WR, SHUT_RDWR };
	char dev[IFNAMSIZ + 1] = "";
	socklen_t len = IFNAMSIZ;
	int e = s->nfilter ? attach_filter(fd, s) : 0;
	/* a TCP FIN not acknowledged yet is sent again once the connection
	 * leaves repair mode, after its bytes never sent (tcp.c) */
	uint32_t how = s->have_tcp && tcp_fin_unacked(&s->tcp) ? s->shutdown & ~2u : s->shutdown;

	if (e == 0 && s->have_buf_lock &&
	    setsockopt(fd, SOL_SOCKET, SO_BUF_LOCK, &(int){ (int)s->buf_lock }, sizeof(int)) < 0)
		e = log_error_errno(-errno, "socket %u: cannot set SO_BUF_LOCK to %u", s->id,
				    s->buf_lock);
	if (e == 0 && s->bind_device &&
	    (getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, &len) < 0 ||
	     strcmp(dev, s->bind_device) != 0))
		e = log_error_errno(-EINVAL, "socket %u: it is not bound to the device %s", s->id,
				    s->bind_device);
	if (e == 0 && how && shutdown(fd, hows[how & 3]) < 0 && errno != ENOTCONN)
		e = log_error_errno(-errno, "socket %u: cannot shut it down (%s) again", s->id,
				    how == 3 ? "both ways" : how & 1 ? "reading" : "writing");
	return e;
}

static int sockets_restore_finish(struct rst *r)
{
	int e = 0;

	for (size_t i = 0; i < r->img.nfiles && e == 0; i++) {
		const struct socket_record *s = socket_of_file(&r->img, &r->img.files[i]);

		if (!s || r->files_fd[i] < 0)
			continue;
		/* the first open of it does it for all */
		for (size_t k = 0; k < i && s; k++)
			if (socket_of_file(&r->img, &r->img.files[k]) == s)
				s = NULL;
		if (s)
			e = finish_socket(r->files_fd[i], s);
	}
	return e;
}

/* none, or a classic one */
static bool filter_carried(const struct inv_item *it)
{
	return strcmp(it->value, "eBPF") != 0;
}

static const struct inv_claim socket_claims[] = {
	INV_CLAIM_IF(INV_FD, "socket filter", filter_carried, EBPF_FILTER_REFUSAL),
	INV_CLAIMS_END,
};

/* The records; the families are kinds of their own. */
const struct kind kind_sockets = {
	.name = "sockets",
	.claims = socket_claims,
	.image_size = sizeof(struct socket_image),
	.image_fields = socket_image_fields,
	.image_check = sockets_image_check,
	.restore_finish = sockets_restore_finish,
};
