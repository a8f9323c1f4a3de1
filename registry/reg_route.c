/* SPDX-License-Identifier: Apache-2.0
 * reg_route: the route table, content negotiation (sr-api §1), argument
 * decoding and the mapping of errors to Confluent error bodies. The only
 * place where error codes become HTTP statuses (style S4.3). */
#include "registry/reg_route.h"

#include "common/fy_alloc.h"
#include "common/fy_jsonout.h"
#include "common/fy_log.h"
#include "common/fy_url.h"
#include "contexts/ctx_name.h"
#include "registry/reg_body.h"
#include "registry/reg_handlers_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CT_V1 "application/vnd.schemaregistry.v1+json"
#define CT_SR "application/vnd.schemaregistry+json"
#define CT_JSON "application/json"

struct route {
    const char *method;
    const char *pattern; /* '*' matches one path segment */
    reg_handler_fn fn;
};

static const struct route routes[] = {
    {"GET", "/", reg_h_root},
    {"POST", "/", reg_h_root},
    {"GET", "/v1/metadata/id", reg_h_metadata_id},
    {"GET", "/v1/metadata/version", reg_h_metadata_version},
    {"GET", "/schemas", reg_h_schemas_list},
    {"GET", "/schemas/types", reg_h_schema_types},
    {"GET", "/schemas/ids/*", reg_h_schema_by_id},
    {"GET", "/schemas/ids/*/schema", reg_h_schema_by_id_text},
    {"GET", "/schemas/ids/*/subjects", reg_h_schema_by_id_subjects},
    {"GET", "/schemas/ids/*/versions", reg_h_schema_by_id_versions},
    {"GET", "/schemas/guids/*", reg_h_schema_by_guid},
    {"GET", "/schemas/guids/*/ids", reg_h_schema_guid_ids},
    {"GET", "/subjects", reg_h_subjects_list},
    {"POST", "/subjects/*", reg_h_lookup},
    {"DELETE", "/subjects/*", reg_h_subject_delete},
    {"GET", "/subjects/*/metadata", reg_h_latest_with_metadata},
    {"GET", "/subjects/*/versions", reg_h_versions_list},
    {"POST", "/subjects/*/versions", reg_h_register},
    {"GET", "/subjects/*/versions/*", reg_h_version_get},
    {"DELETE", "/subjects/*/versions/*", reg_h_version_delete},
    {"GET", "/subjects/*/versions/*/schema", reg_h_version_schema},
    {"GET", "/subjects/*/versions/*/referencedby", reg_h_referenced_by},
    {"POST", "/compatibility/subjects/*/versions/*", reg_h_compat_version},
    {"POST", "/compatibility/subjects/*/versions", reg_h_compat_all},
    {"GET", "/config", reg_h_config_get},
    {"PUT", "/config", reg_h_config_put},
    {"DELETE", "/config", reg_h_config_delete},
    {"GET", "/config/*", reg_h_config_get},
    {"PUT", "/config/*", reg_h_config_put},
    {"DELETE", "/config/*", reg_h_config_delete},
    {"GET", "/mode", reg_h_mode_get},
    {"PUT", "/mode", reg_h_mode_put},
    {"DELETE", "/mode", reg_h_mode_delete},
    {"GET", "/mode/*", reg_h_mode_get},
    {"PUT", "/mode/*", reg_h_mode_put},
    {"DELETE", "/mode/*", reg_h_mode_delete},
    {"GET", "/contexts", reg_h_contexts_list},
    {"DELETE", "/contexts/*", reg_h_context_delete},
};

#define MAX_EXTS 4
#define N_ROUTES ((int)(sizeof routes / sizeof routes[0]))
#define EXT_DEPTHS 4 /* /p, /p/{name}, /p/{name}/{action}, deeper */
#define N_PLAIN (N_ROUTES + MAX_EXTS * EXT_DEPTHS)

