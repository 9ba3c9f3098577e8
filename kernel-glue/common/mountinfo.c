/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mountinfo.h"
#include "state.h"

/* The whole file @file of directory @dfd, NUL-terminated, malloc'd. */
static int read_whole_at(int dfd, const char *file, char **ret)
{
	size_t cap = 16384, len = 0;
	char *buf, *nb;
	int fd = openat(dfd, file, O_RDONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t k;

		if (len == cap) {
			nb = realloc(buf, cap * 2 + 1);
			if (!nb) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		k = read(fd, buf + len, cap - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			r = k < 0 ? -errno : 0;
			break;
		}
		len += (size_t)k;
	}
	close(fd);
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = 0;
	*ret = buf;
	return 0;
}

/* The next space-separated word of *@p into @out (@size with its NUL). */
static int next_word(char **p, char *out, size_t size)
{
	char *s = *p, *e;
	size_t n;

	while (*s == ' ')
		s++;
	if (!*s)
		return -EPROTO;
	e = strchr(s, ' ');
	n = e ? (size_t)(e - s) : strlen(s);
	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(out, s, n);
	out[n] = 0;
	*p = s + n;
	return 0;
}

static int parse_number(const char *s, unsigned long *ret)
{
	char *end;

	errno = 0;
	*ret = strtoul(s, &end, 10);
	return errno || end == s || *end ? -EPROTO : 0;
}

/* "ID PARENT MAJ:MIN ROOT POINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER" */
static int parse_line(char *line, struct mountinfo *m)
{
	char word[MOUNTINFO_FIELD_MAX];
	unsigned long maj, min;
	char *colon;
	int r;

	memset(m, 0, sizeof(*m));
	if ((r = next_word(&line, word, sizeof(word))) < 0 || (r = parse_number(word, &m->id)) < 0 ||
	    (r = next_word(&line, word, sizeof(word))) < 0 ||
	    (r = parse_number(word, &m->parent)) < 0 ||
	    (r = next_word(&line, word, sizeof(word))) < 0)
		return r;
	colon = strchr(word, ':');
	if (!colon)
		return -EPROTO;
	*colon = 0;
	if (parse_number(word, &maj) < 0 || parse_number(colon + 1, &min) < 0 || maj > 0xfff ||
	    min > 0xfffff)
		return -EPROTO;
	m->dev_major = (unsigned)maj;
	m->dev_minor = (unsigned)min;
	if ((r = next_word(&line, m->root, sizeof(m->root))) < 0 ||
	    (r = next_word(&line, m->point, sizeof(m->point))) < 0 ||
	    (r = next_word(&line, m->opts, sizeof(m->opts))) < 0)
		return r;
	for (;;) {
		if ((r = next_word(&line, word, sizeof(word))) < 0)
			return r;
		if (strcmp(word, "-") == 0)
			break;
		if (strncmp(word, "shared:", 7) == 0)
			m->shared = true;
		else if (strncmp(word, "master:", 7) == 0)
			m->slave = true;
		else if (strcmp(word, "unbindable") == 0)
			m->unbindable = true;
	}
	if ((r = next_word(&line, m->fstype, sizeof(m->fstype))) < 0 ||
	    (r = next_word(&line, m->source, sizeof(m->source))) < 0 ||
	    (r = next_word(&line, m->super, sizeof(m->super))) < 0)
		return r;
	snprintf(m->prop, sizeof(m->prop), "%s",
		 m->unbindable		   ? "unbindable"
		 : m->shared && m->slave ? "shared+slave"
		 : m->shared		   ? "shared"
		 : m->slave		   ? "slave"
					   : "private");
	return 0;
}

int mountinfo_read_at(int dfd, const char *file, size_t max, struct mountinfo **ret,
		      size_t *ret_n)
{
	struct mountinfo *v = NULL, *m;
	size_t n = 0;
	char *buf = NULL;
	int r = read_whole_at(dfd, file, &buf);

	if (r < 0)
		return r;
	for (char *line = buf, *next; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (max && n >= max) {
			r = -E2BIG;
			break;
		}
		m = ST_PUSH(v, n);
		if (!m) {
			r = -ENOMEM;
			break;
		}
		r = parse_line(line, m);
		if (r < 0)
			break;
	}
	free(buf);
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int mountinfo_read_self(struct mountinfo **ret, size_t *ret_n)
{
	return mountinfo_read_at(AT_FDCWD, "/proc/self/mountinfo", 0, ret, ret_n);
}

void mountinfo_unescape(const char *in, char *out, size_t size)
{
	size_t n = 0;

	if (!size)
		return;
	for (; *in && n + 1 < size; n++) {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' &&
		    in[3] >= '0' && in[3] <= '7') {
			out[n] = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
			in += 4;
		} else {
			out[n] = *in++;
		}
	}
	out[n] = 0;
}
