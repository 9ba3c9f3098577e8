# Sourced by the guest image builders (qemu-tests/build-images.sh,
# efi-stage/tests/build-overlay.sh).
#
# copy_prog_libpath: colon-separated directories of libraries unpacked from
# guest-only packages (build-images.sh's fetch_pkg_deps); ldd searches them
# first, and a library found there lands in the guest at the path it has
# inside its package.

copy_prog_libpath="${copy_prog_libpath:-}"

# copy_prog SRC DST ROOT: the dynamically linked program SRC as ROOT/DST,
# with every library it needs at its own path under ROOT. A library that
# ldd cannot find fails the build, naming it: a guest program must never
# arrive without what it links against.
copy_prog() {
	src="$1" dst="$2" root="$3"
	libs=$(LD_LIBRARY_PATH="$copy_prog_libpath" ldd "$src" 2>&1) || {
		# a static program: nothing to resolve
		case "$libs" in
		*"not a dynamic executable"*) libs="" ;;
		*) echo "copy_prog: ldd $src failed: $libs" >&2; return 1 ;;
		esac
	}
	missing=$(printf '%s\n' "$libs" | sed -n 's/^[[:space:]]*\([^ ]*\) => not found.*/\1/p')
	if [ -n "$missing" ]; then
		echo "copy_prog: $src needs $(echo $missing | sed 's/ /, /g'), which neither this" \
			"machine nor the guest packages unpacked under build/ provide" >&2
		return 1
	fi
	mkdir -p "$root$(dirname "$dst")"
	cp "$src" "$root$dst"
	printf '%s\n' "$libs" |
		sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' >"$root/.copy_prog.$$"
	while read -r lib; do
		guest_lib=$(copy_prog_guest_path "$lib")
		[ -e "$root$guest_lib" ] && continue
		mkdir -p "$root$(dirname "$guest_lib")"
		cp -L "$lib" "$root$guest_lib" || { rm -f "$root/.copy_prog.$$"; return 1; }
	done <"$root/.copy_prog.$$"
	rm -f "$root/.copy_prog.$$"
}

# copy_prog_guest_path LIB: where LIB goes in the guest: its path inside the
# package it was unpacked from, or its own path on this machine
copy_prog_guest_path() {
	old_ifs="$IFS"
	IFS=:
	for dir in $copy_prog_libpath; do
		case "$1" in
		"$dir"/*)
			IFS="$old_ifs"
			# DIR is PKGROOT/usr/lib/x86_64-linux-gnu or PKGROOT/lib/...: keep
			# the part from /usr/lib or /lib on
			echo "$1" | sed 's|^.*/pkgs/[^/]*||'
			return 0
			;;
		esac
	done
	IFS="$old_ifs"
	echo "$1"
}