struct reg_route_ext {
    char prefix[32];
    reg_route_ext_fn fn;
    void *arg;
};

int reg_route_add_extension(struct reg_registry *r, const char *prefix, reg_route_ext_fn fn,
                            void *arg, struct fy_err *err)
{
    if (strlen(prefix) == 0 || strlen(prefix) >= sizeof r->exts[0].prefix || strchr(prefix, '/'))
        return fy_err_set(err, FY_E_CONFIG, "extension prefix '%s' is not one path segment",
                          prefix);
    if (!r->exts)
        r->exts = fy_calloc(MAX_EXTS, sizeof *r->exts);
    if (r->n_exts == MAX_EXTS)
        return fy_err_set(err, FY_E_CONFIG, "too many REST extensions (max %d)", MAX_EXTS);
    struct reg_route_ext *e = &r->exts[r->n_exts++];
    memcpy(e->prefix, prefix, strlen(prefix) + 1);
    e->fn = fn;
    e->arg = arg;
    return 0;
}

const char *reg_arg(const struct reg_hctx *hc, const char *name)
{
    for (size_t i = hc->n_args; i-- > 0;)
        if (strcmp(hc->arg_names[i], name) == 0)
            return hc->arg_values[i];
    return NULL;
}

bool reg_arg_bool(const struct reg_hctx *hc, const char *name)
{
    const char *v = reg_arg(hc, name);
    return v && strcasecmp(v, "true") == 0;
}

long long reg_arg_int(const struct reg_hctx *hc, const char *name, long long def)
{
    const char *v = reg_arg(hc, name);
    if (!v || !v[0])
        return def;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    return (*end || errno) ? def : n;
}

int reg_require_body(const struct reg_hctx *hc, struct fy_err *err)
{
    if (!hc->body)
        return fy_err_set(err, FY_E_UNPROCESSABLE, "Request body is required");
    return 0;
}

/* Split the raw path into percent-decoded segments ("/a/b" -> "a","b"). */
static int split_path(const char *path, char ***segs, size_t *n, struct fy_err *err)
{
    *segs = NULL;
    *n = 0;
    if (path[0] != '/')
        return fy_err_set(err, FY_E_NOT_FOUND, "HTTP 404 Not Found");
    const char *p = path + 1;
    if (!*p)
        return 0;
    size_t cap = 8;
    char **s = fy_calloc(cap, sizeof *s);
    for (;;) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        char *seg = fy_url_decode(p, len, false);
        if (!seg || !fy_utf8_valid(seg, strlen(seg))) {
            free(seg);
            for (size_t i = 0; i < *n; i++)
                free(s[i]);
            free(s);
            *n = 0;
            return fy_err_set(err, FY_E_BAD_REQUEST,
                              "Invalid path: bad percent-encoding or invalid UTF-8");
        }
        if (*n + 1 >= cap) {
            cap *= 2;
            s = fy_realloc(s, cap * sizeof *s);
        }
        s[(*n)++] = seg;
        if (!e)
            break;
        p = e + 1;
    }
    *segs = s;
    return 0;
}

/* 1 = route matches (captures filled), 0 = no. */
static int match(const char *pattern, char **segs, size_t n, const char **params)
{
    const char *p = pattern + 1;
    size_t i = 0, np = 0;
    if (!*p)
        return n == 0;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (i >= n)
            return 0;
        if (len == 1 && p[0] == '*') {
            if (np < REG_MAX_PARAMS)
                params[np++] = segs[i];
        } else if (strlen(segs[i]) != len || strncmp(segs[i], p, len) != 0) {
            return 0;
        }
        i++;
        p = e ? e + 1 : p + len;
    }
    return i == n;
}

/* Media type of a header value without parameters, trimmed and lower-case. */
static void media_type(const char *v, char *out, size_t len)
{
    while (*v == ' ' || *v == '\t')
        v++;
    size_t i = 0;
    while (*v && *v != ';' && *v != ',' && i + 1 < len) {
        out[i++] = (char)(*v >= 'A' && *v <= 'Z' ? *v + 32 : *v);
        v++;
    }
    while (i > 0 && (out[i - 1] == ' ' || out[i - 1] == '\t'))
        i--;
    out[i] = '\0';
}

