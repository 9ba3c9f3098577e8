# scenario: boot-generic
# flavor: generic
#
# Debian 12's 6.1 kernel reaches the test init.
scenario_boot generic
