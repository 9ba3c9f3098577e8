/* SPDX-License-Identifier: MIT */
/*
 * The sysctls of a namespace as an image carries them (kinds/ipc_ns.c,
 * kinds/net_ns.c): one property of "NAME=VALUE\n" lines, each NAME one of
 * the kind's list, a path below /proc/sys/DIR, VALUE as the kernel shows
 * it (numbers, '-', spaces, tabs).
 */
#ifndef FERRY_GLUE_NS_SYSCTLS_H
#define FERRY_GLUE_NS_SYSCTLS_H

#include <stdbool.h>
#include <stddef.h>

#define NS_SYSCTLS_MAX 1024 /* the bytes of the property */

struct ns_sysctls {
	const char *dir;            /* below /proc/sys: "kernel", "net" */
	const char *ns;             /* for messages: "IPC", "network" */
	const char *bad_line;       /* why a line that names none of them is refused */
	const char *const *names;   /* the ones carried, in the image's order */
	size_t n;
};

/* NULL when @text is such lines, each of @s's names once at most and at
 * most NS_SYSCTLS_MAX bytes in all; else why not. */
const char *ns_sysctls_bad(const struct ns_sysctls *s, const char *text);

/* Write each sysctl of @text (well-formed) for which @pick(name, its
 * length) is true, each when @pick is NULL, in the namespaces the calling
 * thread is in. 0, or -errno logged (-ENOENT: this kernel lacks it). */
int ns_sysctls_write(const struct ns_sysctls *s, const char *text,
		     bool (*pick)(const char *name, size_t len));

#endif
