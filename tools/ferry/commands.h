/* SPDX-License-Identifier: MIT */
/*
 * The registry of `ferry` subcommands. A command is one file that defines a
 * `const struct command command_NAME` plus one line in the table in
 * commands.c (and its declaration below); main.c needs no change.
 */
#ifndef FERRY_TOOL_COMMANDS_H
#define FERRY_TOOL_COMMANDS_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/*
 * Exit status of every command (ferry(8), EXIT STATUS; `ferry --help`).
 * REFUSED and AFTER_NO_RETURN let a script tell "try again once the cause
 * named on stderr is fixed" from "the machine needs a look".
 */
enum {
	FERRY_EXIT_OK = 0,
	FERRY_EXIT_FAILURE = 1, /* the operation failed, e.g. a bad image */
	FERRY_EXIT_USAGE = 2,   /* the command line is wrong */
	/* refused, nothing changed: stopped before the point of no return, by
	 * a check or a step undone; processes, region, files as they were */
	FERRY_EXIT_REFUSED = 3,
	/* failed after the point of no return: the kernel switch was issued
	 * and came back; what ferry put back is on stderr and in the record */
	FERRY_EXIT_AFTER_NO_RETURN = 4,
};

struct command {
	const char *name;
	const char *summary; /* one line, lower case, no full stop */
	const char *usage;   /* what follows the name: "IMAGE [--json]" */
	const char *help;    /* options, exit status: the body of `ferry help NAME` */
	/* argv[0] is the command name; returns a FERRY_EXIT_* status.
	 * --help and -h are handled before run() is called. */
	int (*run)(const struct command *cmd, int argc, char **argv);
};

extern const struct command command_inspect;
extern const struct command command_verify;
extern const struct command command_checkpoint;
extern const struct command command_check;
extern const struct command command_restore;
extern const struct command command_update;
extern const struct command command_status;
extern const struct command command_netlock;
extern const struct command command_efi;
extern const struct command command_region;
extern const struct command command_adopt;

/* The table, in the order `ferry --help` lists it. */
extern const struct command *const commands[];
extern const size_t command_count;

/* The command called @name, or NULL. */
const struct command *command_find(const char *name);

void command_print_help(const struct command *cmd, FILE *out);

/* Print "ferry NAME: MESSAGE (try 'ferry NAME --help')" and return
 * FERRY_EXIT_USAGE. */
int command_usage_error(const struct command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Parse a PID operand (of --pid or --tree) into *ret; a usage error
 * (FERRY_EXIT_USAGE, printed) when it is not a process id. */
int command_parse_pid(const struct command *cmd, const char *s, pid_t *ret);

/*
 * getopt_long() over argv[1..] that reports unknown options and missing
 * option arguments as usage errors. Returns the option's value, -1 after
 * the last option (optind then indexes the first operand; operands may
 * come before options), or '?' after a usage error was printed.
 */
int command_getopt(const struct command *cmd, int argc, char **argv,
		   const struct option *options, const char *short_options);

/* Check that exactly @count operands remain after options; @names is the
 * operand list for the message ("IMAGE"). Returns 0 or FERRY_EXIT_USAGE
 * after printing why. */
int command_expect_operands(const struct command *cmd, int argc, char **argv, int count,
			    const char *names);

#endif
