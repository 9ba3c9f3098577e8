/* SPDX-License-Identifier: MIT */
/* t_vdso, restored by run.sh with FERRY_FORCE_VDSO_REDIRECT=1.
 *
 * host-test: run FERRY_FORCE_VDSO_REDIRECT=1 usr1 1
 * host-test: run FERRY_FORCE_VDSO_REDIRECT=1 usr1 2
 */
#define VDSO_TEST_NAME "vdso_redirect"
#include "t_vdso.c"
