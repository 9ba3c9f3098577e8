/* SPDX-License-Identifier: MIT */
/*
 * ferry: checkpoint running processes, carry them across a kernel switch,
 * restore them. This file only dispatches to the commands of commands.c.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "../../kernel-glue/common/log.h"

#ifndef FERRY_VERSION
#define FERRY_VERSION "unknown"
#endif

static void print_main_help(FILE *out)
{
	fprintf(out, "Usage: ferry COMMAND [ARGS...]\n"
		     "       ferry help COMMAND\n"
		     "       ferry --version\n\n"
		     "ferry checkpoints running processes into an image, carries the image\n"
		     "across a kernel switch and restores the processes.\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < command_count; i++)
		fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out, "\nOptions:\n"
		     "  -h, --help     show this help\n"
		     "  -V, --version  show the version\n\n"
		     "Run 'ferry help COMMAND' or 'ferry COMMAND --help' for a command's options.\n"
		     "Exit status: 0 success, 1 failure, 2 wrong usage, 3 refused with nothing\n"
		     "changed (stopped before the point of no return; the processes run on as\n"
		     "they were), 4 failed after the point of no return (the kexec or reboot\n"
		     "came back). The reporting commands take --json: one JSON object on stdout.\n");
}

static int __attribute__((format(printf, 1, 2))) main_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ferry: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (try 'ferry --help')\n");
	return FERRY_EXIT_USAGE;
}

static bool is_help_option(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/* --help anywhere among a command's options (but not after "--") */
static bool wants_command_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return false;
		if (is_help_option(argv[i]))
			return true;
	}
	return false;
}

/* ferry help [COMMAND] */
static int run_help(int argc, char **argv)
{
	const struct command *cmd;

	if (argc == 1) {
		print_main_help(stdout);
		return FERRY_EXIT_OK;
	}
	if (argc > 2)
		return main_usage_error("'help' takes one command name, not '%s'", argv[2]);
	cmd = command_find(argv[1]);
	if (!cmd)
		return main_usage_error("no command called '%s'", argv[1]);
	command_print_help(cmd, stdout);
	return FERRY_EXIT_OK;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	char prefix[64];

	if (argc < 2)
		return main_usage_error("missing command");
	if (is_help_option(argv[1]))
		return run_help(1, argv + 1);
	if (strcmp(argv[1], "help") == 0)
		return run_help(argc - 1, argv + 1);
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("ferry %s\n", FERRY_VERSION);
		return FERRY_EXIT_OK;
	}
	if (argv[1][0] == '-')
		return main_usage_error("unknown option '%s'", argv[1]);

	cmd = command_find(argv[1]);
	if (!cmd)
		return main_usage_error("unknown command '%s'", argv[1]);
	if (wants_command_help(argc - 1, argv + 1)) {
		command_print_help(cmd, stdout);
		return FERRY_EXIT_OK;
	}
	snprintf(prefix, sizeof(prefix), "ferry %s", cmd->name);
	log_set_program(prefix);
	return cmd->run(cmd, argc - 1, argv + 1);
}
