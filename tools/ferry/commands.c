/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"

/* One line per command. */
const struct command *const commands[] = {
	&command_inspect,
	&command_verify,
	&command_checkpoint,
	&command_check,
	&command_restore,
	&command_update,
	&command_status,
	&command_netlock,
	&command_efi,
	&command_region,
	&command_adopt,
};
const size_t command_count = sizeof(commands) / sizeof(commands[0]);

const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < command_count; i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

void command_print_help(const struct command *cmd, FILE *out)
{
	fprintf(out, "Usage: ferry %s %s\n\n", cmd->name, cmd->usage);
	fprintf(out, "%c%s.\n", toupper((unsigned char)cmd->summary[0]), cmd->summary + 1);
	if (cmd->help && cmd->help[0])
		fprintf(out, "\n%s", cmd->help);
}

int command_usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ferry %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try 'ferry %s --help')\n", cmd->name);
	return FERRY_EXIT_USAGE;
}

int command_parse_pid(const struct command *cmd, const char *s, pid_t *ret)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v <= 0 || v > 0x3fffffff)
		return command_usage_error(cmd, "'%s' is not a process id", s);
	*ret = v;
	return 0;
}

/* @word ("--kill=1", "--ki=1") names a long option of @options whose value is
 * @val and that takes no argument, and gives it one. */
static bool given_unwanted_argument(const struct option *options, const char *word, int val)
{
	size_t name_len;

	if (strncmp(word, "--", 2) != 0 || !strchr(word, '='))
		return false;
	name_len = strcspn(word + 2, "=");
	for (const struct option *o = options; o->name; o++)
		if (o->val == val && o->has_arg == no_argument &&
		    strncmp(o->name, word + 2, name_len) == 0)
			return true;
	return false;
}

int command_getopt(const struct command *cmd, int argc, char **argv,
		   const struct option *options, const char *short_options)
{
	char spec[64];
	int c;

	/* a leading ':' makes getopt tell a missing argument (':') from an
	 * unknown option ('?'); opterr = 0: we word the messages ourselves */
	snprintf(spec, sizeof(spec), ":%s", short_options ? short_options : "");
	opterr = 0;
	c = getopt_long(argc, argv, spec, options, NULL);
	if (c == '?' || c == ':') {
		/* the offending word is the last one read; optopt is 0 for an
		 * unknown long option, the option's value for a known one */
		const char *word = argv[optind - 1];

		if (c == ':' && strncmp(word, "--", 2) != 0)
			command_usage_error(cmd, "option '-%c' needs an argument", optopt);
		else if (c == ':')
			command_usage_error(cmd, "option '%s' needs an argument", word);
		else if (optopt && given_unwanted_argument(options, word, optopt))
			command_usage_error(cmd, "option '%.*s' takes no argument",
					    (int)strcspn(word, "="), word);
		else if (optopt)
			command_usage_error(cmd, "unknown option '-%c'", optopt);
		else
			command_usage_error(cmd, "unknown option '%s'", word);
		return '?';
	}
	return c;
}

int command_expect_operands(const struct command *cmd, int argc, char **argv, int count,
			    const char *names)
{
	int have = argc - optind;

	if (have < count)
		return command_usage_error(cmd, "missing %s", names);
	if (have > count)
		return command_usage_error(cmd, "unexpected argument '%s'", argv[optind + count]);
	return 0;
}
