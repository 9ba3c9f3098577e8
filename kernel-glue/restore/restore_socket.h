/* SPDX-License-Identifier: MIT */
/* Sockets at restore (restore_socket*.c). */
#ifndef FERRY_GLUE_RESTORE_SOCKET_H
#define FERRY_GLUE_RESTORE_SOCKET_H

#include "internal.h"

/* The socket of file record @f, made in the restorer: its fd, or -errno. */
int restore_socket(struct rst *r, const struct st_file *f);

/* Close what restore_socket() kept for later records (ends of pairs). */
void restore_sockets_free(struct rst *r);

#endif
