/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "../common/log.h"
#include "restore_events.h"

int restore_kind_open(struct rst *r, const struct st_file *f)
{
	(void)r;
	return glue_err(-ENOTSUP, "file %u: %s files cannot be restored yet", f->id,
			st_file_type_name(f->type));
}
