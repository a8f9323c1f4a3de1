/* SPDX-License-Identifier: Apache-2.0
 * ctx_name: qualified-subject grammar and the /contexts/{ctx}/... URL rewrite
 * (see ctx_name.h). Mirrors Confluent's client/.../utils/QualifiedSubject.java
 * and core/.../rest/filters/ContextFilter.java with the tenant fixed to
 * "default". Pure string functions. Thread: any. */
#include "ctx_name.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "common/fy_url.h"

#include <stdlib.h>
#include <string.h>

#define CTX_PREFIX ":."    /* QualifiedSubject.CONTEXT_PREFIX */
#define CTX_WILDCARD ":*:" /* QualifiedSubject.CONTEXT_WILDCARD */

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int ctx_subject_parse(const char *raw, struct ctx_subject *out, struct fy_err *err)
{
    out->context = NULL;
    out->name = NULL;
    out->wildcard = false;
    if (!raw)
        return fy_err_set(err, REG_E_INVALID_SUBJECT,
                          "The specified subject 'null' is not a valid.");
    if (starts_with(raw, CTX_PREFIX)) {
        /* QualifiedSubject(tenant, s): the context is everything from the '.'
         * up to the first ':' after ":."; with no such ':' the whole rest is
         * the context and the subject is empty (":.ctx" is the context itself). */
        const char *colon = strchr(raw + 2, ':');
        if (colon) {
            out->context = fy_strndup(raw + 1, (size_t)(colon - (raw + 1)));
            out->name = fy_strdup(colon + 1);
        } else {
            out->context = fy_strdup(raw + 1);
            out->name = fy_strdup("");
        }
    } else if (starts_with(raw, CTX_WILDCARD)) {
        out->context = fy_strdup("*");
        out->name = fy_strdup(raw + strlen(CTX_WILDCARD));
        out->wildcard = true;
    } else {
        /* ":ctx:x" (no dot), ":x", "*" ... are plain names in the default context */
        out->context = fy_strdup(CTX_DEFAULT);
        out->name = fy_strdup(raw);
    }
    return 0;
}

void ctx_subject_destroy(struct ctx_subject *cs)
{
    if (!cs)
        return;
    free(cs->context);
    free(cs->name);
    cs->context = NULL;
    cs->name = NULL;
    cs->wildcard = false;
}

/* Guava's CharMatcher.javaIsoControl on the decoded text: C0 controls, DEL and
 * the C1 controls U+0080..U+009F (UTF-8 C2 80..C2 9F). */
static bool has_iso_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7F)
            return true;
        if (*p == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
            return true;
    }
    return false;
}

int ctx_subject_validate(const char *raw, const struct ctx_subject *cs, bool allow_global,
                         struct fy_err *err)
{
    bool ok = raw && cs && cs->context && cs->name && !has_iso_control(raw) &&
              strcmp(cs->name, "__GLOBAL") != 0 && strcmp(cs->name, "__EMPTY") != 0;
    /* the global context holds only config and mode (isValidSubject isConfigOrMode) */
    if (ok && !allow_global && strcmp(cs->context, CTX_GLOBAL) == 0)
        ok = false;
    if (ok)
        return 0;
    return fy_err_set_long(err, REG_E_INVALID_SUBJECT, "The specified subject '%s' is not a valid.",
                           raw ? raw : "null");
}

char *ctx_subject_format(const char *context, const char *name)
{
    if (!name)
        name = "";
    if (ctx_is_default(context))
        return fy_strdup(name);
    return fy_asprintf(":%s:%s", context, name);
}

/* QualifiedSubject.normalizeContext, returning the bare ".ctx" instead of
 * ":.ctx:": **new** string, or NULL when a colon remains inside. */
