/* SPDX-License-Identifier: MIT */
/* Byte offsets of the on-disk structures (SPEC.md §2 and §4). ABI. */
#ifndef FERRY_LAYOUT_H
#define FERRY_LAYOUT_H

/* header */
#define HDR_MAGIC 0x00
#define HDR_VERSION_MAJOR 0x08
#define HDR_VERSION_MINOR 0x0a
#define HDR_HEADER_SIZE 0x0c
#define HDR_FLAGS 0x10
#define HDR_PAGE_SIZE 0x14
#define HDR_CREATED_SEC 0x18
#define HDR_CREATED_NSEC 0x20
#define HDR_CHUNK_COUNT 0x24
#define HDR_METADATA_OFFSET 0x28
#define HDR_METADATA_SIZE 0x30
#define HDR_CHUNKS_OFFSET 0x38
#define HDR_CHUNKS_SIZE 0x40
#define HDR_IMAGE_SIZE 0x48
#define HDR_PAGE_BYTES_RAW 0x50
#define HDR_PAGE_BYTES_STORED 0x58
#define HDR_KERNEL_RELEASE 0x60
#define HDR_MACHINE 0xa0
#define HDR_FERRY_VERSION 0xb0
#define HDR_DIGEST 0xc0
#define HDR_RESERVED 0xe0
#define HDR_CRC 0xfc

/* chunk descriptor */
#define CHK_MAGIC 0x00
#define CHK_INDEX 0x04
#define CHK_MM_ID 0x08
#define CHK_ENCODING 0x0c
#define CHK_EXTENT_COUNT 0x0e
#define CHK_PAGE_COUNT 0x10
#define CHK_STORED_SIZE 0x14
#define CHK_PAYLOAD_CRC 0x18
#define CHK_DESC_CRC 0x1c

/* extent */
#define EXT_VADDR 0x00
#define EXT_PAGE_COUNT 0x08
#define EXT_RESERVED 0x0c

#define FERRY_ALIGN8(x) (((x) + 7u) & ~(uint64_t)7u)

#endif
