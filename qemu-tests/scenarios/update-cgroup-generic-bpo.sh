# scenario: update-cgroup-generic-bpo
# flavor: generic
#
# ferry update --via kexec --cgroup /ferry-app of guest-app, moved into that
# cgroup of the cgroup2 hierarchy, from 6.1 to 6.12: there it runs with the
# same PID in /ferry-app (made again by ferry-init, which mounts cgroup2
# for the restore only), its counts consecutive.
scenario_update cgroup generic bpo
