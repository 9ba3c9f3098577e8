/* SPDX-License-Identifier: MIT */
/*
 * Pipes (SPEC.md §3.5): one pipe record (/pipes/pipe@ID) per pipe, with
 * the bytes buffered in it, named by the file record of each end. Anonymous
 * pipe ends are the pipe kind (pipe.c), which keeps the records; named
 * FIFOs (fifo.c) use them too.
 */
#ifndef FERRY_GLUE_KINDS_PIPE_H
#define FERRY_GLUE_KINDS_PIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kind.h"

struct pipe_record {
	uint32_t id;
	uint32_t capacity; /* F_GETPIPE_SZ */
	uint8_t *data;     /* buffered at the freeze */
	size_t len;
	/* at checkpoint only: which ends an anonymous pipe has in the selection */
	uint64_t ino;
	pid_t pid;         /* where its first end was seen */
	int fd;
	bool anonymous, read_end, write_end;
};

/* An end of a pipe or FIFO: the file record's own part. */
struct pipe_end {
	uint32_t pipe_id;
	uint64_t dev, ino; /* at checkpoint only (FIFOs): the inode */
};

extern const struct kind kind_pipe;
extern const struct meta_field pipe_end_fields[];

/* A new pipe record of @c's image for inode @ino; NULL when out of memory. */
struct pipe_record *pipe_new_record(struct ckpt *c, uint64_t ino);
/* The bytes buffered in the pipe that is fd @fd of @pid, copied with
 * tee(2) from a second read end opened through /proc, so the pipe itself is
 * left untouched. Returns 0 or -errno. */
int pipe_dump_contents(pid_t pid, int fd, struct pipe_record *pipe_rec);

/* The record of end @f in @img, or NULL (logged). */
const struct pipe_record *pipe_record_of(const struct st_image *img, const struct st_file *f);
/* At restore: the restorer's two fds of the pipe of end @f; [0] is for a
 * FIFO its first open, which keeps it open until every open of it is made.
 * NULL when out of memory or not in the image. */
int *pipe_restore_fds(struct rst *r, const struct st_file *f);

#endif
