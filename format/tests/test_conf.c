/* SPDX-License-Identifier: MIT */
/*
 * ferry.conf (format/src/conf.c): the parser on a file and on load options,
 * every malformed line refused with its reason while the others apply, the
 * limits at their edges, and lines the writer writes reading back.
 */
#include <stdio.h>
#include <string.h>

#include "ferry/conf.h"
#include "abi_tests.h"
#include "testlib.h"

static int case_parse_file(const void *arg)
{
	static const char text[] =
		"# ferry.efi configuration\n"
		"  kernel = /EFI/ferry/vmlinuz \r\n"
		"initrd=\\EFI\\ferry\\initrd.img\n"
		"\n"
		"cmdline=console=ttyS0 root=/dev/vda1 quiet\n"
		"region=64M@0x30000000\n"
		"future_key=1\n"
		"update_kernel=\\EFI\\ferry\\new\n"
		"kernel=\\EFI\\ferry\\vmlinuz-2\n"
		"memmap=no";
	struct ferry_conf c;
	struct ferry_diag diag = { 0 };

	(void)arg;
	ferry_conf_init(&c);
	if (ferry_conf_parse(&c, text, sizeof(text) - 1, &diag) != 0)
		return test_fail("a good file is refused: %s", diag.what);
	if (strcmp(c.kernel, "\\EFI\\ferry\\vmlinuz-2") || strcmp(c.initrd, "\\EFI\\ferry\\initrd.img") ||
	    strcmp(c.cmdline, "console=ttyS0 root=/dev/vda1 quiet") ||
	    strcmp(c.update_kernel, "\\EFI\\ferry\\new") || c.update_initrd[0] ||
	    c.region_size != 64ull << 20 || c.region_addr != 0x30000000 || c.memmap || c.unknown != 1)
		return test_fail("the file reads wrong (kernel \"%s\", cmdline \"%s\")", c.kernel,
				 c.cmdline);
	return 0;
}

/* The template make install puts at /etc/ferry/ferry.conf reads clean:
 * its comments hold ';' and '=' and run to the end of their line. */
static int case_template(const void *arg)
{
	static const char text[] = "# One key=value a line; '#' starts a comment; a later line wins.\n"
				   "  # (K, M, G, T suffixes; 0x hex):\n"
				   "#region=64M@0x30000000\n"
				   "kernel=\\k;initrd=\\i\n";
	struct ferry_conf c;
	struct ferry_diag diag = { 0 };

	(void)arg;
	ferry_conf_init(&c);
	if (ferry_conf_parse(&c, text, sizeof(text) - 1, &diag) != 0)
		return test_fail("a comment with ';' is read as lines: %s at %llu", diag.what,
				 (unsigned long long)diag.offset);
	if (strcmp(c.kernel, "\\k") || strcmp(c.initrd, "\\i") || c.region_size || c.unknown)
		return test_fail("the template reads wrong");
	return 0;
}

/* Load options: ';' ends a line, a NUL ends the text. */
static int case_parse_load_options(const void *arg)
{
	static const char opts[] = "kernel=\\k;memmap=0;cmdline=a b\0kernel=\\after-nul";
	struct ferry_conf c;

	(void)arg;
	ferry_conf_init(&c);
	if (ferry_conf_parse(&c, opts, sizeof(opts) - 1, NULL) != 0 || strcmp(c.kernel, "\\k") ||
	    c.memmap || strcmp(c.cmdline, "a b"))
		return test_fail("load options read wrong: kernel \"%s\"", c.kernel);
	return 0;
}

static int case_malformed(const void *arg)
{
	static const struct {
		const char *text, *reason;
	} bad[] = {
		{ "kernel=\\k\nno equals sign\ninitrd=\\i\n", "without '='" },
		{ "kernel=\\k\nregion=64M@0x30000100\ninitrd=\\i\n", "region=" },
		{ "kernel=\\k\nregion=64M\ninitrd=\\i\n", "region=" },
		{ "kernel=\\k\nregion=010M@0\ninitrd=\\i\n", "region=" },
	};
	struct ferry_conf c;

	(void)arg;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct ferry_diag diag = { 0 };

		ferry_conf_init(&c);
		if (ferry_conf_parse(&c, bad[i].text, strlen(bad[i].text), &diag) != -FERRY_ERR_CONF ||
		    !diag.what || !strstr(diag.what, bad[i].reason) || diag.offset != 10)
			return test_fail("\"%s\": not refused at offset 10 naming \"%s\" (%s at %llu)",
					 bad[i].text, bad[i].reason, diag.what ? diag.what : "-",
					 (unsigned long long)diag.offset);
		/* the other lines apply */
		if (strcmp(c.kernel, "\\k") || strcmp(c.initrd, "\\i") || c.region_size)
			return test_fail("\"%s\": the good lines are not applied", bad[i].text);
	}
	return 0;
}

