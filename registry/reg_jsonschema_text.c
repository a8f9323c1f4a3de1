/* SPDX-License-Identifier: Apache-2.0
 * reg_jsonschema_text: the stored text of a JSON schema, byte for byte what
 * Confluent stores: JsonSchema.canonicalString() is Jackson writing the
 * JsonNode it read with USE_BIG_DECIMAL_FOR_FLOATS and exact BigDecimals, so
 * a real keeps its literal digits (BigDecimal.toString()), which a jansson
 * tree has lost. The text is read into a tree of spans over the original
 * bytes (no recursion: an explicit stack), then written compact: keys in
 * order (a duplicate's last value in its first place, as ObjectNode.set()
 * does), or sorted (normalize(): the TreeMap node factory). The caller has
 * checked the text with jansson first. Thread: any. */
#include "registry/reg_jsonschema.h"
#include "registry/reg_jsonschema_int.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "common/fy_jscan.h"
#include "common/fy_jsonout.h"
#include "common/fy_map.h"

#include <jansson.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum tn_type { TN_OBJ, TN_ARR, TN_STR, TN_NUM, TN_LIT };

struct tnode {
    uint8_t type;
    int32_t first, last, next;  /* children (indices), -1 = none */
    const char *s;              /* scalar span (strings: inside the quotes) */
    size_t len;
    char *key;                  /* decoded member key (owned), NULL outside objects */
    size_t klen;
};

struct ttree {
    struct tnode *n;
    size_t count, alloc;
};

static int32_t tn_new(struct ttree *t, uint8_t type)
{
    if (t->count == t->alloc) {
        t->alloc = t->alloc ? t->alloc * 2 : 64;
        t->n = fy_realloc(t->n, t->alloc * sizeof *t->n);
    }
    struct tnode *x = &t->n[t->count];
    memset(x, 0, sizeof *x);
    x->type = type;
    x->first = x->last = x->next = -1;
    return (int32_t)t->count++;
}

static void tn_add_child(struct ttree *t, int32_t parent, int32_t child)
{
    if (t->n[parent].last < 0)
        t->n[parent].first = child;
    else
        t->n[t->n[parent].last].next = child;
    t->n[parent].last = child;
}

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* Scan a string starting at its opening quote: the span inside, and *p past it. */
static int scan_string(const char **p, const char *end, const char **s, size_t *len)
{
    const char *q = *p + 1;
    *s = q;
    while (q < end && *q != '"') {
        if (*q == '\\')
            q++;
        q++;
    }
    if (q >= end)
        return -1;
    *len = (size_t)(q - *s);
    *p = q + 1;
    return 0;
}

/* Decode a string span's escapes into a **new** string (NUL bytes kept; *olen). */
static char *decode(const char *s, size_t len, size_t *olen)
{
    char *out = fy_malloc(len + 1);
    size_t o = 0;
    const char *p = s, *end = s + len;
    while (p < end) {
        if (*p == '\\') {
            p++;
            int n = fy_json_unescape(&p, end, out + o);
            if (n < 0) {
                free(out);
                return NULL;
            }
            o += (size_t)n;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = '\0';
    *olen = o;
    return out;
}

static void tree_free(struct ttree *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->n[i].key);
    free(t->n);
}

/* Parse [text, text+len) into `t`; the root is node 0. */
static int tree_parse(struct ttree *t, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    int32_t *stack = NULL;
    size_t depth = 0, salloc = 0;
    char *pending_key = NULL;
    size_t pending_klen = 0;
    int rc = -1;
    for (;;) {
        p = skip_ws(p, end);
        if (p >= end)
            goto out;
        int32_t parent = depth ? stack[depth - 1] : -1;
        if (parent >= 0 && t->n[parent].type == TN_OBJ && !pending_key) {
            /* a key, or the end of the object */
            if (*p == '}') {
                p++;
                depth--;
                goto after_value;
            }
            const char *ks;
            size_t kl;
            if (*p != '"' || scan_string(&p, end, &ks, &kl) != 0)
                goto out;
            pending_key = decode(ks, kl, &pending_klen);
            if (!pending_key)
                goto out;
            p = skip_ws(p, end);
            if (p >= end || *p != ':')
                goto out;
            p++;
            continue;
        }
        if (parent >= 0 && t->n[parent].type == TN_ARR && *p == ']') {
            p++;
            depth--;
            goto after_value;
        }
        int32_t x;
        if (*p == '{' || *p == '[') {
            x = tn_new(t, *p == '{' ? TN_OBJ : TN_ARR);
            p++;
        } else if (*p == '"') {
            x = tn_new(t, TN_STR);
            if (scan_string(&p, end, &t->n[x].s, &t->n[x].len) != 0)
                goto out;
        } else {
            const char *s = p;
            while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
                   *p != '\n' && *p != '\r')
                p++;
            x = tn_new(t, (*s == '-' || (*s >= '0' && *s <= '9')) ? TN_NUM : TN_LIT);
            t->n[x].s = s;
            t->n[x].len = (size_t)(p - s);
        }
        if (parent >= 0) {
            t->n[x].key = pending_key;
            t->n[x].klen = pending_klen;
            pending_key = NULL;
            tn_add_child(t, parent, x);
        }
        if (t->n[x].type == TN_OBJ || t->n[x].type == TN_ARR) {
            if (depth == salloc) {
                salloc = salloc ? salloc * 2 : 32;
                stack = fy_realloc(stack, salloc * sizeof *stack);
            }
            stack[depth++] = x;
            continue;
        }
    after_value:
        if (depth == 0) {
            rc = 0;
            goto out;
        }
        p = skip_ws(p, end);
        if (p < end && *p == ',')
            p++;
    }
out:
    free(pending_key);
    free(stack);
    return rc;
}