static char *normalize_context(const char *raw)
{
    size_t len = strlen(raw);
    const char *p = raw;
    if (len && p[0] == ':') {
        p++;
        len--;
    }
    if (len && p[len - 1] == ':')
        len--;
    if (memchr(p, ':', len))
        return NULL;
    if (len && p[0] == '.')
        return fy_strndup(p, len);
    char *out = fy_malloc(len + 2);
    out[0] = '.';
    memcpy(out + 1, p, len);
    out[len + 1] = '\0';
    return out;
}

char *ctx_context_normalize(const char *raw, struct fy_err *err)
{
    if (!raw) {
        fy_err_set(err, REG_E_INVALID_SUBJECT, "Context name cannot be null");
        return NULL;
    }
    char *context = normalize_context(raw);
    if (!context)
        fy_err_set(err, REG_E_INVALID_SUBJECT, "Context name cannot contain a colon");
    return context;
}

bool ctx_is_default(const char *context)
{
    return !context || strcmp(context, CTX_DEFAULT) == 0;
}

/* ---- ContextFilter ------------------------------------------------------ */

struct span {
    const char *p;
    size_t len;
};

static bool span_is(struct span s, const char *lit)
{
    return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

/* ContextFilter.startsWithContext: decode (falling back to the raw text when
 * it does not decode, as Java ignores URLDecoder's exception), then look for
 * ":." or ":*:". URLDecoder treats '+' as a space in paths too. */
static bool span_is_qualified(struct span s)
{
    char *d = fy_url_decode(s.p, s.len, true);
    if (!d)
        d = fy_strndup(s.p, s.len);
    bool q = starts_with(d, CTX_PREFIX) || starts_with(d, CTX_WILDCARD);
    free(d);
    return q;
}

/* Split like Java's String.split("/"): empty segments are kept, trailing
 * empty ones dropped. **new** array (borrowing from s) in *out. */
static size_t split_path(const char *s, struct span **out)
{
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += *p == '/';
    struct span *v = fy_calloc(n, sizeof *v);
    size_t i = 0;
    const char *p = s;
    for (;;) {
        const char *e = strchr(p, '/');
        v[i].p = p;
        v[i].len = e ? (size_t)(e - p) : strlen(p);
        i++;
        if (!e)
            break;
        p = e + 1;
    }
    while (i > 0 && v[i - 1].len == 0)
        i--;
    *out = v;
    return i;
}

/* One query pair as sent, and its decoded name (NULL if undecodable). */
struct qpair {
    struct span raw;
    char *name;
};

static size_t split_query(const char *q, struct qpair **out)
{
    size_t n = 1;
    for (const char *p = q; *p; p++)
        n += *p == '&';
    struct qpair *v = fy_calloc(n, sizeof *v);
    size_t i = 0;
    const char *p = q;
    for (;;) {
        const char *e = strchr(p, '&');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len) { /* Jersey skips empty pairs ("a=1&&b=2") */
            const char *eq = memchr(p, '=', len);
            v[i].raw = (struct span){p, len};
            v[i].name = fy_url_decode(p, eq ? (size_t)(eq - p) : len, true);
            i++;
        }
        if (!e)
            break;
        p = e + 1;
    }
    *out = v;
    return i;
}

static struct span qpair_value(const struct qpair *qp)
{
    const char *eq = memchr(qp->raw.p, '=', qp->raw.len);
    if (!eq)
        return (struct span){qp->raw.p + qp->raw.len, 0};
    return (struct span){eq + 1, (size_t)(qp->raw.p + qp->raw.len - (eq + 1))};
}

/* UriBuilder.replaceQueryParam(name, values...) on the raw query: every pair
 * named `name` goes, the new values are appended (prefixed with `prefix`
 * unless already qualified). Other pairs stay as sent, in order. Jersey
 * re-serialises its map grouped by name; the order of unrelated parameters
 * carries no meaning, so it is not copied. */
