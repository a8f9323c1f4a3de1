/* SPDX-License-Identifier: Apache-2.0
 * lnk_failover: pause the primary's exporter (when it answers), read its
 * last position, switch the DR scopes IMPORT -> READWRITE (see
 * lnk_failover.h). Order matters: the exporter is paused first so that it
 * does not keep writing into a scope that DR clients are about to own (an
 * exporter would be refused there anyway, 42205, but it would show ERROR).
 * Thread: the caller's. */
#include "linker/lnk_failover.h"

#include "common/fy_alloc.h"
#include "common/fy_url.h"
#include "contexts/ctx_name.h"
#include "linker/lnk_client.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

char *lnk_failover_scope_path(const char *scope, struct fy_err *err)
{
    char *q = NULL;
    if (scope[0] == '.') { /* ".ctx": a context written the short way */
        char *c = ctx_context_normalize(scope, err);
        if (!c)
            return NULL;
        q = ctx_is_default(c) ? fy_strdup("") : ctx_subject_format(c, "");
        free(c);
    } else {
        struct ctx_subject cs;
        if (ctx_subject_parse(scope, &cs, err) != 0)
            return NULL;
        q = ctx_is_default(cs.context) && !cs.name[0] ? fy_strdup("")
                                                       : ctx_subject_format(cs.context, cs.name);
        ctx_subject_destroy(&cs);
    }
    char *s = fy_url_encode(q, FY_URL_SAFE_SEGMENT);
    free(q);
    return s;
}

static const char *msg_of(json_t *ans)
{
    const char *m = json_string_value(json_object_get(ans, "message"));
    return m ? m : "";
}

/* The primary's half: pause, then the position. Fills `p`. */
static void primary_side(const struct lnk_failover_opts *o, struct lnk_client *cl, json_t *p)
{
    struct fy_err e = {0};
    long status = 0;
    json_t *ans = NULL;
    json_object_set_new(p, "url", json_string(lnk_client_url(cl)));
    json_object_set_new(p, "exporter", o->exporter ? json_string(o->exporter) : json_null());
    json_object_set_new(p, "paused", json_false());
    if (!o->exporter) { /* nothing to pause: only say whether it answers */
        bool up = lnk_client_call(cl, "GET", "/", NULL, &status, &ans, &e) == 0;
        json_object_set_new(p, "reachable", json_boolean(up));
        if (!up)
            json_object_set_new(p, "error", json_string(fy_err_text(&e)));
        else
            json_object_set_new(p, "error", json_string("no exporter.name: position unknown"));
        goto out;
    }
    char *name = fy_url_encode(o->exporter, FY_URL_SAFE_SEGMENT);
    char *pause = fy_asprintf("/exporters/%s/pause", name);
    char *stat = fy_asprintf("/exporters/%s/status", name);
    free(name);
    if (lnk_client_call(cl, "PUT", pause, NULL, &status, &ans, &e) != 0) {
        json_object_set_new(p, "reachable", json_false());
        json_object_set_new(p, "error", json_string(fy_err_text(&e)));
    } else {
        json_object_set_new(p, "reachable", json_true());
        if (status == 200) {
            json_object_set_new(p, "paused", json_true());
        } else {
            char *m = fy_asprintf("pause answered HTTP %ld: %s", status, msg_of(ans));
            json_object_set_new(p, "error", json_string(m));
            free(m);
        }
        json_decref(ans);
        ans = NULL;
        if (lnk_client_call(cl, "GET", stat, NULL, &status, &ans, &e) == 0 && status == 200) {
            json_object_set(p, "state", json_object_get(ans, "state"));
            json_object_set(p, "offset", json_object_get(ans, "offset"));
            json_object_set(p, "ts", json_object_get(ans, "ts"));
        }
    }
    free(pause);
    free(stat);
out:
    json_decref(ans);
    fy_err_destroy(&e);
}

/* The scope's /mode path (percent-encoded), **new**, or NULL with err. */
static char *mode_path(const char *scope, struct fy_err *err)
{
    char *seg = lnk_failover_scope_path(scope, err);
    if (!seg)
        return NULL;
    char *path = seg[0] ? fy_asprintf("/mode/%s", seg) : fy_strdup("/mode");
    free(seg);
    return path;
}

/* GET or PUT the scope's /mode: 0 with the 200 answer in *ans (**new**). */
static int mode_call(struct lnk_client *cl, const char *method, const char *scope,
                     const char *body, json_t **ans, struct fy_err *err)
{
    long status = 0;
    int rc = -1;
    char *path = mode_path(scope, err), *target = NULL;
    *ans = NULL;
    if (!path)
        return -1;
    /* a GET asks for the effective mode (Confluent's defaultToGlobal) */
    target = body ? fy_strdup(path) : fy_asprintf("%s?defaultToGlobal=true", path);
    if (lnk_client_call(cl, method, target, body, &status, ans, err) == 0) {
        if (status == 200)
            rc = 0;
        else
            fy_err_set(err, FY_E_HTTP, "%s %s answered HTTP %ld: %s", method, path, status,
                       msg_of(*ans));
    }
    if (rc != 0) {
        json_decref(*ans);
        *ans = NULL;
    }
    free(target);
    free(path);
    return rc;
}

