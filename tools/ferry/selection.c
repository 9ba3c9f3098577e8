/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ferry-glue/checkpoint.h"
#include "../../kernel-glue/common/log.h"

#include "selection.h"

bool selection_is_option(int c)
{
	return c == 'p' || c == 't' || c == SELECTION_CGROUP || c == SELECTION_UNIT;
}

int selection_option(const struct command *cmd, struct selection *s, int c, const char *arg)
{
	static const char *const names[] = { "--pid", "--tree", "--cgroup", "--unit" };
	const char *given = names[c == 'p' ? 0 : c == 't' ? 1 : c == SELECTION_CGROUP ? 2 : 3];

	if (s->given)
		return command_usage_error(cmd, "give one of --pid, --tree, --cgroup and --unit, "
					   "once (%s was given, then %s)", s->given, given);
	s->given = given;
	s->name = arg;
	if (c == SELECTION_CGROUP || c == SELECTION_UNIT)
		return 0;
	s->tree = c == 't';
	return command_parse_pid(cmd, arg, &s->pid);
}

/* The ControlGroup of unit @unit as systemctl says it, or NULL (logged). */
static char *unit_cgroup(const char *unit)
{
	char buf[4096];
	size_t n = 0;
	ssize_t got;
	int pipefd[2], status;
	pid_t pid;

	if (pipe(pipefd) < 0) {
		log_error_errno(-errno, "cannot make a pipe");
		return NULL;
	}
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		execlp("systemctl", "systemctl", "show", "--property=ControlGroup", "--value",
		       "--", unit, (char *)NULL);
		fprintf(stderr, "ferry: --unit %s: cannot run systemctl: %s\n", unit,
			strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	while (pid > 0 && n < sizeof(buf) - 1 &&
	       ((got = read(pipefd[0], buf + n, sizeof(buf) - 1 - n)) > 0 ||
		(got < 0 && errno == EINTR)))
		n += got > 0 ? (size_t)got : 0;
	close(pipefd[0]);
	if (pid < 0) {
		log_error_errno(-errno, "cannot start systemctl");
		return NULL;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_error("--unit %s: systemctl show failed (exit status %d)", unit,
			  WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return NULL;
	}
	if (!buf[0]) {
		log_error("--unit %s: the unit has no cgroup: it is not running", unit);
		return NULL;
	}
	return strdup(buf);
}

int selection_given(const struct command *cmd, const struct selection *s)
{
	if (s->given)
		return 0;
	return command_usage_error(cmd, "missing --pid PID, --tree PID, --cgroup PATH or "
				   "--unit NAME");
}

int selection_finish(const struct command *cmd, struct selection *s)
{
	const char *path;
	int r = selection_given(cmd, s);

	if (r)
		return r;
	if (strcmp(s->given, "--cgroup") && strcmp(s->given, "--unit"))
		return 0;
	s->cgroup = strcmp(s->given, "--unit") ? strdup(s->name) : unit_cgroup(s->name);
	if (!s->cgroup)
		return FERRY_EXIT_REFUSED;
	path = s->cgroup;
	if (ferry_cgroup_root(path, &s->pid) < 0)
		return FERRY_EXIT_REFUSED;
	s->tree = true;
	return 0;
}

const char *selection_describe(const struct selection *s)
{
	static char buf[4200];

	if (s->cgroup)
		snprintf(buf, sizeof(buf), "%s %s (tree %d)", s->given + 2, s->name, s->pid);
	else
		snprintf(buf, sizeof(buf), "%s %d", s->tree ? "tree" : "pid", s->pid);
	return buf;
}

void selection_free(struct selection *s)
{
	free(s->cgroup);
	s->cgroup = NULL;
}
