/* SPDX-License-Identifier: MIT */
/* Sockets at checkpoint (dump_socket*.c). */
#ifndef FERRY_GLUE_DUMP_SOCKET_H
#define FERRY_GLUE_DUMP_SOCKET_H

#include <stdbool.h>
#include <sys/types.h>

#include "internal.h"

/*
 * The socket behind fd @fd of @pid (@link: "socket:[INODE]") into the file
 * record @f and a new socket record; or named through ckpt_unsupported().
 * Returns 0 or -errno.
 */
int dump_socket(struct ckpt *c, pid_t pid, int fd, const char *link, struct st_file *f);

/*
 * End of a checkpoint: with @keep_repair (the processes are about to be
 * killed or the kernel replaced) TCP connections stay in repair mode, so
 * their peers see neither FIN nor RST when they close, and their network
 * lock is kept (the image records it); otherwise repair mode is left again,
 * then the lock is released, and the processes run on as they were.
 */
void dump_sockets_release(struct ckpt *c, bool keep_repair);

#endif
