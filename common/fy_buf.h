/* SPDX-License-Identifier: Apache-2.0
 * fy_buf: a growable byte buffer with a hard size cap (curl dynbuf's toobig),
 * used for request bodies and for building output text. Always NUL-terminated.
 * Thread: one owner at a time. */
#ifndef FY_BUF_H
#define FY_BUF_H

#include <stddef.h>

struct fy_buf {
    char *data;  /* NUL-terminated; NULL until the first append */
    size_t len;
    size_t alloc;
    size_t cap;  /* maximum len; 0 = unlimited */
};

/* Initialise an empty buffer in caller storage with maximum length `cap` (0 = unlimited). */
void fy_buf_init(struct fy_buf *buf, size_t cap);
/* Free the contents; the buffer is empty and reusable afterwards. */
void fy_buf_destroy(struct fy_buf *buf);
/* Empty the buffer, keeping its memory. */
void fy_buf_reset(struct fy_buf *buf);
/* Append `len` bytes: 0, or -1 (buffer unchanged) when the cap would be exceeded. */
int fy_buf_append(struct fy_buf *buf, const void *data, size_t len);
int fy_buf_puts(struct fy_buf *buf, const char *s);
int fy_buf_putc(struct fy_buf *buf, char c);
int fy_buf_printf(struct fy_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the contents to the caller (**new**, never NULL) and leave the buffer empty. */
char *fy_buf_steal(struct fy_buf *buf);
/* Contents as a string (borrowed, "" when empty; valid until the next change). */
const char *fy_buf_str(const struct fy_buf *buf);

#endif
