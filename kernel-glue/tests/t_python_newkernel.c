/* SPDX-License-Identifier: MIT */
/* t_python, restored by run.sh as onto a freshly booted kernel with another
 * vDSO (FERRY_FORCE_VDSO_REDIRECT=1 FERRY_TEST_CLOCK_SHIFT=1).
 *
 * host-test: run FERRY_FORCE_VDSO_REDIRECT=1 FERRY_TEST_CLOCK_SHIFT=1 usr1 2
 */
#include "t_python.c"
