// SPDX-License-Identifier: MIT
/* The command line handed to the next kernel, built by the kernel's rules
 * (format/'s ferry/cmdline.h): every parameter before the --, init's
 * arguments after it. */
#include <errno.h>
#include <string.h>

#include "ferry/cmdline.h"
#include "ferry/magic.h"
#include "kexec.h"

/* what reserves and names the region: every kernel on the path needs it */
static int is_carried(const struct ferry_cmdline_param *p)
{
	return p->value && (ferry_cmdline_is(p, "memmap") || ferry_cmdline_is(p, FERRY_PARAM_REGION));
}

/* what belongs to this boot only */
static int is_dropped(const struct ferry_cmdline_param *p)
{
	return ferry_cmdline_is(p, FERRY_PARAM_HANDOFF) || ferry_cmdline_is(p, "BOOT_IMAGE");
}

static int keep_inherited(const struct ferry_cmdline_param *p, void *ctx)
{
	(void)ctx;
	return !is_dropped(p) && !is_carried(p);
}

/* a carried parameter the line built so far does not hold word for word */
static int keep_carried(const struct ferry_cmdline_param *p, void *ctx)
{
	const struct ferry_cmdline_builder *b = ctx;
	struct ferry_cmdline_cursor c;
	struct ferry_cmdline_param q;

	if (!is_carried(p))
		return 0;
	ferry_cmdline_cursor_init(&c, b->buf, b->len);
	while (ferry_cmdline_next(&c, &q) > 0)
		if (q.word_len == p->word_len && !memcmp(q.word, p->word, p->word_len))
			return 0;
	return 1;
}

static size_t length(const char *s)
{
	return s ? strlen(s) : 0;
}

int ferry_kexec_cmdline(const char *base, const char *current, const char *append,
			char *buf, size_t len)
{
	struct ferry_cmdline_builder b;
	const char *init;
	size_t n;
	int r;

	ferry_cmdline_builder_init(&b, buf, len);
	if (base)
		ferry_cmdline_add_line(&b, base, strlen(base), NULL, NULL);
	else
		ferry_cmdline_add_line(&b, current, length(current), keep_inherited, NULL);
	ferry_cmdline_add_line(&b, current, length(current), keep_carried, &b);
	ferry_cmdline_add_line(&b, append, length(append), NULL, NULL);
	n = ferry_cmdline_init_part(base ? base : current, base ? strlen(base) : length(current),
				    &init);
	ferry_cmdline_add_init(&b, init, n);
	n = ferry_cmdline_init_part(append, length(append), &init);
	ferry_cmdline_add_init(&b, init, n);
	r = ferry_cmdline_builder_end(&b);
	if (r == -FERRY_ERR_NOSPACE)
		return -E2BIG;
	return r < 0 ? -EINVAL : 0;
}
