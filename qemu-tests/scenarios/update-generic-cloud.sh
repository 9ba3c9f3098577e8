# scenario: update-generic-cloud
# flavor: generic
#
# update-generic-bpo from 6.1 to the 6.1 cloud kernel.
scenario_update counter generic cloud
