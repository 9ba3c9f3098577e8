/* SPDX-License-Identifier: MIT */
/* SIZE@ADDR (SPEC.md §9.1): see ferry/size_addr.h. */
#include <string.h>

#include "ferry/size_addr.h"
#include "diag.h"

static int digit_value(char c, unsigned base)
{
	int d = -1;

	if (c >= '0' && c <= '9')
		d = c - '0';
	else if (c >= 'a' && c <= 'f')
		d = c - 'a' + 10;
	else if (c >= 'A' && c <= 'F')
		d = c - 'A' + 10;
	return d >= 0 && (unsigned)d < base ? d : -1;
}

static unsigned suffix_shift(char c)
{
	switch (c) {
	case 'k': case 'K': return 10;
	case 'm': case 'M': return 20;
	case 'g': case 'G': return 30;
	case 't': case 'T': return 40;
	default: return 0;
	}
}

int ferry_parse_size(const char *s, size_t len, size_t *ret_used, uint64_t *ret)
{
	unsigned base = 10, shift;
	size_t i = 0, start;
	uint64_t v = 0;
	int d;

	if (!s || !ret)
		return -FERRY_ERR_SIZE;
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	start = i;
	for (; i < len && (d = digit_value(s[i], base)) >= 0; i++) {
		if (v > (UINT64_MAX - (unsigned)d) / base)
			return -FERRY_ERR_SIZE;
		v = v * base + (unsigned)d;
	}
	if (i == start || (base == 10 && s[0] == '0' && i > 1))
		return -FERRY_ERR_SIZE;
	shift = i < len ? suffix_shift(s[i]) : 0;
	if (shift) {
		if (v > (UINT64_MAX >> shift))
			return -FERRY_ERR_SIZE;
		v <<= shift;
		i++;
	}
	if (ret_used)
		*ret_used = i;
	*ret = v;
	return 0;
}

int ferry_parse_size_addr(const char *s, size_t len, char sep, uint64_t *ret_size,
			  uint64_t *ret_addr, struct ferry_diag *diag)
{
	uint64_t size, addr;
	size_t used, at;

	if (!s || !ret_size || !ret_addr)
		return diag_fail(diag, -FERRY_ERR_SIZE, "size@addr", "no text", 0);
	if (ferry_parse_size(s, len, &used, &size) < 0)
		return diag_fail(diag, -FERRY_ERR_SIZE, "size@addr",
				 "SIZE is not a number (decimal or 0x hex, K/M/G/T)", 0);
	if (used == len || s[used] != sep)
		return diag_fail(diag, -FERRY_ERR_SIZE, "size@addr",
				 "SIZE is not followed by the separator", used);
	at = used + 1;
	if (ferry_parse_size(s + at, len - at, &used, &addr) < 0)
		return diag_fail(diag, -FERRY_ERR_SIZE, "size@addr",
				 "ADDR is not a number (decimal or 0x hex, K/M/G/T)", at);
	if (at + used != len)
		return diag_fail(diag, -FERRY_ERR_SIZE, "size@addr", "text follows ADDR",
				 at + used);
	if (size == 0)
		return diag_fail(diag, -FERRY_ERR_SIZE, "size@addr", "SIZE is 0", 0);
	if ((size | addr) % FERRY_SIZE_ADDR_ALIGN)
		return diag_fail(diag, -FERRY_ERR_SIZE, "size@addr",
				 "SIZE or ADDR is not a multiple of 4096", 0);
	if (addr > UINT64_MAX - size)
		return diag_fail(diag, -FERRY_ERR_SIZE, "size@addr",
				 "the end, ADDR + SIZE, is not below 2^64", at);
	*ret_size = size;
	*ret_addr = addr;
	return 0;
}

int ferry_memmap_reserves(const char *value, size_t len, uint64_t addr)
{
	static const char seps[] = "$!#";
	const char *v = value, *end = value ? value + len : value;

	while (v && v < end) {
		const char *comma = memchr(v, ',', (size_t)(end - v));
		size_t n = comma ? (size_t)(comma - v) : (size_t)(end - v);
		uint64_t size, at;

		for (const char *sep = seps; *sep; sep++)
			if (ferry_parse_size_addr(v, n, *sep, &size, &at, NULL) == 0 && at == addr)
				return 1;
		v += n + (comma ? 1 : 0);
	}
	return 0;
}

/* "0x" and the lower-case hex digits of @v at @p; returns the length */
static size_t put_hex(char *p, uint64_t v)
{
	char digits[16];
	size_t n = 0, len = 0;

	do {
		digits[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	p[len++] = '0';
	p[len++] = 'x';
	while (n)
		p[len++] = digits[--n];
	return len;
}

int ferry_format_addr(char *buf, size_t cap, uint64_t addr)
{
	char text[2 + 16];
	size_t len = put_hex(text, addr);

	if (!buf || cap < len + 1)
		return -FERRY_ERR_NOSPACE;
	memcpy(buf, text, len);
	buf[len] = '\0';
	return (int)len;
}

int ferry_format_size_addr(char *buf, size_t cap, uint64_t size, char sep, uint64_t addr)
{
	char text[FERRY_SIZE_ADDR_LEN];
	size_t len;

	len = put_hex(text, size);
	text[len++] = sep;
	len += put_hex(text + len, addr);
	if (!buf || cap < len + 1)
		return -FERRY_ERR_NOSPACE;
	memcpy(buf, text, len);
	buf[len] = '\0';
	return (int)len;
}
