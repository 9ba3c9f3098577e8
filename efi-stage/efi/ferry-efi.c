// SPDX-License-Identifier: MIT
/*
 * ferry.efi: the boot entry of the reboot path.
 *
 * On every boot: reserve the marked range as EfiReservedMemoryType, read the
 * configuration (ferry.conf on the ESP, then the entry's load options), run
 * the stage core over the range, and start a Linux kernel from the ESP
 * through its EFI stub: the update kernel with ferry.handoff= when a sealed
 * image was verified, else the default one. Whatever goes wrong, it says so
 * on the console and boots the default entry; if even that cannot start, it
 * returns to the firmware, whose boot order goes on to the next entry.
 */
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <efi.h>
#include <efilib.h>
#pragma GCC diagnostic pop

#include "ferry/conf.h"
#include "boot_cmdline.h"
#include "stage.h"

#ifndef FERRY_VERSION
#define FERRY_VERSION "0"
#endif

#define CONF_PATH L"\\EFI\\ferry\\ferry.conf"

#define log_info(fmt, ...) Print(L"ferry: " fmt L"\n", ##__VA_ARGS__)
#define log_error_status(status, fmt, ...)                                            \
	({                                                                            \
		Print(L"ferry: error: " fmt L": %r\n", ##__VA_ARGS__, (EFI_STATUS)(status)); \
		(EFI_STATUS)(status);                                                 \
	})

static inline void freepoolp(void *p)
{
	void *q = *(void **)p;

	if (q)
		FreePool(q);
}
#define _cleanup_pool_ __attribute__((cleanup(freepoolp)))

static EFI_HANDLE self;
static EFI_LOADED_IMAGE *self_image;
static struct ferry_conf config;
static struct ferry_stage stage;
static char cmdline_buf[FERRY_CONF_CMDLINE_MAX + 256];
static uint64_t tsc_per_ms;

/* ---- time ---------------------------------------------------------------- */

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* The TSC against the firmware's Stall(), once: 10 ms. */
static void clock_calibrate(void)
{
	uint64_t t0 = rdtsc();

	BS->Stall(10000);
	tsc_per_ms = (rdtsc() - t0) / 10;
	if (!tsc_per_ms)
		tsc_per_ms = 1;
}

static uint64_t now_ns(void *ctx)
{
	(void)ctx;
	return rdtsc() * 1000000ull / tsc_per_ms;
}

static void stage_log(void *ctx, const char *msg)
{
	(void)ctx;
	log_info(L"stage: %a", msg);
}

/* ---- files on the ESP ------------------------------------------------------- */

static CHAR16 *to_wide(const char *s)
{
	size_t n = strlena((const CHAR8 *)s);
	CHAR16 *w = AllocatePool((n + 1) * sizeof(CHAR16));

	if (!w)
		return NULL;
	for (size_t i = 0; i <= n; i++)
		w[i] = (CHAR16)(unsigned char)s[i];
	return w;
}

static EFI_STATUS file_read(const CHAR16 *path, char **ret, UINTN *ret_len)
{
	EFI_FILE_HANDLE root, f;
	_cleanup_pool_ EFI_FILE_INFO *info = NULL;
	EFI_STATUS err;
	char *buf;
	UINTN len;

	root = LibOpenRoot(self_image->DeviceHandle);
	if (!root)
		return EFI_NOT_FOUND;
	err = root->Open(root, &f, (CHAR16 *)path, EFI_FILE_MODE_READ, 0);
	root->Close(root);
	if (EFI_ERROR(err))
		return err;
	info = LibFileInfo(f);
	if (!info || info->FileSize >= FERRY_CONF_MAX) {
		f->Close(f);
		return info ? EFI_BAD_BUFFER_SIZE : EFI_OUT_OF_RESOURCES;
	}
	len = info->FileSize;
	buf = AllocatePool(len + 1);
	if (!buf) {
		f->Close(f);
		return EFI_OUT_OF_RESOURCES;
	}
	err = f->Read(f, &len, buf);
	f->Close(f);
	if (EFI_ERROR(err)) {
		FreePool(buf);
		return err;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return EFI_SUCCESS;
}

static BOOLEAN file_exists(const char *path)
{
	_cleanup_pool_ CHAR16 *w = to_wide(path);
	EFI_FILE_HANDLE root, f;
	EFI_STATUS err;

	if (!w || !(root = LibOpenRoot(self_image->DeviceHandle)))
		return FALSE;
	err = root->Open(root, &f, w, EFI_FILE_MODE_READ, 0);
	root->Close(root);
	if (EFI_ERROR(err))
		return FALSE;
	f->Close(f);
	return TRUE;
}

/* ---- configuration ------------------------------------------------------------ */

static void config_load(void)
{
	_cleanup_pool_ char *text = NULL;
	struct ferry_diag diag = { 0 };
	UINTN len = 0;
	EFI_STATUS err;

	ferry_conf_init(&config);
	err = file_read(CONF_PATH, &text, &len);
	if (EFI_ERROR(err))
		log_info(L"no %s (%r); using the load options only", CONF_PATH, err);
	else if (ferry_conf_parse(&config, text, len, &diag) < 0)
		log_info(L"%s, byte %d: %a; that line is ignored", CONF_PATH, (int)diag.offset,
			 diag.what);

	/* load options: UCS-2 text of key=value pairs separated by ';' */
	if (self_image->LoadOptionsSize >= 2 * sizeof(CHAR16)) {
		const CHAR16 *w = self_image->LoadOptions;
		UINTN n = self_image->LoadOptionsSize / sizeof(CHAR16);
		_cleanup_pool_ char *opts = AllocatePool(n + 1);
		BOOLEAN text_ok = TRUE;
		UINTN i;

		if (!opts)
			return;
		for (i = 0; i < n && w[i]; i++) {
			if (w[i] < 0x20 || w[i] > 0x7e)
				text_ok = FALSE;
			opts[i] = (char)w[i];
		}
		opts[i] = '\0';
		if (text_ok && memchr(opts, '=', i) &&
		    ferry_conf_parse(&config, opts, i, &diag) < 0)
			log_info(L"load options, byte %d: %a; that line is ignored",
				 (int)diag.offset, diag.what);
	}
}

/* ---- the marked range --------------------------------------------------------- */

/* Reserve [addr, addr+size) as EfiReservedMemoryType. TRUE when it is ours
 * (allocated now, or found reserved already). */
static BOOLEAN region_reserve(uint64_t addr, uint64_t size)
{
	EFI_PHYSICAL_ADDRESS a = addr;
	_cleanup_pool_ EFI_MEMORY_DESCRIPTOR *map = NULL;
	UINTN entries, key, desc_size;
	UINT32 desc_version;
	uint64_t covered = 0;
	UINT32 other = 0;
	EFI_STATUS err;

	err = BS->AllocatePages(AllocateAddress, EfiReservedMemoryType, size / 4096, &a);
	if (!EFI_ERROR(err)) {
		log_info(L"region 0x%lx@0x%lx reserved as EfiReservedMemoryType", size, addr);
		return TRUE;
	}
	/* already allocated: by whom? */
	map = LibMemoryMap(&entries, &key, &desc_size, &desc_version);
	if (!map) {
		log_error_status(err, L"region 0x%lx@0x%lx: cannot reserve it", size, addr);
		return FALSE;
	}
	for (UINTN i = 0; i < entries; i++) {
		EFI_MEMORY_DESCRIPTOR *d = (void *)((UINT8 *)map + i * desc_size);
		uint64_t s = d->PhysicalStart, e = s + d->NumberOfPages * 4096;
		uint64_t lo = s > addr ? s : addr, hi = e < addr + size ? e : addr + size;

		if (lo >= hi)
			continue;
		if (d->Type == EfiReservedMemoryType)
			covered += hi - lo;
		else
			other = d->Type;
	}
	if (covered == size) {
		log_info(L"region 0x%lx@0x%lx is already reserved (EfiReservedMemoryType)", size, addr);
		return TRUE;
	}
	log_error_status(err, L"region 0x%lx@0x%lx is in use (memory type %u), not reserved; "
			 L"the stage leaves it alone and the kernel gets memmap= only", size, addr,
			 other);
	return FALSE;
}

/* ---- starting Linux ------------------------------------------------------------- */

static EFI_STATUS boot_linux(const char *kernel, const char *initrd, const char *base,
			     uint64_t handoff)
{
	_cleanup_pool_ CHAR16 *wpath = NULL;
	_cleanup_pool_ CHAR16 *wcmd = NULL;
	EFI_DEVICE_PATH *dp;
	EFI_LOADED_IMAGE *li;
	EFI_HANDLE h = NULL;
	EFI_STATUS err;

	if (!kernel || !*kernel)
		return log_error_status(EFI_NOT_FOUND, L"no kernel configured");
	if (ferry_stage_cmdline(&config, base, initrd, handoff, cmdline_buf, sizeof(cmdline_buf)) < 0)
		return log_error_status(EFI_BUFFER_TOO_SMALL,
					L"command line too long, or a double quote in it never closed");
	wpath = to_wide(kernel);
	wcmd = to_wide(cmdline_buf);
	if (!wpath || !wcmd)
		return log_error_status(EFI_OUT_OF_RESOURCES, L"allocating the command line");
	dp = FileDevicePath(self_image->DeviceHandle, wpath);
	if (!dp)
		return log_error_status(EFI_OUT_OF_RESOURCES, L"device path of %a", kernel);
	err = BS->LoadImage(FALSE, self, dp, NULL, 0, &h);
	FreePool(dp);
	if (EFI_ERROR(err))
		return log_error_status(err, L"loading kernel %a", kernel);
	err = BS->HandleProtocol(h, &LoadedImageProtocol, (void **)&li);
	if (EFI_ERROR(err)) {
		BS->UnloadImage(h);
		return log_error_status(err, L"kernel %a has no loaded image protocol", kernel);
	}
	li->LoadOptions = wcmd;
	li->LoadOptionsSize = (UINT32)((StrLen(wcmd) + 1) * sizeof(CHAR16));
	log_info(L"starting %a: %a", kernel, cmdline_buf);
	err = BS->StartImage(h, NULL, NULL);
	/* only back here if the kernel's stub failed before ExitBootServices */
	BS->UnloadImage(h);
	return log_error_status(err, L"kernel %a returned", kernel);
}

/* Rewrite the handoff as "none" with @why: the image will not be restored
 * on this boot. */
static uint64_t handoff_none(uint64_t region, const char *why)
{
	struct ferry_handoff *h = &stage.handoff;
	size_t n = 0;

	if (!stage.handoff_written)
		return 0;
	h->image_state = FERRY_HANDOFF_IMAGE_NONE;
	h->verified = 0;
	h->image_address = h->image_size = 0;
	while (why[n] && n < sizeof(h->reason) - 1) {
		h->reason[n] = why[n];
		n++;
	}
	h->reason[n] = '\0';
	if (ferry_handoff_write((uint8_t *)(uintptr_t)region + stage.handoff_offset,
				FERRY_REGION_HANDOFF_SIZE, h) < 0)
		return 0;
	return region + stage.handoff_offset;
}

/* called by gnu-efi's crt0 with the System V convention, hence no EFIAPI */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *sys)
{
	struct ferry_stage_env env = {
		.now_ns = now_ns,
		.log = stage_log,
		.stage = "efi",
		.stage_version = FERRY_VERSION,
	};
	uint64_t t_start, handoff = 0, region = 0;
	BOOLEAN update = FALSE, reserved = FALSE;
	EFI_STATUS err;
	int status = FERRY_STAGE_UNFORMATTED;

	InitializeLib(image, sys);
	self = image;
	log_info(L"ferry.efi %a", FERRY_VERSION);
	clock_calibrate();
	t_start = now_ns(NULL);

	err = BS->HandleProtocol(image, &LoadedImageProtocol, (void **)&self_image);
	if (EFI_ERROR(err))
		return log_error_status(err, L"no loaded image protocol");
	config_load();

	if (!config.region_size) {
		log_info(L"no region= configured: booting the default entry without the stage");
	} else {
		region = config.region_addr;
		reserved = region_reserve(config.region_addr, config.region_size);
	}
	if (reserved) {
		status = ferry_stage_run(&stage, (uint8_t *)(uintptr_t)region, config.region_size,
					 region, &env);
		log_info(L"stage: %a%a%a (%lu chunks, %lu bytes staged, %lu expanded, "
			 L"verify %lu us, inflate %lu us)",
			 ferry_stage_status_name(status), stage.handoff.reason[0] ? ": " : "",
			 stage.handoff.reason, (UINT64)stage.stats.chunks, stage.stats.staged_bytes,
			 stage.stats.expanded_bytes, stage.stats.verify_ns / 1000,
			 stage.stats.inflate_ns / 1000);
		if (stage.handoff_written)
			handoff = region + stage.handoff_offset;
		switch (status) {
		case FERRY_STAGE_EXPANDED:
		case FERRY_STAGE_COMPRESSED:
			update = TRUE;
			break;
		case FERRY_STAGE_RETRY:
			log_info(L"an earlier update boot did not restore the image: "
				 L"handing it to the default entry (rollback)");
			break;
		case FERRY_STAGE_BAD:
			log_info(L"no restore on this boot: %a", stage.handoff.reason);
			break;
		default:
			break;
		}
	}

	if (update) {
		if (!config.update_kernel[0] || !file_exists(config.update_kernel)) {
			log_info(L"update kernel '%a' not found on the ESP: booting the default entry",
				 config.update_kernel);
			handoff = handoff_none(region, "update kernel not found on the ESP; "
					       "booted the default entry");
		} else {
			log_info(L"stage took %lu ms", (now_ns(NULL) - t_start) / 1000000);
			err = boot_linux(config.update_kernel, config.update_initrd,
					 config.update_cmdline[0] ? config.update_cmdline : config.cmdline,
					 handoff);
			log_info(L"update kernel failed: booting the default entry");
			handoff = handoff_none(region, "update kernel failed to start; "
					       "booted the default entry");
		}
	}
	log_info(L"stage took %lu ms", (now_ns(NULL) - t_start) / 1000000);
	err = boot_linux(config.kernel, config.initrd, config.cmdline, handoff);
	log_info(L"the default entry did not start either: returning to the firmware "
		 L"(the next boot entry)");
	return err;
}
