/* SPDX-License-Identifier: Apache-2.0
 * reg_access: route -> level classification and the request guard (see
 * reg_access.h). Confluent's open edition only authenticates (rest-utils'
 * ConstraintSecurityHandler: any user with one of authentication.roles may do
 * everything); the levels are ferry's, in the spirit of Confluent's RBAC
 * (which answers 403 "User is denied operation Write on Subject: s", 40301). */
#include "registry/reg_access.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "common/fy_jsonout.h"
#include "common/fy_url.h"
#include "contexts/ctx_name.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define CT_V1 "application/vnd.schemaregistry.v1+json"
#define MAX_SEGS 6

/* The raw query of `req` as sent (for the /contexts/{ctx}/ rewrite). */
static char *raw_query(const struct reg_req *req)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    for (size_t i = 0; i < req->n_args; i++) {
        fy_buf_printf(&b, "%s%s", i ? "&" : "", req->args[i].name);
        if (req->args[i].value)
            fy_buf_printf(&b, "=%s", req->args[i].value);
    }
    return fy_buf_steal(&b);
}

/* Up to MAX_SEGS percent-decoded segments of `path` (**new** each). */
static size_t split(const char *path, char **segs)
{
    size_t n = 0;
    const char *p = path[0] == '/' ? path + 1 : path;
    while (*p && n < MAX_SEGS) {
        size_t len = strcspn(p, "/");
        char *s = fy_url_decode(p, len, false);
        segs[n++] = s ? s : fy_strdup("");
        p += len;
        if (*p == '/')
            p++;
    }
    return n;
}

/* A registration with an explicit id is an import (IMPORT mode's purpose). */
static bool body_has_id(const struct reg_req *req)
{
    if (!req->body || !req->body_len)
        return false;
    /* the cheap test first: inside the schema text a key is written \"id\" */
    bool maybe = false;
    for (size_t i = 0; i + 4 <= req->body_len && !maybe; i++)
        maybe = memcmp(req->body + i, "\"id\"", 4) == 0;
    if (!maybe)
        return false;
    json_t *j = json_loadb(req->body, req->body_len, 0, NULL);
    json_t *id = json_is_object(j) ? json_object_get(j, "id") : NULL;
    bool has = id && !json_is_null(id);
    json_decref(j);
    return has;
}

static void set_subject(struct reg_access_need *need, const char *raw)
{
    struct ctx_subject cs;
    if (ctx_subject_parse(raw, &cs, NULL) != 0)
        return;
    free(need->context);
    need->context = fy_strdup(cs.context);
    need->subject = cs.name[0] ? fy_strdup(cs.name) : NULL;
    ctx_subject_destroy(&cs);
}

