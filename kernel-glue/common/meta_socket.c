/* SPDX-License-Identifier: MIT */
/* Sockets in the metadata FDT: /sockets/socket@ID (SPEC.md §3.7). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libfdt.h>

#include "ferry/schema.h"
#include "log.h"
#include "meta_prop.h"
#include "meta_socket.h"
#include "state_socket.h"

static int put_u32s(void *fdt, const char *name, const uint32_t *v, size_t n)
{
	void *p;
	int r = fdt_property_placeholder(fdt, name, n * 4, &p);

	if (r == 0)
		for (size_t i = 0; i < n; i++)
			((fdt32_t *)p)[i] = cpu_to_fdt32(v[i]);
	return r;
}

static int put_u64s(void *fdt, const char *name, const uint64_t *v, size_t n)
{
	void *p;
	int r = fdt_property_placeholder(fdt, name, n * 8, &p);

	if (r == 0)
		for (size_t i = 0; i < n; i++) {
			fdt64_t x = cpu_to_fdt64(v[i]);

			memcpy((char *)p + i * 8, &x, 8);
		}
	return r;
}

/* Stops at the first error: every step is `if (!r) r = ...`. */
static int write_tcp(void *fdt, const struct st_tcp *t)
{
	uint32_t seqs[2] = { t->send_seq, t->recv_seq };
	uint32_t ws[2] = { t->snd_wscale, t->rcv_wscale };
	int r = put_u32s(fdt, FM_S_TCP_SEQS, seqs, 2);

	if (!r)
		r = fdt_property(fdt, FM_S_TCP_SEND_QUEUE, t->send_queue, t->send_len);
	if (!r)
		r = fdt_property_u32(fdt, FM_S_TCP_SEND_UNSENT, t->send_unsent);
	if (!r)
		r = put_u32s(fdt, FM_S_TCP_WINDOW, t->window, 5);
	if (!r)
		r = fdt_property_u32(fdt, FM_S_TCP_MSS, t->mss);
	if (!r)
		r = fdt_property_u32(fdt, FM_S_TCP_OPTIONS, t->options);
	if (!r)
		r = put_u32s(fdt, FM_S_TCP_WSCALE, ws, 2);
	if (!r)
		r = fdt_property_u32(fdt, FM_S_TCP_TIMESTAMP, t->timestamp);
	return r;
}

static int write_socket(void *fdt, const struct st_socket *s)
{
	size_t alen = s->family == AF_INET6 ? 16 : 4;
	char name[32];
	int r;

	snprintf(name, sizeof(name), "%s@%u", FM_SOCKET, s->id);
	r = fdt_begin_node(fdt, name);
	if (!r)
		r = fdt_property_u32(fdt, FM_S_ID, s->id);
	if (!r)
		r = fdt_property_u32(fdt, FM_S_FAMILY, s->family);
	if (!r)
		r = fdt_property_u32(fdt, FM_S_TYPE, s->type);
	if (!r)
		r = fdt_property_u32(fdt, FM_S_PROTOCOL, s->protocol);
	if (!r)
		r = fdt_property_string(fdt, FM_S_STATE, st_sock_state_name(s->state));
	if (!r && s->state == ST_SOCK_LISTENING)
		r = fdt_property_u32(fdt, FM_S_BACKLOG, s->backlog);
	if (s->family == AF_INET || s->family == AF_INET6) {
		if (!r && s->bound)
			r = fdt_property(fdt, FM_S_LOCAL_ADDRESS, s->local_addr, alen);
		if (!r && s->bound)
			r = fdt_property_u32(fdt, FM_S_LOCAL_PORT, s->local_port);
		if (!r && s->state == ST_SOCK_CONNECTED)
			r = fdt_property(fdt, FM_S_PEER_ADDRESS, s->peer_addr, alen);
		if (!r && s->state == ST_SOCK_CONNECTED)
			r = fdt_property_u32(fdt, FM_S_PEER_PORT, s->peer_port);
	}
	if (!r && s->unix_name_len)
		r = fdt_property(fdt, FM_S_UNIX_NAME, s->unix_name, s->unix_name_len);
	if (!r && s->unix_peer_name_len)
		r = fdt_property(fdt, FM_S_UNIX_PEER_NAME, s->unix_peer_name,
				 s->unix_peer_name_len);
	if (!r && s->unix_dir)
		r = fdt_property_string(fdt, FM_S_UNIX_DIR, s->unix_dir);
	if (!r && s->have_unix_file) {
		uint32_t v[3] = { s->unix_mode, s->unix_uid, s->unix_gid };

		r = put_u32s(fdt, FM_S_UNIX_FILE, v, 3);
	}
	if (!r && s->peer_id)
		r = fdt_property_u32(fdt, FM_S_PEER, s->peer_id);
	if (!r && s->nopts)
		r = put_u32s(fdt, FM_S_OPTIONS, &s->opts[0].level, 3 * s->nopts);
	if (!r)
		r = put_u32s(fdt, FM_S_LINGER, s->linger, 2);
	if (!r)
		r = put_u64s(fdt, FM_S_TIMEOUTS, s->timeouts, 2);
	if (!r) {
		uint32_t v[2] = { s->rcvbuf, s->sndbuf };

		r = put_u32s(fdt, FM_S_BUFFERS, v, 2);
	}
	if (!r && s->recv_len)
		r = fdt_property(fdt, FM_S_RECV_QUEUE, s->recv_queue, s->recv_len);
	if (!r && s->ndgrams) {
		r = put_u32s(fdt, FM_S_RECV_LENGTHS, s->dgram_lens, s->ndgrams);
		if (!r)
			r = put_u32s(fdt, FM_S_RECV_SOURCE_LENGTHS, s->dgram_source_lens,
				     s->ndgrams);
		if (!r)
			r = fdt_property(fdt, FM_S_RECV_SOURCES, s->dgram_sources,
					 s->dgram_sources_len);
	}
	if (!r && s->have_tcp)
		r = write_tcp(fdt, &s->tcp);
	if (!r)
		r = fdt_end_node(fdt);
	return r;
}

