# The boot stage: the stage core (efi-stage/core), built for the host (unit
# tests, fuzzing, benchmarks) and freestanding into ferry.efi (gnu-efi).
# Included from the Makefile.
#
#   make efi-stage      build/efi/ferry.efi (needs gnu-efi: efi-stage/deps.sh)
#   make fuzz-stage     libFuzzer over the region contents (FUZZ_SECONDS)
#   make bench-stage    verify + inflate on the host and inside OVMF (QEMU)
#   make efi-test       the QEMU + OVMF scenarios (efi-stage/tests/run-efi-tier.sh)

.PHONY: efi-stage efi-deps fuzz-stage bench-stage efi-test efi-stage-corpus

STAGE_CORE_SRCS := efi-stage/core/stage.c efi-stage/core/expand.c efi-stage/core/boot_cmdline.c
STAGE_INC := -Iefi-stage/core -Iformat/src
STAGE_HOST_SRCS := $(STAGE_CORE_SRCS) $(FORMAT_SRCS) $(TEST_SUPPORT)
STAGE_HDRS := efi-stage/core/stage.h efi-stage/core/boot_cmdline.h efi-stage/tests/stage_region.h \
	$(FORMAT_HDRS)

deps: efi-deps
efi-deps:
	@sh efi-stage/deps.sh

# ---- host: unit tests, fuzz target, corpus replay ----------------------------
$(BUILD)/tests/test-stage: efi-stage/tests/test_stage.c $(STAGE_HOST_SRCS) $(STAGE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(STAGE_INC) -Iformat/tests -Iefi-stage/tests -o $@ \
		$(filter %.c,$^) $(HOST_LIBS)

$(BUILD)/tests/test-stage-san: efi-stage/tests/test_stage.c $(STAGE_HOST_SRCS) $(STAGE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) $(STAGE_INC) -Iformat/tests -Iefi-stage/tests -o $@ \
		$(filter %.c,$^) $(HOST_LIBS)

STAGE_FUZZ_SRCS := efi-stage/fuzz/fuzz_stage.c $(STAGE_CORE_SRCS) $(FORMAT_SRCS)

$(eval $(call fuzz_target,stage,$(STAGE_FUZZ_SRCS) $(STAGE_HDRS),$(STAGE_INC)))

fuzz-stage: deps $(BUILD)/fuzz/fuzz-stage
	$(call fuzz_run,stage,262144,efi-stage/fuzz/corpus)

# regenerate the committed seed corpus
efi-stage-corpus: $(BUILD)/tests/test-stage
	$(BUILD)/tests/test-stage --write-corpus efi-stage/fuzz/corpus

TEST_BINS += $(BUILD)/tests/test-stage $(BUILD)/tests/test-stage-san \
	$(BUILD)/fuzz/fuzz-stage-replay

# ---- ferry.efi (gnu-efi) -------------------------------------------------------
EFI_DIR := $(BUILD)/efi
EFI_BIN := $(EFI_DIR)/ferry.efi
GNUEFI_LIB := /usr/lib
GNUEFI_INC := /usr/include/efi
EFI_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-stack-protector -fno-stack-check \
	-mno-red-zone -fpic -fshort-wchar -maccumulate-outgoing-args -fno-builtin \
	-fno-tree-loop-distribute-patterns -fno-strict-aliasing -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) -isystem /usr/include \
	-isystem /usr/include/x86_64-linux-gnu \
	-I$(TP)/zlib -I$(LIBFDT_SRC) -Iformat/include $(STAGE_INC) \
	-DZ_SOLO -DMBEDTLS_CONFIG_FILE=\"$(CURDIR)/format/freestanding/mbedtls_config.h\" \
	-DFERRY_VERSION=\"$(VERSION)\" -DGNU_EFI_USE_MS_ABI
EFI_APP_CFLAGS := $(EFI_CFLAGS) -I$(GNUEFI_INC) -I$(GNUEFI_INC)/x86_64 -I$(GNUEFI_INC)/protocol \
	-Iefi-stage/efi
