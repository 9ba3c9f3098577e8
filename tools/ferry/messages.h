/* SPDX-License-Identifier: MIT */
/*
 * The messages kernel-glue/ logs while a command runs (they still go to
 * stderr), kept for a --json report: `"messages": [{"level", "text"}]`.
 */
#ifndef FERRY_TOOL_MESSAGES_H
#define FERRY_TOOL_MESSAGES_H

#include "json.h"

/* Keep every message logged from now on (at most 256). */
void messages_collect(void);

/* The messages kept so far as the array @key; nothing kept: []. */
void messages_json(struct json_writer *j, const char *key);

/* The text of the last error kept, or NULL. */
const char *messages_last_error(void);

#endif
