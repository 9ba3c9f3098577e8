/* SPDX-License-Identifier: MIT */
/*
 * The kernel command line (format/src/cmdline.c): every rule of
 * ferry/cmdline.h on lines whose reading by Linux's next_arg() and
 * parse_args() is worked out by hand below, the builder's promises (kernel
 * parameters before the --, init's part last, nothing after an open quote,
 * never past the buffer), and a round trip over random lines: a line
 * rebuilt from its own words reads exactly as the original.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ferry/cmdline.h"
#include "abi_tests.h"
#include "testlib.h"

#define MAX_PARAMS 8

/* A line and how the kernel reads it: "name" or "name=value" per
 * parameter ('\1' in a value: no '=' at all), then init's part. */
struct reading {
	const char *rule;
	const char *line;
	const char *params[MAX_PARAMS];
	const char *init;
};

static const struct reading readings[] = {
	{ "empty line", "", { NULL }, "" },
	{ "white space only", " \t\n ", { NULL }, "" },
	{ "words split on white space", "quiet  ro\troot=/dev/vda1\nx", { "quiet", "ro", "root=/dev/vda1", "x" }, "" },
	{ "\\v \\f \\r and NBSP separate", "a\vb\fc\rd\xa0" "e", { "a", "b", "c", "d", "e" }, "" },
	{ "first = splits", "a==b c=d=e", { "a==b", "c=d=e" }, "" },
	{ "an empty value is a value", "a= b", { "a=", "b" }, "" },
	{ "= as first character does not split", "=x =y=z", { "=x", "=y=z" }, "" },
	{ "quoted value keeps spaces", "a=\"b c\" d", { "a=b c", "d" }, "" },
	{ "quoted word", "\"a=b c\" d", { "a=b c", "d" }, "" },
	{ "quoted name without value", "\"quiet\"", { "quiet" }, "" },
	{ "quotes toggle: a space between the 2nd and 3rd does not split", "\"a=\"b\" c", { "a=b\" c" }, "" },
	{ "unterminated value quote runs to the end", "a=\"b c d", { "a=b c d" }, "" },
	{ "quote inside a word", "a\"b c\"d e", { "a\"b c\"d", "e" }, "" },
	{ "value quoted inside", "x=a\"b c\" d", { "x=a\"b c\"", "d" }, "" },
	{ "= inside a quoted name", "\"a b\"=c", { "a b\"=c" }, "" },
	{ "two quotes only", "\"\" x", { "", "x" }, "" },
	{ "value of one quote", "a=\" x", { "a= x" }, "" },
	{ "-- ends the kernel's part", "root=x -- single s=1", { "root=x" }, "single s=1" },
	{ "only the first -- counts", "x -- y -- z", { "x" }, "y -- z" },
	{ "quoted -- ends it too", "x \"--\" y", { "x" }, "y" },
	{ "-- with a value does not", "--=1 -- a", { "--=1" }, "a" },
	{ "---- does not", "---- a", { "----", "a" }, "" },
	{ "-- at the end", "a --", { "a" }, "" },
	{ "-- inside quotes does not", "a=\"x -- y\" b", { "a=x -- y", "b" }, "" },
	{ "last word without separator", "a=b", { "a=b" }, "" },
};

static int check_reading(const struct reading *t)
{
	struct ferry_cmdline_cursor c;
	struct ferry_cmdline_param p;
	char got[256];
	const char *init;
	size_t n = 0, ilen;

	ferry_cmdline_cursor_init(&c, t->line, strlen(t->line));
	while (ferry_cmdline_next(&c, &p) > 0) {
		if (n == MAX_PARAMS || !t->params[n])
			return test_fail("%s: \"%s\": more parameters than %zu", t->rule, t->line, n);
		if (p.value)
			snprintf(got, sizeof(got), "%.*s=%.*s", (int)p.name_len, p.name,
				 (int)p.value_len, p.value);
		else
			snprintf(got, sizeof(got), "%.*s", (int)p.name_len, p.name);
		if (strcmp(got, t->params[n]) != 0)
			return test_fail("%s: \"%s\": parameter %zu reads as \"%s\", not \"%s\"",
					 t->rule, t->line, n, got, t->params[n]);
		if (p.word < t->line || p.word + p.word_len > t->line + strlen(t->line))
			return test_fail("%s: the word lies outside the line", t->rule);
		n++;
	}
	if (n < MAX_PARAMS && t->params[n])
		return test_fail("%s: \"%s\": only %zu parameters", t->rule, t->line, n);
	ilen = ferry_cmdline_init_args(&c, &init);
	if (ilen != strlen(t->init) || memcmp(init, t->init, ilen) != 0)
		return test_fail("%s: \"%s\": init's part is \"%.*s\", not \"%s\"", t->rule, t->line,
				 (int)ilen, init, t->init);
	return 0;
}

