/* SPDX-License-Identifier: MIT */
/* mbedTLS configuration for freestanding builds: SHA-256 and nothing else. */
#ifndef FERRY_MBEDTLS_CONFIG_H
#define FERRY_MBEDTLS_CONFIG_H
#define MBEDTLS_SHA256_C
#endif