/* BigDecimal(literal).toString(), the way Jackson writes a DecimalNode. */
static int put_real(struct fy_buf *buf, const char *s, size_t len)
{
    const char *p = s, *end = s + len;
    bool neg = false;
    if (p < end && *p == '-') {
        neg = true;
        p++;
    }
    struct fy_buf digits;
    fy_buf_init(&digits, 0);
    long long scale = 0;
    while (p < end && *p >= '0' && *p <= '9')
        fy_buf_putc(&digits, *p++);
    if (p < end && *p == '.') {
        p++;
        while (p < end && *p >= '0' && *p <= '9') {
            fy_buf_putc(&digits, *p++);
            scale++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        bool eneg = false;
        if (p < end && (*p == '+' || *p == '-'))
            eneg = *p++ == '-';
        long long e = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (e < 1000000000LL)
                e = e * 10 + (*p - '0');
            p++;
        }
        scale -= eneg ? -e : e;
    }
    const char *d = fy_buf_str(&digits);
    while (*d == '0' && d[1])
        d++;
    size_t nd = strlen(d);
    if (nd == 1 && *d == '0')
        neg = false; /* BigDecimal has no negative zero */
    long long adjusted = -scale + (long long)(nd - 1);
    int rc = 0;
    if (neg)
        rc |= fy_buf_putc(buf, '-');
    if (scale == 0) {
        rc |= fy_buf_append(buf, d, nd);
    } else if (scale > 0 && adjusted >= -6) {
        long long pad = scale - (long long)nd;
        if (pad >= 0) {
            rc |= fy_buf_puts(buf, "0.");
            for (long long i = 0; i < pad; i++)
                rc |= fy_buf_putc(buf, '0');
            rc |= fy_buf_append(buf, d, nd);
        } else {
            rc |= fy_buf_append(buf, d, nd - (size_t)scale);
            rc |= fy_buf_putc(buf, '.');
            rc |= fy_buf_append(buf, d + nd - (size_t)scale, (size_t)scale);
        }
    } else {
        rc |= fy_buf_putc(buf, d[0]);
        if (nd > 1) {
            rc |= fy_buf_putc(buf, '.');
            rc |= fy_buf_append(buf, d + 1, nd - 1);
        }
        if (adjusted != 0)
            rc |= fy_buf_printf(buf, "E%s%lld", adjusted > 0 ? "+" : "", adjusted);
    }
    fy_buf_destroy(&digits);
    return rc ? -1 : 0;
}

static int put_number(struct fy_buf *buf, const char *s, size_t len)
{
    if (memchr(s, '.', len) || memchr(s, 'e', len) || memchr(s, 'E', len))
        return put_real(buf, s, len);
    if (len == 2 && s[0] == '-' && s[1] == '0')
        return fy_buf_putc(buf, '0'); /* IntNode(0) */
    return fy_buf_append(buf, s, len);
}

static int put_string_span(struct fy_buf *buf, const char *s, size_t len)
{
    if (!memchr(s, '\\', len))
        return fy_jsonout_strn(buf, s, len);
    size_t dl;
    char *d = decode(s, len, &dl);
    if (!d)
        return -1;
    int rc = fy_jsonout_strn(buf, d, dl);
    free(d);
    return rc;
}

static int cmp_key(const void *a, const void *b, void *arg)
{
    const struct ttree *t = arg;
    const struct tnode *x = &t->n[*(const int32_t *)a], *y = &t->n[*(const int32_t *)b];
    size_t m = x->klen < y->klen ? x->klen : y->klen;
    int c = memcmp(x->key, y->key, m);
    if (c)
        return c;
    return x->klen < y->klen ? -1 : x->klen > y->klen;
}

/* The members of object `o` to write, in order: duplicates collapsed (the
 * last value in the first key's place), sorted when `sorted`. **New** array. */
