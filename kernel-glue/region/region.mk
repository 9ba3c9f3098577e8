# The marked region on a running Linux and the kexec glue (included from
# the Makefile). The region header, SIZE@ADDR and the command line they
# read are format/'s (libferry-format).
#
#   build/lib/libferry-region.a   kernel-glue/region + kernel-glue/kexec
#   build/tests/test-region       their unit tests (kernel-glue/region/tests),
#                                 run by the QEMU tier (make qemu-images builds it)

REGION_ARCH := x86_64
REGION_SRCS := $(wildcard kernel-glue/region/*.c) $(wildcard kernel-glue/kexec/*.c) \
	kernel-glue/common/log.c \
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

$(BUILD)/tests/test-region: kernel-glue/region/tests/test_region.c $(REGION_LIB) $(FORMAT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) $(REGION_INC) -o $@ $< $(REGION_LIB) $(FORMAT_LIB) $(HOST_LIBS)
