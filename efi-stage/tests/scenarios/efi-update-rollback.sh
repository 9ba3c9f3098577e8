# scenario: efi-update-rollback
# option: --expect-panic
#
# The update kernel cannot start its init and panics (panic=-1 reboots):
# BootNext is used up, the ferry entry finds the image expanded and never
# consumed, and the default kernel (6.1) restores it (rollback).
efi_boot_begin || return
case "$boots" in
1)
	# the update kernel cannot start its init (rdinit= names nothing, no
	# root=): it panics and reboots (panic=-1) without restoring
	[ "$flavor" = generic ] || { fail "boot 1 on $flavor, expected generic"; return; }
	efi_install_entry || return
	counter_start || return
	efi_update_to bpo rdinit=/nonexistent
	fail "ferry update --via reboot returned: $?"
	;;
2)
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
*) efi_unexpected_boot ;;
esac
