/* SPDX-License-Identifier: MIT */
/* Telling well-formed UTF-8 from arbitrary bytes (Unicode §3.9, table 3-7). */
#ifndef FERRY_TOOL_UTF8_H
#define FERRY_TOOL_UTF8_H

#include <stddef.h>

/*
 * The length (1..4) of the well-formed UTF-8 sequence at the start of @s,
 * or 0 when the bytes there are not one: a stray continuation byte, an
 * overlong form, a surrogate, a code point above U+10FFFF or a sequence cut
 * short by @len. @len must be at least 1.
 */
size_t utf8_sequence_length(const unsigned char *s, size_t len);

#endif