static bool body_type_ok(const char *ct)
{
    if (!ct || !ct[0])
        return true; /* ad-hoc clients send no type: read it as JSON, as Confluent does */
    char mt[128];
    media_type(ct, mt, sizeof mt);
    return strcmp(mt, CT_V1) == 0 || strcmp(mt, CT_SR) == 0 || strcmp(mt, CT_JSON) == 0 ||
           strcmp(mt, "application/octet-stream") == 0;
}

/* Server-driven negotiation over our three types (qs 1, 0.9, 0.5): the
 * highest client-q x server-qs wins; NULL when nothing is acceptable. */
static const char *negotiate(const char *accept)
{
    static const char *const types[] = {CT_V1, CT_SR, CT_JSON};
    static const double qs[] = {1.0, 0.9, 0.5};
    if (!accept || !accept[0])
        return CT_V1;
    double best = 0;
    const char *chosen = NULL;
    for (size_t t = 0; t < 3; t++) {
        double q_for_type = -1;
        int specificity = -1;
        const char *p = accept;
        while (p && *p) {
            char mt[128];
            media_type(p, mt, sizeof mt);
            const char *end = strchr(p, ',');
            double q = 1.0;
            const char *qp = strstr(p, "q=");
            if (qp && (!end || qp < end)) {
                /* q= must be a parameter of this element, i.e. after a ';' */
                const char *semi = strchr(p, ';');
                if (semi && semi < qp)
                    q = strtod(qp + 2, NULL);
            }
            int spec = -1;
            if (strcmp(mt, types[t]) == 0)
                spec = 2;
            else if (strcmp(mt, "application/*") == 0)
                spec = 1;
            else if (strcmp(mt, "*/*") == 0 || strcmp(mt, "*") == 0)
                spec = 0;
            if (spec > specificity) {
                specificity = spec;
                q_for_type = q;
            }
            p = end ? end + 1 : NULL;
        }
        if (q_for_type > 0 && q_for_type * qs[t] > best) {
            best = q_for_type * qs[t];
            chosen = types[t];
        }
    }
    return chosen;
}

static int http_status(int code)
{
    if (code >= 10000)
        return code / 100;
    if (code >= 400 && code < 600)
        return code;
    return 500;
}

static char *error_body(const struct fy_err *err, int *status)
{
    int code = err->code;
    *status = http_status(code);
    if (code < 0) /* internal: the store failed or timed out (Confluent 50001/50002) */
        code = code == FY_E_TIMEOUT ? REG_E_TIMEOUT : REG_E_STORE;
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_printf(&b, "{\"error_code\":%d,\"message\":", code);
    fy_jsonout_str(&b, fy_err_text(err)[0] ? fy_err_text(err) : "Internal error");
    fy_buf_putc(&b, '}');
    return fy_buf_steal(&b);
}

static void decode_args(struct reg_hctx *hc, const struct reg_req *req)
{
    hc->arg_names = fy_calloc(req->n_args + 1, sizeof *hc->arg_names);
    hc->arg_values = fy_calloc(req->n_args + 1, sizeof *hc->arg_values);
    for (size_t i = 0; i < req->n_args; i++) {
        const char *n = req->args[i].name;
        const char *v = req->args[i].value ? req->args[i].value : "";
        char *dn = fy_url_decode(n, strlen(n), true);
        char *dv = fy_url_decode(v, strlen(v), true);
        if (!dn || !dv) { /* undecodable arguments are ignored, not fatal */
            free(dn);
            free(dv);
            continue;
        }
        hc->arg_names[hc->n_args] = dn;
        hc->arg_values[hc->n_args] = dv;
        hc->n_args++;
    }
}

