# QEMU test tier and the marked-range / kexec glue.  Included from Makefile.
#
#   make qemu-images   everything the QEMU scenarios need (kernels, initramfs,
#                      disks) under $(BUILD)/qemu
#   build/lib/libferry-region.a   kernel-glue/region + kernel-glue/kexec

.PHONY: qemu-images qemu-test

REGION_ARCH := x86_64
REGION_SRCS := $(wildcard kernel-glue/region/*.c) $(wildcard kernel-glue/kexec/*.c) \
	kernel-glue/arch/$(REGION_ARCH)/cacheflush.c
REGION_OBJS := $(REGION_SRCS:%.c=$(BUILD)/obj/%.o)
REGION_LIB := $(BUILD)/lib/libferry-region.a
REGION_INC := -Ikernel-glue/region -Ikernel-glue/kexec -Ikernel-glue/arch/$(REGION_ARCH)

$(REGION_OBJS): $(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(REGION_INC) -c $< -o $@

$(REGION_LIB): $(REGION_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

all: $(REGION_LIB)

# Guest test programs are static so the initramfs needs no libraries for them.
QEMU_GUEST_BINS := $(BUILD)/tests/region-probe $(BUILD)/tests/guest-app
$(BUILD)/tests/guest-app: qemu-tests/guest/app.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -static -o $@ $<
$(BUILD)/tests/region-probe: qemu-tests/guest/region-probe.c $(REGION_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(REGION_INC) -static -o $@ $< $(REGION_LIB) -lmbedcrypto -lz

$(BUILD)/tests/test-region: qemu-tests/unit/test-region.c $(REGION_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(REGION_INC) -o $@ $< $(REGION_LIB) -lz

# build/bin/ferry goes into the guest when it exists (make all builds it); the
# scenarios here need only the guest test programs.
qemu-images: $(QEMU_GUEST_BINS) $(BUILD)/tests/test-region $(FERRY_BIN) $(EARLY_INIT_BIN)
	@sh qemu-tests/build-images.sh $(BUILD)

qemu-test: qemu-images
	@sh qemu-tests/run-tier.sh $(BUILD)
