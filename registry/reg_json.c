/* SPDX-License-Identifier: Apache-2.0
 * reg_json: a strict recursive-descent JSON reader building jansson values
 * (see reg_json.h). Every rule below is jansson 2.14's (load.c), followed so
 * that whatever this reader accepts, jansson accepts and builds the same way;
 * where a rule is awkward to copy it refuses and lets jansson decide.
 * Thread: any. */
#include "registry/reg_json.h"

#include "common/fy_alloc.h"
#include "common/fy_jscan.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* jansson allows 2048 levels; past this much lower bound jansson decides. */
#define MAX_DEPTH 256

struct reader {
    const char *p;
    const char *end;
    int depth;
    char *buf; /* scratch for decoded strings */
    size_t cap;
};

static void skip_ws(struct reader *rd)
{
    while (rd->p < rd->end &&
           (*rd->p == ' ' || *rd->p == '\t' || *rd->p == '\n' || *rd->p == '\r'))
        rd->p++;
}

static void reserve(struct reader *rd, size_t need)
{
    if (need <= rd->cap)
        return;
    size_t n = rd->cap ? rd->cap : 256;
    while (n < need)
        n *= 2;
    rd->buf = fy_realloc(rd->buf, n);
    rd->cap = n;
}

/* The string at rd->p (at its opening quote): *str is the text itself when
 * it has no escape, else its decoding in rd->buf (NUL-terminated); its
 * length in *len. Escapes as jansson decodes them; raw control characters,
 * unknown escapes and unpaired surrogates refused (jansson refuses them too).
 * UTF-8 validity is left to the caller (json_stringn / json_object_setn_new
 * check it with jansson's own checker). -1 = refuse. */
static int read_string(struct reader *rd, const char **str, size_t *len)
{
    const char *p = rd->p + 1, *end = rd->end;
    size_t o = 0;
    /* decoding never makes the text longer */
    const char *q = p;
    bool escaped = false;
    while (q < end && *q != '"') {
        if ((unsigned char)*q < 0x20)
            return -1;
        if (*q == '\\') {
            escaped = true;
            if (q + 1 < end)
                q++;
        }
        q++;
    }
    if (q >= end)
        return -1;
    if (!escaped) {
        /* most strings have no escape: they are read in place, not copied */
        *str = p;
        *len = (size_t)(q - p);
        rd->p = q + 1;
        return 0;
    }
    reserve(rd, (size_t)(q - p) + 1);
    char *out = rd->buf;
    while (p < end) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            rd->p = p + 1;
            out[o] = '\0';
            *str = out;
            *len = o;
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c != '\\') {
            out[o++] = (char)c;
            p++;
            continue;
        }
        p++;
        /* \u0000 is allowed: the Avro parser loads with JSON_ALLOW_NUL */
        int n = fy_json_unescape(&p, end, out + o);
        if (n < 0)
            return -1;
        o += (size_t)n;
    }
    return -1;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* jansson's lex_scan_number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?;
 * an integer when there is neither fraction nor exponent. */
static json_t *read_number(struct reader *rd)
{
    const char *s = rd->p, *p = s, *end = rd->end;
    if (p < end && *p == '-')
        p++;
    if (p < end && *p == '0') {
        p++;
        if (p < end && is_digit(*p))
            return NULL; /* a leading zero */
    } else if (p < end && is_digit(*p)) {
        while (p < end && is_digit(*p))
            p++;
    } else {
        return NULL;
    }
    bool real = false;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
        real = true;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            return NULL;
        while (p < end && is_digit(*p))
            p++;
        real = true;
    }
    size_t n = (size_t)(p - s);
    rd->p = p;
    if (real) /* rare in schemas: jansson's own strtod, overflow check and all */
        return json_loadb(s, n, JSON_DECODE_ANY, NULL);
    char tmp[32];
    if (n >= sizeof tmp)
        return NULL; /* too big for a json_int_t anyway: jansson says so */
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    errno = 0;
    char *e;
    long long v = strtoll(tmp, &e, 10);
    if (errno == ERANGE || *e)
        return NULL;
    return json_integer((json_int_t)v);
}

static json_t *read_value(struct reader *rd);

/* After a member or element: ',' (then 1: another follows) or `close`
 * (then 0: the container ends), past the whitespace; -1 otherwise. */
static int next_item(struct reader *rd, char close)
{
    skip_ws(rd);
    if (rd->p < rd->end && *rd->p == ',') {
        rd->p++;
        skip_ws(rd);
        return 1;
    }
    if (rd->p < rd->end && *rd->p == close) {
        rd->p++;
        return 0;
    }
    return -1;
}

