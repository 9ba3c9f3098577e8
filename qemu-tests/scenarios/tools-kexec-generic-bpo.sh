# scenario: tools-kexec-generic-bpo
# flavor: generic
# option: --region 32M@0x3c000000
# option: --append ferry.kexec=tools
#
# The kexec-tools fallback keeps its segments below the region (--mem-max):
# a region high in RAM is intact after kexec_load into 6.12.
scenario_region_kexec generic bpo
