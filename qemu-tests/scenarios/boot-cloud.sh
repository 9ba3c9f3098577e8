# scenario: boot-cloud
# flavor: cloud
#
# Debian 12's 6.1 cloud kernel reaches the test init.
scenario_boot cloud
