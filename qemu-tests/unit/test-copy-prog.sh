#!/bin/sh
# copy_prog (qemu-tests/copy-prog.sh) refuses a guest program whose library
# cannot be found, naming the library, and copies one found in an unpacked
# guest package to its path inside that package.
# Usage: qemu-tests/unit/test-copy-prog.sh      (prints PASS:/FAIL: lines)
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1: $2"; status=1; }

# shellcheck source=qemu-tests/copy-prog.sh
. "$here/../copy-prog.sh"

libdir="$tmp/pkgs/libferrytest1/usr/lib/x86_64-linux-gnu"
mkdir -p "$libdir"
echo 'int ferrytest_answer(void) { return 42; }' >"$tmp/lib.c"
echo 'int ferrytest_answer(void); int main(void) { return ferrytest_answer() != 42; }' >"$tmp/prog.c"
cc -shared -fPIC -Wl,-soname,libferrytest.so.1 -o "$libdir/libferrytest.so.1" "$tmp/lib.c" &&
	ln -s libferrytest.so.1 "$libdir/libferrytest.so" &&
	cc -o "$tmp/prog" "$tmp/prog.c" -L"$libdir" -lferrytest || {
	echo "FAIL: copy-prog-setup: cannot build the test program"
	exit 1
}

copy_prog_libpath=""
if copy_prog "$tmp/prog" /bin/prog "$tmp/root1" 2>"$tmp/err"; then
	fail copy-prog-missing-library "a program whose library is missing was copied"
elif ! grep -q 'libferrytest.so.1' "$tmp/err"; then
	fail copy-prog-missing-library "the refusal does not name the library: $(cat "$tmp/err")"
elif [ -e "$tmp/root1/bin/prog" ]; then
	fail copy-prog-missing-library "the program was copied although it was refused"
else
	pass copy-prog-missing-library
fi

copy_prog_libpath="$libdir"
if ! copy_prog "$tmp/prog" /bin/prog "$tmp/root2" 2>"$tmp/err"; then
	fail copy-prog-package-library "refused: $(cat "$tmp/err")"
elif [ ! -e "$tmp/root2/usr/lib/x86_64-linux-gnu/libferrytest.so.1" ]; then
	fail copy-prog-package-library "the library is not at its package path in the guest"
elif ! chroot "$tmp/root2" /bin/prog 2>/dev/null && [ "$(id -u)" -eq 0 ]; then
	fail copy-prog-package-library "the copied program does not run in its root"
else
	pass copy-prog-package-library
fi
exit $status
