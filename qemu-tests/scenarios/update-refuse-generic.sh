# scenario: update-refuse-generic
# flavor: generic
# option: --region 4M@0x30000000
#
# A 4 MiB region: a selection too big for it (a 16 MiB process) is refused
# before anything is frozen (it keeps counting, untraced; exit status 3,
# nothing changed); then a kexec that fails after the image was sealed
# (FERRY_UPDATE_TEST=fail-kexec: after the point of no return, exit status
# 4) thaws the process and leaves the region EMPTY.
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

app_start --log /data/small.log
sleep 2
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