static int case_readings(const void *arg)
{
	(void)arg;
	for (size_t i = 0; i < sizeof(readings) / sizeof(readings[0]); i++)
		if (check_reading(&readings[i]) < 0)
			return -1;
	test_detail("%zu rules", sizeof(readings) / sizeof(readings[0]));
	return 0;
}

static int case_find(const void *arg)
{
	const char *line = "ferry.region=1M@0 a ferry.region=2M@0x1000 ferry.network_setup=/x "
			   "flag -- ferry.region=9M@0";
	char out[16];
	int r;

	(void)arg;
	r = ferry_cmdline_value(line, strlen(line), "ferry.region", out, sizeof(out));
	if (r != 1 || strcmp(out, "2M@0x1000") != 0)
		return test_fail("the last ferry.region= before -- is not taken: %d \"%s\"", r, out);
	if (ferry_cmdline_value(line, strlen(line), "ferry.network-setup", out, sizeof(out)) != 1 ||
	    strcmp(out, "/x") != 0)
		return test_fail("'-' and '_' are not the same in names");
	if (ferry_cmdline_value(line, strlen(line), "ferry.handoff", out, sizeof(out)) != 0)
		return test_fail("a parameter that is not there is found");
	if (ferry_cmdline_value(line, strlen(line), "flag", out, sizeof(out)) != -FERRY_ERR_INVAL)
		return test_fail("a parameter without value gives a value");
	if (ferry_cmdline_value(line, strlen(line), "ferry.region", out, 9) != -FERRY_ERR_NOSPACE)
		return test_fail("a value as long as the buffer is not NOSPACE");
	if (ferry_cmdline_value("a=1\0a=2", 7, "a", out, sizeof(out)) != 1 || strcmp(out, "1"))
		return test_fail("a NUL does not end the line");
	if (ferry_cmdline_value(NULL, 10, "a", out, sizeof(out)) != 0)
		return test_fail("a NULL line has parameters");
	return 0;
}

/* ---- the builder ----------------------------------------------------------------- */

static int keep_all_but_b(const struct ferry_cmdline_param *p, void *ctx)
{
	(void)ctx;
	return !ferry_cmdline_is(p, "b");
}

static int case_builder_order(const void *arg)
{
	static const char line[] = "a=1 b=2 \"c=3 4\" -- single x=\"y z\"";
	struct ferry_cmdline_builder b;
	const char *init;
	char buf[128];
	size_t ilen;

	(void)arg;
	ferry_cmdline_builder_init(&b, buf, sizeof(buf));
	ferry_cmdline_add_line(&b, line, sizeof(line) - 1, keep_all_but_b, NULL);
	ferry_cmdline_add_param(&b, "panic", "10", 2);
	ferry_cmdline_add_param(&b, "ferry.init", "/sbin/my init", 13);
	ilen = ferry_cmdline_init_part(line, sizeof(line) - 1, &init);
	ferry_cmdline_add_init(&b, init, ilen);
	ferry_cmdline_add_init(&b, "  more ", 7);
	if (ferry_cmdline_builder_end(&b) != 0)
		return test_fail("the builder fails: %d", ferry_cmdline_builder_end(&b));
	if (strcmp(buf, "a=1 \"c=3 4\" panic=10 ferry.init=\"/sbin/my init\" -- single x=\"y z\" more"))
		return test_fail("built \"%s\"", buf);
	ferry_cmdline_add_param(&b, "late", "1", 1);
	if (ferry_cmdline_builder_end(&b) != -FERRY_ERR_INVAL)
		return test_fail("a kernel parameter after init's part is not refused");
	if (strstr(buf, "late"))
		return test_fail("the refused parameter is in the line: \"%s\"", buf);
	return 0;
}

