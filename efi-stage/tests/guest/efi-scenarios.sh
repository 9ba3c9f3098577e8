# Guest side of the OVMF scenarios. Appended to qemu-tests/guest/scenarios.sh
# in the efi-stage initramfs overlay, whose scenario_run is renamed
# scenario_run_base; efi-* scenarios are handled here, the rest there.
#
# The kernel command line comes from ferry.conf on the ESP and is the same
# on every boot, so the step is a boot counter on the data disk (vdb).

scenario_run() {
	case "$1" in
	efi-*) scenario_efi "$1" ;;
	*) scenario_run_base "$@" ;;
	esac
}

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

# the value of memcached key $1 (one short connection)
mc_get() {
	printf 'get %s\r\nquit\r\n' "$1" | timeout 5 nc 127.0.0.1 11211 2>/dev/null |
		awk 'NR == 2 { sub(/\r$/, ""); print; exit }'
}

# ferry update --via reboot onto the ESP's kernel FLAVOR [with PARAMS]; returns on failure
efi_update_to() {
	ferry update --via reboot --kernel "/esp/EFI/ferry/vmlinuz-$1" --initrd "/esp/EFI/ferry/initrd-$1" \
		--append "ferry.test=$test${2:+ $2}" --pid "$app_pid" 2>&1
}

