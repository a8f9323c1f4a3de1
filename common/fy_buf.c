/* SPDX-License-Identifier: Apache-2.0
 * fy_buf: capped growable buffer (see fy_buf.h). */
#include "fy_buf.h"

#include "fy_alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fy_buf_init(struct fy_buf *buf, size_t cap)
{
    buf->data = NULL;
    buf->len = 0;
    buf->alloc = 0;
    buf->cap = cap;
}

void fy_buf_destroy(struct fy_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
    buf->alloc = 0;
}

void fy_buf_reset(struct fy_buf *buf)
{
    buf->len = 0;
    if (buf->data)
        buf->data[0] = '\0';
}

static int reserve(struct fy_buf *buf, size_t extra)
{
    if (buf->cap && (extra > buf->cap || buf->len > buf->cap - extra))
        return -1;
    size_t need = buf->len + extra + 1;
    if (need <= buf->alloc)
        return 0;
    size_t n = buf->alloc ? buf->alloc : 64;
    while (n < need)
        n *= 2;
    buf->data = fy_realloc(buf->data, n);
    buf->alloc = n;
    return 0;
}

int fy_buf_append(struct fy_buf *buf, const void *data, size_t len)
{
    if (reserve(buf, len) != 0)
        return -1;
    if (len)
        memcpy(buf->data + buf->len, data, len);
    buf->len += len;
    buf->data[buf->len] = '\0';
    return 0;
}

int fy_buf_puts(struct fy_buf *buf, const char *s)
{
    return fy_buf_append(buf, s, strlen(s));
}

int fy_buf_putc(struct fy_buf *buf, char c)
{
    return fy_buf_append(buf, &c, 1);
}

int fy_buf_printf(struct fy_buf *buf, const char *fmt, ...)
{
    /* format straight into the spare room; a second pass only when it is short */
    va_list ap;
    size_t room = buf->data ? buf->alloc - buf->len : 0;
    va_start(ap, fmt);
    int n = vsnprintf(room ? buf->data + buf->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < room && (!buf->cap || buf->len + (size_t)n <= buf->cap)) {
        buf->len += (size_t)n;
        return 0;
    }
    if (room)
        buf->data[buf->len] = '\0'; /* unchanged on failure */
    if (n < 0 || reserve(buf, (size_t)n) != 0)
        return -1;
    va_start(ap, fmt);
    vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    buf->len += (size_t)n;
    return 0;
}

char *fy_buf_steal(struct fy_buf *buf)
{
    char *s = buf->data ? buf->data : fy_strdup("");
    buf->data = NULL;
    buf->len = 0;
    buf->alloc = 0;
    return s;
}

const char *fy_buf_str(const struct fy_buf *buf)
{
    return buf->data ? buf->data : "";
}
