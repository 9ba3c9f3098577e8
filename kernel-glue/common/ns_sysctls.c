/* SPDX-License-Identifier: MIT */
/* The sysctls of a namespace as an image carries them (ns_sysctls.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "ns_sysctls.h"

static bool known(const struct ns_sysctls *s, const char *name, size_t len)
{
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->names[i]) == len && memcmp(s->names[i], name, len) == 0)
			return true;
	return false;
}

const char *ns_sysctls_bad(const struct ns_sysctls *s, const char *text)
{
	const char *start = text;

	if (strlen(text) > NS_SYSCTLS_MAX)
		return "more than 1024 bytes";
	while (*text) {
		const char *eq = strchr(text, '='), *nl = strchr(text, '\n');

		if (!eq || !nl || eq > nl || !known(s, text, (size_t)(eq - text)))
			return s->bad_line;
		for (const char *l = start; l < text; l = strchr(l, '\n') + 1)
			if (strncmp(l, text, (size_t)(eq - text) + 1) == 0)
				return "a sysctl twice";
		if (eq + 1 == nl)
			return "an empty value";
		for (const char *p = eq + 1; p < nl; p++)
			if (!strchr("0123456789- \t", *p))
				return "a value that is not numbers";
		text = nl + 1;
	}
	return NULL;
}

int ns_sysctls_write(const struct ns_sysctls *s, const char *text,
		     bool (*pick)(const char *name, size_t len))
{
	for (; *text; text = strchr(text, '\n') + 1) {
		const char *eq = strchr(text, '='), *nl = strchr(text, '\n');
		char path[128], value[256];
		int fd, e = 0;

		if (pick && !pick(text, (size_t)(eq - text)))
			continue;
		snprintf(path, sizeof(path), "/proc/sys/%s/%.*s", s->dir, (int)(eq - text), text);
		snprintf(value, sizeof(value), "%.*s", (int)(nl - eq - 1), eq + 1);
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
			e = -errno;
		if (fd >= 0)
			close(fd);
		if (e == -ENOENT)
			return log_error_errno(e, "this kernel has no %s: the %s namespace's sysctl "
					       "%s is not restored", path, s->ns, value);
		if (e < 0)
			return log_error_errno(e, "cannot give the processes' %s namespace %s = %s",
					       s->ns, path, value);
	}
	return 0;
}
