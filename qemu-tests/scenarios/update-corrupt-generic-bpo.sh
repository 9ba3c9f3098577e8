# scenario: update-corrupt-generic-bpo
# flavor: generic
#
# One byte of the sealed image damaged (FERRY_UPDATE_TEST=corrupt): 6.12
# boots normally, nothing is restored, the reason is on the console, in
# /run/ferry/init.log and in ferry status, the image is kept (SEALED).
scenario_update corrupt generic bpo