int lnk_failover_mode_get(struct lnk_client *cl, const char *scope, char **mode,
                          struct fy_err *err)
{
    json_t *ans = NULL;
    if (mode_call(cl, "GET", scope, NULL, &ans, err) != 0)
        return -1;
    const char *m = json_string_value(json_object_get(ans, "mode"));
    int rc = m ? 0 : fy_err_set(err, FY_E_HTTP, "GET /mode of %s: no mode in the answer", scope);
    if (m)
        *mode = fy_strdup(m);
    json_decref(ans);
    return rc;
}

int lnk_failover_mode_put(struct lnk_client *cl, const char *scope, const char *mode,
                          struct fy_err *err)
{
    json_t *ans = NULL, *b = json_pack("{s:s}", "mode", mode);
    char *body = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    int rc = mode_call(cl, "PUT", scope, body, &ans, err);
    json_decref(ans);
    free(body);
    return rc;
}

/* One DR scope: GET its effective mode, switch IMPORT -> READWRITE. 0 when
 * the scope is READWRITE afterwards. */
static int dr_scope(struct lnk_client *cl, const char *scope, json_t *s)
{
    struct fy_err e = {0};
    int rc = -1;
    char *mode = NULL;
    json_object_set_new(s, "scope", json_string(scope));
    json_object_set_new(s, "switched", json_false());
    if (lnk_failover_mode_get(cl, scope, &mode, &e) != 0) {
        json_object_set_new(s, "error", json_string(fy_err_text(&e)));
        goto out;
    }
    json_object_set_new(s, "before", json_string(mode));
    if (strcmp(mode, "READWRITE") == 0) { /* done before: failing over twice is fine */
        json_object_set_new(s, "after", json_string(mode));
        rc = 0;
        goto out;
    }
    if (strcmp(mode, "IMPORT") != 0) {
        /* READONLY* was chosen by an operator, not by a link: not ours to lift */
        char *m = fy_asprintf("scope is %s, not IMPORT: not an imported scope, left alone", mode);
        json_object_set_new(s, "after", json_string(mode));
        json_object_set_new(s, "error", json_string(m));
        free(m);
        goto out;
    }
    if (lnk_failover_mode_put(cl, scope, "READWRITE", &e) != 0) {
        json_object_set_new(s, "after", json_string(mode));
        json_object_set_new(s, "error", json_string(fy_err_text(&e)));
        goto out;
    }
    json_object_set_new(s, "after", json_string("READWRITE"));
    json_object_set_new(s, "switched", json_true());
    rc = 0;
out:
    free(mode);
    fy_err_destroy(&e);
    return rc;
}

json_t *lnk_failover_run(const struct lnk_failover_opts *o, int64_t now_ms, int *status,
                         struct fy_err *err)
{
    struct lnk_client *dr = NULL, *pr = NULL;
    json_t *rep = NULL;
    dr = lnk_client_new(o->dr_config, err);
    if (!dr)
        goto out;
    if (o->primary_config) {
        pr = lnk_client_new(o->primary_config, err);
        if (!pr)
            goto out;
    }
    rep = json_object();
    json_object_set_new(rep, "dr", json_string(lnk_client_url(dr)));
    json_object_set_new(rep, "now", json_integer(now_ms));
    bool known = false;
    int64_t ts = 0;
    if (pr) {
        json_t *p = json_object();
        primary_side(o, pr, p);
        json_t *jts = json_object_get(p, "ts");
        known = json_is_true(json_object_get(p, "reachable")) && json_is_integer(jts) &&
                json_is_integer(json_object_get(p, "offset"));
        ts = known ? (int64_t)json_integer_value(jts) : 0;
        json_object_set_new(rep, "primary", p);
    } else {
        json_object_set_new(rep, "primary", json_null());
    }
    json_object_set_new(rep, "position_known", json_boolean(known));
    json_object_set_new(rep, "rpo_ms", known && ts > 0 ? json_integer(now_ms > ts ? now_ms - ts : 0)
                                                       : json_null());
    json_t *scopes = json_array();
    int st = o->n_scopes ? LNK_FAILOVER_OK : LNK_FAILOVER_USAGE;
    for (size_t i = 0; i < o->n_scopes; i++) {
        json_t *s = json_object();
        if (dr_scope(dr, o->scopes[i], s) != 0)
            st = LNK_FAILOVER_FAILED;
        json_array_append_new(scopes, s);
    }
    json_object_set_new(rep, "scopes", scopes);
    json_object_set_new(rep, "status", json_integer(st));
    *status = st;
out:
    lnk_client_free(pr);
    lnk_client_free(dr);
    return rep;
}
