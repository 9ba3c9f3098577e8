/* SPDX-License-Identifier: MIT */
/*
 * ferry region suggest [--size SIZE] [--root DIR] [--json]
 * ferry region install [--size SIZE] [--address ADDR] [--for grub|bls] [--root DIR]
 * ferry region check [--root DIR] [--json]
 *
 * The marked region on the kernel command line: a range proposed from the
 * memory map, the parameters that reserve and name it written for the boot
 * loader, and whether the running kernel reserved the one it was given.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ferry/cmdline.h"
#include "ferry/magic.h"
#include "ferry/region_header.h"
#include "ferry/size_addr.h"
#include "../../kernel-glue/region/region.h"

#include "boot_params.h"
#include "commands.h"
#include "json.h"
#include "../../kernel-glue/common/log.h"
#include "memory_map.h"

#define DEFAULT_SIZE (64ull << 20)

struct region_opts {
	const char *root;     /* "" for / */
	uint64_t size, addr;
	bool have_addr, json;
	const char *target;   /* "grub", "bls" or NULL: found out */
};

/* "memmap=0xSIZE$0xADDR ferry.region=0xSIZE@0xADDR" */
static void region_params(uint64_t size, uint64_t addr, char *memmap, char *named, size_t cap)
{
	char v[FERRY_SIZE_ADDR_LEN];

	ferry_format_size_addr(v, sizeof(v), size, '$', addr);
	snprintf(memmap, cap, "memmap=%s", v);
	ferry_format_size_addr(v, sizeof(v), size, '@', addr);
	snprintf(named, cap, FERRY_PARAM_REGION "=%s", v);
}

static int suggest(const struct region_opts *o, uint64_t *ret_addr, struct memory_map *map,
		   const struct memory_range **ret_ram)
{
	if (memory_map_load(o->root, map) < 0)
		return -ENOENT;
	if (memory_map_suggest(map, o->size, ret_addr, ret_ram) < 0) {
		log_error("no System RAM range in %s holds %" PRIu64 " MiB at or above 256 MiB, "
			  "clear of the kernel", map->source, o->size >> 20);
		log_hint("ask for less with --size, or give --address to 'ferry region install'");
		return -ENOSPC;
	}
	return 0;
}

static int run_suggest(const struct region_opts *o)
{
	static struct memory_map map;
	const struct memory_range *ram;
	char memmap[96], named[96];
	uint64_t addr;
	struct json_writer j;

	if (suggest(o, &addr, &map, &ram) < 0)
		return FERRY_EXIT_FAILURE;
	region_params(o->size, addr, memmap, named, sizeof(memmap));
	if (!o->json) {
		printf("region: %" PRIu64 " MiB at 0x%" PRIx64 ", in System RAM 0x%" PRIx64
		       "-0x%" PRIx64 " of %s\n", o->size >> 20, addr, ram->start, ram->end, map.source);
		printf("kernel parameters: %s %s\n", memmap, named);
		printf("'ferry region install' writes them for the boot loader\n");
		return FERRY_EXIT_OK;
	}
	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_u64(&j, "size", o->size);
	json_hex(&j, "address", addr);
	json_string(&j, "source", map.source);
	json_object_begin(&j, "ram");
	json_hex(&j, "start", ram->start);
	json_hex(&j, "end", ram->end);
	json_object_end(&j);
	json_array_begin(&j, "parameters");
	json_string(&j, NULL, memmap);
	json_string(&j, NULL, named);
	json_array_end(&j);
	json_object_end(&j);
	return json_finish(&j) < 0 ? FERRY_EXIT_FAILURE : FERRY_EXIT_OK;
}

/* /etc/kernel/cmdline: the old ferry.region= goes, and the memmap= that
 * reserved its range (another memmap= of the user's stays) */
static int drop_region_params(const struct ferry_cmdline_param *p, const char *line, size_t len)
{
	char old[128];
	uint64_t size, addr, msize, maddr;

	if (ferry_cmdline_is(p, FERRY_PARAM_REGION))
		return 1;
	if (!ferry_cmdline_is(p, "memmap") || !p->value ||
	    ferry_cmdline_value(line, len, FERRY_PARAM_REGION, old, sizeof(old)) != 1 ||
	    ferry_parse_size_addr(old, strlen(old), '@', &size, &addr, NULL) < 0)
		return 0;
	return (ferry_parse_size_addr(p->value, p->value_len, '$', &msize, &maddr, NULL) == 0 ||
		ferry_parse_size_addr(p->value, p->value_len, '!', &msize, &maddr, NULL) == 0) &&
	       msize == size && maddr == addr;
}

static bool exists(const char *root, const char *path)
{
	char p[4096];
	struct stat st;

	snprintf(p, sizeof(p), "%s%s", root, path);
	return stat(p, &st) == 0;
}

