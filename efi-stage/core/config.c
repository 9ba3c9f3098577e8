// SPDX-License-Identifier: MIT
/* ferry.efi's configuration text and the kernel command lines it builds. */
#include <string.h>

#include "config.h"

void ferry_config_init(struct ferry_stage_config *c)
{
	memset(c, 0, sizeof(*c));
	c->memmap = 1;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

static int set_str(char *dst, size_t cap, const char *v, size_t n, int path)
{
	if (n >= cap)
		return -1;
	for (size_t i = 0; i < n; i++)
		dst[i] = path && v[i] == '/' ? '\\' : v[i];
	dst[n] = '\0';
	return 0;
}

static int parse_u64(const char *s, size_t len, size_t *pos, uint64_t *ret)
{
	uint64_t v = 0;
	size_t i = *pos, start;
	unsigned base = 10, shift = 0;

	if (len - i > 2 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
		base = 16;
		i += 2;
	}
	start = i;
	for (; i < len; i++) {
		unsigned d;
		char ch = s[i];

		if (ch >= '0' && ch <= '9')
			d = (unsigned)(ch - '0');
		else if (base == 16 && ch >= 'a' && ch <= 'f')
			d = (unsigned)(ch - 'a' + 10);
		else if (base == 16 && ch >= 'A' && ch <= 'F')
			d = (unsigned)(ch - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return -1;
		v = v * base + d;
	}
	if (i == start)
		return -1;
	if (i < len) {
		switch (s[i]) {
		case 'k': case 'K': shift = 10; break;
		case 'm': case 'M': shift = 20; break;
		case 'g': case 'G': shift = 30; break;
		case 't': case 'T': shift = 40; break;
		}
		if (shift) {
			if (v > (UINT64_MAX >> shift))
				return -1;
			v <<= shift;
			i++;
		}
	}
	*pos = i;
	*ret = v;
	return 0;
}

int ferry_config_parse_region(const char *s, size_t len, uint64_t *ret_size, uint64_t *ret_addr)
{
	uint64_t size, addr;
	size_t pos = 0;

	if (parse_u64(s, len, &pos, &size) < 0 || pos >= len || s[pos] != '@')
		return -1;
	pos++;
	if (parse_u64(s, len, &pos, &addr) < 0 || pos != len)
		return -1;
	if (!size || (size & 0xfff) || (addr & 0xfff) || addr > UINT64_MAX - size)
		return -1;
	*ret_size = size;
	*ret_addr = addr;
	return 0;
}

static int key_is(const char *k, size_t klen, const char *name)
{
	return strlen(name) == klen && !memcmp(k, name, klen);
}

static void parse_line(struct ferry_stage_config *c, const char *s, size_t len)
{
	const char *k, *v, *eq;
	size_t klen, vlen;
	int r = 0;

	while (len && is_space(*s))
		s++, len--;
	while (len && is_space(s[len - 1]))
		len--;
	if (!len || *s == '#')
		return;
	eq = memchr(s, '=', len);
	if (!eq) {
		if (!c->error)
			c->error = "a line without '='";
		return;
	}
	k = s;
	klen = (size_t)(eq - s);
	while (klen && is_space(k[klen - 1]))
		klen--;
	v = eq + 1;
	vlen = len - (size_t)(v - s);
	while (vlen && is_space(*v))
		v++, vlen--;

	if (key_is(k, klen, "kernel"))
		r = set_str(c->kernel, sizeof(c->kernel), v, vlen, 1);
	else if (key_is(k, klen, "initrd"))
		r = set_str(c->initrd, sizeof(c->initrd), v, vlen, 1);
	else if (key_is(k, klen, "cmdline"))
		r = set_str(c->cmdline, sizeof(c->cmdline), v, vlen, 0);
	else if (key_is(k, klen, "update_kernel"))
		r = set_str(c->update_kernel, sizeof(c->update_kernel), v, vlen, 1);
	else if (key_is(k, klen, "update_initrd"))
		r = set_str(c->update_initrd, sizeof(c->update_initrd), v, vlen, 1);
	else if (key_is(k, klen, "update_cmdline"))
		r = set_str(c->update_cmdline, sizeof(c->update_cmdline), v, vlen, 0);
	else if (key_is(k, klen, "region")) {
		r = ferry_config_parse_region(v, vlen, &c->region_size, &c->region_addr);
		if (r < 0 && !c->error)
			c->error = "region= is not SIZE@ADDR (4 KiB aligned)";
	} else if (key_is(k, klen, "memmap"))
		c->memmap = !(vlen == 2 && !memcmp(v, "no", 2)) && !(vlen == 1 && *v == '0');
	else
		c->unknown++;
	if (r < 0 && !c->error)
		c->error = "a value too long";
}

void ferry_config_parse(struct ferry_stage_config *c, const char *text, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i <= len; i++) {
		if (i == len || text[i] == '\n' || text[i] == ';' || text[i] == '\0') {
			parse_line(c, text + start, i - start);
			start = i + 1;
			if (i < len && text[i] == '\0')
				break;
		}
	}
}

struct out {
	char *p;
	size_t cap, len;
	int overflow;
};

static void put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->len + n + 1 > o->cap) {
		o->overflow = 1;
		return;
	}
	memcpy(o->p + o->len, s, n + 1);
	o->len += n;
}

static void put_hex(struct out *o, uint64_t v)
{
	char buf[19];
	int i = 18;

	buf[i] = '\0';
	do {
		buf[--i] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	buf[--i] = 'x';
	buf[--i] = '0';
	put(o, buf + i);
}

/* 1 when the word list @s has a word starting with @prefix */
static int has_word(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = s; *p; p++)
		if ((p == s || p[-1] == ' ') && strnlen(p, n) == n && !memcmp(p, prefix, n))
			return 1;
	return 0;
}

int ferry_config_cmdline(const struct ferry_stage_config *c, const char *base, const char *initrd,
			 uint64_t handoff, char *out, size_t cap)
{
	struct out o = { .p = out, .cap = cap };

	if (!cap)
		return -1;
	out[0] = '\0';
	put(&o, base ? base : "");
	if (initrd && *initrd) {
		put(&o, o.len ? " initrd=" : "initrd=");
		put(&o, initrd);
	}
	if (c->region_size) {
		if (!has_word(o.p, "ferry.region=")) {
			put(&o, " ferry.region=");
			put_hex(&o, c->region_size);
			put(&o, "@");
			put_hex(&o, c->region_addr);
		}
		if (c->memmap && !has_word(o.p, "memmap=")) {
			put(&o, " memmap=");
			put_hex(&o, c->region_size);
			put(&o, "$");
			put_hex(&o, c->region_addr);
		}
	}
	if (handoff) {
		put(&o, " ferry.handoff=");
		put_hex(&o, handoff);
	}
	return o.overflow ? -1 : 0;
}
