/* SPDX-License-Identifier: MIT */
/* An update's record (ferry-glue/update.h) as JSON: ferry update, ferry status. */
#ifndef FERRY_TOOL_UPDATE_JSON_H
#define FERRY_TOOL_UPDATE_JSON_H

#include "ferry-glue/update.h"
#include "json.h"

/*
 * The object @key: outcome (none, writing, sealed, restoring, restored,
 * failed, refused), past_point_of_no_return, pid, processes_restored,
 * kernels {old, new}, image_bytes, resident_bytes, generation, error,
 * reason, the stamps (realtime, µs since the epoch, null where not
 * reached) and the phases in milliseconds (null where unknown).
 */
void update_record_json(struct json_writer *j, const char *key,
			const struct ferry_update_record *rec);

#endif
