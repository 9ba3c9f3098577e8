# scenario: pmem-kexec-generic-bpo
# flavor: generic
# option: --pmem
#
# The region-kexec-generic-bpo pattern with the region reserved as legacy
# pmem (memmap=SIZE!ADDR, /dev/pmem0).
scenario_region_kexec generic bpo
