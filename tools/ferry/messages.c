/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "../../kernel-glue/common/log.h"
#include "messages.h"

#define MESSAGES_MAX 256

static struct message {
	const char *level; /* static */
	char *text;
} kept[MESSAGES_MAX];
static size_t nkept;

static void keep(void *arg, const char *level, const char *msg)
{
	(void)arg;
	if (nkept == MESSAGES_MAX)
		return;
	kept[nkept].text = strdup(msg);
	if (!kept[nkept].text)
		return;
	kept[nkept++].level = level;
}

void messages_collect(void)
{
	glue_log_set_listener(keep, NULL);
}

void messages_json(struct json_writer *j, const char *key)
{
	json_array_begin(j, key);
	for (size_t i = 0; i < nkept; i++) {
		json_object_begin(j, NULL);
		json_string(j, "level", kept[i].level);
		json_string(j, "text", kept[i].text);
		json_object_end(j);
	}
	json_array_end(j);
}

const char *messages_last_error(void)
{
	for (size_t i = nkept; i-- > 0;)
		if (!strcmp(kept[i].level, "error"))
			return kept[i].text;
	return NULL;
}
