# Sourced by the guest image builders (qemu-tests/build-images.sh,
# efi-stage/tests/build-overlay.sh).

# copy_prog SRC DST ROOT: the dynamically linked program SRC as ROOT/DST,
# with every library ldd names for it at its own path under ROOT
copy_prog() {
	src="$1" dst="$2" root="$3"
	mkdir -p "$root$(dirname "$dst")"
	cp "$src" "$root$dst"
	ldd "$src" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' |
		while read -r lib; do
			[ -e "$root$lib" ] && continue
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
}
