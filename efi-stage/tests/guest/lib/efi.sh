# shellcheck shell=sh disable=SC2154 # test, flavor, kver, arg: from /init
# Helpers of the OVMF scenarios (efi-stage/tests/scenarios), in the guest's
# /etc/ferry/lib next to qemu-tests/guest/lib (the efi-stage initramfs
# overlay adds them to qemu-tests' initramfs).
#
# The kernel command line comes from ferry.conf on the ESP and is the same
# on every boot, so the step is a boot counter on the data disk (vdb).

efi_seed=7

# A number of ferry.region= (SPEC.md 9.1: decimal or 0x hex, optional K/M/G/T)
# in decimal; nothing for anything else. Never hands shell arithmetic a
# suffix: an arithmetic error would end /init (and panic the guest).
efi_number() {
	n="$1" bits=0
	case "$n" in
	*[Kk]) n=${n%?} bits=10 ;;
	*[Mm]) n=${n%?} bits=20 ;;
	*[Gg]) n=${n%?} bits=30 ;;
	*[Tt]) n=${n%?} bits=40 ;;
	esac
	case "$n" in
	0[xX]*[!0-9a-fA-F]* | 0[xX]) return 1 ;;
	0[xX]*) ;;
	"" | *[!0-9]*) return 1 ;;
	esac
	echo $((n << bits))
}

# the range named by ferry.region= lies inside one "Reserved" line of /proc/iomem
efi_region_reserved() {
	spec=$(arg ferry.region)
	case "$spec" in
	*@*) ;;
	*) return 1 ;;
	esac
	size=$(efi_number "${spec%@*}") && base=$(efi_number "${spec#*@}") || return 1
	s=$base
	e=$((base + size - 1))
	while IFS= read -r line; do
		case "$line" in
		" "*) continue ;;
		*": Reserved" | *": reserved") ;;
		*) continue ;;
		esac
		r=${line%% :*}
		a=$((0x${r%-*}))
		b=$((0x${r#*-}))
		[ "$a" -le "$s" ] && [ "$b" -ge "$e" ] && return 0
	done </proc/iomem
	return 1
}

efi_reboot() {
	echo "FERRY-EFI: warm reboot"
	sync
	umount /data 2>/dev/null
	reboot -f
	sleep 30
	fail "reboot -f did not reboot"
}

efi_modules() {
	for m in fat vfat nls_cp437 nls_ascii nls_utf8 efivarfs; do
		[ -f "/lib/modules/$kver/extra/$m.ko" ] && insmod "/lib/modules/$kver/extra/$m.ko" 2>/dev/null
	done
}

# mount the ESP (vdc1) on /esp and efivarfs read-write
efi_esp() {
	efi_modules
	mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>/dev/null
	mkdir -p /esp
	mount -t vfat /dev/vdc1 /esp || { fail "cannot mount the ESP /dev/vdc1"; return 1; }
}

# What efibootmgr says (on the console, each line after "efibootmgr: "):
# out its whole output, cur the BootCurrent number, label the description
# of that entry
efi_boot_current() {
	efi_modules
	mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>/dev/null
	out=$(efibootmgr 2>&1)
	echo "$out" | sed 's/^/efibootmgr: /'
	cur=$(echo "$out" | sed -n 's/^BootCurrent: *//p')
	label=$(echo "$out" | awk -v b="Boot$cur" '$1 == b || $1 == b "*" { print $2 }')
}

# the guest's address for QEMU user networking (the runner's --net); on a
# boot with a restore the ferry-init wrapper (guest/ferry-init-net) did it
efi_net_up() {
	ip link set lo up
	ip addr add "$(arg ferry.net)" dev eth0 2>/dev/null
	ip link set eth0 up || { fail "no eth0 (virtio_net)"; return 1; }
}

# Ask the runner to end its host client, then wait until the client's
# connection (10.0.2.15:11211 <- 10.0.2.2, /proc/net/tcp, hex) is no longer
# established. The verdict and the poweroff after it must come after the
# client's end: QEMU's exit would otherwise close the client's connection
# first, and the client would take that for the server closing it.
efi_client_stop() {
	echo "FERRY-EFI: stop the host client"
	i=0
	while grep -q ' 0F02000A:2BCB 0202000A:[0-9A-F]* 01 ' /proc/net/tcp; do
		[ $i -ge 50 ] && { fail "the host client's connection was still open 10 s after it was told to stop"; return 1; }
		sleep 0.2
		i=$((i + 1))
	done
}

# ferry update --via reboot onto the ESP's kernel FLAVOR [with PARAMS]; returns on failure
efi_update_to() {
	ferry update --via reboot --kernel "/esp/EFI/ferry/vmlinuz-$1" --initrd "/esp/EFI/ferry/initrd-$1" \
		--append "ferry.test=$test${2:+ $2}" --pid "$app_pid" 2>&1
}

# efi_boot_begin [--any-region]: count this boot (boots), say where it
# runs, read ferry.handoff= (handoff); false after a FAIL when ferry.region=
# is not a Reserved range (unless --any-region: a boot not through ferry.efi).
efi_boot_begin() {
	boots=$(cat /data/efi-boots 2>/dev/null || echo 0)
	boots=$((boots + 1))
	echo "$boots" >/data/efi-boots
	sync
	echo "FERRY-EFI: boot $boots on $flavor ($kver)"
	echo "FERRY-EFI: cmdline $(cat /proc/cmdline)"
	grep -i -E 'reserved' /proc/iomem | grep -v '^ ' | sed 's/^/iomem: /'
	if [ "${1:-}" != --any-region ] && ! efi_region_reserved; then
		fail "boot $boots: the region $(arg ferry.region) is not a Reserved range in /proc/iomem"
		return 1
	fi
	handoff=$(arg ferry.handoff)
}

# a boot the scenario has no step for
efi_unexpected_boot() {
	fail "unexpected boot $boots of $test on $flavor"
}

# efi_stage_image [corrupt]: boot 1 on the default kernel (generic) stages
# a test image in the region (one byte damaged with corrupt), then reboots
# warm; only returns on failure.
efi_stage_image() {
	[ "$flavor" = generic ] || { fail "boot 1 on $flavor, expected generic"; return; }
	guest-efi-stage stage "$efi_seed" "$@" 2>&1 || { fail "staging the image failed"; return; }
	efi_reboot
}

# efi_image_refused REASON: boot 2 is the default kernel again, whose
# handoff says no image, naming REASON: pass or fail.
efi_image_refused() {
	[ "$flavor" = generic ] || { fail "boot 2 on $flavor, expected the default entry (generic)"; return; }
	[ -n "$handoff" ] || { fail "no ferry.handoff= naming the reason"; return; }
	out=$(guest-efi-stage handoff 2>&1)
	echo "$out" | sed 's/^/handoff: /'
	echo "$out" | grep -q '^image-state=none$' || { fail "handoff does not say image-state none"; return; }
	echo "$out" | grep '^reason=' | grep -q "$1" ||
		{ fail "reason does not name '$1': $(echo "$out" | grep '^reason=')"; return; }
	pass
}

# efi_install_entry: the ESP mounted (efi_esp), then `ferry efi install`
# with the ESP's ferry.conf; false after a FAIL.
efi_install_entry() {
	efi_esp || return 1
	cp /esp/EFI/ferry/ferry.conf /tmp/ferry.conf
	ferry efi install --esp /esp --conf /tmp/ferry.conf 2>&1 || { fail "ferry efi install failed"; return 1; }
}