static json_t *read_object(struct reader *rd)
{
    json_t *obj = json_object();
    rd->p++; /* '{' */
    skip_ws(rd);
    if (rd->p < rd->end && *rd->p == '}') {
        rd->p++;
        return obj;
    }
    for (;;) {
        if (rd->p >= rd->end || *rd->p != '"')
            goto fail;
        size_t klen;
        const char *kstr;
        if (read_string(rd, &kstr, &klen) != 0)
            goto fail;
        /* jansson: "NUL byte in object key not supported" */
        if (memchr(kstr, '\0', klen))
            goto fail;
        /* a decoded key lives in the scratch buffer, which the value may
         * reuse; one read in place stays valid */
        char small[64];
        const char *key = kstr;
        char *copy = NULL;
        if (kstr == rd->buf) {
            copy = klen < sizeof small ? small : fy_malloc(klen + 1);
            memcpy(copy, kstr, klen + 1);
            key = copy;
        }
        skip_ws(rd);
        json_t *val = NULL;
        if (rd->p < rd->end && *rd->p == ':') {
            rd->p++;
            skip_ws(rd);
            val = read_value(rd);
        }
        /* validates the key's UTF-8 as jansson's reader would; steals val */
        int rc = val ? json_object_setn_new(obj, key, klen, val) : -1;
        if (copy && copy != small)
            free(copy);
        if (rc != 0)
            goto fail;
        int more = next_item(rd, '}');
        if (more == 0)
            return obj;
        if (more < 0)
            goto fail;
    }
fail:
    json_decref(obj);
    return NULL;
}

static json_t *read_array(struct reader *rd)
{
    json_t *arr = json_array();
    rd->p++; /* '[' */
    skip_ws(rd);
    if (rd->p < rd->end && *rd->p == ']') {
        rd->p++;
        return arr;
    }
    for (;;) {
        json_t *val = read_value(rd);
        if (!val || json_array_append_new(arr, val) != 0)
            goto fail;
        int more = next_item(rd, ']');
        if (more == 0)
            return arr;
        if (more < 0)
            goto fail;
    }
fail:
    json_decref(arr);
    return NULL;
}

static bool literal(struct reader *rd, const char *word, size_t n)
{
    if ((size_t)(rd->end - rd->p) < n || memcmp(rd->p, word, n) != 0)
        return false;
    rd->p += n;
    return true;
}

static json_t *read_value(struct reader *rd)
{
    if (rd->p >= rd->end)
        return NULL;
    json_t *v = NULL;
    switch (*rd->p) {
    case '{':
    case '[':
        if (++rd->depth > MAX_DEPTH)
            return NULL;
        v = *rd->p == '{' ? read_object(rd) : read_array(rd);
        rd->depth--;
        return v;
    case '"': {
        size_t len;
        const char *str;
        if (read_string(rd, &str, &len) != 0)
            return NULL;
        return json_stringn(str, len); /* NULL on invalid UTF-8 */
    }
    case 't':
        return literal(rd, "true", 4) ? json_true() : NULL;
    case 'f':
        return literal(rd, "false", 5) ? json_false() : NULL;
    case 'n':
        return literal(rd, "null", 4) ? json_null() : NULL;
    default:
        if (*rd->p == '-' || is_digit(*rd->p))
            return read_number(rd);
        return NULL;
    }
}

json_t *reg_json_load(const char *text)
{
    struct reader rd = {.p = text, .end = text + strlen(text)};
    skip_ws(&rd);
    json_t *v = read_value(&rd);
    if (v) {
        skip_ws(&rd);
        if (rd.p != rd.end) { /* something after the value */
            json_decref(v);
            v = NULL;
        }
    }
    free(rd.buf);
    return v;
}

unsigned reg_json_nesting(const char *s, unsigned max)
{
    unsigned depth = 0, deepest = 0;
    bool in_str = false;
    for (; *s; s++) {
        if (in_str) {
            if (*s == '\\' && s[1])
                s++;
            else if (*s == '"')
                in_str = false;
        } else if (*s == '"') {
            in_str = true;
        } else if (*s == '{' || *s == '[') {
            if (++depth > deepest) {
                deepest = depth;
                if (deepest > max)
                    break;
            }
        } else if ((*s == '}' || *s == ']') && depth) {
            depth--;
        }
    }
    return deepest;
}
