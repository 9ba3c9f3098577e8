/* SPDX-License-Identifier: MIT */
/*
 * TCP: a listening or closed socket is made, bound and listens again. An
 * established connection is rebuilt in repair mode: bound to its address
 * (configured or not), both queues' sequence numbers set, connected
 * without a handshake, the options negotiated and the timestamp clock
 * given back, the receive queue and the sent part of the send queue
 * refilled, the window set; then repair mode is left and the bytes never
 * sent are sent as ordinary data.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../common/log.h"
#include "restore_socket_kinds.h"

static int tcp_set(int fd, const struct st_socket *s, int name, const void *v, socklen_t len,
		   const char *what)
{
	if (setsockopt(fd, IPPROTO_TCP, name, v, len) < 0)
		return glue_err(-errno, "socket %u: %s", s->id, what);
	return 0;
}

static int tcp_set_int(int fd, const struct st_socket *s, int name, int v, const char *what)
{
	return tcp_set(fd, s, name, &v, sizeof(v), what);
}

/* Grow a buffer when the kernel's accounting of a refilled queue needs more. */
static void grow_buffer(int fd, int opt_get, int opt_force)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, opt_get, &v, &len) == 0) {
		v = v > 0 ? v : 65536; /* read back doubled: this doubles it */
		setsockopt(fd, SOL_SOCKET, opt_force, &v, sizeof(v));
	}
}

/* All of @data into the queue selected (repair mode) or the send queue. */
static int fill(int fd, const struct st_socket *s, const uint8_t *data, size_t len, bool recvq,
		const char *what)
{
	size_t done = 0;
	int tries = 0;

	while (done < len) {
		ssize_t n = send(fd, data + done, len - done, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			done += n;
			continue;
		}
		if (n < 0 && (errno == ENOMEM || errno == EAGAIN) && tries++ < 8) {
			grow_buffer(fd, recvq ? SO_RCVBUF : SO_SNDBUF,
				    recvq ? SO_RCVBUFFORCE : SO_SNDBUFFORCE);
			continue;
		}
		return glue_err(n < 0 ? -errno : -EIO, "socket %u: %s: put back %zu of %zu bytes",
				s->id, what, done, len);
	}
	return 0;
}

static int repair_options(int fd, const struct st_socket *s)
{
	const struct st_tcp *t = &s->tcp;
	struct tcp_repair_opt o[4];
	int n = 0;

	o[n].opt_code = TCPOPT_MAXSEG;
	o[n++].opt_val = t->mss;
	if (t->options & TCPI_OPT_WSCALE) {
		o[n].opt_code = TCPOPT_WINDOW;
		o[n++].opt_val = t->snd_wscale | (t->rcv_wscale << 16);
	}
	if (t->options & TCPI_OPT_SACK) {
		o[n].opt_code = TCPOPT_SACK_PERMITTED;
		o[n++].opt_val = 0;
	}
	if (t->options & TCPI_OPT_TIMESTAMPS) {
		o[n].opt_code = TCPOPT_TIMESTAMP;
		o[n++].opt_val = 0;
	}
	return tcp_set(fd, s, TCP_REPAIR_OPTIONS, o, n * sizeof(o[0]),
		       "cannot set the options negotiated (TCP_REPAIR_OPTIONS)");
}

