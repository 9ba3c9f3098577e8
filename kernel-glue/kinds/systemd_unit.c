/* SPDX-License-Identifier: MIT */
/*
 * The systemd unit a selection was named by (`--unit NAME`): its full
 * name, its cgroup and its main PID, so that on the new boot systemd can
 * be made to take the restored processes as that unit's, its main PID the
 * restored one, instead of starting the unit a second time (ferry adopt,
 * tools/ferry/cmd_adopt.c). Not a kernel object: what systemd says of the
 * selection (systemctl show -p Id -p ControlGroup -p MainPID, read by the
 * tool and passed in the checkpoint's options).
 *
 * Checkpoint: the main PID must be a process of the selection (the unit's
 * cgroup is one tree; its main process is that tree's root, or one of its
 * descendants): a unit without a main process (MainPID=0, such as a
 * oneshot unit that remains after exit) or whose main process is not
 * selected cannot be adopted, and is refused by name.
 *
 * Restore: nothing here; the adoption is ferry-init's and ferry adopt's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../checkpoint/internal.h"
#include "../common/log.h"
#include "ferry/schema.h"
#include "kind.h"
#include "systemd_unit.h"

#define UNIT_NAME_MAX 255 /* systemd's UNIT_NAME_MAX, with its NUL: 256 */

struct unit_record {
	uint32_t id;
	char *name, *cgroup;
	uint32_t main_pid;
};

struct unit_image {
	struct unit_record *units;
	size_t n;
};

static const struct meta_field unit_fields[] = {
	META_U32(FM_UNIT_ID, struct unit_record, id, META_REQUIRED | META_UNIT),
	META_STR(FM_UNIT_NAME, struct unit_record, name, META_REQUIRED),
	META_STR(FM_UNIT_CGROUP, struct unit_record, cgroup, META_REQUIRED),
	META_U32(FM_UNIT_MAIN_PID, struct unit_record, main_pid, META_REQUIRED),
	{ 0 },
};

static const struct meta_node unit_node = {
	.name = FM_UNIT, .size = sizeof(struct unit_record), .fields = unit_fields,
};

static const struct meta_field unit_image_fields[] = {
	META_NODES(NULL, struct unit_image, units, n, &unit_node, META_OMIT_ZERO),
	{ 0 },
};

extern const struct kind kind_systemd_unit;

bool systemd_unit_name_valid(const char *name)
{
	const char *dot;
	size_t len = name ? strlen(name) : 0;

	if (len < 3 || len > UNIT_NAME_MAX || name[0] == '.')
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr(":-_.\\@", *p)))
			return false;
	dot = strrchr(name, '.');
	return dot && dot > name && dot[1];
}

/* ---- checkpoint ---- */

static bool selected(const struct ckpt *c, pid_t pid)
{
	for (size_t i = 0; i < c->img.nprocs; i++)
		if (c->img.procs[i].pid == pid)
			return true;
	return false;
}

static int unit_dump_check(struct ckpt *c)
{
	const char *unit = c->opts->unit;
	struct unit_image *ui;

	if (!unit || !c->img.nprocs)
		return 0;
	if (!systemd_unit_name_valid(unit)) {
		ckpt_unsupported(c, "unit %s: not a name systemd gives a unit", unit);
		return 0;
	}
	if (c->opts->unit_main_pid <= 0) {
		ckpt_unsupported(c, "unit %s has no main process (MainPID=0): ferry carries a "
				 "unit by its main process, which systemd takes back on the new "
				 "boot", unit);
		return 0;
	}
	if (!selected(c, c->opts->unit_main_pid)) {
		ckpt_unsupported(c, "unit %s: its main PID %d is not a process of the selection "
				 "(it left the unit's cgroup, or the unit restarted)", unit,
				 c->opts->unit_main_pid);
		return 0;
	}
	ui = kind_image_data(&c->img, &kind_systemd_unit);
	if (!ui || !(ui->units = calloc(1, sizeof(*ui->units))))
		return -ENOMEM;
	ui->n = 1;
	ui->units->id = 1;
	ui->units->name = strdup(unit);
	ui->units->cgroup = strdup(c->opts->cgroup ? c->opts->cgroup : "");
	ui->units->main_pid = (uint32_t)c->opts->unit_main_pid;
	if (!ui->units->name || !ui->units->cgroup)
		return -ENOMEM;
	log_debug("unit %s (cgroup %s), main PID %d", unit, ui->units->cgroup,
		  c->opts->unit_main_pid);
	return 0;
}

/* ---- metadata ---- */

static int unit_image_check(struct meta_in *in, struct st_image *img)
{
	const struct unit_image *ui = kind_image_data_if(img, &kind_systemd_unit);

	for (size_t i = 0; ui && i < ui->n && !in->err; i++) {
		const struct unit_record *u = &ui->units[i];
		bool found = false;

		if (!systemd_unit_name_valid(u->name))
			return in->err = log_error_errno(-EINVAL, "image metadata: systemd unit %u: "
							 "'%s' is not a unit name", u->id,
							 u->name ? u->name : "");
		if (!u->cgroup || u->cgroup[0] != '/')
			return in->err = log_error_errno(-EINVAL, "image metadata: unit %s: its "
							 "cgroup is not an absolute path", u->name);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ui->units[j].name, u->name))
				return in->err = log_error_errno(-EINVAL, "image metadata: unit "
								 "%s twice", u->name);
		for (size_t p = 0; p < img->nprocs && !found; p++)
			found = img->procs[p].pid == (pid_t)u->main_pid;
		if (!found)
			return in->err = log_error_errno(-EINVAL, "image metadata: unit %s: its "
							 "main PID %u is not a process of the "
							 "image", u->name, u->main_pid);
	}
	return in->err;
}

const struct kind kind_systemd_unit = {
	.name = "systemd-unit",
	.dump_check = unit_dump_check,
	.image_size = sizeof(struct unit_image),
	.image_fields = unit_image_fields,
	.image_check = unit_image_check,
};
