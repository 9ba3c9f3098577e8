/* SPDX-License-Identifier: MIT */
/* Socket records of the in-memory model: lookup, names of states, freeing. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "state_socket.h"

static const char *const sock_states[] = {
	[ST_SOCK_CLOSED] = "closed",
	[ST_SOCK_LISTENING] = "listening",
	[ST_SOCK_CONNECTED] = "connected",
};

struct st_socket *st_find_socket(struct st_image *img, uint32_t id)
{
	for (size_t i = 0; i < img->nsockets; i++)
		if (img->sockets[i].id == id)
			return &img->sockets[i];
	return NULL;
}

const char *st_sock_state_name(enum st_sock_state s)
{
	return (size_t)s < sizeof(sock_states) / sizeof(sock_states[0]) ? sock_states[s] : "?";
}

int st_sock_state_parse(const char *s, enum st_sock_state *ret)
{
	for (size_t i = 0; i < sizeof(sock_states) / sizeof(sock_states[0]); i++)
		if (strcmp(s, sock_states[i]) == 0) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
}

void st_sockets_free(struct st_image *img)
{
	for (size_t i = 0; i < img->nsockets; i++) {
		struct st_socket *s = &img->sockets[i];

		free(s->unix_name);
		free(s->unix_peer_name);
		free(s->unix_dir);
		free(s->opts);
		free(s->recv_queue);
		free(s->dgram_lens);
		free(s->dgram_sources);
		free(s->dgram_source_lens);
		free(s->tcp.send_queue);
	}
	free(img->sockets);
	img->sockets = NULL;
	img->nsockets = 0;
}
