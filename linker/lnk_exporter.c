/* SPDX-License-Identifier: Apache-2.0
 * lnk_exporter: exporter definitions — REST body validation (42250 messages
 * that name the field), journal form, subject matching and destination names
 * (see lnk_exporter.h). */
#include "linker/lnk_exporter.h"

#include "common/fy_alloc.h"
#include "common/fy_secret.h"
#include "contexts/ctx_name.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RENAME_VAR "${subject}"

static const char *const ctx_type_names[] = {"AUTO", "CUSTOM", "NONE", "DEFAULT"};

const char *lnk_ctx_type_name(enum lnk_ctx_type t)
{
    return ctx_type_names[t];
}

void lnk_def_destroy(struct lnk_def *d)
{
    if (!d)
        return;
    free(d->name);
    for (size_t i = 0; i < d->n_subjects; i++)
        free(d->subjects[i]);
    free(d->subjects);
    free(d->context);
    free(d->rename);
    free(d->kek_rename);
    json_decref(d->config);
    memset(d, 0, sizeof *d);
}

void lnk_def_copy(const struct lnk_def *src, struct lnk_def *out)
{
    memset(out, 0, sizeof *out);
    out->name = fy_strdup(src->name);
    out->subjects = fy_calloc(src->n_subjects + 1, sizeof *out->subjects);
    for (size_t i = 0; i < src->n_subjects; i++)
        out->subjects[i] = fy_strdup(src->subjects[i]);
    out->n_subjects = src->n_subjects;
    out->ctx_type = src->ctx_type;
    out->context = fy_strdup(src->context);
    out->rename = fy_strdup(src->rename);
    out->kek_rename = fy_strdup(src->kek_rename);
    out->config = src->config ? json_deep_copy(src->config) : json_object();
    out->paused = src->paused;
}

/* Names become URL segments and log fields: keep them plain. */
static int check_name(const char *name, struct fy_err *err)
{
    size_t len = strlen(name);
    if (len == 0 || len > 200)
        return fy_err_set(err, REG_E_INVALID_EXPORTER,
                          "Exporter name must be 1 to 200 characters long");
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return fy_err_set(err, REG_E_INVALID_EXPORTER,
                              "Exporter name '%s' may only contain letters, digits, '.', '_' "
                              "and '-'",
                              name);
    }
    return 0;
}

/* Store a pattern qualified: in a /contexts/{ctx}/exporters request an
 * unqualified pattern is inside that context (as ContextFilter would make it). */
static char *qualify_pattern(const char *pat, const char *scope_ctx)
{
    if (!scope_ctx || ctx_is_default(scope_ctx) || strncmp(pat, ":.", 2) == 0 ||
        strncmp(pat, ":*:", 3) == 0)
        return fy_strdup(pat);
    return ctx_subject_format(scope_ctx, pat);
}

static int set_subjects(struct lnk_def *d, json_t *subjects, const char *scope_ctx,
                        struct fy_err *err)
{
    if (!json_is_array(subjects))
        return fy_err_set(err, REG_E_INVALID_EXPORTER,
                          "Field 'subjects' must be a list of subject names or patterns");
    size_t n = json_array_size(subjects);
    char **list = fy_calloc(n + 1, sizeof *list);
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(subjects, i));
        if (!s || !s[0]) {
            for (size_t j = 0; j < i; j++)
                free(list[j]);
            free(list);
            return fy_err_set(err, REG_E_INVALID_EXPORTER,
                              "Field 'subjects' item %zu must be a non-empty string", i);
        }
        list[i] = qualify_pattern(s, scope_ctx);
    }
    for (size_t i = 0; i < d->n_subjects; i++)
        free(d->subjects[i]);
    free(d->subjects);
    d->subjects = list;
    d->n_subjects = n;
    return 0;
}

static int opt_string(json_t *body, const char *field, const char **out, struct fy_err *err)
{
    json_t *v = json_object_get(body, field);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return fy_err_set(err, REG_E_INVALID_EXPORTER, "Field '%s' must be a string", field);
    *out = json_string_value(v);
    return 0;
}

