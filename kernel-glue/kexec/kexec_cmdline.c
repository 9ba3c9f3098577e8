// SPDX-License-Identifier: MIT
/* The command line handed to the next kernel. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "kexec.h"

static bool is_carried(const char *tok, size_t n)
{
	return (n > 7 && !strncmp(tok, "memmap=", 7)) ||
	       (n > 13 && !strncmp(tok, "ferry.region=", 13));
}

static bool is_dropped(const char *tok, size_t n)
{
	return (n >= 14 && !strncmp(tok, "ferry.handoff=", 14)) ||
	       (n >= 11 && !strncmp(tok, "BOOT_IMAGE=", 11));
}

/* Does `line` hold the token tok[0..n) as a whole word? */
static bool has_token(const char *line, const char *tok, size_t n)
{
	const char *p = line;

	while (*p) {
		size_t m;

		while (isspace((unsigned char)*p))
			p++;
		m = strcspn(p, " \t\n");
		if (m == n && !strncmp(p, tok, n))
			return true;
		p += m;
	}
	return false;
}

static int put(char *buf, size_t len, size_t *pos, const char *s, size_t n)
{
	if (*pos && *pos + 1 < len && buf[*pos - 1] != ' ')
		buf[(*pos)++] = ' ';
	if (*pos + n + 1 > len)
		return -E2BIG;
	memcpy(buf + *pos, s, n);
	*pos += n;
	buf[*pos] = '\0';
	return 0;
}

int ferry_kexec_cmdline(const char *base, const char *current, const char *append,
			char *buf, size_t len)
{
	size_t pos = 0;
	const char *p;
	int r;

	if (len == 0)
		return -E2BIG;
	buf[0] = '\0';
	current = current ? current : "";
	if (base) {
		r = put(buf, len, &pos, base, strlen(base));
		if (r < 0)
			return r;
	} else {
		for (p = current; *p;) {
			size_t n;

			while (isspace((unsigned char)*p))
				p++;
			n = strcspn(p, " \t\n");
			if (n && !is_dropped(p, n) && !is_carried(p, n)) {
				r = put(buf, len, &pos, p, n);
				if (r < 0)
					return r;
			}
			p += n;
		}
	}
	for (p = current; *p;) {
		size_t n;

		while (isspace((unsigned char)*p))
			p++;
		n = strcspn(p, " \t\n");
		if (n && is_carried(p, n) && !has_token(buf, p, n)) {
			r = put(buf, len, &pos, p, n);
			if (r < 0)
				return r;
		}
		p += n;
	}
	if (append && *append) {
		r = put(buf, len, &pos, append, strlen(append));
		if (r < 0)
			return r;
	}
	return 0;
}