scenario_efi() {
	boots=$(cat /data/efi-boots 2>/dev/null || echo 0)
	boots=$((boots + 1))
	echo "$boots" >/data/efi-boots
	sync
	echo "FERRY-EFI: boot $boots on $flavor ($kver)"
	echo "FERRY-EFI: cmdline $(cat /proc/cmdline)"
	grep -i -E 'reserved' /proc/iomem | grep -v '^ ' | sed 's/^/iomem: /'
	if [ "$1" != efi-install ] && ! efi_region_reserved; then
		fail "boot $boots: the region $(arg ferry.region) is not a Reserved range in /proc/iomem"
		return
	fi
	handoff=$(arg ferry.handoff)
	case "$1:$boots" in
	efi-boot:1)
		[ "$flavor" = generic ] || { fail "booted $flavor, expected generic"; return; }
		[ -z "$handoff" ] || { fail "ferry.handoff= on a boot with nothing staged"; return; }
		pass
		;;
	efi-expand:1 | efi-corrupt:1 | efi-missing-update:1)
		[ "$flavor" = generic ] || { fail "boot 1 on $flavor, expected generic"; return; }
		corrupt=""
		[ "$1" = efi-corrupt ] && corrupt=corrupt
		guest-efi-stage stage "$efi_seed" $corrupt 2>&1 || { fail "staging the image failed"; return; }
		efi_reboot
		;;
	efi-expand:2)
		[ "$flavor" = bpo ] || { fail "boot 2 on $flavor, expected the update kernel (bpo)"; return; }
		[ -n "$handoff" ] || { fail "no ferry.handoff= on the update boot"; return; }
		out=$(guest-efi-stage check "$efi_seed" 2>&1)
		rc=$?
		echo "$out" | sed 's/^/handoff: /'
		[ $rc -eq 0 ] || { fail "$(echo "$out" | tail -n 1)"; return; }
		t=$(echo "$out" | sed -n 's/^stage-time-ms=//p')
		echo "FERRY-TIME: stage verify+inflate in OVMF ${t} ms"
		pass
		;;
	efi-corrupt:2 | efi-missing-update:2)
		[ "$flavor" = generic ] || { fail "boot 2 on $flavor, expected the default entry (generic)"; return; }
		[ -n "$handoff" ] || { fail "no ferry.handoff= naming the reason"; return; }
		out=$(guest-efi-stage handoff 2>&1)
		echo "$out" | sed 's/^/handoff: /'
		echo "$out" | grep -q '^image-state=none$' || { fail "handoff does not say image-state none"; return; }
		want="CRC"
		[ "$1" = efi-missing-update ] && want="update kernel not found"
		echo "$out" | grep '^reason=' | grep -q "$want" ||
			{ fail "reason does not name '$want': $(echo "$out" | grep '^reason=')"; return; }
		pass
		;;
	efi-install:1)
		# booted by QEMU's -kernel (no ferry.efi): install it, then reboot
		efi_modules
		mount -t efivarfs efivarfs /sys/firmware/efi/efivars 2>/dev/null
		mkdir -p /esp
		mount -t vfat /dev/vdc1 /esp || { fail "cannot mount the ESP /dev/vdc1"; return; }
		ferry efi install --esp /esp 2>&1 || { fail "ferry efi install failed"; return; }
		ferry efi status 2>&1
		efibootmgr -v 2>&1 | sed 's/^/efibootmgr: /'
		umount /esp
		efi_reboot
		;;
	efi-install:2)
		# the runner started this boot without -kernel: the firmware took the
		# entry from BootOrder, and ferry.efi added ferry.region= (in hex)
		case " $(cat /proc/cmdline) " in
		*" ferry.region=0x"*) ;;
		*) fail "boot 2 did not go through ferry.efi (no ferry.region=0x... added)"; return ;;
		esac
		efi_region_reserved || { fail "boot 2: region $(arg ferry.region) not reserved"; return; }
		efi_boot_current
		[ -n "$cur" ] && [ "$label" = ferry ] ||
			{ fail "BootCurrent $cur is not the ferry entry"; return; }
		echo "$out" | grep -q "^BootOrder: $cur," ||
			{ fail "the ferry entry is not first in BootOrder or is alone there"; return; }
		ferry efi status 2>&1
		pass
		;;
	efi-update:1)
		# ferry.efi (removable path) booted 6.1: install the entry, then a
		# `ferry update --via reboot` that fails at the reboot must leave
		# everything as it was; the real one carries the counter to 6.12
		[ "$flavor" = generic ] || { fail "boot 1 on $flavor, expected generic"; return; }
		efi_esp || return
		cp /esp/EFI/ferry/ferry.conf /tmp/ferry.conf
		ferry efi install --esp /esp --conf /tmp/ferry.conf 2>&1 || { fail "ferry efi install failed"; return; }
		cp /esp/EFI/ferry/ferry.conf /tmp/ferry.conf.installed
		app_start --log /data/counter.log --console /dev/ttyS0
		sleep 2
		[ "$(last_count /data/counter.log)" -gt 3 ] 2>/dev/null || { fail "the app does not count"; return; }
		echo "$app_pid" >/data/app.pid
		sync
		# kernel and initrd from the boot disk: the kernel is on the ESP
		# already (same bytes), the initrd is copied there, then removed
		out=$(FERRY_UPDATE_TEST=fail-reboot ferry update --via reboot --kernel /boot/vmlinuz-bpo \
			--initrd /boot/initramfs-bpo.cpio.gz --pid "$app_pid" 2>&1)
		rc=$?
		echo "$out" | sed 's/^/fail-reboot: /'
		[ $rc -ne 0 ] || { fail "ferry update with a failing reboot reported success"; return; }
		echo "$out" | grep -q 'update kernel \\EFI\\ferry\\vmlinuz-bpo + \\EFI\\ferry\\initramfs-bpo.cpio.gz' ||
			{ fail "the kernel and initrd were not found on or copied to the ESP"; return; }
		[ ! -e /esp/EFI/ferry/initramfs-bpo.cpio.gz ] ||
			{ fail "the initrd copied to the ESP was left there"; return; }
		c1=$(last_count /data/counter.log)
		sleep 2
		c2=$(last_count /data/counter.log)
		[ "$c2" -gt "$c1" ] 2>/dev/null && ! traced "$app_pid" ||
			{ fail "the app did not run on after the failed reboot ($c1, $c2)"; return; }
		[ ! -e /sys/firmware/efi/efivars/BootNext-8be4df61-93ca-11d2-aa0d-00e098032b8c ] ||
			{ fail "BootNext left set after the failed reboot"; return; }
		cmp -s /esp/EFI/ferry/ferry.conf /tmp/ferry.conf.installed ||
			{ fail "ferry.conf not put back after the failed reboot"; return; }
		ferry status 2>&1 | grep -q 'state sealed' && { fail "a sealed image was left behind"; return; }
		echo "FERRY-EFI: failed reboot: the app runs on, BootNext and ferry.conf as they were"
		efi_update_to bpo
		fail "ferry update --via reboot returned: $?"
		;;
	efi-update-rollback:1)
		# the update kernel cannot start its init (rdinit= names nothing, no
		# root=): it panics and reboots (panic=-1) without restoring
		[ "$flavor" = generic ] || { fail "boot 1 on $flavor, expected generic"; return; }
		efi_esp || return
		cp /esp/EFI/ferry/ferry.conf /tmp/ferry.conf
		ferry efi install --esp /esp --conf /tmp/ferry.conf 2>&1 || { fail "ferry efi install failed"; return; }
		app_start --log /data/counter.log --console /dev/ttyS0
		sleep 2
		[ "$(last_count /data/counter.log)" -gt 3 ] 2>/dev/null || { fail "the app does not count"; return; }
		echo "$app_pid" >/data/app.pid
		sync
		efi_update_to bpo rdinit=/nonexistent
		fail "ferry update --via reboot returned: $?"
		;;
	efi-update-rollback:2)
		# BootNext was used up by the failed update boot; BootOrder's ferry
		# entry finds the image EXPANDED and never consumed: the default
		# kernel gets it (rollback) and ferry-init restores it there
		[ "$flavor" = generic ] || { fail "boot 2 on $flavor, expected the default kernel (generic)"; return; }
		[ -n "$handoff" ] || { fail "no ferry.handoff= on the rollback boot"; return; }
		out=$(guest-efi-stage handoff 2>&1)
		echo "$out" | sed 's/^/handoff: /'
		echo "$out" | grep -q '^image-state=expanded$' || { fail "the handoff does not name the expanded image"; return; }
		ferry status 2>&1
		pid=$(cat /data/app.pid)
		[ "$(cat /proc/$pid/comm 2>/dev/null)" = guest-app ] ||
			{ fail "pid $pid was not restored on the default kernel: $(grep -E 'NOT RESTORED|reason' /run/ferry/init.log 2>/dev/null | tail -n 2)"; return; }
		c1=$(last_count /data/counter.log)
		sleep 2
		c2=$(last_count /data/counter.log)
		[ "$c2" -gt "$c1" ] 2>/dev/null || { fail "the counter stopped at $c1 after the rollback"; return; }
		grep -c '^start' /data/counter.log | grep -qx 1 || { fail "the app was started again"; return; }
		echo "rollback: pid $pid runs on $kver, count $c2"
		pass
		;;
	efi-update-memcached:1)
		# memcached (the host's binary and libraries, in the overlay) on
		# 10.0.2.15:11211; the runner's client on the host connects through
		# QEMU's user networking and increments ctr on one connection
		[ "$flavor" = generic ] || { fail "boot 1 on $flavor, expected generic"; return; }
		command -v memcached >/dev/null || { skip "memcached is not in the guest overlay (not installed on the build host)"; return; }
		efi_esp || return
		cp /esp/EFI/ferry/ferry.conf /tmp/ferry.conf
		ferry efi install --esp /esp --conf /tmp/ferry.conf 2>&1 || { fail "ferry efi install failed"; return; }
		efi_net_up || return
		i=0
		while [ $i -lt 200 ]; do ( : ); i=$((i + 1)); done
		setsid memcached -u root -l 0.0.0.0 -p 11211 -t 1 -U 0 </dev/null >/dev/null 2>&1 &
		mc_pid=$!
		sleep 1
		[ -d "/proc/$mc_pid" ] || { fail "memcached did not start: $(memcached -V 2>&1 | head -n 2)"; return; }
		ip addr show eth0 2>&1 | sed 's/^/net: /'
		echo "FERRY-EFI: memcached ready"
		i=0
		until [ "$(mc_get ctr)" -ge 5 ] 2>/dev/null || [ $i -ge 100 ]; do
			sleep 0.3
			i=$((i + 1))
		done
		v1=$(mc_get ctr)
		[ "$(mc_get greeting)" = hello ] || { fail "the host client did not store 'greeting'"; return; }
		[ "${v1:-0}" -ge 5 ] 2>/dev/null || { fail "the host client did not increment ctr (ctr=$v1)"; return; }
		echo "memcached: pid $mc_pid, ctr $v1 from the host client"
		echo "$mc_pid" >/data/mc.pid
		sync
		app_pid=$mc_pid
		efi_update_to bpo
		fail "ferry update --via reboot returned: $?"
		;;
	efi-update-memcached:2)
		[ "$flavor" = bpo ] || { fail "boot 2 on $flavor, expected the update kernel (bpo)"; return; }
		ferry status 2>&1
		pid=$(cat /data/mc.pid)
		[ "$(cat /proc/$pid/comm 2>/dev/null)" = memcached ] ||
			{ fail "memcached (pid $pid) was not restored: $(grep -E 'NOT RESTORED|reason|cannot' /run/ferry/init.log 2>/dev/null | tail -n 2)"; return; }
		efi_net_up || return
		# the request the client had in flight at the freeze arrives when
		# QEMU's user network sends it again (backing off: seconds later)
		v1=$(mc_get ctr)
		i=0
		while [ $i -lt 60 ]; do
			sleep 2
			v2=$(mc_get ctr)
			[ "$v2" -gt "$v1" ] 2>/dev/null && break
			i=$((i + 1))
		done
		v2=$(mc_get ctr)
		[ "$(mc_get greeting)" = hello ] || { fail "memcached lost 'greeting'"; return; }
		[ -n "$v1" ] && [ "$v2" -gt "$v1" ] 2>/dev/null ||
			{ fail "the host client's increments did not go on after the restore (ctr $v1, then $v2)"; return; }
		echo "memcached: pid $pid on $kver, ctr $v1 -> $v2 from the host client's connection"
		efi_client_stop || return
		pass
		;;
	efi-update:2)
		[ "$flavor" = bpo ] || { fail "boot 2 on $flavor, expected the update kernel (bpo)"; return; }
		[ -n "$handoff" ] || { fail "no ferry.handoff= on the update boot"; return; }
		efi_boot_current
		[ "$label" = ferry ] || { fail "BootCurrent $cur is not the ferry entry"; return; }
		echo "$out" | grep -q '^BootNext:' && { fail "BootNext still set after the update boot"; return; }
		guest-efi-stage handoff 2>&1 | sed 's/^/handoff: /'
		ferry status 2>&1
		# the gap spans a firmware reboot; its length is in the downtime
		counter_restored 3000
		;;
	*)
		fail "unexpected boot $boots of $1 on $flavor"
		;;
	esac
}