/* The longest values that fit, and one byte more. */
static int case_limits(const void *arg)
{
	static char text[FERRY_CONF_CMDLINE_MAX + 64];
	struct ferry_conf c;
	int n;

	(void)arg;
	n = snprintf(text, sizeof(text), "kernel=%0*d", FERRY_CONF_PATH_MAX - 1, 0);
	ferry_conf_init(&c);
	if (ferry_conf_parse(&c, text, (size_t)n, NULL) != 0 ||
	    strlen(c.kernel) != FERRY_CONF_PATH_MAX - 1)
		return test_fail("a path of %d bytes is refused", FERRY_CONF_PATH_MAX - 1);
	n = snprintf(text, sizeof(text), "kernel=%0*d", FERRY_CONF_PATH_MAX, 0);
	ferry_conf_init(&c);
	if (ferry_conf_parse(&c, text, (size_t)n, NULL) != -FERRY_ERR_CONF || c.kernel[0])
		return test_fail("a path of %d bytes is taken", FERRY_CONF_PATH_MAX);
	n = snprintf(text, sizeof(text), "update_cmdline=%0*d", FERRY_CONF_CMDLINE_MAX - 1, 0);
	ferry_conf_init(&c);
	if (ferry_conf_parse(&c, text, (size_t)n, NULL) != 0 ||
	    strlen(c.update_cmdline) != FERRY_CONF_CMDLINE_MAX - 1)
		return test_fail("a command line of %d bytes is refused", FERRY_CONF_CMDLINE_MAX - 1);
	n = snprintf(text, sizeof(text), "update_cmdline=%0*d", FERRY_CONF_CMDLINE_MAX, 0);
	ferry_conf_init(&c);
	if (ferry_conf_parse(&c, text, (size_t)n, NULL) != -FERRY_ERR_CONF)
		return test_fail("a command line of %d bytes is taken", FERRY_CONF_CMDLINE_MAX);
	return 0;
}

/* What the writer writes, the parser reads as written; what would not
 * read back, the writer refuses. */
static int case_format_line(const void *arg)
{
	static char big[FERRY_CONF_CMDLINE_MAX + 1];
	char line[FERRY_CONF_CMDLINE_MAX + 32];
	struct ferry_conf c;
	int n;

	(void)arg;
	n = ferry_conf_format_line(line, sizeof(line), FERRY_CONF_UPDATE_CMDLINE,
				   "console=ttyS0 -- single", 23);
	ferry_conf_init(&c);
	if (n <= 0 || strcmp(line, "update_cmdline=console=ttyS0 -- single\n") ||
	    ferry_conf_parse(&c, line, (size_t)n, NULL) != 0 ||
	    strcmp(c.update_cmdline, "console=ttyS0 -- single"))
		return test_fail("a written line does not read back: \"%s\"", line);
	if (ferry_conf_format_line(line, sizeof(line), FERRY_CONF_UPDATE_CMDLINE, "a;b", 3) !=
	    -FERRY_ERR_CONF)
		return test_fail("a value with ';' is written");
	if (ferry_conf_format_line(line, sizeof(line), FERRY_CONF_UPDATE_KERNEL, "a\nb", 3) !=
	    -FERRY_ERR_CONF)
		return test_fail("a value with a newline is written");
	if (ferry_conf_format_line(line, sizeof(line), FERRY_CONF_UPDATE_KERNEL, " a", 2) !=
	    -FERRY_ERR_CONF)
		return test_fail("a value with leading white space is written");
	if (ferry_conf_format_line(line, sizeof(line), "nonsense", "a", 1) != -FERRY_ERR_CONF)
		return test_fail("an unknown key is written");
	memset(big, 'x', sizeof(big));
	if (ferry_conf_format_line(line, sizeof(line), FERRY_CONF_UPDATE_KERNEL, big,
				   FERRY_CONF_PATH_MAX) != -FERRY_ERR_CONF)
		return test_fail("a path longer than ferry.efi reads is written");
	if (ferry_conf_format_line(line, sizeof(line), FERRY_CONF_UPDATE_CMDLINE, big,
				   FERRY_CONF_CMDLINE_MAX - 1) <= 0)
		return test_fail("the longest command line is refused");
	if (ferry_conf_format_line(line, 8, FERRY_CONF_UPDATE_KERNEL, "\\k", 2) != -FERRY_ERR_NOSPACE)
		return test_fail("a line past the buffer is written");
	return 0;
}

/* The cursor hands every line back as written, so a rewrite keeps them. */
static int case_lines_verbatim(const void *arg)
{
	static const char text[] = "# c\n kernel = \\k \nx;y=1\r\nlast";
	struct ferry_conf_cursor cur;
	struct ferry_conf_line l;
	char again[sizeof(text)];
	size_t len = 0, keys = 0;

	(void)arg;
	ferry_conf_cursor_init(&cur, text, sizeof(text) - 1);
	while (ferry_conf_next(&cur, &l) > 0) {
		memcpy(again + len, l.text, l.text_len);
		len += l.text_len;
		keys += l.key != NULL;
		if (ferry_conf_is(&l, FERRY_CONF_KERNEL) &&
		    (l.value_len != 2 || memcmp(l.value, "\\k", 2)))
			return test_fail("kernel's value is \"%.*s\"", (int)l.value_len, l.value);
	}
	if (len != sizeof(text) - 1 || memcmp(again, text, len) || keys != 4)
		return test_fail("the lines do not add up to the text (%zu keys)", keys);
	return 0;
}

void test_conf_cases(void)
{
	test_run_isolated("conf-file", case_parse_file, NULL);
	test_run_isolated("conf-load-options", case_parse_load_options, NULL);
	test_run_isolated("conf-comments-run-to-the-newline", case_template, NULL);
	test_run_isolated("conf-malformed-line-refused-rest-applied", case_malformed, NULL);
	test_run_isolated("conf-limits", case_limits, NULL);
	test_run_isolated("conf-written-line-reads-back", case_format_line, NULL);
	test_run_isolated("conf-lines-verbatim", case_lines_verbatim, NULL);
}
