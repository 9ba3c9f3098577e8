# scenario: region-kexec-bpo-generic
# flavor: bpo
#
# A 64 MiB pattern written on 6.12 is intact (every word + SHA-256) after
# kexec_file_load into 6.1.
scenario_region_kexec bpo generic
