# scenario: control-kexec-generic-bpo
# flavor: generic
# option: --region 32M@0x3c000000
# option: --append ferry.kexec=tools-unsafe
#
# Negative control: kexec-tools without --mem-max overwrites a region high
# in RAM, and the check notices.
scenario_region_kexec generic bpo damaged
