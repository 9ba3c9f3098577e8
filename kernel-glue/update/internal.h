/* SPDX-License-Identifier: MIT */
/* Shared by the files of kernel-glue/update. */
#ifndef FERRY_UPDATE_INTERNAL_H
#define FERRY_UPDATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "../common/log.h"
#include "ferry-glue/update.h"

/* update.c: one line "ferry update: ..." on stdout, flushed at once: what
 * the update does, step by step, for both ways of switching kernels */
void update_phase(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* where those lines go: ferry_update_options.progress, or stdout */
FILE *update_progress(void);

struct update_estimate {
	uint64_t resident;    /* bytes resident in the selection */
	uint64_t image_bound; /* staging bytes the image may need */
	unsigned nprocs;
};

/* estimate.c */
int update_estimate(pid_t pid, bool tree, struct update_estimate *ret);

/*
 * next_cmdline.c: the new kernel's command line, by the kernel's rules: the
 * running one's parameters without BOOT_IMAGE=, ferry.handoff= and those
 * @append sets again, memmap= and ferry.region= carried over, then
 * @append's parameters, all before the --; then init's arguments (the
 * running line's, then @append's).
 */
int update_next_cmdline(const char *append, char *buf, size_t len);

/*
 * precopy.c, ferry update --pre-copy: where the checkpoint keeps the pages
 * it copies before the freeze (the state directory, into @dir, when it has
 * room for @resident bytes; else in memory), and the
 * line that says what it wrote before and during the freeze.
 */
struct ferry_checkpoint_options;
struct ferry_checkpoint_stats;
void update_precopy_setup(struct ferry_checkpoint_options *co, uint64_t resident, char *dir,
			  size_t len);
void update_precopy_phase(const struct ferry_checkpoint_stats *st);

#endif
