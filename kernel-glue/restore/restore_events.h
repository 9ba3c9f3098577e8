/* SPDX-License-Identifier: MIT */
/*
 * Terminals and event descriptors (SPEC.md §3.6), called from the restore
 * of files: restore_kind_open() makes the restorer's file of a record of
 * these kinds; restore_session_tty() gives a new session leader its
 * controlling terminal; restore_kinds_finish() what needs every process
 * complete (epoll interest lists, timers, foreground groups, pty locks);
 * restore_kinds_free() drops what the restorer kept.
 */
#ifndef FERRY_GLUE_RESTORE_EVENTS_H
#define FERRY_GLUE_RESTORE_EVENTS_H

#include "internal.h"

int restore_kind_open(struct rst *r, const struct st_file *f);
int restore_session_tty(struct rst *r, struct rproc *rp);
int restore_kinds_finish(struct rst *r);
void restore_kinds_free(struct rst *r);

/* restore_tty.c */
int restore_tty_open(struct rst *r, const struct st_file *f);
int restore_ttys_finish(struct rst *r);
void restore_ttys_free(struct rst *r);

#endif
