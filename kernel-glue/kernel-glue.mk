# kernel-glue: checkpoint and restore of live processes (included by the Makefile)

GLUE_SRCS := $(wildcard kernel-glue/common/*.c kernel-glue/checkpoint/*.c kernel-glue/restore/*.c \
	kernel-glue/kinds/*.c kernel-glue/inventory/*.c) \
	kernel-glue/arch/x86_64/regs.c kernel-glue/arch/x86_64/vdso_stub.c
GLUE_OBJS := $(GLUE_SRCS:%.c=$(BUILD)/obj/%.o)
GLUE_LIB := $(BUILD)/lib/libferry-glue.a

$(GLUE_OBJS): HOST_CFLAGS += -Ikernel-glue/include
$(BUILD)/obj/tools/ferry/cmd_%.o: HOST_CFLAGS += -Ikernel-glue/include

$(GLUE_LIB): $(GLUE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# test programs: one per kind of state, driven by kernel-glue/tests/run.sh
GLUE_TEST_SRCS := $(wildcard kernel-glue/tests/t_*.c)
GLUE_TEST_BINS := $(GLUE_TEST_SRCS:kernel-glue/tests/%.c=$(BUILD)/tests/glue/%)

# make bench-checkpoint (part of make bench, not of make test): BENCH_SIZES (MiB,
# default "256 1024 4096"), BENCH_RUNS (default 3), BENCH_DIR (default under /dev/shm)
$(BUILD)/bench/bench-checkpoint: kernel-glue/bench/bench_checkpoint.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -o $@ $< -lz

.PHONY: bench-checkpoint
bench-checkpoint: $(BUILD)/bin/ferry $(BUILD)/bench/bench-checkpoint
	$(BUILD)/bench/bench-checkpoint $(BUILD)/bin/ferry

$(BUILD)/tests/glue/%: kernel-glue/tests/%.c kernel-glue/tests/tlib.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -o $@ $<

# unit tests of kernel-glue, no root needed (kernel-glue/tests/unit): make glue-unit-test
GLUE_UNIT_SRCS := $(wildcard kernel-glue/tests/unit/*.c)
GLUE_UNIT_BIN := $(BUILD)/tests/test-glue-unit

$(GLUE_UNIT_BIN): $(GLUE_UNIT_SRCS) $(wildcard kernel-glue/tests/unit/*.h) $(GLUE_LIB) $(FORMAT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Ikernel-glue/include -o $@ $(GLUE_UNIT_SRCS) $(GLUE_LIB) $(FORMAT_LIB) \
		$(HOST_LIBS)

.PHONY: glue-unit-test
glue-unit-test: $(GLUE_UNIT_BIN)
	$(GLUE_UNIT_BIN)
