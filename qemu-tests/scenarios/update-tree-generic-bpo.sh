# scenario: update-tree-generic-bpo
# flavor: generic
#
# ferry update --tree of a shell running a pipeline
# guest-app --stdout | guest-app --copy-to: all three processes come back
# on 6.12 and both logs go on.
scenario_update tree generic bpo
