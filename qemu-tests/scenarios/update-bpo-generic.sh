# scenario: update-bpo-generic
# flavor: bpo
#
# update-generic-bpo the other way: from 6.12 to 6.1.
scenario_update counter bpo generic