static int parse_ctx_type(const char *s, enum lnk_ctx_type *out, struct fy_err *err)
{
    for (size_t i = 0; i < sizeof ctx_type_names / sizeof ctx_type_names[0]; i++)
        if (strcasecmp(s, ctx_type_names[i]) == 0) {
            *out = (enum lnk_ctx_type)i;
            return 0;
        }
    return fy_err_set(err, REG_E_INVALID_EXPORTER,
                      "Invalid contextType '%s'. Valid values are AUTO, CUSTOM, NONE and DEFAULT",
                      s);
}

static bool is_int_text(const char *s, long long min, long long max)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    return s[0] && !*end && !errno && v >= min && v <= max;
}

int lnk_def_check_config(json_t *config, struct fy_err *err)
{
    if (!json_is_object(config))
        return fy_err_set(err, REG_E_INVALID_EXPORTER,
                          "Field 'config' must be an object of string values");
    const char *k;
    json_t *v;
    json_object_foreach(config, k, v)
    {
        if (!json_is_string(v))
            return fy_err_set(err, REG_E_INVALID_EXPORTER,
                              "Exporter config '%s' must be a string", k);
    }
    const char *url = json_string_value(json_object_get(config, "schema.registry.url"));
    if (!url || !url[0])
        return fy_err_set(err, REG_E_INVALID_EXPORTER,
                          "Exporter config must set 'schema.registry.url' (the destination "
                          "registry)");
    if (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0) {
        char *shown = fy_secret_url_redact(url); /* the message must not carry a password */
        fy_err_set(err, REG_E_INVALID_EXPORTER,
                   "Exporter config 'schema.registry.url' must start with http:// or "
                   "https://, got '%s'",
                   shown);
        free(shown);
        return -1;
    }
    const char *src = json_string_value(json_object_get(config, "basic.auth.credentials.source"));
    if (src && strcasecmp(src, "USER_INFO") != 0 && strcasecmp(src, "URL") != 0)
        return fy_err_set(err, REG_E_INVALID_EXPORTER,
                          "Exporter config 'basic.auth.credentials.source' must be USER_INFO or "
                          "URL, got '%s'",
                          src);
    const char *ui = json_string_value(json_object_get(config, "basic.auth.user.info"));
    if (ui && !strchr(ui, ':'))
        return fy_err_set(err, REG_E_INVALID_EXPORTER,
                          "Exporter config 'basic.auth.user.info' must be 'user:password'");
    static const struct {
        const char *key;
        long long min, max;
    } ints[] = {{"request.timeout.ms", 1, 3600000},   {"connect.timeout.ms", 1, 600000},
                {"max.retries", 0, 100},              {"retries.wait.ms", 0, 600000},
                {"retries.max.wait.ms", 0, 3600000},  {"max.in.flight", 1, 64}};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        const char *s = json_string_value(json_object_get(config, ints[i].key));
        if (s && !is_int_text(s, ints[i].min, ints[i].max))
            return fy_err_set(err, REG_E_INVALID_EXPORTER,
                              "Exporter config '%s' must be an integer in [%lld, %lld], got '%s'",
                              ints[i].key, ints[i].min, ints[i].max, s);
    }
    return 0;
}

