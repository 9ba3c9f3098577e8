/* SPDX-License-Identifier: MIT */
/* The systemd unit of a selection (systemd_unit.c). */
#ifndef FERRY_GLUE_SYSTEMD_UNIT_H
#define FERRY_GLUE_SYSTEMD_UNIT_H

#include <stdbool.h>

/*
 * A unit name as systemd allows it: 3 to 255 bytes of letters, digits and
 * ":-_.\@", with a type suffix after its last dot. It becomes a file name
 * under /run/ferry/adopt and the name of a drop-in directory: no '/'.
 */
bool systemd_unit_name_valid(const char *name);

#endif
