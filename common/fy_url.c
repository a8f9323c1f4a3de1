/* SPDX-License-Identifier: Apache-2.0
 * fy_url: percent-coding, query look-up and UTF-8 validation (see fy_url.h). */
#include "fy_url.h"

#include "fy_alloc.h"
#include "fy_buf.h"

#include <stdlib.h>
#include <string.h>

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *fy_url_decode(const char *s, size_t len, bool plus_is_space)
{
    /* decoding never lengthens the text */
    char *out = fy_malloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\0')
            goto bad;
        if (c == '%') {
            /* strict, like Jersey's UriComponent: a lone '%' or a non-hex
             * escape is an error, never passed through as text */
            if (len - i < 3)
                goto bad;
            int hi = hexval((unsigned char)s[i + 1]);
            int lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
                goto bad;
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out[o++] = ' ';
        } else {
            out[o++] = (char)c;
        }
    }
    out[o] = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

char *fy_url_encode(const char *s, const char *safe)
{
    static const char hex[] = "0123456789ABCDEF";
    struct fy_buf b;
    fy_buf_init(&b, 0);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p) || (safe && strchr(safe, *p))) {
            fy_buf_putc(&b, (char)*p);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            fy_buf_append(&b, esc, sizeof esc);
        }
    }
    return fy_buf_steal(&b);
}

int fy_query_find(const char *query, const char *name, char **value, struct fy_err *err)
{
    *value = NULL;
    if (!query)
        return 0;
    const char *p = query;
    while (*p) {
        const char *end = strchr(p, '&');
        size_t plen = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', plen);
        size_t nlen = eq ? (size_t)(eq - p) : plen;
        if (plen > 0) {
            char *dn = fy_url_decode(p, nlen, true);
            bool hit = dn && strcmp(dn, name) == 0;
            free(dn);
            if (hit) {
                const char *v = eq ? eq + 1 : p + plen;
                size_t vlen = (size_t)(p + plen - v);
                *value = fy_url_decode(v, vlen, true);
                if (!*value)
                    return fy_err_set(err, FY_E_BAD_REQUEST,
                                      "Invalid percent-encoding in query parameter '%s'", name);
                return 1;
            }
        }
        if (!end)
            break;
        p = end + 1;
    }
    return 0;
}

char *fy_query_get(const char *query, const char *name)
{
    char *value = NULL;
    if (fy_query_find(query, name, &value, NULL) != 1)
        return NULL;
    return value;
}

size_t fy_utf8_seq_len(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned char c = p[0];
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;                           /* C0, C1 would be overlong */
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;                   /* overlong below U+0800 */
        else if (c == 0xED)
            hi = 0x9F;                   /* U+D800..U+DFFF are surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;                   /* overlong below U+10000 */
        else if (c == 0xF4)
            hi = 0x8F;                   /* above U+10FFFF */
    } else {
        return 0;                        /* stray continuation, C0/C1, F5..FF */
    }
    if (len < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t k = 2; k < n; k++)
        if (p[k] < 0x80 || p[k] > 0xBF)
            return 0;
    return n;
}

bool fy_utf8_valid(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        if ((unsigned char)s[i] < 0x80) { /* the common case, without a call */
            i++;
            continue;
        }
        size_t n = fy_utf8_seq_len(s + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

size_t fy_utf8_put(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

