/* SPDX-License-Identifier: MIT */
#include "../common/log.h"
#include "dump_socket.h"

int dump_socket(struct ckpt *c, pid_t pid, int fd, const char *link, struct st_file *f)
{
	(void)f;
	ckpt_unsupported(c, "pid %d fd %d: %s: sockets are not supported yet", pid, fd, link);
	return 0;
}

void dump_sockets_release(struct ckpt *c, bool keep_repair)
{
	(void)c;
	(void)keep_repair;
}