/* The raw query string of the request's arguments (as they were sent). */
static char *join_query(const struct reg_req *req)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    for (size_t i = 0; i < req->n_args; i++) {
        if (i)
            fy_buf_putc(&b, '&');
        fy_buf_puts(&b, req->args[i].name);
        if (req->args[i].value) {
            fy_buf_putc(&b, '=');
            fy_buf_puts(&b, req->args[i].value);
        }
    }
    return fy_buf_steal(&b);
}

/* Split a raw query string in place into name/value pairs (still encoded). */
static size_t split_query(char *q, struct reg_query_arg **out)
{
    size_t n = 0, cap = 4;
    struct reg_query_arg *args = fy_calloc(cap, sizeof *args);
    for (char *p = q; p && *p;) {
        char *amp = strchr(p, '&');
        if (amp)
            *amp = '\0';
        if (*p) {
            char *eq = strchr(p, '=');
            if (eq)
                *eq = '\0';
            if (n == cap) {
                cap *= 2;
                args = fy_realloc(args, cap * sizeof *args);
            }
            args[n].name = p;
            args[n].value = eq ? eq + 1 : NULL;
            n++;
        }
        p = amp ? amp + 1 : NULL;
    }
    *out = args;
    return n;
}

static void route(struct reg_registry *r, const struct reg_req *req, const char *context,
                  struct reg_resp *resp);

/* The target of `subject`'s alias: **new**, or NULL when its own config
 * (not the one in scope) has no non-empty `alias`. An alias without a
 * context is put in the subject's (QualifiedSubject.qualifySubjectWithParent).
 * Locks: takes idx.lock shared. */
static char *alias_target(struct reg_registry *r, const char *subject)
{
    struct ctx_subject cs;
    if (!subject[0] || ctx_subject_parse(subject, &cs, NULL) != 0)
        return NULL;
    char *scope = reg_registry_scope(cs.context, cs.name);
    char *out = NULL;
    pthread_rwlock_rdlock(&r->idx.lock);
    const char *alias = json_string_value(json_object_get(reg_index_config(&r->idx, scope),
                                                          "alias"));
    out = reg_qualify_with_parent(cs.context, alias);
    pthread_rwlock_unlock(&r->idx.lock);
    free(scope);
    ctx_subject_destroy(&cs);
    return out;
}

/* Confluent's AliasFilter, after the /contexts/{ctx} rewrite and before
 * matching: the segment after every `subjects` segment and, under
 * /schemas/ids, the `subject` argument name their alias target instead.
 * Every method (reads and writes alike); /config and /mode are untouched. */
static void apply_aliases(struct reg_registry *r, char **segs, size_t n, struct reg_hctx *hc)
{
    for (size_t i = 1; i < n; i++) {
        if (strcmp(segs[i - 1], "subjects") != 0)
            continue;
        char *t = alias_target(r, segs[i]);
        if (t) {
            free(segs[i]);
            segs[i] = t;
        }
        i++; /* the segment just looked at is a subject, not a `subjects` marker */
    }
    if (n < 2 || strcmp(segs[0], "schemas") != 0 || strcmp(segs[1], "ids") != 0)
        return;
    for (size_t i = 0; i < hc->n_args; i++) {
        if (strcmp(hc->arg_names[i], "subject") != 0)
            continue;
        char *t = alias_target(r, hc->arg_values[i]);
        if (t) {
            free(hc->arg_values[i]);
            hc->arg_values[i] = t;
        }
    }
}

