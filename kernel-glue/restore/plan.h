/* SPDX-License-Identifier: MIT */
/*
 * The restore plan's checks: what an image asks the restorer to do, read
 * for what each id and count means before the first process exists. A
 * well-sealed image can still be hostile (a writer that is not ferry's, or
 * metadata edited and sealed again); each check refuses with the reason,
 * logged, and -EINVAL.
 *
 *   restore_plan_check()       the metadata alone (no system call): ids
 *                              unique and in range, counts and sizes
 *                              bounded, areas ordered and in user space,
 *                              credentials that mean what they say, paths
 *                              without ".." and no longer than PATH_MAX
 *   restore_plan_check_pages() every page extent of the image's chunks
 *                              inside an area of its address space that
 *                              takes pages (none into a shared file)
 *   restore_plan_check_here()  against this system: every PID and TID free
 *
 * format/SPEC.md §3.10 lists the rules and the limits.
 */
#ifndef FERRY_GLUE_RESTORE_PLAN_H
#define FERRY_GLUE_RESTORE_PLAN_H

#include "../common/state.h"
#include "ferry/image.h"

/* Largest counts ferry restores (SPEC.md §3.10). */
#define PLAN_MAX_PROCESSES 65536u
#define PLAN_MAX_THREADS 65536u   /* of all processes together */
#define PLAN_MAX_FD 1048576       /* fs.nr_open's default: every fd number is below */
#define PLAN_MAX_FILES 1048576u
#define PLAN_MAX_AREAS 1048576u   /* of one address space */
#define PLAN_MAX_GROUPS 1024u     /* what setgroups() is handed through the trampoline page */
#define PLAN_MAX_SIGPENDING 65536u
#define PLAN_MAX_XSAVE 65536u
#define PLAN_MAX_AUXV 1024u
#define PLAN_PID_LIMIT 4194304    /* PID_MAX_LIMIT: every pid and tid is below */
#define PLAN_MIN_ADDR 0x10000ull  /* vm.mmap_min_addr's default: no area below */

int restore_plan_check(const struct st_image *img);
int restore_plan_check_pages(const struct ferry_image *image, const struct st_image *img);
int restore_plan_check_here(const struct st_image *img);

#endif
