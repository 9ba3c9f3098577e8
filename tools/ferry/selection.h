/* SPDX-License-Identifier: MIT */
/*
 * What ferry check, checkpoint and update are to take, one of:
 *   --pid PID       the process
 *   --tree PID      the process and all its descendants
 *   --cgroup PATH   the processes of a cgroup (and of the cgroups below):
 *                   one process and its descendants
 *   --unit NAME     the same for a systemd unit's cgroup
 */
#ifndef FERRY_TOOL_SELECTION_H
#define FERRY_TOOL_SELECTION_H

#include <stdbool.h>
#include <sys/types.h>

#include "commands.h"

enum { SELECTION_CGROUP = 0x1c0, SELECTION_UNIT };

#define SELECTION_OPTIONS                                                  \
	{ "pid", required_argument, NULL, 'p' },                           \
	{ "tree", required_argument, NULL, 't' },                          \
	{ "cgroup", required_argument, NULL, SELECTION_CGROUP },           \
	{ "unit", required_argument, NULL, SELECTION_UNIT }

#define SELECTION_USAGE "(--pid PID | --tree PID | --cgroup PATH | --unit NAME)"
#define SELECTION_HELP                                                                   \
	"  --pid PID      the process PID\n"                                               \
	"  --tree PID     the process PID and all its descendants\n"                       \
	"  --cgroup PATH  the processes of the cgroup PATH of the cgroup2 hierarchy\n"      \
	"                 (as /proc/PID/cgroup shows it) and of the cgroups below it,\n"   \
	"                 which must be one process and all its descendants\n"             \
	"  --unit NAME    the same for the cgroup of the systemd unit NAME\n"              \
	"                 (systemctl show -p ControlGroup)\n"

struct selection {
	const char *given;  /* the option as given: "--unit", ... (NULL: none yet) */
	const char *name;   /* its argument */
	pid_t pid;          /* the process, or the root of the tree */
	bool tree;
	char *cgroup;       /* --cgroup and --unit: the cgroup2 path */
	char *unit;         /* --unit: the unit's full name (systemctl's Id) ... */
	pid_t main_pid;     /* ... and its main PID (0: it has none) */
};

/* Is @c (of command_getopt) one of the selection's options? */
bool selection_is_option(int c);

/* Take selection option @c with argument @arg: 0, or a usage error's
 * exit status (printed). */
int selection_option(const struct command *cmd, struct selection *s, int c, const char *arg);

/* After the options: 0 when one was given, else a usage error's status. */
int selection_given(const struct command *cmd, const struct selection *s);

/* Then: resolve --cgroup and --unit to their tree. 0, a
 * usage error's status when none was given, or FERRY_EXIT_REFUSED with
 * the reason on stderr. */
int selection_finish(const struct command *cmd, struct selection *s);

/* "tree 123", "cgroup /a/b (tree 123)", "unit x.service (tree 123)" */
const char *selection_describe(const struct selection *s);

void selection_free(struct selection *s);

#endif
