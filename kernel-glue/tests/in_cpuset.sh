#!/bin/sh
# Run COMMAND in the cgroup v1 cpuset CPUSET (refused.sh: ferry on CPU 0
# alone, as a restorer with fewer CPUs would be).
#
# Usage: in_cpuset.sh CPUSET COMMAND [ARG...]
# host-test: helper run by refused.sh
set -eu
cpuset=$1
shift
echo $$ >"$cpuset/tasks"
exec "$@"
