/* SPDX-License-Identifier: MIT */
/*
 * A small streaming JSON writer. Output is always valid JSON, whatever the
 * bytes handed in: strings are escaped, control characters become \uXXXX and
 * bytes that are not well-formed UTF-8 become U+FFFD. Commas, nesting and
 * indentation are tracked here, so callers only name keys and values.
 *
 * Every value function takes a @key: the member name inside an object, NULL
 * inside an array or for the top-level value.
 */
#ifndef FERRY_TOOL_JSON_H
#define FERRY_TOOL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json_writer {
	FILE *out;
	int depth;
	bool has_members[JSON_MAX_DEPTH]; /* a value was written at this level */
};

void json_init(struct json_writer *j, FILE *out);

void json_object_begin(struct json_writer *j, const char *key);
void json_object_end(struct json_writer *j);
void json_array_begin(struct json_writer *j, const char *key);
void json_array_end(struct json_writer *j);

/* @s may be NULL: written as null. */
void json_string(struct json_writer *j, const char *key, const char *s);
/* @len arbitrary bytes, NUL included. */
void json_string_bytes(struct json_writer *j, const char *key, const void *s, size_t len);
void json_u64(struct json_writer *j, const char *key, uint64_t v);
void json_hex(struct json_writer *j, const char *key, uint64_t v); /* "0x..." string */
void json_double(struct json_writer *j, const char *key, double v); /* NaN, inf: null */
void json_bool(struct json_writer *j, const char *key, bool v);
void json_null(struct json_writer *j, const char *key);

/* End the document with a newline. Returns 0 or -EIO when the stream failed. */
int json_finish(struct json_writer *j);

#endif
