#!/bin/sh
# Prove the format core links with no C library: the link in the Makefile
# uses -nostdlib -Wl,--no-undefined; here we check the result and that the
# only C library functions in it are the hand-written ones of
# format/freestanding/libc.c.
set -u
build="$1"
elf="$build/freestanding/format-core.elf"
if [ ! -f "$elf" ]; then
	echo "FAIL: freestanding-link: $elf was not built"
	exit 1
fi
if readelf -d "$elf" 2>/dev/null | grep -q NEEDED; then
	echo "FAIL: freestanding-link: $elf needs a shared library"
	exit 1
fi
echo "PASS: freestanding-link"
undefined=$(nm -u "$elf")
if [ -n "$undefined" ]; then
	echo "FAIL: freestanding-no-undefined: $undefined"
	exit 1
fi
echo "PASS: freestanding-no-undefined"
