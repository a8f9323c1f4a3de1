/* SPDX-License-Identifier: Apache-2.0
 * fy_md5: MD5 (RFC 1321), incrementally. Not for security: for content
 * identities another system defines with it (Confluent's schema guid). No
 * allocation, no library state, so it costs a few hundred nanoseconds for a
 * small input. Thread: any (state is the caller's). */
#ifndef FY_MD5_H
#define FY_MD5_H

#include <stddef.h>
#include <stdint.h>

struct fy_md5 {
    uint32_t h[4];
    uint64_t len;            /* bytes fed so far */
    unsigned char buf[64];   /* the partial block */
};

void fy_md5_init(struct fy_md5 *m);
void fy_md5_update(struct fy_md5 *m, const void *data, size_t n);
/* The 16-byte digest; `m` is spent. */
void fy_md5_final(struct fy_md5 *m, unsigned char out[16]);

#endif
