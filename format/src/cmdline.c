/* SPDX-License-Identifier: MIT */
/* The kernel command line by the kernel's rules: see ferry/cmdline.h. */
#include <string.h>

#include "ferry/cmdline.h"

/* the kernel's isspace() (lib/ctype.c): \t..\r, space and Latin-1 NBSP */
static int is_space(char ch)
{
	unsigned char c = (unsigned char)ch;

	return c == ' ' || (c >= '\t' && c <= '\r') || c == 0xa0;
}

static const char *skip_spaces(const char *p, const char *end)
{
	while (p < end && is_space(*p))
		p++;
	return p;
}

void ferry_cmdline_cursor_init(struct ferry_cmdline_cursor *c, const char *line, size_t len)
{
	c->pos = line ? line : "";
	c->end = c->pos + (line ? strnlen(line, len) : 0);
	c->init = NULL;
}

/* next_arg() of lib/cmdline.c, reading instead of writing NULs */
static void split_word(const char *word, const char *end, struct ferry_cmdline_param *ret,
		       const char **ret_next)
{
	int quoted = *word == '"', in_quote = quoted;
	const char *a = word + quoted, *v, *vend;
	size_t i, equals = 0;
	int last_quote;

	for (i = 0; a + i < end; i++) {
		if (is_space(a[i]) && !in_quote)
			break;
		/* the first '=' splits, unless it is the very first character */
		if (equals == 0 && a[i] == '=')
			equals = i;
		if (a[i] == '"')
			in_quote = !in_quote;
	}
	last_quote = i > 0 && a[i - 1] == '"';
	ret->word = word;
	ret->word_len = (size_t)(a + i - word);
	ret->name = a;
	if (!equals) {
		ret->name_len = i - (quoted && last_quote ? 1 : 0);
		ret->value = NULL;
		ret->value_len = 0;
	} else {
		ret->name_len = equals;
		v = a + equals + 1;
		vend = a + i;
		if (v < vend && *v == '"') {
			v++;
			if (last_quote)
				vend = a + i - 1;
		}
		if (quoted && last_quote && vend > a + i - 1)
			vend = a + i - 1;
		ret->value = v;
		ret->value_len = vend > v ? (size_t)(vend - v) : 0;
	}
	/* one separator goes with the word, the rest are skipped */
	*ret_next = a + i < end ? a + i + 1 : a + i;
}

int ferry_cmdline_next(struct ferry_cmdline_cursor *c, struct ferry_cmdline_param *ret)
{
	struct ferry_cmdline_param p;
	const char *next;

	if (c->init)
		return 0;
	c->pos = skip_spaces(c->pos, c->end);
	if (c->pos == c->end)
		return 0;
	split_word(c->pos, c->end, &p, &next);
	c->pos = skip_spaces(next, c->end);
	/* parse_args(): "--" ends the kernel's parameters, the rest is init's */
	if (!p.value && p.name_len == 2 && p.name[0] == '-' && p.name[1] == '-') {
		c->init = c->pos;
		return 0;
	}
	*ret = p;
	return 1;
}

size_t ferry_cmdline_init_args(const struct ferry_cmdline_cursor *c, const char **ret)
{
	if (!c->init) {
		*ret = "";
		return 0;
	}
	*ret = c->init;
	return (size_t)(c->end - c->init);
}

size_t ferry_cmdline_init_part(const char *line, size_t len, const char **ret)
{
	struct ferry_cmdline_cursor c;
	struct ferry_cmdline_param p;

	ferry_cmdline_cursor_init(&c, line, len);
	while (ferry_cmdline_next(&c, &p) > 0)
		;
	return ferry_cmdline_init_args(&c, ret);
}

/* parameq(): '-' and '_' are one character in parameter names */
static int same_char(char a, char b)
{
	return (a == '-' ? '_' : a) == (b == '-' ? '_' : b);
}

static int name_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return 0;
	for (size_t i = 0; i < alen; i++)
		if (!same_char(a[i], b[i]))
			return 0;
	return 1;
}

int ferry_cmdline_is(const struct ferry_cmdline_param *p, const char *name)
{
	return name_equal(p->name, p->name_len, name, strlen(name));
}

int ferry_cmdline_same_name(const struct ferry_cmdline_param *a,
			    const struct ferry_cmdline_param *b)
{
	return name_equal(a->name, a->name_len, b->name, b->name_len);
}

