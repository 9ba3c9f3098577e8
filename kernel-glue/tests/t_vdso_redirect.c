/* SPDX-License-Identifier: MIT */
/* t_vdso, restored by run.sh with FERRY_FORCE_VDSO_REDIRECT=1. */
#define VDSO_TEST_NAME "vdso_redirect"
#include "t_vdso.c"
