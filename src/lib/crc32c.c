/* SPDX-License-Identifier: Apache-2.0 */
/* CRC32C through ISA-L; see crc32c.h. */
#include "lib/crc32c.h"

#include <isa-l/crc.h>

uint32_t cn_crc32c(uint32_t crc, const void *p, size_t len)
{
    /* ISA-L's crc32_iscsi takes and returns the CRC without the final
     * inversion; invert on the way in and out to get the standard value. */
    return ~crc32_iscsi((unsigned char *)p, (int)len, ~crc);
}
