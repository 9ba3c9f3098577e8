/* SPDX-License-Identifier: MIT */
/*
 * Terminals and event descriptors (SPEC.md §3.6), called from dump_files.c:
 * dump_kind_file() takes the fds of these kinds, dump_kinds_finish() what
 * needs every fd of a process (epoll targets, the controlling terminal).
 */
#ifndef FERRY_GLUE_DUMP_EVENTS_H
#define FERRY_GLUE_DUMP_EVENTS_H

#include <sys/stat.h>

#include "internal.h"

/* Fill @f for fd @fd of @pid if it is a terminal or an event descriptor;
 * -ENOTSUP when it is of another kind. @fdinfo: /proc/PID/fdinfo/FD. */
int dump_kind_file(struct ckpt *c, pid_t pid, int fd, const char *link, const struct stat *st,
		   const char *fdinfo, struct st_file *f);
int dump_kinds_finish(struct ckpt *c, pid_t pid, struct st_process *p);

/* dump_tty.c */
int dump_tty(struct ckpt *c, pid_t pid, int fd, const char *link, const struct stat *st,
	     struct st_file *f);
int dump_tty_ctty(struct ckpt *c, pid_t pid, struct st_process *p);

#endif
