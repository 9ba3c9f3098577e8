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

/*
 * The ControlGroup and MainPID of unit @unit as systemctl says them: the
 * cgroup (NULL, logged, when it has none or systemctl fails) and the main
 * PID in *ret_main_pid (0: none), its full name in *ret_id ("x.service"
 * for "x").
 */
static char *unit_show(const char *unit, char **ret_id, pid_t *ret_main_pid)
{
	char buf[8192], *cgroup = NULL;
	size_t n = 0;
	ssize_t got;
	int pipefd[2], status;
	pid_t pid;

	*ret_main_pid = 0;
	*ret_id = NULL;
	if (pipe(pipefd) < 0) {
		log_error_errno(-errno, "cannot make a pipe");
		return NULL;
	}
	pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		execlp("systemctl", "systemctl", "show", "--property=ControlGroup",
		       "--property=MainPID", "--property=Id", "--", unit, (char *)NULL);
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
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		log_error("--unit %s: systemctl show failed (exit status %d)", unit,
			  WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		return NULL;
	}
	/* KEY=VALUE lines, in the order systemd lists its properties */
	for (char *save, *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(l, "ControlGroup=", 13) && l[13] && !cgroup)
			cgroup = strdup(l + 13);
		else if (!strncmp(l, "MainPID=", 8))
			*ret_main_pid = (pid_t)strtol(l + 8, NULL, 10);
		else if (!strncmp(l, "Id=", 3) && l[3] && !*ret_id)
			*ret_id = strdup(l + 3);
	}
	if (cgroup && !*ret_id) {
		free(cgroup);
		log_error("--unit %s: systemctl show gave no Id", unit);
		return NULL;
	}
	if (!cgroup)
		log_error("--unit %s: the unit has no cgroup: it is not running", unit);
	return cgroup;
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
	if (strcmp(s->given, "--unit")) {
		s->cgroup = strdup(s->name);
	} else {
		s->cgroup = unit_show(s->name, &s->unit, &s->main_pid);
	}
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
	free(s->unit);
	s->cgroup = NULL;
	s->unit = NULL;
}
