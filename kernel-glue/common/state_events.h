/* SPDX-License-Identifier: MIT */
/*
 * The model of terminals and event descriptors (SPEC.md §3.6): what a file
 * record of type tty holds beyond the
 * common fields (struct st_file_ext, allocated on demand), and the
 * terminals of the image (struct st_tty, shared by their opens).
 */
#ifndef FERRY_GLUE_STATE_EVENTS_H
#define FERRY_GLUE_STATE_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "state.h"

#define ST_TTY_NCCS 19

struct st_file_ext {
	/* tty */
	uint32_t tty_id;
	bool tty_master;
};

struct st_termios {
	uint32_t iflag, oflag, cflag, lflag, line, ispeed, ospeed;
	uint8_t cc[ST_TTY_NCCS];
};

struct st_tty {
	uint32_t id;
	bool pty;          /* a pair whose master is in the image */
	uint32_t index;    /* pty number at checkpoint */
	char *path;        /* external: reopened by this path */
	uint64_t rdev;
	bool have_termios;
	struct st_termios termios;
	bool have_winsize;
	uint32_t winsize[4];
	bool packet, locked, exclusive;
	uint8_t *input, *output;
	size_t input_len, output_len;
	pid_t fg_pgrp, session; /* 0: none */
	uint64_t dev;      /* at checkpoint only: the devpts instance of a pty */
};

/* The extension of @f, allocated on first use; NULL when out of memory. */
struct st_file_ext *st_file_ext(struct st_file *f);
struct st_tty *st_find_tty(struct st_image *img, uint32_t id);
void st_events_free(struct st_image *img);

#endif
