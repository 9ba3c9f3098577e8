# kernel-glue: checkpoint and restore of live processes (included by the Makefile)

GLUE_SRCS := $(wildcard kernel-glue/common/*.c kernel-glue/checkpoint/*.c kernel-glue/restore/*.c \
	kernel-glue/kinds/*.c kernel-glue/inventory/*.c) \
	kernel-glue/arch/x86_64/regs.c kernel-glue/arch/x86_64/vdso_stub.c
GLUE_OBJS := $(GLUE_SRCS:%.c=$(BUILD)/obj/%.o)
GLUE_LIB := $(BUILD)/lib/libferry-glue.a

$(GLUE_OBJS): HOST_CFLAGS += -Ikernel-glue/include
$(BUILD)/obj/tools/ferry/cmd_%.o $(BUILD)/obj/tools/ferry/selection.o: HOST_CFLAGS += -Ikernel-glue/include

$(GLUE_LIB): $(GLUE_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

# make bench-checkpoint (part of make bench, not of make test): BENCH_SIZES (MiB,
# default "256 1024 4096"), BENCH_RUNS (default 3), BENCH_DIR (default under /dev/shm)
$(BUILD)/bench/bench-checkpoint: kernel-glue/bench/bench_checkpoint.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -o $@ $< -lz

.PHONY: bench-checkpoint bench-verify
bench-checkpoint: $(BUILD)/bin/ferry $(BUILD)/bench/bench-checkpoint
	$(BUILD)/bench/bench-checkpoint $(BUILD)/bin/ferry
	sh kernel-glue/bench/bench_verify.sh $(BUILD)/bin/ferry

# the cost of restore's verify step on a BENCH_VERIFY_MIB (default 1024) MiB process
bench-verify: $(BUILD)/bin/ferry
	sh kernel-glue/bench/bench_verify.sh $(BUILD)/bin/ferry

# make kill-checkpoint: kill_checkpoint.sh with KILL_TRIALS (default 200)
# checkpoints killed at random instants (KILL_SEED; KILL_MODE=kill: of
# checkpoint --kill), each checked, as PID 1 of a PID namespace
.PHONY: kill-checkpoint
kill-checkpoint: $(BUILD)/bin/ferry
	KILL_TRIALS=$${KILL_TRIALS:-200} unshare --pid --fork --mount-proc \
		sh kernel-glue/tests/kill_checkpoint.sh $(BUILD)

# make kill-restore: kill_restore.sh with KILL_TRIALS (default 100)
# restores killed at random instants (KILL_SEED), each checked
.PHONY: kill-restore
kill-restore: $(BUILD)/bin/ferry
	KILL_TRIALS=$${KILL_TRIALS:-100} unshare --pid --fork --mount-proc \
		sh kernel-glue/tests/kill_restore.sh $(BUILD)

# make bench-scale: checkpoint and restore time against the number of
# threads, processes, descriptors and areas (SCALE_QUICK=1: small sizes, SCALE_ONLY=threads,areas: only those)
$(BUILD)/bench/bench-scale: kernel-glue/bench/bench_scale.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -o $@ $< -lpthread

.PHONY: bench-scale
bench-scale: $(BUILD)/bin/ferry $(BUILD)/bench/bench-scale
	$(BUILD)/bench/bench-scale $(BUILD)/bin/ferry $(BUILD)/bench

# a hostile writer for the tests: an image's metadata edited, sealed again
$(BUILD)/tests/edit-image: kernel-glue/tests/edit_image.c $(FORMAT_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -o $@ $^ $(HOST_LIBS)
