/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "../common/log.h"
#include "restore_socket.h"

int restore_socket(struct rst *r, const struct st_file *f)
{
	(void)r;
	return glue_err(-EOPNOTSUPP, "file %u: socket %u", f->id, f->socket_id);
}

void restore_sockets_free(struct rst *r)
{
	(void)r;
}
