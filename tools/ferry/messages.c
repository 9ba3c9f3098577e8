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

static void keep(void *arg, enum log_level level, const char *msg)
{
	static const char *const names[] = {
		[LOG_ERROR] = "error", [LOG_WARNING] = "warning", [LOG_HINT] = "hint",
		[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
	};

	(void)arg;
	if (nkept == MESSAGES_MAX)
		return;
	kept[nkept].text = strdup(msg);
	if (!kept[nkept].text)
		return;
	kept[nkept++].level = names[level];
}

void messages_collect(void)
{
	log_set_listener(keep, NULL);
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
