# shellcheck shell=sh disable=SC2154 # test, step, flavor, kver, arg: from /init
# The marked range across kexec: the scenario families boot-*, region-kexec-*,
# pmem-kexec-*, tools-kexec-* and control-kexec-* (qemu-tests/scenarios).
# A scenario runs in steps, one per boot: step 1 on the kernel QEMU started,
# step 2 on the kernel step 1 kexec'd into, and so on. Parameters come from
# the kernel command line: ferry.test=, ferry.step=, ferry.seed= (the
# pattern seed, chosen by the host), ferry.kexec=tools (load through
# kexec-tools) or tools-unsafe (kexec-tools without keeping its segments
# below the region: the control-kexec-* negative control, which passes only
# if the damage is detected).

# scenario_boot FLAVOR: the kernel QEMU started is FLAVOR and reached /init.
scenario_boot() {
	if [ "$flavor" = "$1" ]; then
		region-probe info 2>&1
		pass
	else
		fail "booted $flavor, expected $1"
	fi
}

# kexec into /boot/vmlinuz-FLAVOR with step+1; only returns on failure.
kexec_to() {
	to="$1"
	shift
	if [ ! -f "/boot/vmlinuz-$to" ]; then
		fail "no /boot/vmlinuz-$to on the boot disk"
		return
	fi
	case "$(arg ferry.kexec)" in
	tools) export FERRY_KEXEC_FORCE_TOOLS=1 ;;
	tools-unsafe) export FERRY_KEXEC_FORCE_TOOLS=1 FERRY_KEXEC_UNSAFE_NO_MEMMAX=1 ;;
	esac
	region-probe kexec "/boot/vmlinuz-$to" "/boot/initramfs-$to.cpio.gz" -- \
		"ferry.test=$test" "ferry.step=$((step + 1))" "$@" 2>&1
	fail "kexec to $to did not happen"
}

# scenario_region_kexec FROM TO [damaged]: write the pattern on FROM, kexec
# to TO, check it there; with damaged (a negative control), the load path
# is expected to hit the region, and the check must notice.
scenario_region_kexec() {
	from="$1" to="$2" expect=${3:-intact}
	seed=$(arg ferry.seed)
	seed=${seed:-1}
	case "$step" in
	1)
		[ "$flavor" = "$from" ] || { fail "step 1 runs on $flavor, expected $from"; return; }
		region-probe info 2>&1 || { fail "region unusable on $kver: $(region-probe info 2>&1 | tail -n 1)"; return; }
		grep -i -E 'reserved|persistent' /proc/iomem | sed 's/^/iomem: /'
		out=$(region-probe write-pattern "$seed" 2>&1)
		echo "$out"
		echo "$out" | grep -q '^write-pattern:' || { fail "write-pattern: $(echo "$out" | tail -n 1)"; return; }
		region-probe check-pattern "$seed" 2>&1 || { fail "pattern unreadable on the kernel that wrote it"; return; }
		echo "$seed $kver" >/data/region-seed && sync
		kexec_to "$to" "ferry.seed=$seed"
		;;
	2)
		[ "$flavor" = "$to" ] || { fail "step 2 runs on $flavor, expected $to"; return; }
		grep -i -E 'reserved|persistent' /proc/iomem | sed 's/^/iomem: /'
		if ! grep -q "^$seed " /data/region-seed 2>/dev/null; then
			fail "data disk lost /data/region-seed across kexec"
			return
		fi
		out=$(region-probe check-pattern "$seed" 2>&1)
		rc=$?
		echo "$out"
		if [ "$expect" = damaged ]; then
			# negative control: this load path is expected to hit the region
			# how much is hit depends on the size of what kexec-tools loads
			if [ $rc -ne 0 ] && echo "$out" | grep -q -E 'words differ|did not survive'; then
				echo "control: damage detected as expected: $(echo "$out" | grep -E 'words differ|did not survive')"
				pass
			else
				fail "negative control: expected the pattern to be damaged, check said: $(echo "$out" | tail -n 1)"
			fi
		elif [ $rc -eq 0 ]; then
			pass
		else
			fail "pattern damaged after kexec from $from to $to ($kver): $(echo "$out" | grep -v FERRY-TIME | tail -n 1)"
		fi
		;;
	*) fail "no step $step" ;;
	esac
}

