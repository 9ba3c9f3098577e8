# The kexec update path and ferry-init (included from Makefile, after
# kernel-glue/region/region.mk, which defines the region library).
#
#   build/lib/libferry-update.a   kernel-glue/update
#   build/bin/ferry-init          kernel-glue/early-init, static (init=, initramfs)

UPDATE_SRCS := $(wildcard kernel-glue/update/*.c)
UPDATE_OBJS := $(UPDATE_SRCS:%.c=$(BUILD)/obj/%.o)
UPDATE_LIB := $(BUILD)/lib/libferry-update.a
EARLY_INIT_SRCS := $(wildcard kernel-glue/early-init/*.c)
EARLY_INIT_OBJS := $(EARLY_INIT_SRCS:%.c=$(BUILD)/obj/%.o)
EARLY_INIT_BIN := $(BUILD)/bin/ferry-init

$(UPDATE_OBJS) $(EARLY_INIT_OBJS): $(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Ikernel-glue/include $(REGION_INC) -c $< -o $@

$(UPDATE_LIB): $(UPDATE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(EARLY_INIT_BIN): $(EARLY_INIT_OBJS) $(UPDATE_LIB) $(GLUE_LIB) $(REGION_LIB) $(FORMAT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -static -o $@ $(EARLY_INIT_OBJS) $(UPDATE_LIB) $(GLUE_LIB) $(REGION_LIB) \
		$(FORMAT_LIB) $(HOST_LIBS)

$(FERRY_BIN): $(UPDATE_LIB) $(REGION_LIB)

all: $(EARLY_INIT_BIN)
qemu-images: $(EARLY_INIT_BIN)

# host unit test of the update record (run by qemu-tests/run-tier.sh)
$(BUILD)/tests/test-update-record: qemu-tests/unit/test-update-record.c $(UPDATE_LIB) $(REGION_LIB) \
	$(FORMAT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Ikernel-glue/include $(REGION_INC) -o $@ $< $(UPDATE_LIB) \
		$(REGION_LIB) $(FORMAT_LIB) $(HOST_LIBS)
qemu-images: $(BUILD)/tests/test-update-record

# host unit test of the new kernel's command line (kernel-glue/update/tests)
$(BUILD)/tests/test-next-cmdline: kernel-glue/update/tests/test_next_cmdline.c $(UPDATE_LIB) \
	$(GLUE_LIB) $(REGION_LIB) $(FORMAT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Ikernel-glue/include $(REGION_INC) -o $@ $< $(UPDATE_LIB) \
		$(GLUE_LIB) $(REGION_LIB) $(FORMAT_LIB) $(HOST_LIBS)

TEST_BINS += $(BUILD)/tests/test-next-cmdline
