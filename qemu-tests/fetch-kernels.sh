#!/bin/sh
# Fetch the Debian guest kernels with `apt-get download` and extract each
# one's vmlinuz, config and the modules a guest needs.
#
#   generic   6.1 generic (bookworm)          linux-image-6.1.*-amd64
#   cloud     6.1 cloud   (bookworm)          linux-image-6.1.*-cloud-amd64
#   bpo       6.12 generic (bookworm-backports) linux-image-6.12.*-amd64
#
# Versions are pinned by what apt resolves for the metapackages the first
# time; build/qemu/kernels.txt records them ("flavor package kernel-release")
# and later runs reuse it. Remove that file to re-resolve.
#
# Usage: qemu-tests/fetch-kernels.sh BUILD_DIR
set -eu

build="${1:-build}"
debs="$build/cache/debs"
qdir="$build/qemu"
list="$qdir/kernels.txt"
mkdir -p "$debs" "$qdir/kernels"

# Resolve "metapackage [-t release]" to the linux-image-<kver> it depends on.
resolve() {
	apt-cache depends "$@" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n 1
}

if [ ! -s "$list" ]; then
	g=$(resolve linux-image-amd64 -t bookworm-security)
	case "$g" in linux-image-6.1.*) ;; *) g=$(resolve linux-image-amd64 -t bookworm) ;; esac
	c=$(resolve linux-image-cloud-amd64 -t bookworm-security)
	case "$c" in linux-image-6.1.*) ;; *) c=$(resolve linux-image-cloud-amd64 -t bookworm) ;; esac
	b=$(resolve linux-image-amd64 -t bookworm-backports)
	for p in "$g" "$c" "$b"; do
		if [ -z "$p" ]; then
			echo "fetch-kernels: apt could not resolve a kernel package (run mk/qemu-deps.sh: is bookworm-backports configured?)" >&2
			exit 1
		fi
	done
	case "$b" in linux-image-6.12.*) ;; *)
		echo "fetch-kernels: bookworm-backports resolved to $b, expected 6.12" >&2
		exit 1 ;;
	esac
	{
		echo "generic $g ${g#linux-image-}"
		echo "cloud $c ${c#linux-image-}"
		echo "bpo $b ${b#linux-image-}"
	} >"$list.tmp"
	mv "$list.tmp" "$list"
fi

# Modules the guest init loads, when the kernel has them as modules.
# Their dependencies are added from modinfo.
# i6300esb: QEMU's watchdog (-device i6300esb, run-scenario --watchdog);
# softdog: only loaded by a scenario that asks for it (guest/init).
guest_modules="virtio_pci virtio_blk virtio_console virtio_net crc32c_generic ext4
	nd_pmem nd_btt nd_e820 i6300esb softdog"

while read -r flavor pkg kver; do
	out="$qdir/kernels/$flavor"
	if [ -s "$out/vmlinuz" ] && [ "$(cat "$out/kver" 2>/dev/null)" = "$kver" ] &&
		[ "$(cat "$out/modules.wanted" 2>/dev/null)" = "$(echo $guest_modules)" ]; then
		continue
	fi
	deb=$(ls "$debs/${pkg}_"*.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ]; then
		echo "fetch-kernels: downloading $pkg"
		(cd "$debs" && apt-get download -q "$pkg" >/dev/null)
		deb=$(ls "$debs/${pkg}_"*.deb | head -n 1)
	fi
	tmp="$qdir/kernels/.x-$flavor"
	rm -rf "$tmp" "$out"
	mkdir -p "$tmp" "$out/modules"
	dpkg-deb -x "$deb" "$tmp"
	cp "$tmp/boot/vmlinuz-$kver" "$out/vmlinuz"
	cp "$tmp/boot/config-$kver" "$out/config"
	mdir="$tmp/lib/modules/$kver"
	: >"$out/modules.order"
	# each wanted module after everything it depends on
	add_module() {
		f=$(find "$mdir/kernel" -name "$1.ko*" | head -n 1)
		[ -n "$f" ] || return 0
		grep -qx "$1" "$out/modules.order" && return 0
		for d in $(modinfo -F depends "$f" | tr ',' ' '); do
			add_module "$(echo "$d" | tr - _)"
		done
		f=$(find "$mdir/kernel" -name "$1.ko*" | head -n 1)
		case "$f" in
		*.ko.xz) xz -dc "$f" >"$out/modules/$1.ko" ;;
		*.ko.zst) zstd -qdc "$f" >"$out/modules/$1.ko" ;;
		*) cp "$f" "$out/modules/$1.ko" ;;
		esac
		echo "$1" >>"$out/modules.order"
	}
	for m in $guest_modules; do
		add_module "$m"
	done
	dpkg-deb -f "$deb" Version >"$out/version"
	echo "$kver" >"$out/kver"
	echo $guest_modules >"$out/modules.wanted"
	rm -rf "$tmp"
	echo "fetch-kernels: $flavor = $pkg ($(cat "$out/version")), modules: $(tr '\n' ' ' <"$out/modules.order")"
done <"$list"