EFI_APP_SRCS := $(wildcard efi-stage/efi/*.c)
EFI_OBJS := $(FORMAT_CORE:%=$(EFI_DIR)/obj/format/%.o) $(FS_ZLIB:%=$(EFI_DIR)/obj/zlib/%.o) \
	$(FS_FDT:%=$(EFI_DIR)/obj/libfdt/%.o) $(FS_MBED:%=$(EFI_DIR)/obj/mbedtls/%.o) \
	$(STAGE_CORE_SRCS:efi-stage/core/%.c=$(EFI_DIR)/obj/core/%.o) \
	$(EFI_APP_SRCS:efi-stage/efi/%.c=$(EFI_DIR)/obj/app/%.o) $(EFI_DIR)/obj/libc.o

# gnu-efi is a build dependency (mk/deps.sh): a plain make builds ferry.efi
all: $(EFI_BIN)

$(GNUEFI_LIB)/libefi.a $(GNUEFI_LIB)/libgnuefi.a $(GNUEFI_LIB)/crt0-efi-x86_64.o $(GNUEFI_INC)/efi.h:
	@echo "efi-stage: $@ is missing: ferry.efi needs Debian's gnu-efi (make deps installs it)" >&2
	@exit 1

efi-stage: $(EFI_BIN)

# gnu-efi's libefi has its own memcpy/memset; the stage's (rep movs/stos,
# format/freestanding/libc.c) win, libefi's become weak.
$(EFI_DIR)/libefi.a: $(GNUEFI_LIB)/libefi.a
	@mkdir -p $(dir $@)
	objcopy --weaken-symbol=memcpy --weaken-symbol=memset $< $@

$(EFI_DIR)/ferry.so: $(EFI_OBJS) $(EFI_DIR)/libefi.a $(GNUEFI_LIB)/libgnuefi.a \
		$(GNUEFI_LIB)/crt0-efi-x86_64.o
	ld -nostdlib -znocombreloc -T $(GNUEFI_LIB)/elf_x86_64_efi.lds -shared -Bsymbolic \
		--no-undefined $(GNUEFI_LIB)/crt0-efi-x86_64.o $(EFI_OBJS) \
		$(EFI_DIR)/libefi.a $(GNUEFI_LIB)/libgnuefi.a -o $@
	@if nm -u $@ | grep -q .; then echo "ferry.so: undefined symbols:"; nm -u $@; rm -f $@; exit 1; fi

$(EFI_BIN): $(EFI_DIR)/ferry.so
	objcopy -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym -j .rel \
		-j .rela -j .rel.* -j .rela.* -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@
	@echo "efi-stage: $@ ($$(stat -c %s $@) bytes)"

$(EFI_DIR)/obj/format/%.o: format/src/%.c $(FORMAT_HDRS) $(TP)/.complete
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) $(WARN) -c $< -o $@
$(EFI_DIR)/obj/core/%.o: efi-stage/core/%.c $(STAGE_HDRS) $(TP)/.complete
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) $(WARN) -c $< -o $@
$(EFI_DIR)/obj/app/%.o: efi-stage/efi/%.c $(wildcard efi-stage/efi/*.h) $(STAGE_HDRS) $(TP)/.complete \
		$(GNUEFI_INC)/efi.h
	@mkdir -p $(dir $@)
	$(CC) $(EFI_APP_CFLAGS) $(WARN) -c $< -o $@
$(EFI_DIR)/obj/zlib/%.o: $(TP)/.complete
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -w -c $(TP)/zlib/$*.c -o $@
$(EFI_DIR)/obj/libfdt/%.o: $(LIBFDT_SRC)/%.c $(TP)/.complete
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -w -c $< -o $@
$(EFI_DIR)/obj/mbedtls/%.o: $(MBEDTLS_SRC)/%.c $(TP)/.complete
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -w -c $< -o $@
$(EFI_DIR)/obj/libc.o: format/freestanding/libc.c $(TP)/.complete
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) $(WARN) -c $< -o $@

# ---- QEMU + OVMF ------------------------------------------------------------------
# The guest helper (static): writes images into the region, reads the handoff.
$(BUILD)/efi/guest-efi-stage: efi-stage/tests/guest_efi_stage.c $(STAGE_HOST_SRCS) $(STAGE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(STAGE_INC) -Iformat/tests -Iefi-stage/tests -static -o $@ \
		$(filter %.c,$^) -lfdt -lmbedcrypto -ldeflate -lz

$(BUILD)/bench/bench-stage: efi-stage/bench/bench_stage.c $(STAGE_HOST_SRCS) $(STAGE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -O2 $(STAGE_INC) -Iformat/tests -Iefi-stage/tests -o $@ \
		$(filter %.c,$^) $(HOST_LIBS)

EFI_TEST_DEPS := $(EFI_BIN) $(BUILD)/efi/guest-efi-stage $(FERRY_BIN)

efi-test: $(EFI_TEST_DEPS)
	@bash efi-stage/tests/run-efi-tier.sh $(BUILD)

bench-stage: $(BUILD)/bench/bench-stage $(EFI_TEST_DEPS)
	@bash efi-stage/tests/bench-stage.sh $(BUILD)
