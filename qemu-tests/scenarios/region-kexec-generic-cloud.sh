# scenario: region-kexec-generic-cloud
# flavor: generic
#
# A 64 MiB pattern written on 6.1 is intact (every word + SHA-256) after
# kexec_file_load into the 6.1 cloud kernel.
scenario_region_kexec generic cloud
