/* SPDX-License-Identifier: MIT */
/* Human-readable output: bytes from an image made safe for a terminal,
 * sizes and times. */
#ifndef FERRY_TOOL_TEXT_H
#define FERRY_TOOL_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../../kernel-glue/common/meta_fields.h"

/*
 * Write @len bytes with everything a terminal could act on escaped:
 * control characters, DEL, C1 controls and bytes that are not well-formed
 * UTF-8 become \xNN; a backslash becomes \\. Absent text (s == NULL) is "?".
 */
void text_put(FILE *out, struct meta_value t);

/* The same into @buf (always terminated, cut with "..." when too long). */
const char *text_escape(char *buf, size_t size, struct meta_value t);

/* "512 B", "4.0 KiB", "1.5 MiB", ... into @buf. */
const char *text_size(char *buf, size_t size, uint64_t bytes);

/* "2024-05-01T12:00:00Z" (UTC), or "?" when out of range. */
const char *text_utc_time(char *buf, size_t size, uint64_t sec);

#define TEXT_SIZE_LEN 32
#define TEXT_TIME_LEN 40

#endif