static char *query_prefix_param(const struct qpair *pairs, size_t n, const char *name,
                                const char *prefix, bool first_only)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    struct span *vals = fy_calloc(n + 1, sizeof *vals);
    size_t nv = 0;
    for (size_t i = 0; i < n; i++) {
        if (pairs[i].name && strcmp(pairs[i].name, name) == 0) {
            if (!(first_only && nv == 1))
                vals[nv++] = qpair_value(&pairs[i]);
            continue;
        }
        if (b.len)
            fy_buf_putc(&b, '&');
        fy_buf_append(&b, pairs[i].raw.p, pairs[i].raw.len);
    }
    if (nv == 0) /* "Ensure context is used as subjectPrefix" / subject = "" */
        vals[nv++] = (struct span){"", 0};
    for (size_t i = 0; i < nv; i++) {
        if (b.len)
            fy_buf_putc(&b, '&');
        fy_buf_printf(&b, "%s=", name);
        if (!span_is_qualified(vals[i]))
            fy_buf_puts(&b, prefix);
        fy_buf_append(&b, vals[i].p, vals[i].len);
    }
    free(vals);
    return fy_buf_steal(&b);
}

static bool any_param(const struct qpair *pairs, size_t n, const char *name, struct span *first)
{
    for (size_t i = 0; i < n; i++)
        if (pairs[i].name && strcmp(pairs[i].name, name) == 0) {
            *first = qpair_value(&pairs[i]);
            return true;
        }
    return false;
}

/* ContextFilter.replaceQueryParams. `rpath` is the rewritten path without its
 * leading and trailing '/'. The association rule (POST/PUT/PATCH
 * associations... gets context=) is not copied: ferry has no associations. */
static char *rewrite_query(const char *rpath, const char *query, const char *qprefix)
{
    struct qpair *pairs = NULL;
    size_t n = split_query(query, &pairs);
    char *out = NULL;
    if (starts_with(rpath, "schemas/ids")) {
        /* only the first `subject` counts; a qualified one leaves the query alone */
        struct span first = {"", 0};
        bool present = any_param(pairs, n, "subject", &first);
        if (!present || !span_is_qualified(first))
            out = query_prefix_param(pairs, n, "subject", qprefix, true);
    } else if (strcmp(rpath, "schemas") == 0 || strcmp(rpath, "subjects") == 0 ||
               starts_with(rpath, "keks")) {
        out = query_prefix_param(pairs, n, "subjectPrefix", qprefix, false);
    }
    if (!out)
        out = fy_strdup(query);
    for (size_t i = 0; i < n; i++)
        free(pairs[i].name);
    free(pairs);
    return out;
}

