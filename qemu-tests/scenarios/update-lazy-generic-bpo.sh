# scenario: update-lazy-generic-bpo
# flavor: generic
#
# ferry update --via kexec --pid of guest-app from 6.1 to 6.12 with
# ferry.lazy=1: ferry-init lets it run before its pages are home; its pager
# (outliving the exec of the real init) places them and goes, with its
# guard; the app runs with the same PID, counts consecutive, no gap above
# the downtime ferry status reports + 0.5 s.
scenario_update lazy generic bpo