static int run_install(const struct region_opts *o)
{
	static struct memory_map map;
	const struct memory_range *ram;
	char memmap[96], named[96], params[200];
	const char *target = o->target;
	uint64_t addr = o->addr;
	int r;

	if (!target && exists(o->root, "/etc/default/grub"))
		target = "grub";
	else if (!target && (exists(o->root, "/etc/kernel") || exists(o->root, "/boot/loader/entries")))
		target = "bls";
	if (!target) {
		log_error("neither GRUB (%s/etc/default/grub) nor kernel-install (%s/etc/kernel, "
			  "%s/boot/loader/entries) found", o->root, o->root, o->root);
		log_hint("say which with --for grub or --for bls");
		return FERRY_EXIT_REFUSED;
	}
	if (!o->have_addr && suggest(o, &addr, &map, &ram) < 0)
		return FERRY_EXIT_REFUSED;
	region_params(o->size, addr, memmap, named, sizeof(memmap));
	snprintf(params, sizeof(params), "%s %s", memmap, named);
	if (!strcmp(target, "grub")) {
		r = boot_params_write_grub(o->root, params);
		if (r < 0)
			return FERRY_EXIT_FAILURE;
		printf("%s%s: %s\n", o->root, BOOT_PARAMS_GRUB_FILE, params);
		printf("run update-grub (grub-mkconfig -o /boot/grub/grub.cfg) and reboot\n");
	} else {
		r = boot_params_write_bls(o->root, params, drop_region_params);
		if (r < 0)
			return FERRY_EXIT_FAILURE;
		printf("%s%s: %s\n", o->root, BOOT_PARAMS_BLS_FILE, params);
		printf("run kernel-install add $(uname -r) /boot/vmlinuz-$(uname -r) (or install the "
		       "next kernel) and reboot\n");
	}
	return FERRY_EXIT_OK;
}

static const char *reservation_name(enum ferry_region_reservation k)
{
	return k == FERRY_RESERVED_PMEM ? "persistent memory (memmap=SIZE!ADDR)"
					: "reserved (memmap=SIZE$ADDR or ferry.efi)";
}

static int run_check(const struct region_opts *o)
{
	char path[4096], cmdline[4096], value[128], *iomem = NULL;
	enum ferry_region_reservation kind = FERRY_RESERVED_NONE;
	struct ferry_diag diag = { 0 };
	uint64_t size = 0, addr = 0;
	const char *verdict;
	struct json_writer j;
	size_t n = 0;
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "%s/proc/cmdline", o->root);
	f = fopen(path, "re");
	if (!f)
		return log_error_errno(-errno, "cannot read %s", path), FERRY_EXIT_FAILURE;
	n = fread(cmdline, 1, sizeof(cmdline) - 1, f);
	fclose(f);
	cmdline[n] = 0;
	r = ferry_cmdline_value(cmdline, n, FERRY_PARAM_REGION, value, sizeof(value));
	if (r == 1)
		r = ferry_parse_size_addr(value, strlen(value), '@', &size, &addr, &diag) == 0 ? 1 : -EINVAL;
	if (r == 1) {
		snprintf(path, sizeof(path), "%s/proc/iomem", o->root);
		f = fopen(path, "re");
		if (f) {
			size_t cap = 1 << 20;

			iomem = calloc(1, cap);
			n = iomem ? fread(iomem, 1, cap - 1, f) : 0;
			fclose(f);
		}
		r = iomem ? ferry_region_check_iomem(iomem, addr, size, &kind) : -errno;
		free(iomem);
	} else if (r == 0) {
		r = -ENOMSG;
	}
	switch (r) {
	case 0: verdict = reservation_name(kind); break;
	case -ENOMSG: verdict = "no " FERRY_PARAM_REGION "= on this kernel's command line"; break;
	case -EINVAL: verdict = FERRY_PARAM_REGION "= is not SIZE@ADDR"; break;
	case -EPERM: verdict = "/proc/iomem shows no addresses: run as root"; break;
	case -EADDRINUSE: verdict = "not reserved: the range overlaps System RAM"; break;
	case -ENOENT: verdict = "not reserved: no reservation covers the range"; break;
	default: verdict = strerror(-r); break;
	}
	if (o->json) {
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "ferry_region", r == -ENOMSG ? NULL : value);
		json_u64(&j, "size", size);
		json_hex(&j, "address", addr);
		json_bool(&j, "reserved", r == 0);
		json_string(&j, "reservation", r != 0 ? NULL :
				kind == FERRY_RESERVED_PMEM ? "pmem" : "reserved");
		json_string(&j, "verdict", verdict);
		json_object_end(&j);
		json_finish(&j);
	} else if (r == -ENOMSG || r == -EINVAL) {
		printf("region: %s\n", verdict);
	} else {
		printf("region: %s (%" PRIu64 " MiB at 0x%" PRIx64 "): %s\n", value, size >> 20, addr,
		       verdict);
	}
	if (r == -EADDRINUSE || r == -ENOENT)
		log_hint("the running kernel was not booted with the reservation: 'ferry region "
			 "install', update the boot loader, reboot");
	return r == 0 ? FERRY_EXIT_OK : FERRY_EXIT_FAILURE;
}

