# kernel-glue/tests: the host tier's test programs and the kernel-glue unit
# tests. Included from the Makefile after the libraries' makefiles; the
# tiers build each test on its own (a test that does not build is a FAIL of
# its own, never a stop of `make test`):
#
#   build/tests/glue/t_NAME      kernel-glue/tests/t_NAME.c, one kind of state
#                                each (kernel-glue/tests/run.sh)
#   build/tests/glue-unit/test_NAME   kernel-glue/tests/unit/test_NAME.c, linked
#                                with the kernel-glue libraries (kernel-glue/tests/run-unit.sh)

# where the t_*.c programs are (the test of run.sh's discovery builds others)
GLUE_TEST_DIR ?= kernel-glue/tests

$(BUILD)/tests/glue/%: $(GLUE_TEST_DIR)/%.c $(GLUE_TEST_DIR)/tlib.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -o $@ $<
# the TCP programs' helpers (the rule above serves other test folders too,
# unit/test_host_discovery.sh's, which have no such file)
$(addprefix $(BUILD)/tests/glue/,t_tcp_fin t_tcp_fin_outside t_tcp_states t_tcp_syn_sent): \
	$(GLUE_TEST_DIR)/tcp_tlib.h

# a unit test program: unit/test_NAME.c with every other unit/*.c (helpers)
GLUE_UNIT_LIBS := $(UPDATE_LIB) $(GLUE_LIB) $(REGION_LIB) $(FORMAT_LIB)
GLUE_UNIT_HELPERS := $(filter-out kernel-glue/tests/unit/test_%,$(wildcard kernel-glue/tests/unit/*.c))

$(BUILD)/tests/glue-unit/test_%: kernel-glue/tests/unit/test_%.c $(GLUE_UNIT_HELPERS) \
		$(wildcard kernel-glue/tests/unit/*.h) $(GLUE_UNIT_LIBS)
	@mkdir -p $(dir $@)
	$(CC) $(HOST_CFLAGS) -Ikernel-glue/include -o $@ $< $(GLUE_UNIT_HELPERS) $(GLUE_UNIT_LIBS) \
		$(HOST_LIBS)

# the unit tier by hand (make test runs it too)
.PHONY: glue-unit-test
glue-unit-test: all
	@sh kernel-glue/tests/run-unit.sh $(BUILD)