/* Apply the optional fields of `body` to `d` (create and update share this). */
static int apply_fields(struct lnk_def *d, json_t *body, const char *scope_ctx,
                        struct fy_err *err)
{
    const char *s;
    json_t *subjects = json_object_get(body, "subjects");
    if (subjects && !json_is_null(subjects) && set_subjects(d, subjects, scope_ctx, err) != 0)
        return -1;
    if (opt_string(body, "contextType", &s, err) != 0)
        return -1;
    if (s && parse_ctx_type(s, &d->ctx_type, err) != 0)
        return -1;
    if (opt_string(body, "context", &s, err) != 0)
        return -1;
    if (s) {
        free(d->context);
        d->context = NULL;
        if (s[0]) {
            d->context = ctx_context_normalize(s, err);
            if (!d->context)
                return fy_err_set(err, REG_E_INVALID_EXPORTER,
                                  "Field 'context' is not a valid context name: '%s'", s);
        }
    }
    if (opt_string(body, "subjectRenameFormat", &s, err) != 0)
        return -1;
    if (s) {
        if (!strstr(s, RENAME_VAR))
            return fy_err_set(err, REG_E_INVALID_EXPORTER,
                              "Field 'subjectRenameFormat' must contain ${subject}, got '%s'", s);
        if (strchr(s, ':'))
            return fy_err_set(err, REG_E_INVALID_EXPORTER,
                              "Field 'subjectRenameFormat' must not contain ':' (use "
                              "contextType/context for contexts), got '%s'",
                              s);
        free(d->rename);
        d->rename = fy_strdup(s);
    }
    if (opt_string(body, "kekRenameFormat", &s, err) != 0)
        return -1;
    if (s) {
        free(d->kek_rename);
        d->kek_rename = fy_strdup(s);
    }
    json_t *cfg = json_object_get(body, "config");
    if (cfg && !json_is_null(cfg)) {
        if (!json_is_object(cfg))
            return fy_err_set(err, REG_E_INVALID_EXPORTER,
                              "Field 'config' must be an object of string values");
        const char *k;
        json_t *v;
        json_object_foreach(cfg, k, v)
        {
            if (json_is_null(v))
                json_object_del(d->config, k);
            else
                json_object_set(d->config, k, v);
        }
    }
    return 0;
}

static int validate(const struct lnk_def *d, struct fy_err *err)
{
    if (d->ctx_type == LNK_CTX_CUSTOM && (!d->context || ctx_is_default(d->context)))
        return fy_err_set(err, REG_E_INVALID_EXPORTER,
                          "contextType CUSTOM needs a non-default 'context' for the destination");
    if (d->ctx_type != LNK_CTX_CUSTOM && d->context)
        return fy_err_set(err, REG_E_INVALID_EXPORTER,
                          "Field 'context' is only valid with contextType CUSTOM (contextType is "
                          "%s)",
                          lnk_ctx_type_name(d->ctx_type));
    return lnk_def_check_config(d->config, err);
}

int lnk_def_from_request(json_t *body, const char *scope_ctx, struct lnk_def *out,
                         struct fy_err *err)
{
    memset(out, 0, sizeof *out);
    if (!body)
        return fy_err_set(err, REG_E_INVALID_EXPORTER, "Request body is required");
    const char *name;
    if (opt_string(body, "name", &name, err) != 0)
        return -1;
    if (!name)
        return fy_err_set(err, REG_E_INVALID_EXPORTER, "Field 'name' is required");
    if (check_name(name, err) != 0)
        return -1;
    struct lnk_def d = {0};
    d.name = fy_strdup(name);
    d.ctx_type = LNK_CTX_AUTO;
    d.rename = fy_strdup(RENAME_VAR);
    d.config = json_object();
    d.subjects = fy_calloc(2, sizeof *d.subjects);
    d.subjects[0] = qualify_pattern("*", scope_ctx);
    d.n_subjects = 1;
    if (apply_fields(&d, body, scope_ctx, err) != 0 || validate(&d, err) != 0) {
        lnk_def_destroy(&d);
        return -1;
    }
    *out = d;
    return 0;
}

int lnk_def_update(const struct lnk_def *cur, json_t *body, const char *scope_ctx,
                   struct lnk_def *out, struct fy_err *err)
{
    if (!body)
        return fy_err_set(err, REG_E_INVALID_EXPORTER, "Request body is required");
    const char *name;
    if (opt_string(body, "name", &name, err) != 0)
        return -1;
    if (name && strcmp(name, cur->name) != 0)
        return fy_err_set(err, REG_E_INVALID_EXPORTER,
                          "Exporter name cannot be changed (from '%s' to '%s')", cur->name, name);
    struct lnk_def d;
    lnk_def_copy(cur, &d);
    /* a contextType change alone must not keep a stale CUSTOM context */
    json_t *ct = json_object_get(body, "contextType");
    if (json_is_string(ct) && strcasecmp(json_string_value(ct), "CUSTOM") != 0 &&
        !json_object_get(body, "context")) {
        free(d.context);
        d.context = NULL;
    }
    if (apply_fields(&d, body, scope_ctx, err) != 0 || validate(&d, err) != 0) {
        lnk_def_destroy(&d);
        return -1;
    }
    *out = d;
    return 0;
}

