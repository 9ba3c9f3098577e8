/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

void json_init(struct json_writer *j, FILE *out)
{
	*j = (struct json_writer){ .out = out };
}

static void indent(struct json_writer *j)
{
	fputc('\n', j->out);
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->out);
}

static void write_escaped(FILE *out, const unsigned char *s, size_t len)
{
	fputc('"', out);
	for (size_t i = 0; i < len;) {
		unsigned char c = s[i];
		size_t n;

		if (c == '"' || c == '\\') {
			fprintf(out, "\\%c", c);
		} else if (c == '\n') {
			fputs("\\n", out);
		} else if (c == '\t') {
			fputs("\\t", out);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
		} else if (c >= 0x80) {
			n = utf8_sequence_length(s + i, len - i);
			if (n == 0) {
				fputs("\\ufffd", out); /* one replacement per bad byte */
				i++;
			} else {
				fwrite(s + i, 1, n, out);
				i += n;
			}
			continue;
		} else {
			fputc(c, out);
		}
		i++;
	}
	fputc('"', out);
}

/* The comma, newline, indentation and "key": before any value. */
static void begin_value(struct json_writer *j, const char *key)
{
	if (j->depth > 0) {
		if (j->has_members[j->depth - 1])
			fputc(',', j->out);
		j->has_members[j->depth - 1] = true;
		indent(j);
	}
	if (key && j->depth > 0) {
		write_escaped(j->out, (const unsigned char *)key, strlen(key));
		fputs(": ", j->out);
	}
}

static void open_container(struct json_writer *j, const char *key, char bracket)
{
	begin_value(j, key);
	fputc(bracket, j->out);
	/* nesting depth is fixed by the caller's code, never by input data */
	if (j->depth == JSON_MAX_DEPTH)
		abort();
	j->has_members[j->depth++] = false;
}

static void close_container(struct json_writer *j, char bracket)
{
	if (j->depth == 0)
		return;
	j->depth--;
	if (j->has_members[j->depth])
		indent(j);
	fputc(bracket, j->out);
}

void json_object_begin(struct json_writer *j, const char *key)
{
	open_container(j, key, '{');
}

void json_object_end(struct json_writer *j)
{
	close_container(j, '}');
}

void json_array_begin(struct json_writer *j, const char *key)
{
	open_container(j, key, '[');
}

void json_array_end(struct json_writer *j)
{
	close_container(j, ']');
}

void json_string_bytes(struct json_writer *j, const char *key, const void *s, size_t len)
{
	begin_value(j, key);
	write_escaped(j->out, s, len);
}

void json_string(struct json_writer *j, const char *key, const char *s)
{
	if (!s)
		json_null(j, key);
	else
		json_string_bytes(j, key, s, strlen(s));
}

void json_u64(struct json_writer *j, const char *key, uint64_t v)
{
	begin_value(j, key);
	fprintf(j->out, "%" PRIu64, v);
}

void json_hex(struct json_writer *j, const char *key, uint64_t v)
{
	begin_value(j, key);
	fprintf(j->out, "\"0x%" PRIx64 "\"", v);
}

void json_double(struct json_writer *j, const char *key, double v)
{
	if (!isfinite(v)) {
		json_null(j, key);
		return;
	}
	begin_value(j, key);
	fprintf(j->out, "%.4g", v);
}

void json_bool(struct json_writer *j, const char *key, bool v)
{
	begin_value(j, key);
	fputs(v ? "true" : "false", j->out);
}

void json_null(struct json_writer *j, const char *key)
{
	begin_value(j, key);
	fputs("null", j->out);
}

int json_finish(struct json_writer *j)
{
	fputc('\n', j->out);
	if (fflush(j->out) != 0 || ferror(j->out))
		return -EIO;
	return 0;
}
