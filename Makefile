# ferry — build, test, demo, bench. Outputs go only under $(BUILD).
# `make help` lists the targets.

BUILD ?= build
# the included makefiles below define targets of their own before "all"
.DEFAULT_GOAL := all
VERSION := $(shell cat VERSION)
CC ?= cc
CLANG ?= clang
# CFLAGS, CPPFLAGS and LDFLAGS are the user's (a package build passes
# dpkg-buildflags'); they apply to the programs that run on Linux. The
# freestanding builds (build/freestanding, ferry.efi) use flags of their own.
CFLAGS ?= -O2 -g
# Warnings are errors in the developers' and CI's build only: DEVELOPER=1
# (make test sets it) or CI=true.
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes
ifneq ($(filter 1,$(DEVELOPER))$(filter true,$(CI)),)
WARN += -Werror
endif
HOST_CFLAGS := -std=gnu11 $(WARN) $(CPPFLAGS) $(CFLAGS) -Iformat/include -D_GNU_SOURCE \
	-DFERRY_VERSION=\"$(VERSION)\" -DFERRY_HOST_LIBDEFLATE -MMD -MP

# make install [PREFIX=/usr] [DESTDIR=...]
PREFIX ?= /usr
SBINDIR ?= $(PREFIX)/sbin
PKGLIBDIR ?= $(PREFIX)/lib/ferry
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
# boot/: ferry-init in the initramfs (initramfs-tools, dracut)
INITRAMFS_TOOLS_DIR ?= $(PREFIX)/share/initramfs-tools
DRACUT_MODULES_DIR ?= $(PREFIX)/lib/dracut/modules.d
# boot/systemd: systemd adopts the restored units on the new boot
SYSTEMD_GENERATOR_DIR ?= $(PREFIX)/lib/systemd/system-generators
HOST_LIBS := -lfdt -lmbedcrypto -ldeflate -lz -lpthread
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

FORMAT_CORE := header reader verify inflate digest errors handoff fdt_check \
	size_addr cmdline region_header conf
