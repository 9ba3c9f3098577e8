/* SPDX-License-Identifier: MIT */
#include <stdbool.h>

#include "utf8.h"

static bool in_range(unsigned char c, unsigned char lo, unsigned char hi)
{
	return c >= lo && c <= hi;
}

size_t utf8_sequence_length(const unsigned char *s, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (in_range(s[0], 0xc2, 0xdf))
		n = 2;
	else if (in_range(s[0], 0xe0, 0xef))
		n = 3;
	else if (in_range(s[0], 0xf0, 0xf4))
		n = 4;
	else
		return 0; /* continuation byte, overlong lead (C0, C1) or beyond U+10FFFF */

	/* the second byte's range excludes overlongs, surrogates and > U+10FFFF */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;

	if (len < n || !in_range(s[1], lo, hi))
		return 0;
	for (size_t i = 2; i < n; i++)
		if (!in_range(s[i], 0x80, 0xbf))
			return 0;
	return n;
}