int ferry_cmdline_find(const char *line, size_t len, const char *name,
		       struct ferry_cmdline_param *ret)
{
	struct ferry_cmdline_cursor c;
	struct ferry_cmdline_param p;
	int found = 0;

	ferry_cmdline_cursor_init(&c, line, len);
	while (ferry_cmdline_next(&c, &p) > 0) {
		if (ferry_cmdline_is(&p, name)) {
			*ret = p;
			found = 1;
		}
	}
	return found;
}

int ferry_cmdline_value(const char *line, size_t len, const char *name, char *out, size_t cap)
{
	struct ferry_cmdline_param p;

	if (!ferry_cmdline_find(line, len, name, &p))
		return 0;
	if (!p.value)
		return -FERRY_ERR_INVAL;
	if (p.value_len >= cap)
		return -FERRY_ERR_NOSPACE;
	memcpy(out, p.value, p.value_len);
	out[p.value_len] = '\0';
	return 1;
}

/* ---- writing ---------------------------------------------------------------- */

void ferry_cmdline_builder_init(struct ferry_cmdline_builder *b, char *buf, size_t cap)
{
	*b = (struct ferry_cmdline_builder){ .buf = buf, .cap = cap };
	if (!buf || !cap)
		b->error = -FERRY_ERR_NOSPACE;
	else
		buf[0] = '\0';
}

static void fail(struct ferry_cmdline_builder *b, int err)
{
	if (!b->error)
		b->error = err;
}

/*
 * @n bytes; @spaced: a new word, after one space when the line is not
 * empty. A word left inside a quote would swallow the next one (the space
 * between them no longer separates), so nothing may follow it.
 */
static void put(struct ferry_cmdline_builder *b, const char *s, size_t n, int spaced)
{
	size_t sep = spaced && b->len ? 1 : 0;

	if (spaced && b->open_quote)
		fail(b, -FERRY_ERR_INVAL);
	if (b->error)
		return;
	if (b->cap - b->len <= sep + n) {
		fail(b, -FERRY_ERR_NOSPACE);
		return;
	}
	if (sep)
		b->buf[b->len++] = ' ';
	memcpy(b->buf + b->len, s, n);
	for (size_t i = 0; i < n; i++)
		b->open_quote ^= s[i] == '"';
	b->len += n;
	b->buf[b->len] = '\0';
}

static void kernel_part(struct ferry_cmdline_builder *b)
{
	if (b->in_init)
		fail(b, -FERRY_ERR_INVAL); /* it would land behind the -- */
}

void ferry_cmdline_add_word(struct ferry_cmdline_builder *b, const char *word, size_t len)
{
	kernel_part(b);
	if (len)
		put(b, word, len, 1);
}

void ferry_cmdline_add_param(struct ferry_cmdline_builder *b, const char *name,
			     const char *value, size_t value_len)
{
	int quote = 0;

	kernel_part(b);
	for (size_t i = 0; i < value_len; i++) {
		if (value[i] == '"' || value[i] == '\0')
			fail(b, -FERRY_ERR_INVAL);
		quote |= is_space(value[i]);
	}
	put(b, name, strlen(name), 1);
	put(b, quote ? "=\"" : "=", quote ? 2 : 1, 0);
	put(b, value, value_len, 0);
	if (quote)
		put(b, "\"", 1, 0);
}

void ferry_cmdline_add_init(struct ferry_cmdline_builder *b, const char *args, size_t len)
{
	const char *end = args + len;
	int open = 0;

	args = skip_spaces(args, end);
	for (const char *p = args; p < end; p++)
		open ^= *p == '"';
	/* trailing white space separates nothing, unless a quote holds it */
	while (!open && end > args && is_space(end[-1]))
		end--;
	if (end == args)
		return;
	if (!b->in_init)
		put(b, "--", 2, 1);
	b->in_init = 1;
	put(b, args, (size_t)(end - args), 1);
}

void ferry_cmdline_add_line(struct ferry_cmdline_builder *b, const char *line, size_t len,
			    int (*keep)(const struct ferry_cmdline_param *p, void *ctx), void *ctx)
{
	struct ferry_cmdline_cursor c;
	struct ferry_cmdline_param p;

	ferry_cmdline_cursor_init(&c, line, len);
	while (ferry_cmdline_next(&c, &p) > 0)
		if (!keep || keep(&p, ctx))
			ferry_cmdline_add_word(b, p.word, p.word_len);
}

int ferry_cmdline_builder_end(const struct ferry_cmdline_builder *b)
{
	return b->error;
}
