/* SPDX-License-Identifier: MIT */
/* The command line the new kernel gets. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "kexec.h"
#include "region.h"

/* Does the space separated list @words set the parameter named by @tok? */
static bool sets_key(const char *words, const char *tok)
{
	size_t klen = strcspn(tok, "=");
	const char *p = words;

	while (*p) {
		size_t n;

		p += strspn(p, " ");
		n = strcspn(p, " ");
		if (n > klen && p[klen] == '=' && !strncmp(p, tok, klen))
			return true;
		p += n;
	}
	return false;
}

int update_next_cmdline(const char *append, char *buf, size_t len)
{
	char current[4096], base[4096] = "", *save, *tok;
	int r;

	if (!append)
		append = "";
	r = ferry_region_read_cmdline(current, sizeof(current));
	if (r < 0)
		return update_err(r, "cannot read the kernel command line");
	current[strcspn(current, "\n")] = 0;
	for (tok = strtok_r(current, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		if (!strncmp(tok, "BOOT_IMAGE=", 11) || !strncmp(tok, "ferry.handoff=", 14) ||
		    (strchr(tok, '=') && sets_key(append, tok)))
			continue;
		if (strlen(base) + strlen(tok) + 2 > sizeof(base))
			return update_err(-E2BIG, "the kernel command line is too long");
		if (*base)
			strcat(base, " ");
		strcat(base, tok);
	}
	/* the running line is re-read to carry memmap= and ferry.region= over */
	r = ferry_region_read_cmdline(current, sizeof(current));
	if (r == 0)
		r = ferry_kexec_cmdline(base, current, append, buf, len);
	if (r < 0)
		return update_err(r, "the new kernel's command line is too long");
	return 0;
}