int ctx_path_rewrite_ctx(const char *path, const char *query, char **new_path, char **new_query,
                         char **context, struct fy_err *err)
{
    *new_path = NULL;
    *new_query = NULL;
    if (context)
        *context = NULL;
    if (!query)
        query = "";
    /* JAX-RS getPath(false) is relative: no leading '/', still encoded */
    const char *rel = path && path[0] == '/' ? path + 1 : path;
    if (!rel || !starts_with(rel, "contexts/"))
        return 0;

    int rc = -1;
    struct span *segs = NULL;
    char *ctx_dec = NULL, *ctx = NULL, *pprefix = NULL, *qprefix = NULL, *rq = NULL;
    struct fy_buf mod;
    fy_buf_init(&mod, 0);
    size_t n = split_path(rel, &segs);

    /* The context that applies is the last {ctx} of the leading
     * `contexts/{ctx}` pairs (ContextFilter only honours `contexts` while no
     * other non-empty segment has been seen). Default: ".". */
    struct span ctx_raw = {CTX_DEFAULT, 1};
    bool ctx_given = false;
    for (size_t i = 0; i < n; i++) {
        if (span_is(segs[i], "contexts")) {
            if (i + 1 < n) {
                ctx_raw = segs[i + 1];
                ctx_given = true;
            }
            i++;
        } else if (segs[i].len) {
            break;
        }
    }
    if (ctx_given) {
        ctx_dec = fy_url_decode(ctx_raw.p, ctx_raw.len, false);
        if (!ctx_dec) {
            fy_err_set(err, FY_E_BAD_REQUEST, "Invalid percent-encoding in context '%.*s'",
                       (int)(ctx_raw.len > 200 ? 200 : ctx_raw.len), ctx_raw.p);
            goto out;
        }
        ctx = normalize_context(ctx_dec);
        if (!ctx) {
            fy_err_set(err, FY_E_BAD_REQUEST, "Context name cannot contain a colon");
            goto out;
        }
    } else {
        ctx = fy_strdup(CTX_DEFAULT);
    }
    /* `/contexts`, `/contexts/{ctx}`: the contexts resource itself (list,
     * DELETE). Java turns `/contexts/.ctx` into `/contexts/:.ctx:` (same
     * resource) and `/contexts/.` into `/`; we leave both to the handler. */
    if (n <= 2) {
        rc = 0;
        goto out;
    }
    if (ctx_is_default(ctx)) {
        pprefix = fy_strdup("");
        qprefix = fy_strdup("");
    } else {
        char *e = fy_url_encode(ctx, FY_URL_SAFE_SEGMENT);
        pprefix = fy_asprintf(":%s:", e);
        free(e);
        e = fy_url_encode(ctx, FY_URL_SAFE_QUERY);
        qprefix = fy_asprintf(":%s:", e);
        free(e);
    }

    /* ContextFilter.modifyUriPath, segment by segment */
    bool ctx_next = false, cfg_mode = false, subj_next = false, first = true;
    for (size_t i = 0; i < n; i++) {
        struct span s = segs[i];
        if (ctx_next) {
            ctx_next = false;
            continue;
        } else if (first && span_is(s, "contexts")) {
            ctx_next = true;
            continue;
        }
        if (subj_next) {
            if (!span_is_qualified(s))
                fy_buf_puts(&mod, pprefix);
            subj_next = false;
        } else {
            bool root = first && (span_is(s, "config") || span_is(s, "mode"));
            if (span_is(s, "subjects") || span_is(s, "deks") || root) {
                subj_next = true;
                cfg_mode = cfg_mode || root;
            }
        }
        fy_buf_append(&mod, s.p, s.len);
        fy_buf_putc(&mod, '/');
        if (first && s.len)
            first = false;
    }
    if (cfg_mode && subj_next) {
        /* `/config` or `/mode` right after the context: the context's own */
        if (pprefix[0]) {
            fy_buf_puts(&mod, pprefix);
            fy_buf_putc(&mod, '/');
        }
    } else if (ctx_next) {
        fy_buf_puts(&mod, "contexts/");
    } else if ((mod.len == 0 || strcmp(fy_buf_str(&mod), "/") == 0) && !ctx_is_default(ctx)) {
        fy_buf_printf(&mod, "contexts/%s/", pprefix);
    }

    /* Java leaves "subjects/:.c:x/" to Jersey; we hand back "/subjects/:.c:x" */
    const char *m = fy_buf_str(&mod);
    size_t mlen = mod.len;
    if (mlen && m[mlen - 1] == '/')
        mlen--;
    size_t skip = mlen && m[0] == '/' ? 1 : 0;
    char *rpath = fy_strndup(m + skip, mlen - skip);
    rq = rewrite_query(rpath, query, qprefix);
    *new_path = fy_asprintf("/%s", rpath);
    free(rpath);
    *new_query = rq;
    rq = NULL;
    if (context) {
        *context = ctx;
        ctx = NULL;
    }
    rc = 0;
out:
    fy_buf_destroy(&mod);
    free(segs);
    free(ctx_dec);
    free(ctx);
    free(pprefix);
    free(qprefix);
    free(rq);
    return rc;
}

int ctx_path_rewrite(const char *path, const char *query, char **new_path, char **new_query,
                     struct fy_err *err)
{
    return ctx_path_rewrite_ctx(path, query, new_path, new_query, NULL, err);
}