void reg_route(struct reg_registry *r, const struct reg_req *req, struct reg_resp *resp)
{
    /* the URL-prefix form /contexts/{ctx}/... is the plain API inside that
     * context (Confluent's ContextFilter, sr-api §2.8) */
    if (strncmp(req->path, "/contexts/", 10) != 0) {
        route(r, req, NULL, resp);
        return;
    }
    char *query = join_query(req);
    char *new_path = NULL, *new_query = NULL, *context = NULL;
    struct fy_err err = {0};
    if (ctx_path_rewrite_ctx(req->path, query, &new_path, &new_query, &context, &err) != 0) {
        resp->body = error_body(&err, &resp->status);
        resp->content_type = CT_V1;
        resp->route = REG_ROUTE_NONE;
    } else if (!new_path) {
        route(r, req, NULL, resp);
    } else {
        struct reg_req rewritten = *req;
        rewritten.path = new_path;
        struct reg_query_arg *args = NULL;
        rewritten.n_args = split_query(new_query, &args);
        rewritten.args = args;
        route(r, &rewritten, context, resp);
        free(args);
    }
    fy_err_destroy(&err);
    free(context);
    free(new_path);
    free(new_query);
    free(query);
}

static void route(struct reg_registry *r, const struct reg_req *req, const char *context,
                  struct reg_resp *resp)
{
    struct fy_err err = {0};
    struct fy_buf out;
    fy_buf_init(&out, 0);
    struct reg_hctx hc = {.r = r, .req = req, .status = 200};
    char **segs = NULL;
    size_t n = 0;
    int rc = -1;
    const char *ctype = negotiate(req->accept);

    resp->status = 500;
    resp->body = NULL;
    resp->content_type = ctype ? ctype : CT_V1;
    resp->route = REG_ROUTE_NONE;
    decode_args(&hc, req);

    if (split_path(req->path, &segs, &n, &err) != 0)
        goto out;
    apply_aliases(r, segs, n, &hc);
    const struct route *found = NULL;
    const struct reg_route_ext *ext = NULL;
    bool path_known = false;
    for (size_t i = 0; n > 0 && i < r->n_exts && !ext; i++)
        if (strcmp(segs[0], r->exts[i].prefix) == 0) {
            ext = &r->exts[i];
            resp->route =
                N_ROUTES + (int)i * EXT_DEPTHS + (int)(n < EXT_DEPTHS ? n : EXT_DEPTHS) - 1;
        }
    for (size_t i = 0; !ext && i < sizeof routes / sizeof routes[0]; i++) {
        const char *params[REG_MAX_PARAMS] = {0};
        if (!match(routes[i].pattern, segs, n, params))
            continue;
        if (!path_known)
            resp->route = (int)i; /* a 405 counts under the path's first template */
        path_known = true;
        /* HEAD is GET without the body (JAX-RS does this for every GET resource;
         * MHD leaves the body out of HEAD answers) */
        const char *method = strcmp(req->method, "HEAD") == 0 ? "GET" : req->method;
        if (strcmp(routes[i].method, method) == 0) {
            found = &routes[i];
            resp->route = (int)i;
            memcpy(hc.params, params, sizeof params);
            break;
        }
    }
    if (!found && !ext) {
        if (path_known)
            fy_err_set(&err, FY_E_METHOD, "HTTP 405 Method Not Allowed");
        else
            fy_err_set(&err, FY_E_NOT_FOUND, "HTTP 404 Not Found");
        goto out;
    }
    if (!ctype) {
        fy_err_set(&err, FY_E_NOT_ACCEPTABLE, "HTTP 406 Not Acceptable");
        goto out;
    }
    if (req->body && req->body_len) {
        if (!body_type_ok(req->content_type)) {
            fy_err_set(&err, FY_E_UNSUPPORTED_MEDIA, "HTTP 415 Unsupported Media Type");
            goto out;
        }
        json_error_t jerr;
        hc.body = reg_body_parse(req->body, req->body_len, &jerr);
        if (!hc.body) {
            fy_err_set(&err, FY_E_BAD_REQUEST, "Unexpected character or malformed JSON (line %d, column %d): %s",
                       jerr.line, jerr.column, jerr.text);
            goto out;
        }
        if (json_is_null(hc.body)) { /* `null` is no body at all (@NotNull -> 422) */
            json_decref(hc.body);
            hc.body = NULL;
        } else if (!json_is_object(hc.body)) {
            fy_err_set(&err, FY_E_BAD_REQUEST, "Request body must be a JSON object");
            goto out;
        }
    }
    if (ext) {
        struct reg_ext_req xr = {.method = req->method, .segs = (const char *const *)segs,
                                 .n_segs = n, .body = hc.body, .context = context,
                                 .args = req->args, .n_args = req->n_args,
                                 .admin = req->admin};
        rc = ext->fn(ext->arg, &xr, &out, &err);
    } else {
        rc = found->fn(&hc, &out, &err);
    }
out:
    if (context && resp->route != REG_ROUTE_NONE)
        resp->route += N_PLAIN;
    if (rc == 0) {
        resp->status = hc.status;
        resp->body = hc.status == 204 ? fy_strdup("") : fy_buf_steal(&out);
    } else {
        if (err.code == FY_OK)
            fy_err_set(&err, FY_E_INTERNAL, "Internal error");
        resp->body = error_body(&err, &resp->status);
        if (resp->status >= 500)
            fy_log(FY_LOG_ERROR, "http", "method=%s path=%s status=%d msg=\"%s\"", req->method,
                   req->path, resp->status, err.msg);
    }
    fy_buf_destroy(&out);
    fy_err_destroy(&err);
    json_decref(hc.body);
    for (size_t i = 0; i < n; i++)
        free(segs[i]);
    free(segs);
    for (size_t i = 0; i < hc.n_args; i++) {
        free(hc.arg_names[i]);
        free(hc.arg_values[i]);
    }
    free(hc.arg_names);
    free(hc.arg_values);
}

