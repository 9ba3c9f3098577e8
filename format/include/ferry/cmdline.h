/* SPDX-License-Identifier: MIT */
/*
 * The kernel command line, read and written by the kernel's own rules, for
 * every place in ferry that reads or writes one: the boot stage, the kexec
 * and reboot update paths, ferry-init and the ferry command.
 *
 * Reading follows Linux's next_arg() (lib/cmdline.c) and parse_args()
 * (kernel/params.c):
 *   - parameters are separated by white space (the kernel's isspace():
 *     space, \t, \n, \v, \f, \r and 0xa0);
 *   - a double quote starts or ends a quoted stretch, in which white space
 *     does not separate; quotes do not nest and cannot be escaped;
 *   - a parameter is NAME or NAME=VALUE, split at its first '=' (not at its
 *     first character); a word that starts with a quote loses it and the
 *     quote that ends it ("NAME=VALUE" as a whole); a VALUE that starts
 *     with a quote loses it and the word's last quote (NAME="VALUE");
 *   - the first parameter named -- without a value (quoted or not) ends the
 *     kernel's parameters: everything after it is handed to init;
 *   - when a parameter is given twice, the last one counts;
 *   - in names, '-' and '_' are the same character (parameq()).
 *
 * Writing keeps every parameter exactly as written, puts parameters the
 * caller adds among the kernel's parameters, never after the --, and
 * keeps init's part at the end.
 *
 * Freestanding, never allocates: a cursor walks the caller's text, a
 * builder writes into the caller's buffer.
 */
#ifndef FERRY_CMDLINE_H
#define FERRY_CMDLINE_H

#include <stddef.h>
#include <stdint.h>

#include "ferry/errors.h"

/* One kernel parameter. The pointers point into the text walked. */
struct ferry_cmdline_param {
	const char *word;  /* as written, quotes included */
	size_t word_len;
	const char *name;  /* quotes removed */
	size_t name_len;
	const char *value; /* quotes removed; NULL when the word has no '=' */
	size_t value_len;
};

struct ferry_cmdline_cursor {
	const char *pos, *end;
	const char *init; /* where init's part starts, once the cursor met -- */
};

/* Walk the @len bytes at @line (a NUL ends the line earlier). */
void ferry_cmdline_cursor_init(struct ferry_cmdline_cursor *c, const char *line, size_t len);

/* The next kernel parameter: 1 with @ret filled, 0 at the end of the
 * kernel's part (the end of the line, or a --). */
int ferry_cmdline_next(struct ferry_cmdline_cursor *c, struct ferry_cmdline_param *ret);

/* Once ferry_cmdline_next() returned 0: init's part (what follows the --,
 * leading white space skipped) in @ret and its length; 0 and "" when the
 * line has no --. */
size_t ferry_cmdline_init_args(const struct ferry_cmdline_cursor *c, const char **ret);

/* The same for a whole line: init's part of the @len bytes at @line. */
size_t ferry_cmdline_init_part(const char *line, size_t len, const char **ret);

/* 1 when @p is named @name ('-' and '_' alike), else 0. */
int ferry_cmdline_is(const struct ferry_cmdline_param *p, const char *name);

/* 1 when @a and @b have the same name ('-' and '_' alike), else 0. */
int ferry_cmdline_same_name(const struct ferry_cmdline_param *a,
			    const struct ferry_cmdline_param *b);

/*
 * The last parameter named @name among the kernel's parameters of the @len
 * bytes at @line. Returns 1 with @ret filled, 0 when there is none.
 */
int ferry_cmdline_find(const char *line, size_t len, const char *name,
		       struct ferry_cmdline_param *ret);

/*
 * Its value into @out as a NUL-terminated string: 1 when found and it fits,
 * 0 when there is none, -FERRY_ERR_NOSPACE when the value is @cap bytes or
 * longer, -FERRY_ERR_INVAL when the parameter has no '=' or its value a NUL.
 */
int ferry_cmdline_value(const char *line, size_t len, const char *name, char *out, size_t cap);

/* ---- writing ---------------------------------------------------------------- */

/*
 * Builds "kernel parameters -- init arguments" into a caller's buffer:
 * every kernel parameter first, in the order added, then, once, " -- " and
 * init's arguments. Adding a kernel parameter after init's part started is
 * refused, so none can end up behind the --; so is adding anything after a
 * word whose double quote is never closed (it would swallow what follows).
 */
struct ferry_cmdline_builder {
	char *buf;
	size_t cap, len;
	int in_init;    /* init's part has started */
	int open_quote; /* the last word ends inside a double quote */
	int error;      /* the first error, 0 if none */
};

void ferry_cmdline_builder_init(struct ferry_cmdline_builder *b, char *buf, size_t cap);

/* A kernel parameter as written (a word of another line: quotes kept). */
void ferry_cmdline_add_word(struct ferry_cmdline_builder *b, const char *word, size_t len);

/* NAME=VALUE, VALUE in double quotes when it holds white space (a VALUE
 * with a double quote or a NUL cannot be written: FERRY_ERR_INVAL). */
void ferry_cmdline_add_param(struct ferry_cmdline_builder *b, const char *name,
			     const char *value, size_t value_len);

/* Init's arguments, as written (the part after a line's --). Empty: none. */
void ferry_cmdline_add_init(struct ferry_cmdline_builder *b, const char *args, size_t len);

/*
 * Every kernel parameter of the @len bytes at @line that @keep (NULL: all)
 * accepts. Its init part is not added: ferry_cmdline_init_part() of the
 * same line, given to ferry_cmdline_add_init() once the kernel parameters
 * are all in, keeps it at the end.
 */
void ferry_cmdline_add_line(struct ferry_cmdline_builder *b, const char *line, size_t len,
			    int (*keep)(const struct ferry_cmdline_param *p, void *ctx), void *ctx);

/* The builder's verdict: 0 with the line NUL-terminated in the buffer,
 * -FERRY_ERR_NOSPACE (it does not fit) or -FERRY_ERR_INVAL. */
int ferry_cmdline_builder_end(const struct ferry_cmdline_builder *b);

#endif
