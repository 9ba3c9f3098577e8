# scenario: update-generic-bpo
# flavor: generic
#
# ferry update --via kexec --pid of guest-app (it counts every 100 ms into
# /data/counter.log and on ttyS0) from 6.1 to 6.12: there it runs with the
# same PID, one start line (never restarted), counts consecutive, no gap
# above the downtime ferry status reports + 0.5 s.
scenario_update counter generic bpo
