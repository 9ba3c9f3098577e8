# scenario: boot-bpo
# flavor: bpo
#
# The 6.12 kernel of bookworm-backports reaches the test init.
scenario_boot bpo