int lnk_def_update_config(const struct lnk_def *cur, json_t *body, struct lnk_def *out,
                          struct fy_err *err)
{
    if (!body)
        return fy_err_set(err, REG_E_INVALID_EXPORTER, "Request body is required");
    json_t *wrap = json_pack("{sO}", "config", body);
    struct lnk_def d;
    lnk_def_copy(cur, &d);
    int rc = apply_fields(&d, wrap, NULL, err);
    if (rc == 0)
        rc = validate(&d, err);
    json_decref(wrap);
    if (rc != 0) {
        lnk_def_destroy(&d);
        return -1;
    }
    *out = d;
    return 0;
}

json_t *lnk_def_to_json(const struct lnk_def *d, bool journal)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(d->name));
    json_t *subs = json_array();
    for (size_t i = 0; i < d->n_subjects; i++)
        json_array_append_new(subs, json_string(d->subjects[i]));
    json_object_set_new(o, "subjects", subs);
    json_object_set_new(o, "contextType", json_string(lnk_ctx_type_name(d->ctx_type)));
    if (d->context)
        json_object_set_new(o, "context", json_string(d->context));
    json_object_set_new(o, "subjectRenameFormat", json_string(d->rename));
    if (d->kek_rename)
        json_object_set_new(o, "kekRenameFormat", json_string(d->kek_rename));
    json_object_set(o, "config", d->config);
    if (journal)
        json_object_set_new(o, "paused", json_boolean(d->paused));
    return o;
}

int lnk_def_from_journal(const char *value, size_t len, struct lnk_def *out, struct fy_err *err)
{
    memset(out, 0, sizeof *out);
    json_t *v = json_loadb(value, len, 0, NULL);
    if (!json_is_object(v)) {
        json_decref(v);
        return fy_err_set(err, FY_E_CORRUPT, "EXPORTER record value is not a JSON object");
    }
    const char *name = json_string_value(json_object_get(v, "name"));
    int rc = -1;
    struct lnk_def d = {0};
    if (!name) {
        fy_err_set(err, FY_E_CORRUPT, "EXPORTER record has no name");
        goto out;
    }
    d.name = fy_strdup(name);
    d.rename = fy_strdup(RENAME_VAR);
    d.config = json_object();
    /* patterns were qualified when the exporter was created */
    if (apply_fields(&d, v, NULL, err) != 0)
        goto out;
    d.paused = json_is_true(json_object_get(v, "paused"));
    *out = d;
    memset(&d, 0, sizeof d);
    rc = 0;
out:
    lnk_def_destroy(&d);
    json_decref(v);
    return rc;
}

/* `*` matches any run of characters (possibly empty); everything else is literal. */
static bool glob(const char *pat, const char *s)
{
    const char *star = NULL, *resume = NULL;
    while (*s) {
        if (*pat == '*') {
            star = pat++;
            resume = s;
        } else if (*pat == *s) {
            pat++;
            s++;
        } else if (star) {
            pat = star + 1;
            s = ++resume;
        } else {
            return false;
        }
    }
    while (*pat == '*')
        pat++;
    return *pat == '\0';
}

bool lnk_def_matches(const struct lnk_def *d, const char *context, const char *name)
{
    for (size_t i = 0; i < d->n_subjects; i++) {
        struct ctx_subject cs;
        if (ctx_subject_parse(d->subjects[i], &cs, NULL) != 0)
            continue;
        bool ctx_ok = cs.wildcard || strcmp(cs.context, context) == 0;
        bool ok = ctx_ok && (name[0] ? glob(cs.name, name) : strcmp(cs.name, "*") == 0);
        ctx_subject_destroy(&cs);
        if (ok)
            return true;
    }
    return false;
}

char *lnk_def_dest_context(const struct lnk_def *d, const char *cluster_id, const char *context)
{
    const char *base;
    char *auto_base = NULL;
    switch (d->ctx_type) {
    case LNK_CTX_NONE:
        return fy_strdup(context);
    case LNK_CTX_DEFAULT:
        return fy_strdup(CTX_DEFAULT);
    case LNK_CTX_CUSTOM:
        base = d->context;
        break;
    case LNK_CTX_AUTO:
    default:
        auto_base = fy_asprintf(".%s", cluster_id);
        base = auto_base;
        break;
    }
    char *out = ctx_is_default(context) ? fy_strdup(base) : fy_asprintf("%s%s", base, context);
    free(auto_base);
    return out;
}