void reg_access_classify(const struct reg_req *req, struct reg_access_need *need)
{
    memset(need, 0, sizeof *need);
    const char *m = req->method;
    bool get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0;
    char *path = NULL, *query = NULL, *context = NULL;
    char *q = raw_query(req);
    if (strncmp(req->path, "/contexts/", 10) == 0 &&
        ctx_path_rewrite_ctx(req->path, q, &path, &query, &context, NULL) != 0) {
        path = NULL; /* a bad context name: reg_route answers 400 */
    }
    free(q);
    free(query);
    char *segs[MAX_SEGS] = {0};
    size_t n = split(path ? path : req->path, segs);
    const char *s0 = n > 0 ? segs[0] : "";
    need->context = context; /* the URL-prefix form's context, if any */
    need->what = "Registry";
    need->level = get ? FY_LEVEL_READ : FY_LEVEL_ADMIN;
    if (strcmp(s0, "subjects") == 0 && n >= 2) {
        need->what = "Subject";
        set_subject(need, segs[1]);
        if (!get) {
            if (strcmp(m, "POST") == 0 && n == 2)
                need->level = FY_LEVEL_READ; /* lookup */
            else if (strcmp(m, "POST") == 0 && n == 3 && strcmp(segs[2], "versions") == 0)
                need->level = body_has_id(req) ? FY_LEVEL_ADMIN : FY_LEVEL_WRITE;
            else if (strcmp(m, "DELETE") == 0)
                need->level = FY_LEVEL_WRITE;
        }
    } else if (strcmp(s0, "compatibility") == 0) {
        need->what = "Subject";
        if (n >= 3)
            set_subject(need, segs[2]);
        need->level = FY_LEVEL_READ;
    } else if (strcmp(s0, "config") == 0 || strcmp(s0, "mode") == 0) {
        need->what = s0[0] == 'c' ? "Config" : "Mode";
        if (n >= 2)
            set_subject(need, segs[1]);
    } else if (strcmp(s0, "contexts") == 0 && !path) {
        need->what = "Context";
        if (n >= 2) {
            free(need->context);
            need->context = ctx_context_normalize(segs[1], NULL);
        }
    } else if (strcmp(s0, "exporters") == 0) {
        need->what = "Exporter";
    } else if (strcmp(s0, "schemas") == 0) {
        for (size_t i = 0; i < req->n_args; i++)
            if (strcmp(req->args[i].name, "subject") == 0 && req->args[i].value) {
                char *raw = fy_url_decode(req->args[i].value, strlen(req->args[i].value), true);
                if (raw)
                    set_subject(need, raw);
                free(raw);
            }
        need->level = FY_LEVEL_READ;
    } else if (n == 0 && strcmp(m, "POST") == 0) {
        need->level = FY_LEVEL_READ; /* POST / answers {} like GET / */
    }
    for (size_t i = 0; i < n; i++)
        free(segs[i]);
    free(path);
}

void reg_access_need_destroy(struct reg_access_need *need)
{
    free(need->subject);
    free(need->context);
    need->subject = need->context = NULL;
}

static char *error_json(int code, const char *msg)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_printf(&b, "{\"error_code\":%d,\"message\":", code);
    fy_jsonout_str(&b, msg);
    fy_buf_putc(&b, '}');
    return fy_buf_steal(&b);
}

int reg_access_check(const struct fy_auth *a, const struct reg_req *req,
                     const char *authorization, const char *tls_name, bool *admin,
                     struct reg_resp *deny)
{
    *admin = true;
    if (!fy_auth_enabled(a) || fy_auth_skipped(a, req->path))
        return 0;
    struct fy_err err = {0};
    const struct fy_auth_user *u = NULL;
    int rc = 0;
    deny->content_type = CT_V1;
    if (fy_auth_authenticate(a, authorization, tls_name, &u, &err) != 0) {
        /* rest-utils' JsonErrorHandler: {"error_code":401,"message":"Unauthorized"} */
        deny->status = err.code;
        deny->body = error_json(err.code, err.msg);
        fy_err_destroy(&err);
        return -1;
    }
    struct reg_access_need need;
    reg_access_classify(req, &need);
    if (!fy_auth_allows(a, u, need.level, need.subject, need.context)) {
        char msg[256];
        static const char *const cap[] = {"None", "Read", "Write", "Admin"};
        if (need.subject)
            snprintf(msg, sizeof msg, "User '%s' is denied operation %s on %s: %s%s%s",
                     fy_auth_user_name(u), cap[need.level], need.what,
                     need.context && strcmp(need.context, ".") ? need.context : "",
                     need.context && strcmp(need.context, ".") ? ":" : "", need.subject);
        else
            snprintf(msg, sizeof msg, "User '%s' is denied operation %s on %s%s%s",
                     fy_auth_user_name(u), cap[need.level], need.what,
                     need.context ? ": " : "", need.context ? need.context : "");
        deny->status = 403;
        deny->body = error_json(40301, msg);
        rc = -1;
    } else {
        *admin = fy_auth_allows(a, u, FY_LEVEL_ADMIN, need.subject, need.context);
    }
    reg_access_need_destroy(&need);
    fy_err_destroy(&err);
    return rc;
}