int reg_route_count(const struct reg_registry *r)
{
    (void)r;
    return 2 * N_PLAIN;
}

/* "{name}" for the '*' after `prev` (the literal segment before it) */
static const char *param_name(const char *prev, size_t len)
{
    static const struct {
        const char *seg, *param;
    } names[] = {{"subjects", "{subject}"}, {"versions", "{version}"}, {"ids", "{id}"},
                 {"config", "{subject}"},   {"mode", "{subject}"},     {"contexts", "{context}"},
                 {"guids", "{guid}"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].seg) == len && strncmp(prev, names[i].seg, len) == 0)
            return names[i].param;
    return "{param}";
}

void reg_route_label(const struct reg_registry *r, int id, char *buf, size_t len)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    if (id < 0 || id >= 2 * N_PLAIN) {
        fy_buf_puts(&b, "other");
        goto out;
    }
    if (id >= N_PLAIN) {
        fy_buf_puts(&b, "/contexts/{context}");
        id -= N_PLAIN;
    }
    if (id < N_ROUTES) {
        const char *prev = "";
        size_t prev_len = 0;
        const char *p = routes[id].pattern + 1;
        if (!*p)
            fy_buf_putc(&b, '/');
        while (*p) {
            const char *e = strchr(p, '/');
            size_t sl = e ? (size_t)(e - p) : strlen(p);
            fy_buf_putc(&b, '/');
            if (sl == 1 && *p == '*') {
                fy_buf_puts(&b, param_name(prev, prev_len));
            } else {
                fy_buf_append(&b, p, sl);
                prev = p;
                prev_len = sl;
            }
            if (!e)
                break;
            p = e + 1;
        }
        goto out;
    }
    id -= N_ROUTES;
    size_t e = (size_t)id / EXT_DEPTHS;
    int depth = id % EXT_DEPTHS + 1;
    fy_buf_printf(&b, "/%s", e < r->n_exts ? r->exts[e].prefix : "ext");
    static const char *const tail[] = {"", "/{name}", "/{name}/{action}", "/{name}/{action}/..."};
    fy_buf_puts(&b, tail[depth - 1]);
out:
    snprintf(buf, len, "%s", fy_buf_str(&b));
    fy_buf_destroy(&b);
}
