# shellcheck shell=sh disable=SC2154 # test: set by /init (ferry.test=)
# A scenario's verdict, as the guest gives it on its serial console, for the
# host's runner (qemu-tests/lib/console.sh) to read:
#   FERRY-TEST: PASS name
#   FERRY-TEST: FAIL name why
#   FERRY-TEST: SKIP name why
# once the outcome of the scenario is known. Shared by every guest (the
# direct kernel boots of qemu-tests and the OVMF ones of efi-stage/tests).

pass() { echo "FERRY-TEST: PASS $test"; }
fail() { echo "FERRY-TEST: FAIL $test $*"; }
skip() { echo "FERRY-TEST: SKIP $test $*"; }
