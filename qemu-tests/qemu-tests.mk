# QEMU test tier.  Included from Makefile, after kernel-glue/region/region.mk
# (the region library the guest programs link).
#
#   make qemu-images   everything the QEMU scenarios need (kernels, initramfs,
#                      disks) under $(BUILD)/qemu

.PHONY: qemu-images qemu-test

# Guest test programs are static so the initramfs needs no libraries for them.
QEMU_GUEST_BINS := $(BUILD)/tests/region-probe $(BUILD)/tests/guest-app $(BUILD)/tests/guest-precopy
$(BUILD)/tests/guest-app: qemu-tests/guest/app.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -static -o $@ $<
# the host test program of checkpoint --pre-copy, for a kernel with
# soft-dirty pages (scenarios/precopy-generic.sh)
$(BUILD)/tests/guest-precopy: kernel-glue/tests/t_precopy.c kernel-glue/tests/tlib.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -static -pthread -o $@ $<
$(BUILD)/tests/region-probe: qemu-tests/guest/region-probe.c $(REGION_LIB) $(FORMAT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(REGION_INC) -static -o $@ $< $(REGION_LIB) $(FORMAT_LIB) $(HOST_LIBS)

# build/bin/ferry goes into the guest when it exists (make all builds it); the
# scenarios here need only the guest test programs.
qemu-images: $(QEMU_GUEST_BINS) $(BUILD)/tests/test-region $(FERRY_BIN) $(EARLY_INIT_BIN)
	@sh qemu-tests/build-images.sh $(BUILD)

qemu-test: qemu-images
	@sh qemu-tests/run-tier.sh $(BUILD)
