#!/bin/sh
# Run COMMAND with the audit login uid UID and without CAP_AUDIT_CONTROL
# (refused.sh: a ferry whose own login uid is set, as after a login, and
# who may not change one that is).
#
# Usage: as_login_uid.sh UID COMMAND [ARG...]
# host-test: helper run by refused.sh
set -eu
echo "$1" >/proc/self/loginuid
shift
exec setpriv --bounding-set=-audit_control --inh-caps=-audit_control -- "$@"