static int32_t *object_members(struct ttree *t, int32_t o, bool sorted, size_t *n)
{
    size_t count = 0;
    for (int32_t c = t->n[o].first; c >= 0; c = t->n[c].next)
        count++;
    int32_t *m = fy_malloc((count ? count : 1) * sizeof *m);
    size_t k = 0;
    struct fy_map seen;
    fy_map_init(&seen);
    for (int32_t c = t->n[o].first; c >= 0; c = t->n[c].next) {
        void *prev = fy_map_getn(&seen, t->n[c].key, t->n[c].klen);
        if (prev) {
            m[(size_t)(uintptr_t)prev - 1] = c;
            continue;
        }
        m[k] = c;
        fy_map_putn(&seen, t->n[c].key, t->n[c].klen, (void *)(uintptr_t)(k + 1));
        k++;
    }
    fy_map_destroy(&seen);
    if (sorted && k > 1) {
        /* binary insertion sort: qsort has no context argument in C11 and
         * Jackson's TreeMap is stable for distinct keys anyway */
        for (size_t i = 1; i < k; i++) {
            int32_t v = m[i];
            size_t j = i;
            /* binary search for the insertion point, then shift */
            size_t lo = 0, hi = i;
            while (lo < hi) {
                size_t mid = (lo + hi) / 2;
                if (cmp_key(&m[mid], &v, t) <= 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (j = i; j > lo; j--)
                m[j] = m[j - 1];
            m[lo] = v;
        }
    }
    *n = k;
    return m;
}

struct wframe {
    int32_t node;
    int32_t *members; /* objects: members to write */
    size_t nmembers, next;
    int32_t child;    /* arrays: next child */
    bool first;
};

static int tree_write(struct ttree *t, struct fy_buf *buf, bool sorted)
{
    struct wframe *st = NULL;
    size_t depth = 0, salloc = 0;
    int rc = 0;
    int32_t cur = 0;
    for (;;) {
        /* write `cur` (a value); containers push a frame */
        if (cur >= 0) {
            struct tnode *x = &t->n[cur];
            switch (x->type) {
            case TN_STR:
                rc |= put_string_span(buf, x->s, x->len);
                break;
            case TN_NUM:
                rc |= put_number(buf, x->s, x->len);
                break;
            case TN_LIT:
                rc |= fy_buf_append(buf, x->s, x->len);
                break;
            default:
                if (depth == salloc) {
                    salloc = salloc ? salloc * 2 : 32;
                    st = fy_realloc(st, salloc * sizeof *st);
                }
                struct wframe *f = &st[depth++];
                memset(f, 0, sizeof *f);
                f->node = cur;
                f->first = true;
                if (x->type == TN_OBJ) {
                    f->members = object_members(t, cur, sorted, &f->nmembers);
                    rc |= fy_buf_putc(buf, '{');
                } else {
                    f->child = x->first;
                    rc |= fy_buf_putc(buf, '[');
                }
                break;
            }
            if (rc)
                goto out;
        }
        if (depth == 0)
            break;
        struct wframe *f = &st[depth - 1];
        if (t->n[f->node].type == TN_OBJ) {
            if (f->next == f->nmembers) {
                rc |= fy_buf_putc(buf, '}');
                free(f->members);
                depth--;
                cur = -1;
                continue;
            }
            int32_t c = f->members[f->next++];
            if (!f->first)
                rc |= fy_buf_putc(buf, ',');
            f->first = false;
            rc |= fy_jsonout_strn(buf, t->n[c].key, t->n[c].klen);
            rc |= fy_buf_putc(buf, ':');
            cur = c;
        } else {
            if (f->child < 0) {
                rc |= fy_buf_putc(buf, ']');
                depth--;
                cur = -1;
                continue;
            }
            if (!f->first)
                rc |= fy_buf_putc(buf, ',');
            f->first = false;
            cur = f->child;
            f->child = t->n[cur].next;
        }
    }
out:
    while (depth > 0) {
        if (t->n[st[depth - 1].node].type == TN_OBJ)
            free(st[depth - 1].members);
        depth--;
    }
    free(st);
    return rc ? -1 : 0;
}

char *reg_jsonschema_canonical_text(const char *text, size_t len, bool normalize,
                                    struct fy_err *err)
{
    json_error_t jerr;
    json_t *j = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!j) {
        fy_err_set(err, REG_E_INVALID_SCHEMA, "Invalid JSON: %s at line %d, column %d",
                   jerr.text, jerr.line, jerr.column);
        return NULL;
    }
    json_decref(j);
    return reg_jsonschema_write_text(text, len, normalize, err);
}

char *reg_jsonschema_write_text(const char *text, size_t len, bool normalize, struct fy_err *err)
{
    struct ttree t = {0};
    struct fy_buf buf;
    fy_buf_init(&buf, 0);
    char *out = NULL;
    if (tree_parse(&t, text, len) != 0 || t.count == 0) {
        fy_err_set(err, REG_E_INVALID_SCHEMA, "Invalid JSON");
        goto done;
    }
    if (tree_write(&t, &buf, normalize) != 0) {
        fy_err_set(err, REG_E_INVALID_SCHEMA, "Invalid JSON: a string is not valid");
        goto done;
    }
    out = fy_buf_steal(&buf);
done:
    fy_buf_destroy(&buf);
    tree_free(&t);
    return out;
}
