/* SPDX-License-Identifier: MIT */
/*
 * One step ferry takes in a short-lived child of its own rather than in
 * itself, its small result sent back over a pipe: a step that must not
 * change ferry. setns() into a process's namespace moves the calling
 * thread alone, and going back can be refused (a ferry in a user
 * namespace of its own lacks CAP_SYS_ADMIN over the owner of its own
 * namespaces), which would leave that thread in the processes' namespace
 * for good; a mount namespace cannot be joined at all by a multi-threaded
 * caller. Credentials changed with setresuid() change every thread's, and
 * what the restorer probe sets (scheduling, OOM score adjustment, audit
 * login uid) may not be set back. A child does the step on a copy of
 * ferry and exits: ferry's own namespaces, ids and settings stay as they
 * were, whatever the step did. (ns_step.h moves ferry's thread itself, for
 * a restore that fills a namespace it made.)
 */
#ifndef FERRY_GLUE_CHILD_STEP_H
#define FERRY_GLUE_CHILD_STEP_H

#include <stddef.h>
#include <sys/types.h>

/* A step, run in the child: how many bytes of @out (@size at most) it
 * filled, sent back to the caller's @out, or -errno. */
typedef int child_step_fn(const void *arg, void *out, size_t size);

/* @step(@arg, out, @size) in a child of ferry. Returns what it returned:
 * the count of bytes of @out copied back, or its -errno; else the -errno
 * of pipe2() or fork(), or -EIO when the child ended without a whole
 * answer. Nothing is logged; @out may be written on failure. */
int child_step(child_step_fn *step, const void *arg, void *out, size_t size);

/* The same, the child in the namespace of @type (CLONE_NEWUTS,
 * CLONE_NEWIPC, CLONE_NEWNET or CLONE_NEWNS) of process @pid first: the
 * -errno of opening /proc/PID/ns/NAME or of setns() is returned too. */
int child_step_in_ns(int type, pid_t pid, child_step_fn *step, const void *arg, void *out,
		     size_t size);

#endif