static int restore_established(int fd, const struct st_socket *s)
{
	const struct st_tcp *t = &s->tcp;
	size_t sent = t->send_len - t->send_unsent;
	struct tcp_repair_window w = {
		.snd_wl1 = t->window[0], .snd_wnd = t->window[1], .max_window = t->window[2],
		.rcv_wnd = t->window[3], .rcv_wup = t->window[4],
	};
	struct sockaddr_storage ss;
	socklen_t len;
	int e;

	/* before repair mode, whose forced address reuse SO_REUSEADDR would undo */
	sock_apply_options(fd, s, true);
	e = tcp_set_int(fd, s, TCP_REPAIR, TCP_REPAIR_ON, "cannot enter repair mode");
	if (e < 0)
		return e;
	sock_apply_buffers(fd, s);
	e = sock_inet_bind(fd, s);
	if (e == 0)
		e = tcp_set_int(fd, s, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, "TCP_REPAIR_QUEUE");
	if (e == 0)
		e = tcp_set_int(fd, s, TCP_QUEUE_SEQ, t->recv_seq - (uint32_t)s->recv_len,
				"cannot set the receive sequence");
	if (e == 0)
		e = tcp_set_int(fd, s, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "TCP_REPAIR_QUEUE");
	if (e == 0)
		e = tcp_set_int(fd, s, TCP_QUEUE_SEQ, t->send_seq - (uint32_t)t->send_len,
				"cannot set the send sequence");
	if (e < 0)
		return e;
	/* connect() sizes its segments from the MSS bound it finds then */
	if (t->mss) {
		int bound = t->mss < 32767 ? (int)t->mss : 32767; /* TCP_MAXSEG's limit */

		setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &bound, sizeof(bound));
	}
	len = sock_inet_addr(s, true, &ss);
	if (connect(fd, (struct sockaddr *)&ss, len) < 0)
		return glue_err(-errno, "socket %u: cannot connect it again in repair mode", s->id);
	e = repair_options(fd, s);
	if (e == 0 && t->mss)
		e = tcp_set_int(fd, s, TCP_MAXSEG, 0, "cannot clear the MSS bound");
	if (e == 0 && (t->options & TCPI_OPT_TIMESTAMPS))
		e = tcp_set_int(fd, s, TCP_TIMESTAMP, t->timestamp, "cannot set its timestamp");
	if (e == 0 && s->recv_len) {
		e = tcp_set_int(fd, s, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, "TCP_REPAIR_QUEUE");
		if (e == 0)
			e = fill(fd, s, s->recv_queue, s->recv_len, true, "receive queue");
	}
	if (e == 0 && sent) {
		e = tcp_set_int(fd, s, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "TCP_REPAIR_QUEUE");
		if (e == 0)
			e = fill(fd, s, t->send_queue, sent, false, "send queue");
	}
	if (e == 0)
		e = tcp_set_int(fd, s, TCP_REPAIR_QUEUE, TCP_NO_QUEUE, "TCP_REPAIR_QUEUE");
	if (e == 0)
		e = tcp_set(fd, s, TCP_REPAIR_WINDOW, &w, sizeof(w),
			    "cannot set the window (TCP_REPAIR_WINDOW)");
	if (glue_debug_enabled()) {
		struct tcp_info ti;
		socklen_t tl = sizeof(ti);
		int err = 0;
		socklen_t el = sizeof(err);

		getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &tl);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
		glue_debug("socket %u: state %u, error %d before leaving repair mode", s->id,
			   ti.tcpi_state, err);
	}
	if (e == 0)
		e = tcp_set_int(fd, s, TCP_REPAIR, TCP_REPAIR_OFF, "cannot leave repair mode");
	if (e == 0 && t->send_unsent)
		e = fill(fd, s, t->send_queue + sent, t->send_unsent, false, "unsent bytes");
	return e;
}

int restore_socket_tcp(struct rst *r, const struct st_socket *s)
{
	int fd, e = 0;

	(void)r;
	fd = socket(s->family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return glue_err(-errno, "socket %u: cannot create a TCP socket", s->id);
	if (s->state == ST_SOCK_CONNECTED) {
		if (!s->have_tcp)
			e = glue_err(-EINVAL, "socket %u: a connection without its TCP state", s->id);
		else
			e = restore_established(fd, s);
	} else {
		sock_apply_buffers(fd, s);
		sock_apply_options(fd, s, true);
		if (s->bound)
			e = sock_inet_bind(fd, s);
		if (e == 0 && s->state == ST_SOCK_LISTENING && listen(fd, s->backlog) < 0)
			e = glue_err(-errno, "socket %u: cannot listen on port %u", s->id,
				     s->local_port);
	}
	if (e < 0) {
		close(fd);
		return e;
	}
	sock_apply_options(fd, s, false);
	return fd;
}
