# scenario: efi-soak
# option: --timeout 900
#
# Endurance through the reboot path: ferry.soak= (default 3; make soak: 20)
# updates in a row by ferry update --via reboot (BootNext, ferry.efi),
# alternating 6.12 and 6.1, of the counting guest-app. After each: it was
# restored, counts on with no gap above that update's downtime (the gap
# spans a firmware reboot), and nothing grows (qemu-tests/guest/lib/soak.sh:
# descriptors, resident memory, memory areas, network-lock rules, sealed
# images); the last boot prints the downtimes.
efi_boot_begin || return
cycles=$(arg ferry.soak)
cycles=${cycles:-3}
case $((boots % 2)) in 1) here=generic next=bpo ;; *) here=bpo next=generic ;; esac
[ "$flavor" = "$here" ] || { fail "boot $boots on $flavor, expected $here"; return; }
if [ "$boots" = 1 ]; then
	efi_install_entry || return
	counter_start || return
	soak_begin "$app_pid"
	echo "soak: guest-app pid $app_pid, $cycles cycles through the reboot path"
else
	soak_check_common $((boots - 1)) 3000 || return
	echo "soak: cycle $((boots - 1)) of $cycles on $kver: $soak_line"
fi
if [ "$boots" -gt "$cycles" ]; then
	soak_summary
	pass
	return
fi
[ "$boots" = 1 ] || efi_esp || return # the update kernel on the ESP, BootNext in efivarfs
app_pid=$(cat "$soak_dir/pids")
sync
efi_update_to "$next"
fail "cycle $boots: ferry update --via reboot returned: $?"
