/* SPDX-License-Identifier: MIT */
/* The command line the new kernel gets. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ferry/cmdline.h"
#include "ferry/magic.h"
#include "internal.h"
#include "kexec.h"
#include "region.h"

/* Does the line @append set the parameter @p (a name=value) again? */
static bool set_again(const struct ferry_cmdline_param *p, const char *append)
{
	struct ferry_cmdline_cursor c;
	struct ferry_cmdline_param q;

	if (!p->value)
		return false;
	ferry_cmdline_cursor_init(&c, append, strlen(append));
	while (ferry_cmdline_next(&c, &q) > 0)
		if (q.value && ferry_cmdline_same_name(p, &q))
			return true;
	return false;
}

static int keep_running(const struct ferry_cmdline_param *p, void *ctx)
{
	return !ferry_cmdline_is(p, "BOOT_IMAGE") && !ferry_cmdline_is(p, FERRY_PARAM_HANDOFF) &&
	       !set_again(p, ctx);
}

int update_next_cmdline(const char *append, char *buf, size_t len)
{
	char current[4096], base[4096];
	struct ferry_cmdline_builder b;
	const char *init;
	size_t n;
	int r;

	if (!append)
		append = "";
	r = ferry_region_read_cmdline(current, sizeof(current));
	if (r < 0)
		return log_error_errno(r, "cannot read the kernel command line");
	ferry_cmdline_builder_init(&b, base, sizeof(base));
	ferry_cmdline_add_line(&b, current, strlen(current), keep_running, (void *)append);
	n = ferry_cmdline_init_part(current, strlen(current), &init);
	ferry_cmdline_add_init(&b, init, n);
	r = ferry_cmdline_builder_end(&b);
	if (r == -FERRY_ERR_NOSPACE)
		return log_error_errno(-E2BIG, "the kernel command line is too long");
	if (r < 0)
		return log_error_errno(-EINVAL, "the kernel command line leaves a double quote open");
	/* memmap= and ferry.region= of the running line are carried over */
	r = ferry_kexec_cmdline(base, current, append, buf, len);
	if (r == -EINVAL)
		return log_error_errno(r, "--append leaves a double quote open: the kernel would read "
				  "what follows it as part of one parameter");
	if (r < 0)
		return log_error_errno(r, "the new kernel's command line is too long");
	return 0;
}
