/* SPDX-License-Identifier: MIT */
/* ferry.conf: see ferry/conf.h. */
#include <string.h>

#include "ferry/conf.h"
#include "ferry/size_addr.h"
#include "diag.h"

static const char part[] = "ferry.conf";

static int is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static int ends_line(char ch)
{
	return ch == '\n' || ch == ';' || ch == '\0';
}

void ferry_conf_init(struct ferry_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->memmap = 1;
}

void ferry_conf_cursor_init(struct ferry_conf_cursor *c, const char *text, size_t len)
{
	c->pos = text ? text : "";
	c->end = c->pos + (text ? strnlen(text, len) : 0);
}

int ferry_conf_next(struct ferry_conf_cursor *c, struct ferry_conf_line *ret)
{
	const char *s = c->pos, *e = s, *eq;
	int comment;

	if (s >= c->end)
		return 0;
	while (e < c->end && is_blank(*e))
		e++;
	/* a comment runs to the end of its line: a ';' in it ends nothing */
	comment = e < c->end && *e == '#';
	while (e < c->end && (comment ? *e != '\n' : !ends_line(*e)))
		e++;
	*ret = (struct ferry_conf_line){ .text = s, .text_len = (size_t)(e - s) };
	c->pos = e < c->end ? e + 1 : e;
	ret->text_len = (size_t)(c->pos - s);

	while (s < e && is_blank(*s))
		s++;
	while (e > s && is_blank(e[-1]))
		e--;
	if (s == e || *s == '#')
		return 1;
	ret->key = s;
	eq = memchr(s, '=', (size_t)(e - s));
	if (!eq) {
		ret->key_len = (size_t)(e - s);
		return 1;
	}
	ret->key_len = (size_t)(eq - s);
	while (ret->key_len && is_blank(s[ret->key_len - 1]))
		ret->key_len--;
	ret->value = eq + 1;
	while (ret->value < e && is_blank(*ret->value))
		ret->value++;
	ret->value_len = (size_t)(e - ret->value);
	return 1;
}

int ferry_conf_is(const struct ferry_conf_line *l, const char *key)
{
	return l->key && l->key_len == strlen(key) && !memcmp(l->key, key, l->key_len);
}

/* the string values and their limits; NULL field: not a string */
struct key_info {
	const char *key;
	size_t offset, cap;
	int path; /* '/' reads as '\' */
};

#define STR_KEY(k, field, p) { k, offsetof(struct ferry_conf, field), sizeof(((struct ferry_conf *)0)->field), p }

static const struct key_info string_keys[] = {
	STR_KEY(FERRY_CONF_KERNEL, kernel, 1),
	STR_KEY(FERRY_CONF_INITRD, initrd, 1),
	STR_KEY(FERRY_CONF_CMDLINE, cmdline, 0),
	STR_KEY(FERRY_CONF_UPDATE_KERNEL, update_kernel, 1),
	STR_KEY(FERRY_CONF_UPDATE_INITRD, update_initrd, 1),
	STR_KEY(FERRY_CONF_UPDATE_CMDLINE, update_cmdline, 0),
};

#define N_STRING_KEYS (sizeof(string_keys) / sizeof(string_keys[0]))

static const struct key_info *string_key(const char *key, size_t len)
{
	for (size_t i = 0; i < N_STRING_KEYS; i++)
		if (strlen(string_keys[i].key) == len && !memcmp(string_keys[i].key, key, len))
			return &string_keys[i];
	return NULL;
}

/* 0, or the reason the line is malformed */
static const char *apply(struct ferry_conf *c, const struct ferry_conf_line *l)
{
	const struct key_info *k;
	char *dst;

	if (!l->value)
		return "a line without '='";
	k = string_key(l->key, l->key_len);
	if (k) {
		if (l->value_len >= k->cap)
			return "a value longer than its key allows";
		dst = (char *)c + k->offset;
		for (size_t i = 0; i < l->value_len; i++)
			dst[i] = k->path && l->value[i] == '/' ? '\\' : l->value[i];
		dst[l->value_len] = '\0';
	} else if (ferry_conf_is(l, FERRY_CONF_REGION)) {
		if (ferry_parse_size_addr(l->value, l->value_len, '@', &c->region_size,
					  &c->region_addr, NULL) < 0)
			return "region= is not SIZE@ADDR (both 4 KiB aligned)";
	} else if (ferry_conf_is(l, FERRY_CONF_MEMMAP)) {
		c->memmap = !(l->value_len == 2 && !memcmp(l->value, "no", 2)) &&
			    !(l->value_len == 1 && l->value[0] == '0');
	} else {
		c->unknown++;
	}
	return NULL;
}

int ferry_conf_parse(struct ferry_conf *c, const char *text, size_t len, struct ferry_diag *diag)
{
	struct ferry_conf_cursor cur;
	struct ferry_conf_line l;
	const char *start;
	int r = 0;

	if (!c)
		return diag_fail(diag, -FERRY_ERR_INVAL, part, "no configuration", 0);
	ferry_conf_cursor_init(&cur, text, len);
	start = cur.pos;
	while (ferry_conf_next(&cur, &l) > 0) {
		const char *why = l.key ? apply(c, &l) : NULL;

		if (why && r == 0)
			r = diag_fail(diag, -FERRY_ERR_CONF, part, why, (uint64_t)(l.text - start));
	}
	return r;
}

int ferry_conf_format_line(char *buf, size_t cap, const char *key, const char *value,
			   size_t value_len)
{
	const struct key_info *k = key ? string_key(key, strlen(key)) : NULL;
	size_t klen, need, max = FERRY_CONF_CMDLINE_MAX;

	if (!key || !value)
		return -FERRY_ERR_CONF;
	klen = strlen(key);
	if (k)
		max = k->cap;
	else if (strcmp(key, FERRY_CONF_REGION) && strcmp(key, FERRY_CONF_MEMMAP))
		return -FERRY_ERR_CONF;
	if (value_len >= max || (value_len && (is_blank(value[0]) || is_blank(value[value_len - 1]))))
		return -FERRY_ERR_CONF;
	for (size_t i = 0; i < value_len; i++)
		if (ends_line(value[i]))
			return -FERRY_ERR_CONF;
	need = klen + 1 + value_len + 1;
	if (!buf || cap < need + 1)
		return -FERRY_ERR_NOSPACE;
	memcpy(buf, key, klen);
	buf[klen] = '=';
	memcpy(buf + klen + 1, value, value_len);
	buf[need - 1] = '\n';
	buf[need] = '\0';
	return (int)need;
}