static int parse_size(const struct command *cmd, const char *s, uint64_t *ret)
{
	size_t used;

	if (ferry_parse_size(s, strlen(s), &used, ret) < 0 || used != strlen(s) || !*ret ||
	    *ret % FERRY_SIZE_ADDR_ALIGN || *ret > (1ull << 46))
		return command_usage_error(cmd, "'%s' is not a size or an address in whole pages "
					   "(64M, 0x30000000)", s);
	return 0;
}

static int run_region(const struct command *cmd, int argc, char **argv)
{
	static const struct option options[] = {
		{ "size", required_argument, NULL, 's' },
		{ "address", required_argument, NULL, 'a' },
		{ "for", required_argument, NULL, 'f' },
		{ "root", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	struct region_opts o = { .root = "", .size = DEFAULT_SIZE };
	const char *verb;
	int c, r;

	while ((c = command_getopt(cmd, argc, argv, options, "")) != -1) {
		switch (c) {
		case 's':
			r = parse_size(cmd, optarg, &o.size);
			if (r)
				return r;
			if (o.size < FERRY_REGION_MIN_SIZE)
				return command_usage_error(cmd, "--size: at least %u KiB",
							   FERRY_REGION_MIN_SIZE >> 10);
			break;
		case 'a':
			r = parse_size(cmd, optarg, &o.addr);
			if (r)
				return r;
			o.have_addr = true;
			break;
		case 'f':
			if (strcmp(optarg, "grub") && strcmp(optarg, "bls"))
				return command_usage_error(cmd, "--for grub or --for bls");
			o.target = optarg;
			break;
		case 'r':
			/* "/" and "" are the same: paths are written root + "/etc/..." */
			o.root = strcmp(optarg, "/") ? optarg : "";
			break;
		case 'j': o.json = true; break;
		default: return FERRY_EXIT_USAGE;
		}
	}
	if (optind != argc - 1)
		return command_usage_error(cmd, "expected one of: suggest, install, check");
	verb = argv[optind];
	if (strcmp(verb, "install") && (o.have_addr || o.target))
		return command_usage_error(cmd, "--address and --for go with install");
	if (!strcmp(verb, "install") && o.json)
		return command_usage_error(cmd, "--json goes with suggest and check");
	if (!strcmp(verb, "check") && o.size != DEFAULT_SIZE)
		return command_usage_error(cmd, "check reads the size from ferry.region=");
	if (!strcmp(verb, "suggest"))
		return run_suggest(&o);
	if (!strcmp(verb, "install"))
		return run_install(&o);
	if (!strcmp(verb, "check"))
		return run_check(&o);
	return command_usage_error(cmd, "unknown action '%s' (suggest, install, check)", verb);
}

const struct command command_region = {
	.name = "region",
	.summary = "propose, install or check the marked region on the kernel command line",
	.usage = "suggest [--size SIZE] [--json] | install [--size SIZE] [--address ADDR] "
		 "[--for grub|bls] | check [--json] [--root DIR]",
	.help = "  suggest      a range for the region from the memory map (/proc/iomem as\n"
		"               root, else /sys/firmware/memmap): the lowest 2 MiB-aligned\n"
		"               address at or above 256 MiB, below 4 GiB where it fits,\n"
		"               where SIZE bytes lie in one System RAM range clear of the\n"
		"               kernel; prints the kernel parameters that reserve it\n"
		"               (memmap=SIZE$ADDR) and name it (ferry.region=SIZE@ADDR)\n"
		"  install      write those parameters for the boot loader: GRUB\n"
		"               (/etc/default/grub.d/ferry.cfg, '$' escaped for the shell\n"
		"               and for GRUB: run update-grub), or kernel-install and Boot\n"
		"               Loader Specification entries (/etc/kernel/cmdline, the old\n"
		"               memmap= and ferry.region= replaced); the range suggested,\n"
		"               or the one given\n"
		"  check        whether the running kernel reserved the range its\n"
		"               ferry.region= names (/proc/iomem, as root)\n"
		"    --size SIZE     of the region (default 64M; 0x, K, M, G)\n"
		"    --address ADDR  install this range instead of the suggested one\n"
		"    --for grub|bls  the boot loader (default: GRUB if /etc/default/grub\n"
		"                    exists, else bls if /etc/kernel or /boot/loader/entries)\n"
		"    --root DIR      read /proc, /sys and write /etc under DIR\n"
		"    --json          suggest: size, address, source, ram, parameters; check:\n"
		"                    ferry_region, size, address, reserved, reservation,\n"
		"                    verdict\n"
		"Exit status: 0 done (check: reserved), 1 failed (check: not reserved or\n"
		"none named), 3 install refused (no boot loader found, no range; nothing\n"
		"written), 2 wrong usage.\n",
	.run = run_region,
};