FORMAT_HOST := $(FORMAT_CORE) writer sink
FORMAT_SRCS := $(FORMAT_HOST:%=format/src/%.c)
FORMAT_HDRS := $(wildcard format/include/ferry/*.h format/src/*.h)
FORMAT_OBJS := $(FORMAT_HOST:%=$(BUILD)/obj/format/src/%.o)
FORMAT_LIB := $(BUILD)/lib/libferry-format.a

include kernel-glue/kernel-glue.mk
include kernel-glue/region/region.mk

TOOL_SRCS := $(wildcard tools/ferry/*.c)
TOOL_OBJS := $(TOOL_SRCS:%.c=$(BUILD)/obj/%.o)
FERRY_BIN := $(BUILD)/bin/ferry

TEST_SUPPORT := format/tests/synth.c
FORMAT_TEST_SRCS := format/tests/test_format.c format/tests/testlib.c $(TEST_SUPPORT)
FDT_TEST_SRCS := format/tests/test_fdt_check.c format/tests/testlib.c $(TEST_SUPPORT)
ABI_TEST_SRCS := format/tests/test_abi.c format/tests/test_cmdline.c format/tests/test_size_addr.c \
	format/tests/test_region.c format/tests/test_conf.c format/tests/testlib.c

.PHONY: all deps test unit-test fuzz bench bench-format bench-apps bench-update bench-precopy demo soak sample-image clean help \
	freestanding install third-party FORCE

all: $(FERRY_BIN) $(FORMAT_LIB) freestanding

help:
	@echo "make            build everything into $(BUILD)/ (CLI: $(FERRY_BIN))"
	@echo "make test       install what is missing, build, run every test tier"
	@echo "make demo       the appliance demo in QEMU"
	@echo "make bench      benchmarks (bench-format: verify+inflate vs zlib)"
	@echo "make bench-checkpoint  host: checkpoint and restore throughput, next to CRIU"
	@echo "make bench-scale   host: checkpoint and restore time against threads, processes,"
	@echo "                descriptors and areas (linear or not)"
	@echo "make kill-checkpoint  host: KILL_TRIALS=200 checkpoints SIGKILLed at random instants,"
	@echo "                each leaving the processes and their connection as they were"
	@echo "                (KILL_MODE=kill: of checkpoint --kill, also restored when killed)"
	@echo "make kill-restore  host: KILL_TRIALS=100 restores SIGKILLed at random instants, each"
	@echo "                leaving nothing behind, the connection whole, the image restorable"
	@echo "make bench-apps  host: checkpoint and restore times and image size of Debian's nginx and PostgreSQL"
	@echo "                (packaged configuration, one keep-alive client kept)"
	@echo "make bench-verify  the cost of restore's verify step on a 1 GiB process"
	@echo "make bench-update  QEMU: update downtime of a 256 MiB process vs reboot + cold start"
	@echo "make bench-precopy QEMU: checkpoint downtime with and without --pre-copy (256 MiB, 1 GiB)"
	@echo "make soak       QEMU: SOAK_CYCLES=100 updates in a row by kexec of memcached and a"
	@echo "                counter, then SOAK_EFI_CYCLES=20 through the reboot path, each checked,"
	@echo "                and the downtimes (make test runs 10 and 3)"
	@echo "make fuzz       fuzz the image reader, the handoff reader, then the command line,"
	@echo "                SIZE@ADDR, ferry.conf and region header, and the metadata read into"
	@echo "                a restore plan and its checks (FUZZ_SECONDS=60 each)"
	@echo "make fuzz-stage fuzz the stage core over whole regions (FUZZ_SECONDS)"
	@echo "make deps       install build and test dependencies (apt-get, as root)"
	@echo "make install    install ferry, ferry-init, ferry.efi, ferry.conf (PREFIX=/usr, DESTDIR)"
	@echo "make sample-image  regenerate format/tests/data/sample.ferry"

deps:
	@sh mk/deps.sh test

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Itools/ferry -c $< -o $@

$(FORMAT_LIB): $(FORMAT_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# the tool's files that speak of kernel-glue's objects (an update's record)
$(BUILD)/obj/tools/ferry/update_json.o: HOST_CFLAGS += -Ikernel-glue/include

# where ferry efi install looks for ferry.efi and ferry.conf by default
$(BUILD)/obj/tools/ferry/cmd_efi.o: HOST_CFLAGS += -DFERRY_PKGLIBDIR=\"$(PKGLIBDIR)\" \
	-DFERRY_SYSCONFDIR=\"$(SYSCONFDIR)\"

# The installed programs are rebuilt when the compiler, the user's flags or
# the install paths change (the stamp is rewritten only then; -Werror is left
# out, so switching between make and make test rebuilds nothing).
BUILD_FLAGS := $(CC) | $(CPPFLAGS) | $(CFLAGS) | $(LDFLAGS) | $(PKGLIBDIR) | $(SYSCONFDIR)
FLAGS_STAMP := $(BUILD)/obj/build-flags
$(shell mkdir -p $(BUILD)/obj && { printf '%s\n' '$(BUILD_FLAGS)' | cmp -s - $(FLAGS_STAMP) || \
	printf '%s\n' '$(BUILD_FLAGS)' >$(FLAGS_STAMP); })

$(FERRY_BIN): $(TOOL_OBJS) $(GLUE_LIB) $(FORMAT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(TOOL_OBJS) $(UPDATE_LIB) $(GLUE_LIB) $(REGION_LIB) $(FORMAT_LIB) \
		$(HOST_LIBS)

# ---- freestanding link check (the boot stage links the same core) ----------
# zlib's sources from Debian's binutils-source (mk/third-party.sh, run every
# time: it touches the stamp only when that package's version changed);
# libfdt and mbedTLS from third_party/ (third_party/README.md says why)
TP := $(BUILD)/third_party
LIBFDT_SRC := third_party/libfdt
MBEDTLS_SRC := third_party/mbedtls/library
FS := $(BUILD)/freestanding
FS_CFLAGS := -std=gnu11 -O2 -ffreestanding -fno-stack-protector -mno-red-zone -fno-builtin \
	-fno-tree-loop-distribute-patterns -fno-pic -fno-pie -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) -isystem /usr/include \
	-isystem /usr/include/x86_64-linux-gnu \
	-I$(TP)/zlib -I$(LIBFDT_SRC) -Iformat/include \
	-DZ_SOLO -DMBEDTLS_CONFIG_FILE=\"$(CURDIR)/format/freestanding/mbedtls_config.h\"
FS_ZLIB := inflate inftrees inffast crc32 adler32 zutil
FS_FDT := fdt fdt_ro fdt_sw fdt_wip fdt_strerror
FS_MBED := sha256 platform_util
FS_OBJS := $(FORMAT_CORE:%=$(FS)/format/%.o) $(FS_ZLIB:%=$(FS)/zlib/%.o) \
	$(FS_FDT:%=$(FS)/libfdt/%.o) $(FS_MBED:%=$(FS)/mbedtls/%.o) \
	$(FS)/libc.o $(FS)/check_link.o

third-party: $(TP)/.complete
$(TP)/.complete: FORCE
	@sh mk/third-party.sh $(BUILD)
FORCE:

freestanding: $(FS)/format-core.elf

$(FS)/format-core.elf: $(FS_OBJS)
	$(CC) -nostdlib -static -no-pie -Wl,--no-undefined -Wl,-e,_start -o $@ $^
	@echo "freestanding: format core links with no C library ($@)"

$(FS)/format/%.o: format/src/%.c $(FORMAT_HDRS) $(TP)/.complete
	@mkdir -p $(dir $@)
	$(CC) $(FS_CFLAGS) $(WARN) -c $< -o $@
$(FS)/zlib/%.o: $(TP)/.complete
	@mkdir -p $(dir $@)
	$(CC) $(FS_CFLAGS) -w -c $(TP)/zlib/$*.c -o $@
$(FS)/libfdt/%.o: $(LIBFDT_SRC)/%.c $(TP)/.complete
	@mkdir -p $(dir $@)
	$(CC) $(FS_CFLAGS) -w -c $< -o $@
$(FS)/mbedtls/%.o: $(MBEDTLS_SRC)/%.c $(TP)/.complete
	@mkdir -p $(dir $@)
	$(CC) $(FS_CFLAGS) -w -c $< -o $@
$(FS)/%.o: format/freestanding/%.c $(FORMAT_HDRS) $(TP)/.complete
	@mkdir -p $(dir $@)
	$(CC) $(FS_CFLAGS) $(WARN) -c $< -o $@

# ---- tests -------------------------------------------------------------------
$(BUILD)/tests/test-format: $(FORMAT_TEST_SRCS) $(FORMAT_SRCS) $(FORMAT_HDRS) $(wildcard format/tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Iformat/src -o $@ $(filter %.c,$^) $(HOST_LIBS)

$(BUILD)/tests/test-format-san: $(FORMAT_TEST_SRCS) $(FORMAT_SRCS) $(FORMAT_HDRS) $(wildcard format/tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -Iformat/src -o $@ $(filter %.c,$^) $(HOST_LIBS)

# the device tree gate, plain and under the sanitizers
$(BUILD)/tests/test-fdt-check: $(FDT_TEST_SRCS) $(FORMAT_SRCS) $(FORMAT_HDRS) $(wildcard format/tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Iformat/src -o $@ $(filter %.c,$^) $(HOST_LIBS)

$(BUILD)/tests/test-fdt-check-san: $(FDT_TEST_SRCS) $(FORMAT_SRCS) $(FORMAT_HDRS) $(wildcard format/tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -Iformat/src -o $@ $(filter %.c,$^) $(HOST_LIBS)

# the command line, SIZE@ADDR, the region header and ferry.conf
$(BUILD)/tests/test-abi: $(ABI_TEST_SRCS) $(FORMAT_SRCS) $(FORMAT_HDRS) $(wildcard format/tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Iformat/src -o $@ $(filter %.c,$^) $(HOST_LIBS)

$(BUILD)/tests/test-abi-san: $(ABI_TEST_SRCS) $(FORMAT_SRCS) $(FORMAT_HDRS) $(wildcard format/tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -Iformat/src -o $@ $(filter %.c,$^) $(HOST_LIBS)

$(BUILD)/tests/mksample: format/tests/mksample.c $(TEST_SUPPORT) $(FORMAT_SRCS) $(FORMAT_HDRS) $(wildcard format/tests/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Iformat/src -o $@ $(filter %.c,$^) $(HOST_LIBS)

sample-image: $(BUILD)/tests/mksample
	$(BUILD)/tests/mksample format/tests/data/sample.ferry

TEST_BINS := $(BUILD)/tests/test-format $(BUILD)/tests/test-format-san $(BUILD)/tests/mksample \
	$(BUILD)/tests/test-fdt-check $(BUILD)/tests/test-fdt-check-san \
	$(BUILD)/tests/test-abi $(BUILD)/tests/test-abi-san $(BUILD)/fuzz/fuzz-abi-replay \
	$(BUILD)/fuzz/fuzz-handoff-replay \
	$(BUILD)/fuzz/fuzz-reader-replay $(BUILD)/fuzz/fuzz-plan-replay $(BUILD)/tests/edit-image

test: export DEVELOPER = 1
test: deps
	@$(MAKE) --no-print-directory all $(TEST_BINS)
	@sh mk/run-tests.sh $(BUILD)

# ---- fuzzing -------------------------------------------------------------------
FUZZ_SECONDS ?= 60
# The libFuzzer targets link libfdt built from its source with the
# sanitizers (the copy the stage links), so a read past a blob inside
# libfdt is a finding too; the corpus replays of make test use the system's.
FUZZ_FDT_SRCS = $(FS_FDT:%=$(LIBFDT_SRC)/%.c)
FUZZ_CC = $(CLANG) -std=gnu11 -g -O1 -Iformat/include -Iformat/src -I$(LIBFDT_SRC) -D_GNU_SOURCE \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -DFERRY_LIBFUZZER
FUZZ_LIBS := -lmbedcrypto -ldeflate -lz -lpthread

# fuzz_target NAME,SOURCES: $(BUILD)/fuzz/fuzz-NAME (libFuzzer) and
# $(BUILD)/fuzz/fuzz-NAME-replay, the same target without libFuzzer, under
# ASan and UBSan, which make test runs over the committed corpus
define fuzz_target
$(BUILD)/fuzz/fuzz-$(1): $(2) $(TP)/.complete
	@mkdir -p $$(dir $$@)
	$$(FUZZ_CC) $(3) -o $$@ $$(filter %.c,$$^) $$(FUZZ_FDT_SRCS) $$(FUZZ_LIBS)

$(BUILD)/fuzz/fuzz-$(1)-replay: $(2) format/fuzz/replay_main.c
	@mkdir -p $$(dir $$@)
	$$(CC) $$(HOST_CFLAGS) $$(SAN_FLAGS) -Iformat/src $(3) -o $$@ $$(filter %.c,$$^) $$(HOST_LIBS)
endef

# fuzz_run NAME,MAX_LEN,SEEDS: FUZZ_SECONDS of it, its corpus growing in
# $(BUILD)/fuzz/NAME-corpus, findings written as $(BUILD)/fuzz/NAME-crash-*
fuzz_run = mkdir -p $(BUILD)/fuzz/$(1)-corpus && $(BUILD)/fuzz/fuzz-$(1) \
	-max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -max_len=$(2) \
	-artifact_prefix=$(BUILD)/fuzz/$(1)- $(BUILD)/fuzz/$(1)-corpus $(3)

# the image reader
$(eval $(call fuzz_target,reader,format/fuzz/fuzz_reader.c $(FORMAT_SRCS)))
# the handoff reader
$(eval $(call fuzz_target,handoff,format/fuzz/fuzz_handoff.c $(FORMAT_SRCS)))
# the command line, SIZE@ADDR, ferry.conf and the region header
$(eval $(call fuzz_target,abi,format/fuzz/fuzz_abi.c $(FORMAT_SRCS)))

# the metadata read into what restore will do, and the restore plan's checks
$(eval $(call fuzz_target,plan,kernel-glue/fuzz/fuzz_plan.c $(GLUE_SRCS) $(FORMAT_SRCS),-Ikernel-glue/include \
	-DFERRY_VERSION=\"$(VERSION)\"))

fuzz: deps $(BUILD)/fuzz/fuzz-reader $(BUILD)/fuzz/fuzz-handoff $(BUILD)/fuzz/fuzz-abi \
	$(BUILD)/fuzz/fuzz-plan
	$(call fuzz_run,reader,131072,format/fuzz/corpus)
	$(call fuzz_run,handoff,65536,format/fuzz/corpus)
	$(call fuzz_run,abi,8192,format/fuzz/abi-corpus)
	$(call fuzz_run,plan,262144,kernel-glue/fuzz/plan-corpus)

# ---- benchmarks ----------------------------------------------------------------
$(BUILD)/bench/bench-format: format/bench/bench_format.c $(TEST_SUPPORT) $(FORMAT_SRCS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -O2 -Iformat/src -Iformat/tests -o $@ $^ $(HOST_LIBS)

bench-format: $(BUILD)/bench/bench-format
	$(BUILD)/bench/bench-format

bench: bench-format bench-checkpoint bench-scale bench-apps

# checkpoint and restore times and image size of real Debian programs
# (kernel-glue/bench/bench_apps.sh: nginx, PostgreSQL), BENCH_RUNS (default 3) rounds each
bench-apps: deps $(FERRY_BIN)
	sh kernel-glue/bench/bench_apps.sh $(FERRY_BIN)

# ---- demo ------------------------------------------------------------------------
demo: deps
	@echo "== make demo: building ferry and the guest (installs QEMU etc. if missing) =="
	@$(MAKE) --no-print-directory -s all qemu-images
	@bash qemu-tests/demo.sh $(BUILD)

# downtime of an update of a process holding 256 MiB, next to a plain reboot + cold start
bench-update: deps
	@$(MAKE) --no-print-directory -s all qemu-images
	@bash qemu-tests/bench-update.sh $(BUILD)

# checkpoint downtime with and without --pre-copy, on 6.1 in QEMU (soft-dirty pages)
bench-precopy: deps
	@$(MAKE) --no-print-directory -s all qemu-images
	@bash qemu-tests/bench-precopy.sh $(BUILD)

# endurance: SOAK_CYCLES (100) updates in a row by kexec in one guest, then
# SOAK_EFI_CYCLES (20) through the reboot path (qemu-tests/soak.sh; the qemu
# and efi-stage tiers run the same scenarios with 10 and 3)
soak: deps
	@$(MAKE) --no-print-directory -s all qemu-images
	@bash qemu-tests/soak.sh $(BUILD)

clean:
	rm -rf $(BUILD)

# ---- install -------------------------------------------------------------------
# /usr/sbin/ferry, /usr/lib/ferry/{ferry-init,ferry.efi}, /etc/ferry/ferry.conf
# (kept when it exists: it is the user's), the man pages, and boot/'s
# initramfs-tools hook and script and dracut module (@PKGLIBDIR@ filled in)
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(PKGLIBDIR) $(DESTDIR)$(SYSCONFDIR)/ferry \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0644 man/ferry.8 man/ferry-init.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/ferry.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0755 $(FERRY_BIN) $(DESTDIR)$(SBINDIR)/ferry
	install -m 0755 $(EARLY_INIT_BIN) $(DESTDIR)$(PKGLIBDIR)/ferry-init
	install -m 0644 $(EFI_BIN) $(DESTDIR)$(PKGLIBDIR)/ferry.efi
	[ -e $(DESTDIR)$(SYSCONFDIR)/ferry/ferry.conf ] || \
		install -m 0644 efi-stage/ferry.conf $(DESTDIR)$(SYSCONFDIR)/ferry/ferry.conf
	install -d $(DESTDIR)$(INITRAMFS_TOOLS_DIR)/hooks \
		$(DESTDIR)$(INITRAMFS_TOOLS_DIR)/scripts/init-bottom $(DESTDIR)$(DRACUT_MODULES_DIR)/90ferry
	for f in initramfs-tools/hooks/ferry initramfs-tools/scripts/init-bottom/ferry \
		dracut/90ferry/module-setup.sh dracut/90ferry/ferry-restore.sh; do \
		case $$f in initramfs-tools/*) to=$(INITRAMFS_TOOLS_DIR)/$${f#*/} ;; \
			*) to=$(DRACUT_MODULES_DIR)/$${f#*/} ;; esac; \
		sed 's|@PKGLIBDIR@|$(PKGLIBDIR)|g' boot/$$f >$(DESTDIR)$$to && \
		chmod 0755 $(DESTDIR)$$to || exit 1; \
	done
	install -d $(DESTDIR)$(SYSTEMD_GENERATOR_DIR)
	sed 's|@SBINDIR@|$(SBINDIR)|g' boot/systemd/ferry-generator \
		>$(DESTDIR)$(SYSTEMD_GENERATOR_DIR)/ferry-generator
	chmod 0755 $(DESTDIR)$(SYSTEMD_GENERATOR_DIR)/ferry-generator

include qemu-tests/qemu-tests.mk
include kernel-glue/update/update.mk
include kernel-glue/tests/tests.mk

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
$(FORMAT_OBJS) $(TOOL_OBJS) $(GLUE_OBJS) $(REGION_OBJS) $(UPDATE_OBJS) $(EARLY_INIT_OBJS): \
	$(FLAGS_STAMP)
include efi-stage/efi-stage.mk