int meta_write_sockets(void *fdt, const struct st_image *img)
{
	int r;

	if (!img->nsockets)
		return 0;
	r = fdt_begin_node(fdt, FM_SOCKETS);
	for (size_t i = 0; i < img->nsockets && !r; i++)
		r = write_socket(fdt, &img->sockets[i]);
	if (!r)
		r = fdt_end_node(fdt);
	return r;
}

/* ---- reading ---- */

struct sock_in {
	struct meta_in m;
	int node;
	uint32_t id; /* names the socket in the checks of this file */
};

/* The shared property readers (meta_prop.c), on the socket's node. */
static const void *prop(struct sock_in *in, const char *name, int *ret_len, bool required)
{
	return meta_prop_get(&in->m, in->node, name, ret_len, required);
}

static void wrong_size(struct sock_in *in, const char *name)
{
	meta_prop_bad_len(&in->m, in->node, name);
}

/* Exactly @n cells into @out. Returns the cells read: @n, or 0. */
static size_t u32s(struct sock_in *in, const char *name, uint32_t *out, size_t n, bool required)
{
	return meta_prop_u32s(&in->m, in->node, name, out, n, required) ? n : 0;
}

static uint32_t u32(struct sock_in *in, const char *name, bool required)
{
	return meta_prop_u32(&in->m, in->node, name, required);
}

/* A variable number of cells, allocated; *ret_n cells. */
static uint32_t *u32_list(struct sock_in *in, const char *name, size_t *ret_n)
{
	return meta_prop_u32_list(&in->m, in->node, name, ret_n);
}

static uint8_t *bytes(struct sock_in *in, const char *name, size_t *ret_len)
{
	return meta_prop_bytes(&in->m, in->node, name, ret_len, false);
}

static void fixed_bytes(struct sock_in *in, const char *name, uint8_t *out, size_t n,
			bool required)
{
	meta_prop_fixed_bytes(&in->m, in->node, name, out, n, required);
}

static void read_tcp(struct sock_in *in, struct st_tcp *t)
{
	uint32_t v[2] = { 0, 0 };

	u32s(in, FM_S_TCP_SEQS, v, 2, true);
	t->send_seq = v[0];
	t->recv_seq = v[1];
	t->send_queue = bytes(in, FM_S_TCP_SEND_QUEUE, &t->send_len);
	t->send_unsent = u32(in, FM_S_TCP_SEND_UNSENT, false);
	u32s(in, FM_S_TCP_WINDOW, t->window, 5, true);
	t->mss = u32(in, FM_S_TCP_MSS, true);
	t->options = u32(in, FM_S_TCP_OPTIONS, true);
	if (u32s(in, FM_S_TCP_WSCALE, v, 2, false)) {
		t->snd_wscale = v[0];
		t->rcv_wscale = v[1];
	}
	t->timestamp = u32(in, FM_S_TCP_TIMESTAMP, false);
	if (t->send_unsent > t->send_len && !in->m.err)
		in->m.err = glue_err(-EINVAL, "image metadata: socket %u: %u unsent bytes of a "
				   "send queue of %zu", in->id, t->send_unsent, t->send_len);
}

static void read_dgrams(struct sock_in *in, struct st_socket *s)
{
	size_t n, nsrc, total = 0, srcs = 0;

	s->dgram_lens = u32_list(in, FM_S_RECV_LENGTHS, &n);
	s->ndgrams = n;
	s->dgram_source_lens = u32_list(in, FM_S_RECV_SOURCE_LENGTHS, &nsrc);
	s->dgram_sources = bytes(in, FM_S_RECV_SOURCES, &s->dgram_sources_len);
	for (size_t i = 0; i < n; i++)
		total += s->dgram_lens[i];
	for (size_t i = 0; i < nsrc; i++)
		srcs += s->dgram_source_lens[i];
	if (in->m.err)
		return;
	if (total != s->recv_len || (nsrc && nsrc != n) || srcs != s->dgram_sources_len)
		in->m.err = glue_err(-EINVAL, "image metadata: socket %u: the lengths of its "
				   "queued datagrams do not match their data", in->id);
	if (!nsrc && n) {
		/* no sources: all of length 0 */
		s->dgram_source_lens = calloc(n, sizeof(uint32_t));
		if (!s->dgram_source_lens)
			meta_prop_oom(&in->m);
	}
}

