/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CRC32C (Castagnoli), the checksum of hitlog records and store segments.
 * Computed by Intel ISA-L's crc32_iscsi (libisal), which uses the SSE4.2
 * instruction where the CPU has it. cn_crc32c(0, p, n) is the standard
 * CRC32C of n bytes (check value 0xe3069283 for "123456789").
 */
#ifndef CN_LIB_CRC32C_H
#define CN_LIB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extends crc (0 to start) over len bytes at p. */
uint32_t cn_crc32c(uint32_t crc, const void *p, size_t len);

#endif