char *lnk_def_dest_subject(const struct lnk_def *d, const char *cluster_id, const char *context,
                           const char *name)
{
    char *dctx = lnk_def_dest_context(d, cluster_id, context);
    char *renamed = NULL;
    if (name[0]) {
        size_t vlen = strlen(RENAME_VAR), nlen = strlen(name);
        size_t cap = strlen(d->rename) + 1;
        for (const char *p = strstr(d->rename, RENAME_VAR); p; p = strstr(p + vlen, RENAME_VAR))
            cap += nlen;
        renamed = fy_malloc(cap);
        size_t o = 0;
        for (const char *p = d->rename; *p;) {
            if (strncmp(p, RENAME_VAR, vlen) == 0) {
                memcpy(renamed + o, name, nlen);
                o += nlen;
                p += vlen;
            } else {
                renamed[o++] = *p++;
            }
        }
        renamed[o] = '\0';
    }
    char *out = ctx_subject_format(dctx, renamed ? renamed : "");
    free(renamed);
    free(dctx);
    return out;
}

/* The source context whose destination context is `dctx`, or NULL. */
static char *source_context(const struct lnk_def *d, const char *cluster_id, const char *dctx)
{
    if (d->ctx_type == LNK_CTX_NONE)
        return fy_strdup(dctx);
    if (d->ctx_type == LNK_CTX_DEFAULT)
        return ctx_is_default(dctx) ? fy_strdup(CTX_DEFAULT) : NULL;
    char *base = lnk_def_dest_context(d, cluster_id, CTX_DEFAULT);
    size_t blen = strlen(base);
    char *src = NULL;
    if (strcmp(dctx, base) == 0)
        src = fy_strdup(CTX_DEFAULT);
    else if (strncmp(dctx, base, blen) == 0 && dctx[blen] == '.') /* ".base.a" <- ".a" */
        src = fy_strdup(dctx + blen);
    free(base);
    return src;
}

/* The name X with rename(X) == `renamed`: the format's fixed text has to
 * match around each "${subject}", so X's length follows from the lengths;
 * the caller checks the candidate by mapping it forward. **new** or NULL. */
static char *source_name(const char *format, const char *renamed)
{
    size_t vlen = strlen(RENAME_VAR), k = 0, fixed = strlen(format);
    for (const char *p = strstr(format, RENAME_VAR); p; p = strstr(p + vlen, RENAME_VAR)) {
        k++;
        fixed -= vlen;
    }
    size_t rlen = strlen(renamed);
    if (k == 0 || rlen < fixed || (rlen - fixed) % k != 0)
        return NULL;
    size_t xlen = (rlen - fixed) / k;
    const char *first = strstr(format, RENAME_VAR);
    size_t pre = (size_t)(first - format);
    if (strncmp(renamed, format, pre) != 0)
        return NULL;
    return fy_strndup(renamed + pre, xlen);
}

int lnk_def_source_subject(const struct lnk_def *d, const char *cluster_id, const char *dest,
                           char **context, char **name)
{
    struct ctx_subject cs;
    if (ctx_subject_parse(dest, &cs, NULL) != 0)
        return -1;
    char *sctx = cs.wildcard ? NULL : source_context(d, cluster_id, cs.context);
    char *sname = NULL;
    if (sctx)
        sname = cs.name[0] ? source_name(d->rename, cs.name) : fy_strdup("");
    ctx_subject_destroy(&cs);
    int rc = -1;
    if (sctx && sname) {
        char *again = lnk_def_dest_subject(d, cluster_id, sctx, sname);
        char *want = NULL;
        struct ctx_subject dq;
        if (ctx_subject_parse(dest, &dq, NULL) == 0) {
            want = ctx_subject_format(dq.context, dq.name);
            ctx_subject_destroy(&dq);
        }
        rc = want && strcmp(again, want) == 0 ? 0 : -1;
        free(want);
        free(again);
    }
    if (rc == 0) {
        *context = sctx;
        *name = sname;
    } else {
        free(sctx);
        free(sname);
    }
    return rc;
}
