# scenario: region-unreserved-generic
# flavor: generic
# option: --no-memmap
#
# Booted without memmap=: the region must be refused, with the fix named.
out=$(region-probe write-pattern 1 2>&1)
rc=$?
echo "$out"
if [ $rc -eq 0 ]; then
	fail "an unreserved range was accepted as the region"
elif echo "$out" | grep -q 'memmap=.*missing'; then
	pass
else
	fail "refused without naming memmap=: $(echo "$out" | tail -n 1)"
fi
