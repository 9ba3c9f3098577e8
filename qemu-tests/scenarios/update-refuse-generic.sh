# scenario: update-refuse-generic
# flavor: generic
# option: --region 4M@0x30000000
#
# A 4 MiB region: a selection too big for it (a 16 MiB process) is refused
# before anything is frozen (it keeps counting, untraced; exit status 3,
# nothing changed), and so is a process holding a file open on /tmp, a
# tmpfs whose contents the next boot does not have; then a kexec that fails after the image was sealed
# (FERRY_UPDATE_TEST=fail-kexec: after the point of no return, exit status
# 4) thaws the process and leaves the region EMPTY. Before that, ferry update
# --watchdog is refused (exit status 3, nothing frozen) without a watchdog
# and with softdog, which cannot outlive the kernel it runs in.
app_start --log /data/big.log --mem 16
big=$app_pid
sleep 2
out=$(update_to "$flavor" --pid)
rc=$?
echo "$out"
[ $rc -eq 3 ] || { fail "ferry update of a 16 MiB process into a 4 MiB region: exit status $rc, not 3 (refused)"; return; }
echo "$out" | grep -q 'region is too small' || { fail "refused without naming the size: $(echo "$out" | tail -n 1)"; return; }
echo "$out" | grep -q 'freezing' && { fail "it froze before refusing"; return; }
traced $big && { fail "pid $big still traced after the refusal"; return; }
c1=$(last_count /data/big.log)
sleep 1
[ "$(last_count /data/big.log)" -gt "$c1" ] || { fail "pid $big stopped counting after the refusal"; return; }

# a log kept in the guest's /tmp, a tmpfs the next boot has empty: refused
# by name in the preflight, nothing frozen
app_start --log /tmp/in-memory.log
inmem=$app_pid
sleep 2
out=$(update_to "$flavor" --pid)
rc=$?
echo "$out"
[ $rc -eq 3 ] || { fail "ferry update of a process writing a file on /tmp (tmpfs): exit status $rc, not 3 (refused)"; return; }
echo "$out" | grep -q '/tmp/in-memory.log: a file of the memory filesystem at /tmp, which the new boot does not have' ||
	{ fail "refused without naming the file in memory: $(echo "$out" | tail -n 2)"; return; }
echo "$out" | grep -q 'freezing' && { fail "it froze before refusing the file in memory"; return; }
traced $inmem && { fail "pid $inmem still traced after the refusal"; return; }
kill $inmem

app_start --log /data/small.log
sleep 2
# --watchdog without a watchdog, then with softdog only (a timer of this
# kernel, which the kexec ends): refused in the preflight, nothing frozen
out=$(update_to "$flavor" --pid --watchdog 10)
rc=$?
echo "$out"
[ $rc -eq 3 ] || { fail "ferry update --watchdog without a watchdog: exit status $rc, not 3"; return; }
echo "$out" | grep -q 'no watchdog device' || { fail "refused without naming the missing watchdog: $(echo "$out" | tail -n 1)"; return; }
insmod "/lib/modules/$kver/softdog.ko" || { fail "cannot load softdog"; return; }
[ -c /dev/watchdog ] || { fail "softdog gave no /dev/watchdog"; return; }
out=$(update_to "$flavor" --pid --watchdog 10)
rc=$?
echo "$out"
[ $rc -eq 3 ] || { fail "ferry update --watchdog with softdog: exit status $rc, not 3"; return; }
echo "$out" | grep -q 'is softdog, a timer of the running kernel' || { fail "softdog refused without saying why: $(echo "$out" | tail -n 1)"; return; }
echo "$out" | grep -q 'freezing' && { fail "it froze before refusing the watchdog"; return; }
traced $app_pid && { fail "pid $app_pid still traced after the watchdog refusal"; return; }
rmmod softdog 2>/dev/null
out=$(FERRY_UPDATE_TEST=fail-kexec update_to "$flavor" --pid)
rc=$?
echo "$out"
[ $rc -eq 4 ] || { fail "ferry update with a failing kexec: exit status $rc, not 4 (after the point of no return)"; return; }
echo "$out" | grep -q 'image sealed' || { fail "the failing kexec came before the seal: $(echo "$out" | tail -n 1)"; return; }
traced $app_pid && { fail "pid $app_pid still traced after the failed kexec"; return; }
c1=$(last_count /data/small.log)
sleep 1
[ "$(last_count /data/small.log)" -gt "$c1" ] || { fail "pid $app_pid stopped after the failed kexec"; return; }
st=$(ferry status 2>&1)
echo "$st"
echo "$st" | grep -q 'state empty' || { fail "region not EMPTY after the failed kexec"; return; }
pass
