# scenario: update-namespaces-generic-bpo
# flavor: generic
#
# ferry update --via kexec --pid of guest-app in a mount and a UTS namespace
# of its own (`unshare -m -u`, a tmpfs on /mnt holding a file, its own host
# name), from 6.1 to 6.12: there it runs with the same PID, in a mount
# namespace rebuilt by ferry-init with the tmpfs and its file, under its
# host name, while the system's namespaces are untouched; counts
# consecutive.
scenario_update namespaces generic bpo
