/* SPDX-License-Identifier: Apache-2.0
 * fy_crc32c: CRC-32C (Castagnoli), the checksum of journal records (the same
 * polynomial Kafka uses for record batches). Thread: any. */
#ifndef FY_CRC32C_H
#define FY_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Continue a CRC over `len` bytes; start with crc = 0. */
uint32_t fy_crc32c(uint32_t crc, const void *data, size_t len);

#endif
