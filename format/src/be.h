/* SPDX-License-Identifier: MIT */
/* Big-endian loads and stores at any alignment: the byte order of every
 * value in a device tree, its header included. */
#ifndef FERRY_BE_H
#define FERRY_BE_H

#include <stdint.h>

static inline uint32_t be32_load(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t be64_load(const uint8_t *p)
{
	return ((uint64_t)be32_load(p) << 32) | be32_load(p + 4);
}

static inline void be32_store(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static inline void be64_store(uint8_t *p, uint64_t v)
{
	be32_store(p, (uint32_t)(v >> 32));
	be32_store(p + 4, (uint32_t)v);
}

#endif
