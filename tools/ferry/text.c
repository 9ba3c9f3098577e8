/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "text.h"
#include "utf8.h"

/* The display form of the character at @s into @out (at most 4 bytes + NUL);
 * returns how many input bytes it covers. */
static size_t escape_next(const unsigned char *s, size_t len, char out[8])
{
	size_t n = utf8_sequence_length(s, len);

	if (s[0] == '\\') {
		strcpy(out, "\\\\");
		return 1;
	}
	/* C1 controls U+0080..U+009F are encoded C2 80..C2 9F */
	if (n == 0 || (n == 1 && (s[0] < 0x20 || s[0] == 0x7f)) ||
	    (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)) {
		snprintf(out, 8, "\\x%02x", s[0]);
		return 1;
	}
	memcpy(out, s, n);
	out[n] = '\0';
	return n;
}

void text_put(FILE *out, struct meta_value t)
{
	const unsigned char *s = (const unsigned char *)t.s;
	char piece[8];

	if (!s) {
		fputc('?', out);
		return;
	}
	for (size_t i = 0; i < t.len;) {
		i += escape_next(s + i, t.len - i, piece);
		fputs(piece, out);
	}
}

const char *text_escape(char *buf, size_t size, struct meta_value t)
{
	const unsigned char *s = (const unsigned char *)t.s;
	size_t used = 0;
	char piece[8];

	if (!s) {
		snprintf(buf, size, "?");
		return buf;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < t.len;) {
		size_t consumed = escape_next(s + i, t.len - i, piece), n = strlen(piece);

		if (used + n + 4 > size) { /* room for "..." and the NUL */
			strcpy(buf + used, "...");
			break;
		}
		memcpy(buf + used, piece, n + 1);
		used += n;
		i += consumed;
	}
	return buf;
}

const char *text_size(char *buf, size_t size, uint64_t bytes)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(buf, size, "%" PRIu64 " B", bytes);
		return buf;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}

const char *text_utc_time(char *buf, size_t size, uint64_t sec)
{
	struct tm tm;
	time_t t;

	/* beyond year 9999 gmtime_r may still succeed but ISO 8601 needs 4 digits */
	if (sec > 253402300799u) {
		snprintf(buf, size, "?");
		return buf;
	}
	t = (time_t)sec;
	if (!gmtime_r(&t, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "?");
	return buf;
}