static int case_builder_refusals(const void *arg)
{
	struct ferry_cmdline_builder b;
	char buf[16];

	(void)arg;
	ferry_cmdline_builder_init(&b, buf, sizeof(buf));
	ferry_cmdline_add_param(&b, "a", "x\"y", 3);
	if (ferry_cmdline_builder_end(&b) != -FERRY_ERR_INVAL)
		return test_fail("a value with a double quote is written");
	ferry_cmdline_builder_init(&b, buf, sizeof(buf));
	ferry_cmdline_add_word(&b, "a=\"open", 7);
	ferry_cmdline_add_word(&b, "b", 1);
	if (ferry_cmdline_builder_end(&b) != -FERRY_ERR_INVAL || strcmp(buf, "a=\"open"))
		return test_fail("a word after an open quote is written: \"%s\"", buf);
	/* exactly full: 15 characters and the NUL */
	ferry_cmdline_builder_init(&b, buf, sizeof(buf));
	ferry_cmdline_add_word(&b, "0123456", 7);
	ferry_cmdline_add_word(&b, "89abcde", 7);
	if (ferry_cmdline_builder_end(&b) != 0 || strlen(buf) != 15)
		return test_fail("a line of exactly the buffer's size is refused");
	ferry_cmdline_add_word(&b, "f", 1);
	if (ferry_cmdline_builder_end(&b) != -FERRY_ERR_NOSPACE || strlen(buf) != 15)
		return test_fail("a line past the buffer is not NOSPACE");
	ferry_cmdline_builder_init(&b, buf, 0);
	if (ferry_cmdline_builder_end(&b) != -FERRY_ERR_NOSPACE)
		return test_fail("a buffer of 0 bytes is taken");
	return 0;
}

/* ---- round trip over random lines -------------------------------------------------- */

struct collected {
	char text[4096];
	size_t len;
};

/* "name\1value\2" per parameter (value "\3" when none), then "\4init" */
static void collect(const char *line, size_t len, struct collected *out)
{
	struct ferry_cmdline_cursor c;
	struct ferry_cmdline_param p;
	const char *init;
	size_t ilen;
	int n;

	out->len = 0;
	ferry_cmdline_cursor_init(&c, line, len);
	while (ferry_cmdline_next(&c, &p) > 0) {
		n = snprintf(out->text + out->len, sizeof(out->text) - out->len, "%.*s\1%.*s\2",
			     (int)p.name_len, p.name, p.value ? (int)p.value_len : 1,
			     p.value ? p.value : "\3");
		out->len += n > 0 ? (size_t)n : 0;
	}
	ilen = ferry_cmdline_init_args(&c, &init);
	/* init's part is compared word by word: its own spacing is not kept */
	ferry_cmdline_cursor_init(&c, init, ilen);
	n = snprintf(out->text + out->len, sizeof(out->text) - out->len, "\4");
	out->len += (size_t)n;
	while (ferry_cmdline_next(&c, &p) > 0) {
		n = snprintf(out->text + out->len, sizeof(out->text) - out->len, "%.*s\2",
			     (int)p.word_len, p.word);
		out->len += n > 0 ? (size_t)n : 0;
	}
}

static int case_roundtrip(const void *arg)
{
	static const char alphabet[] = "ab=\" \t-";
	uint64_t state = 0x5eed;
	unsigned rebuilt = 0;

	(void)arg;
	for (int round = 0; round < 200000; round++) {
		char line[24], buf[64];
		struct collected want, got;
		struct ferry_cmdline_builder b;
		const char *init;
		size_t len, ilen;
		int r;

		state = state * 6364136223846793005ull + 1442695040888963407ull;
		len = (size_t)(state >> 60) + 1;
		for (size_t i = 0; i < len; i++) {
			state = state * 6364136223846793005ull + 1442695040888963407ull;
			line[i] = alphabet[(state >> 33) % (sizeof(alphabet) - 1)];
		}
		line[len] = '\0';
		ferry_cmdline_builder_init(&b, buf, sizeof(buf));
		ferry_cmdline_add_line(&b, line, len, NULL, NULL);
		ilen = ferry_cmdline_init_part(line, len, &init);
		ferry_cmdline_add_init(&b, init, ilen);
		/* a word with an open quote runs to the end of its line, so
		 * nothing follows it: one line always rebuilds */
		r = ferry_cmdline_builder_end(&b);
		if (r != 0)
			return test_fail("\"%s\": the builder fails with %d", line, r);
		collect(line, len, &want);
		collect(buf, strlen(buf), &got);
		if (want.len != got.len || memcmp(want.text, got.text, want.len) != 0)
			return test_fail("\"%s\" rebuilt as \"%s\" reads differently", line, buf);
		rebuilt++;
	}
	test_detail("%u random lines rebuilt alike", rebuilt);
	return 0;
}

void test_cmdline_cases(void)
{
	test_run_isolated("cmdline-kernel-rules", case_readings, NULL);
	test_run_isolated("cmdline-find-last-before-dashes", case_find, NULL);
	test_run_isolated("cmdline-builder-kernel-params-before-dashes", case_builder_order, NULL);
	test_run_isolated("cmdline-builder-refusals", case_builder_refusals, NULL);
	test_run_isolated("cmdline-roundtrip-random-lines", case_roundtrip, NULL);
}
