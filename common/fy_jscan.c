/* SPDX-License-Identifier: Apache-2.0
 * fy_jscan: member-by-member scanning of a JSON object (see fy_jscan.h). */
#include "common/fy_jscan.h"

#include "common/fy_alloc.h"
#include "common/fy_url.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* p at the opening quote; returns the position after the closing quote, or NULL. */
static const char *skip_string(const char *p, const char *end, bool *escaped)
{
    p++;
    while (p < end) {
        if (*p == '"')
            return p + 1;
        if (*p == '\\') {
            *escaped = true;
            p += 2;
            continue;
        }
        if ((unsigned char)*p < 0x20)
            return NULL;
        p++;
    }
    return NULL;
}

/* p at '{' or '['; returns the position after the matching bracket, or NULL. */
static const char *skip_nested(const char *p, const char *end)
{
    int depth = 0;
    while (p < end) {
        char c = *p;
        if (c == '"') {
            bool esc = false;
            p = skip_string(p, end, &esc);
            if (!p)
                return NULL;
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']') {
            if (--depth == 0)
                return p + 1;
            if (depth < 0)
                return NULL;
        }
        p++;
    }
    return NULL;
}

bool fy_jscan_begin(struct fy_jscan *s, const char *json, size_t len)
{
    const char *end = json + len;
    const char *p = skip_ws(json, end);
    if (p >= end || *p != '{')
        return false;
    s->p = p + 1;
    s->end = end;
    s->first = true;
    return true;
}

int fy_jscan_next(struct fy_jscan *s, struct fy_jscan_member *m)
{
    const char *p = skip_ws(s->p, s->end);
    if (p >= s->end)
        return -1;
    if (*p == '}') {
        s->p = p + 1;
        return 0;
    }
    if (!s->first) {
        if (*p != ',')
            return -1;
        p = skip_ws(p + 1, s->end);
    }
    s->first = false;
    if (p >= s->end || *p != '"')
        return -1;
    bool kesc = false;
    const char *kend = skip_string(p, s->end, &kesc);
    if (!kend)
        return -1;
    m->key = kesc ? "" : p + 1;
    m->klen = kesc ? 0 : (size_t)(kend - p - 2);
    p = skip_ws(kend, s->end);
    if (p >= s->end || *p != ':')
        return -1;
    p = skip_ws(p + 1, s->end);
    if (p >= s->end)
        return -1;
    const char *vend = NULL;
    m->escaped = false;
    switch (*p) {
    case '"':
        m->type = FY_JS_STRING;
        vend = skip_string(p, s->end, &m->escaped);
        if (!vend)
            return -1;
        m->val = p + 1;
        m->vlen = (size_t)(vend - p - 2);
        s->p = vend;
        return 1;
    case '{':
    case '[':
        m->type = *p == '{' ? FY_JS_OBJECT : FY_JS_ARRAY;
        vend = skip_nested(p, s->end);
        break;
    case 't':
        m->type = FY_JS_TRUE;
        vend = (s->end - p >= 4 && memcmp(p, "true", 4) == 0) ? p + 4 : NULL;
        break;
    case 'f':
        m->type = FY_JS_FALSE;
        vend = (s->end - p >= 5 && memcmp(p, "false", 5) == 0) ? p + 5 : NULL;
        break;
    case 'n':
        m->type = FY_JS_NULL;
        vend = (s->end - p >= 4 && memcmp(p, "null", 4) == 0) ? p + 4 : NULL;
        break;
    default:
        m->type = FY_JS_NUMBER;
        vend = p;
        while (vend < s->end && strchr("+-0123456789.eE", *vend))
            vend++;
        if (vend == p)
            vend = NULL;
    }
    if (!vend)
        return -1;
    m->val = p;
    m->vlen = (size_t)(vend - p);
    s->p = vend;
    return 1;
}

bool fy_jscan_key_is(const struct fy_jscan_member *m, const char *key)
{
    size_t n = strlen(key);
    return m->klen == n && memcmp(m->key, key, n) == 0;
}

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

int fy_json_unescape(const char **p, const char *end, char *out)
{
    const char *q = *p;
    if (q >= end)
        return -1;
    char c = *q++;
    int n = 1;
    switch (c) {
    case '"': out[0] = '"'; break;
    case '\\': out[0] = '\\'; break;
    case '/': out[0] = '/'; break;
    case 'b': out[0] = '\b'; break;
    case 'f': out[0] = '\f'; break;
    case 'n': out[0] = '\n'; break;
    case 'r': out[0] = '\r'; break;
    case 't': out[0] = '\t'; break;
    case 'u': {
        unsigned cp, lo;
        if (end - q < 4 || hex4(q, &cp) != 0)
            return -1;
        q += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) { /* a surrogate pair makes one code point */
            if (end - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, &lo) != 0 ||
                lo < 0xDC00 || lo > 0xDFFF)
                return -1;
            q += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return -1;
        }
        n = (int)fy_utf8_put(out, (uint32_t)cp);
        break;
    }
    default:
        return -1;
    }
    *p = q;
    return n;
}

char *fy_jscan_string(const struct fy_jscan_member *m)
{
    if (m->type != FY_JS_STRING)
        return NULL;
    if (!m->escaped)
        return fy_strndup(m->val, m->vlen);
    char *out = fy_malloc(m->vlen + 1); /* decoding never grows the text */
    size_t o = 0;
    const char *p = m->val, *end = m->val + m->vlen;
    while (p < end) {
        if (*p != '\\') {
            out[o++] = *p++;
            continue;
        }
        p++;
        int n = fy_json_unescape(&p, end, out + o);
        /* a C string cannot carry \u0000: refused like jansson's default */
        if (n < 0 || (n == 1 && out[o] == '\0'))
            goto bad;
        o += (size_t)n;
    }
    out[o] = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

bool fy_jscan_int(const struct fy_jscan_member *m, int64_t *out)
{
    if (m->type != FY_JS_NUMBER || m->vlen == 0 || m->vlen > 20)
        return false;
    char buf[24];
    memcpy(buf, m->val, m->vlen);
    buf[m->vlen] = '\0';
    char *e;
    errno = 0;
    long long v = strtoll(buf, &e, 10);
    if (*e || errno)
        return false;
    *out = v;
    return true;
}