static void read_socket(const void *fdt, int node, struct st_image *img, int *err)
{
	struct st_socket *s = ST_PUSH(img->sockets, img->nsockets);
	struct sock_in in = { .m.fdt = fdt, .node = node };
	const char *state;
	uint32_t v[3] = { 0, 0, 0 };
	uint64_t t[2];
	size_t n;
	int len;

	if (!s) {
		*err = -ENOMEM;
		return;
	}
	in.id = s->id = u32(&in, FM_S_ID, true);
	s->family = u32(&in, FM_S_FAMILY, true);
	s->type = u32(&in, FM_S_TYPE, true);
	s->protocol = u32(&in, FM_S_PROTOCOL, false);
	state = prop(&in, FM_S_STATE, &len, true);
	if (state && (len < 1 || state[len - 1] || st_sock_state_parse(state, &s->state) < 0) &&
	    !in.m.err)
		in.m.err = glue_err(-EINVAL, "image metadata: socket %u: unknown state", s->id);
	s->backlog = u32(&in, FM_S_BACKLOG, s->state == ST_SOCK_LISTENING);
	if (s->family == AF_INET || s->family == AF_INET6) {
		size_t alen = s->family == AF_INET6 ? 16 : 4;

		s->bound = prop(&in, FM_S_LOCAL_PORT, &len, false) != NULL;
		fixed_bytes(&in, FM_S_LOCAL_ADDRESS, s->local_addr, alen, s->bound);
		s->local_port = u32(&in, FM_S_LOCAL_PORT, false);
		fixed_bytes(&in, FM_S_PEER_ADDRESS, s->peer_addr, alen,
			    s->state == ST_SOCK_CONNECTED);
		s->peer_port = u32(&in, FM_S_PEER_PORT, s->state == ST_SOCK_CONNECTED);
	} else if (s->family != AF_UNIX && !in.m.err) {
		in.m.err = glue_err(-EINVAL, "image metadata: socket %u: family %u is not known",
				  s->id, s->family);
	}
	s->unix_name = bytes(&in, FM_S_UNIX_NAME, &s->unix_name_len);
	s->unix_peer_name = bytes(&in, FM_S_UNIX_PEER_NAME, &s->unix_peer_name_len);
	{
		const char *d = prop(&in, FM_S_UNIX_DIR, &len, false);

		if (d && len > 0 && !d[len - 1])
			s->unix_dir = strdup(d);
	}
	if (u32s(&in, FM_S_UNIX_FILE, v, 3, false)) {
		s->have_unix_file = true;
		s->unix_mode = v[0];
		s->unix_uid = v[1];
		s->unix_gid = v[2];
	}
	s->peer_id = u32(&in, FM_S_PEER, false);
	{
		uint32_t *o = u32_list(&in, FM_S_OPTIONS, &n);

		if (n % 3 && !in.m.err)
			in.m.err = glue_err(-EINVAL, "image metadata: socket %u: options are not "
					  "triples", s->id);
		s->opts = (struct st_sockopt *)o;
		s->nopts = n / 3;
	}
	u32s(&in, FM_S_LINGER, s->linger, 2, false);
	{
		const void *p = prop(&in, FM_S_TIMEOUTS, &len, false);

		if (p && len == 16) {
			memcpy(t, p, 16);
			s->timeouts[0] = fdt64_to_cpu(t[0]);
			s->timeouts[1] = fdt64_to_cpu(t[1]);
		} else if (p) {
			wrong_size(&in, FM_S_TIMEOUTS);
		}
	}
	if (u32s(&in, FM_S_BUFFERS, v, 2, false)) {
		s->rcvbuf = v[0];
		s->sndbuf = v[1];
	}
	s->recv_queue = bytes(&in, FM_S_RECV_QUEUE, &s->recv_len);
	if (s->type != SOCK_STREAM)
		read_dgrams(&in, s);
	if (prop(&in, FM_S_TCP_SEQS, &len, false)) {
		s->have_tcp = true;
		read_tcp(&in, &s->tcp);
	}
	if (in.m.err && !*err)
		*err = in.m.err;
}

int meta_read_sockets(const void *fdt, struct st_image *img)
{
	int node = fdt_subnode_offset(fdt, 0, FM_SOCKETS), child, err = 0;

	if (node < 0)
		return 0;
	fdt_for_each_subnode(child, fdt, node) {
		read_socket(fdt, child, img, &err);
		if (err)
			return err;
	}
	for (size_t i = 0; i < img->nfiles; i++) {
		const struct st_file *f = &img->files[i];

		if (f->type == ST_FILE_SOCKET && !st_find_socket(img, f->socket_id))
			return glue_err(-EINVAL, "image metadata: file %u: socket %u is not in "
					"the image", f->id, f->socket_id);
	}
	return 0;
}
