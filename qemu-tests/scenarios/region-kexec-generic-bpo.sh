# scenario: region-kexec-generic-bpo
# flavor: generic
#
# A 64 MiB pattern written on 6.1 is intact (every word + SHA-256) after
# kexec_file_load into 6.12.
scenario_region_kexec generic bpo
