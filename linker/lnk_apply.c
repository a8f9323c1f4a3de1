/* SPDX-License-Identifier: Apache-2.0
 * lnk_apply: idempotent destination calls for one source change (see
 * lnk_apply.h). Every call tolerates "already done" answers, so re-applying
 * after a crash between the call and the cursor write is harmless. */
#include "linker/lnk_apply.h"

#include "common/fy_alloc.h"
#include "common/fy_url.h"
#include "contexts/ctx_name.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lnk_apply_init(struct lnk_apply *ap, const struct lnk_def *def, const char *cluster_id,
                    struct lnk_client *cl)
{
    ap->def = def;
    ap->cluster_id = cluster_id;
    ap->cl = cl;
    fy_map_init(&ap->own);
    ap->ensured = &ap->own;
    ap->mu = NULL;
    ap->source_has = NULL;
    ap->source_arg = NULL;
    ap->stale_depth = 0;
}

void lnk_apply_init_shared(struct lnk_apply *ap, const struct lnk_def *def,
                           const char *cluster_id, struct lnk_client *cl,
                           struct fy_map *ensured, pthread_mutex_t *mu)
{
    lnk_apply_init(ap, def, cluster_id, cl);
    ap->ensured = ensured;
    ap->mu = mu;
}

void lnk_apply_destroy(struct lnk_apply *ap)
{
    fy_map_destroy(&ap->own);
}

void lnk_apply_forget(struct lnk_apply *ap)
{
    if (ap->mu)
        pthread_mutex_lock(ap->mu);
    fy_map_destroy(ap->ensured);
    fy_map_init(ap->ensured);
    if (ap->mu)
        pthread_mutex_unlock(ap->mu);
}

static bool ensured_has(struct lnk_apply *ap, const char *scope)
{
    if (ap->mu)
        pthread_mutex_lock(ap->mu);
    bool has = fy_map_get(ap->ensured, scope) != NULL;
    if (ap->mu)
        pthread_mutex_unlock(ap->mu);
    return has;
}

static void ensured_add(struct lnk_apply *ap, const char *scope)
{
    if (ap->mu)
        pthread_mutex_lock(ap->mu);
    fy_map_put(ap->ensured, scope, (void *)1);
    if (ap->mu)
        pthread_mutex_unlock(ap->mu);
}

static char *seg(const char *s)
{
    return fy_url_encode(s, FY_URL_SAFE_SEGMENT);
}

static long answer_code(json_t *ans, long status)
{
    json_t *c = json_object_get(ans, "error_code");
    return json_is_integer(c) ? (long)json_integer_value(c) : status;
}

static const char *answer_msg(json_t *ans)
{
    const char *m = json_string_value(json_object_get(ans, "message"));
    return m ? m : "";
}

/* One call; 200 or one of `accept` (0-terminated error codes) is success.
 * *refused_ro tells a 42205 "read-only mode" refusal apart. */
static int call_once(struct lnk_apply *ap, const char *method, const char *path,
                     const char *body, const long *accept, long *code_out, bool *refused_ro,
                     struct fy_err *err)
{
    long status;
    json_t *ans = NULL;
    if (refused_ro)
        *refused_ro = false;
    if (lnk_client_call(ap->cl, method, path, body, &status, &ans, err) != 0)
        return -1;
    long code = answer_code(ans, status);
    if (code_out)
        *code_out = status == 200 ? 200 : code;
    int rc = 0;
    if (status != 200) {
        bool ok = false;
        for (size_t i = 0; accept && accept[i]; i++)
            ok = ok || accept[i] == code;
        if (!ok) {
            if (refused_ro)
                *refused_ro = code == 42205 && strstr(answer_msg(ans), "read-only") != NULL;
            rc = fy_err_set(err, FY_E_HTTP, "destination %s %s answered %ld (error_code %ld): %s",
                            method, path, status, code, answer_msg(ans));
        }
    }
    json_decref(ans);
    return rc;
}

static char *dest_context(const char *dsubject)
{
    struct ctx_subject cs;
    if (ctx_subject_parse(dsubject, &cs, NULL) != 0)
        return fy_strdup(CTX_DEFAULT);
    char *c = fy_strdup(cs.context);
    ctx_subject_destroy(&cs);
    return c;
}

static int call_ok(struct lnk_apply *ap, const char *dsubject, const char *method,
                   const char *path, const char *body, const long *accept, long *code_out,
                   struct fy_err *err);

#define STALE_DEPTH_MAX 8 /* referrers of referrers cleared, at most this deep */

/* A delete of the destination version at `vpath` was refused (42206) because
 * destination versions refer to it. The source deleted it, so no version the
 * source held then referred to it: live ones for a soft delete, any for a
 * permanent one. A referrer the source does not hold now (live, for a soft
 * delete; with its id) is a state compaction let the feed skip (its own
 * delete record was superseded by a later record of its key, e.g. a second
 * DELETE_SUBJECT or a version number handed out again): it gives way first,
 * soft-deleted, or purged for a permanent delete. Returns how many did. */
static int clear_stale_referrers(struct lnk_apply *ap, const char *dsubject, const char *vpath,
                                 bool permanent)
{
    if (ap->stale_depth >= STALE_DEPTH_MAX)
        return 0;
    ap->stale_depth++;
    int n = 0;
    long status;
    json_t *ids = NULL;
    struct fy_err e = {0};
    const char *q = strchr(vpath, '?');
    char *rpath = fy_asprintf("%.*s/referencedby%s", (int)(q ? q - vpath : (long)strlen(vpath)),
                              vpath, permanent ? "?deleted=true" : "");
    char *ctx = dest_context(dsubject);
    char *cq = ctx_subject_format(ctx, "");
    char *cqs = seg(cq);
    static const long gone[] = {40401, 40402, 40406, 0};
    static const long gone_hard[] = {40401, 40402, 0};
    if (lnk_client_call(ap->cl, "GET", rpath, NULL, &status, &ids, &e) == 0 && status == 200) {
        size_t i;
        json_t *id;
        json_array_foreach(ids, i, id)
        {
            json_int_t rid = json_integer_value(id);
            char *ipath = ctx_is_default(ctx)
                              ? fy_asprintf("/schemas/ids/%lld/versions%s", (long long)rid,
                                            permanent ? "?deleted=true" : "")
                              : fy_asprintf("/schemas/ids/%lld/versions?subject=%s%s",
                                            (long long)rid, cqs,
                                            permanent ? "&deleted=true" : "");
            json_t *vs = NULL;
            if (lnk_client_call(ap->cl, "GET", ipath, NULL, &status, &vs, &e) == 0 &&
                status == 200) {
                size_t k;
                json_t *sv;
                json_array_foreach(vs, k, sv)
                {
                    const char *s2 = json_string_value(json_object_get(sv, "subject"));
                    json_int_t v2 = json_integer_value(json_object_get(sv, "version"));
                    if (!s2 || ap->source_has(ap->source_arg, s2, (int)v2, (int32_t)rid,
                                              !permanent))
                        continue;
                    char *s2s = seg(s2);
                    char *dpath = fy_asprintf("/subjects/%s/versions/%lld", s2s, (long long)v2);
                    char *ppath = fy_asprintf("%s?permanent=true", dpath);
                    /* as any link write: READONLY lifted, its own stale referrers first */
                    if (call_ok(ap, s2, "DELETE", dpath, NULL, gone, NULL, &e) == 0 &&
                        (!permanent ||
                         call_ok(ap, s2, "DELETE", ppath, NULL, gone_hard, NULL, &e) == 0))
                        n++;
                    fy_err_clear(&e);
                    free(ppath);
                    free(dpath);
                    free(s2s);
                }
            }
            json_decref(vs);
            free(ipath);
        }
    }
    json_decref(ids);
    fy_err_destroy(&e);
    free(cqs);
    free(cq);
    free(ctx);
    free(rpath);
    ap->stale_depth--;
    return n;
}

/* One call on destination subject `dsubject` (NULL: not subject-level) with
 * the stale-referrer rule: a delete of a version refused (42206) by referrers
 * the source no longer has clears them and is tried again. */
static int call_write(struct lnk_apply *ap, const char *dsubject, const char *method,
                      const char *path, const char *body, const long *accept, long *code_out,
                      bool *refused_ro, struct fy_err *err)
{
    long code = 0;
    int rc = call_once(ap, method, path, body, accept, &code, refused_ro, err);
    if (rc != 0 && code == 42206 && dsubject && ap->source_has && strcmp(method, "DELETE") == 0 &&
        strstr(path, "/versions/") &&
        clear_stale_referrers(ap, dsubject, path, strstr(path, "permanent=true") != NULL) > 0) {
        fy_err_clear(err);
        rc = call_once(ap, method, path, body, accept, &code, refused_ro, err);
    }
    if (code_out)
        *code_out = code;
    return rc;
}

/* Call a write on destination subject `dsubject` (NULL: not subject-level).
 * A re-sent older record (after a reset or a crash) may meet the subject in
 * the READONLY mode a later record gave it: then the subject-level mode is
 * lifted for this one write (DELETE: the scope's IMPORT applies; IMPORT in
 * the default context) and put back right after. Both rules apply to every
 * attempt: the lifted write may meet stale referrers too (42206 behind 42205). */
static int call_ok(struct lnk_apply *ap, const char *dsubject, const char *method,
                   const char *path, const char *body, const long *accept, long *code_out,
                   struct fy_err *err)
{
    bool ro = false;
    int rc = call_write(ap, dsubject, method, path, body, accept, code_out,
                        dsubject ? &ro : NULL, err);
    if (rc == 0 || !ro)
        return rc;
    char *s = seg(dsubject);
    char *mpath = fy_asprintf("/mode/%s", s);
    long status;
    json_t *ans = NULL;
    struct fy_err e2 = {0};
    const char *m = NULL;
    if (lnk_client_call(ap->cl, "GET", mpath, NULL, &status, &ans, &e2) == 0 && status == 200)
        m = json_string_value(json_object_get(ans, "mode"));
    if (m && strncmp(m, "READONLY", 8) == 0) {
        char *ctx = dest_context(dsubject);
        bool dflt = ctx_is_default(ctx);
        free(ctx);
        static const long gone[] = {40401, 40409, 0};
        int lifted = dflt ? call_once(ap, "PUT", mpath, "{\"mode\":\"IMPORT\"}", NULL, NULL,
                                      NULL, &e2)
                          : call_once(ap, "DELETE", mpath, NULL, gone, NULL, NULL, &e2);
        if (lifted == 0) {
            fy_err_clear(err);
            rc = call_write(ap, dsubject, method, path, body, accept, code_out, NULL, err);
            char *restore = fy_asprintf("{\"mode\":\"%s\"}", m);
            struct fy_err e3 = {0};
            int back = call_once(ap, "PUT", mpath, restore, NULL, NULL, NULL, &e3);
            if (back != 0 && rc == 0) { /* the write landed, the mode did not come back */
                rc = fy_err_set(err, FY_E_HTTP, "%s", fy_err_text(&e3));
            }
            fy_err_destroy(&e3);
            free(restore);
        }
    }
    json_decref(ans);
    fy_err_destroy(&e2);
    free(mpath);
    free(s);
    return rc;
}

static char *dest(struct lnk_apply *ap, const char *context, const char *name)
{
    return lnk_def_dest_subject(ap->def, ap->cluster_id, context, name);
}

/* The IMPORT scope of `dsubject`: its context when named, else the subject. */
static int ensure_import(struct lnk_apply *ap, const char *dsubject, struct fy_err *err)
{
    struct ctx_subject cs;
    if (ctx_subject_parse(dsubject, &cs, err) != 0)
        return -1;
    char *scope = ctx_is_default(cs.context) ? ctx_subject_format(cs.context, cs.name)
                                             : ctx_subject_format(cs.context, "");
    ctx_subject_destroy(&cs);
    int rc = 0;
    /* two lanes may both switch a new scope: the PUT is idempotent */
    if (!ensured_has(ap, scope)) {
        char *s = seg(scope);
        char *path = fy_asprintf("/mode/%s", s);
        rc = call_ok(ap, NULL, "PUT", path, "{\"mode\":\"IMPORT\"}", NULL, NULL, err);
        if (rc == 0) {
            ensured_add(ap, scope);
        } else {
            char why[256];
            snprintf(why, sizeof why, "%s", fy_err_text(err));
            fy_err_set(err, FY_E_HTTP, "cannot put destination scope '%s' into IMPORT mode: %s",
                       scope, why);
        }
        free(path);
        free(s);
    }
    free(scope);
    return rc;
}

/* `refs` with every subject qualified — an unqualified one lives in the
 * referrer's context `context` — and, with `ap`, mapped to its destination
 * name. **new** array. */
static json_t *refs_mapped(struct lnk_apply *ap, json_t *refs, const char *context)
{
    json_t *out = json_array();
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        json_t *r2 = json_deep_copy(ref);
        const char *rs = json_string_value(json_object_get(ref, "subject"));
        struct ctx_subject cs;
        if (rs && ctx_subject_parse(rs, &cs, NULL) == 0) {
            const char *c = strncmp(rs, ":.", 2) == 0 ? cs.context : context;
            char *d = ap ? dest(ap, c, cs.name) : ctx_subject_format(c, cs.name);
            json_object_set_new(r2, "subject", json_string(d));
            free(d);
            ctx_subject_destroy(&cs);
        }
        json_array_append_new(out, r2);
    }
    return out;
}

/* `f` of a Schema object, with the defaults Confluent leaves out: schemaType
 * AVRO, metadata / ruleSet null (an empty object counts as none). */
static json_t *field_or_default(json_t *obj, const char *f, json_t *dflt)
{
    json_t *x = json_object_get(obj, f);
    if (!x || json_is_null(x) || (json_is_object(x) && json_object_size(x) == 0) ||
        (json_is_array(x) && json_array_size(x) == 0))
        return dflt;
    return x;
}

/* Is the destination's version `ans` (GET .../versions/{v}) the very version
 * the import `body` would write: same id, text, type, references, metadata,
 * ruleSet? Only then does a refused import count as done; a different schema
 * at that spot (a DR drill registered its own) is a refusal to report. */
static bool same_version(json_t *ans, json_t *body, const char *dsubject)
{
    static const char *const fields[] = {"id", "schema", "schemaType", "metadata", "ruleSet",
                                         NULL};
    json_t *avro = json_string("AVRO"), *none = json_null();
    bool same = true;
    for (size_t i = 0; same && fields[i]; i++) {
        json_t *dflt = strcmp(fields[i], "schemaType") == 0 ? avro : none;
        same = json_equal(field_or_default(ans, fields[i], dflt),
                          field_or_default(body, fields[i], dflt));
    }
    json_decref(avro);
    struct ctx_subject cs;
    if (same && ctx_subject_parse(dsubject, &cs, NULL) == 0) {
        json_t *a = refs_mapped(NULL, json_object_get(ans, "references"), cs.context);
        json_t *b = refs_mapped(NULL, json_object_get(body, "references"), cs.context);
        same = json_equal(a, b);
        json_decref(a);
        json_decref(b);
        ctx_subject_destroy(&cs);
    }
    return same;
}

int lnk_apply_version(struct lnk_apply *ap, const char *context, const char *name, int v,
                      json_t *schema, bool deleted, struct fy_err *err)
{
    static const long gone[] = {40401, 40402, 40406, 0};
    int rc = -1;
    json_t *body = NULL;
    char *body_text = NULL, *rpath = NULL;
    char *d = dest(ap, context, name);
    char *ds = seg(d);
    char *vpath = fy_asprintf("/subjects/%s/versions/%d", ds, v);
    const char *text = json_string_value(json_object_get(schema, "schema"));
    json_t *id = json_object_get(schema, "id");
    if (!text || !json_is_integer(id)) {
        fy_err_set(err, FY_E_HTTP, "source version %s/%d has no schema or id", name, v);
        goto out;
    }
    if (ensure_import(ap, d, err) != 0)
        goto out;
    if (deleted) {
        long code = 0;
        if (call_ok(ap, d, "DELETE", vpath, NULL, gone, &code, err) != 0)
            goto out;
        if (code == 200 || code == 40406) { /* was there: deleting was all that was left */
            rc = 0;
            goto out;
        }
    }
    body = json_object();
    json_object_set_new(body, "schema", json_string(text));
    json_t *st = json_object_get(schema, "schemaType");
    if (json_is_string(st))
        json_object_set(body, "schemaType", st);
    json_object_set(body, "id", id);
    json_object_set_new(body, "version", json_integer(v));
    json_t *refs = json_object_get(schema, "references");
    if (json_is_array(refs) && json_array_size(refs))
        json_object_set_new(body, "references", refs_mapped(ap, refs, context));
    json_t *md = json_object_get(schema, "metadata");
    if (json_is_object(md))
        json_object_set(body, "metadata", md);
    json_t *rs = json_object_get(schema, "ruleSet");
    if (json_is_object(rs))
        json_object_set(body, "ruleSet", rs);
    body_text = json_dumps(body, JSON_COMPACT);
    rpath = fy_asprintf("/subjects/%s/versions", ds);
    rc = call_ok(ap, d, "POST", rpath, body_text, NULL, NULL, err);
    if (rc != 0 && err && err->code == FY_E_HTTP) {
        /* refused, maybe because it is there already (subject made READONLY
         * after this version): the very same version there means done */
        char *gpath = fy_asprintf("%s?deleted=true", vpath);
        long status;
        json_t *ans = NULL;
        struct fy_err e2 = {0};
        if (lnk_client_call(ap->cl, "GET", gpath, NULL, &status, &ans, &e2) == 0 &&
            status == 200 && same_version(ans, body, d)) {
            fy_err_clear(err);
            rc = 0;
        }
        json_decref(ans);
        fy_err_destroy(&e2);
        free(gpath);
    }
    if (rc == 0 && deleted)
        rc = call_ok(ap, d, "DELETE", vpath, NULL, gone, NULL, err);
out:
    free(rpath);
    free(body_text);
    json_decref(body);
    free(vpath);
    free(ds);
    free(d);
    return rc;
}

int lnk_apply_version_purge(struct lnk_apply *ap, const char *context, const char *name, int v,
                            struct fy_err *err)
{
    static const long gone[] = {40401, 40402, 40406, 0};
    static const long gone_hard[] = {40401, 40402, 0};
    char *d = dest(ap, context, name);
    char *ds = seg(d);
    char *vpath = fy_asprintf("/subjects/%s/versions/%d", ds, v);
    char *perm = fy_asprintf("%s?permanent=true", vpath);
    int rc = call_ok(ap, d, "DELETE", vpath, NULL, gone, NULL, err);
    if (rc == 0)
        rc = call_ok(ap, d, "DELETE", perm, NULL, gone_hard, NULL, err);
    free(perm);
    free(vpath);
    free(ds);
    free(d);
    return rc;
}

int lnk_apply_version_purge_stale(struct lnk_apply *ap, const char *context, const char *name,
                                  int v, int32_t current_id, struct fy_err *err)
{
    char *d = dest(ap, context, name);
    char *ds = seg(d);
    char *gpath = fy_asprintf("/subjects/%s/versions/%d?deleted=true", ds, v);
    long status;
    json_t *ans = NULL;
    int rc = lnk_client_call(ap->cl, "GET", gpath, NULL, &status, &ans, err);
    if (rc == 0 && status == 200) {
        json_t *id = json_object_get(ans, "id");
        if (!json_is_integer(id) || json_integer_value(id) != current_id)
            rc = lnk_apply_version_purge(ap, context, name, v, err);
    } else if (rc == 0 && status != 404) {
        rc = fy_err_set(err, FY_E_HTTP, "destination GET %s answered %ld", gpath, status);
    }
    json_decref(ans);
    free(gpath);
    free(ds);
    free(d);
    return rc;
}

/* Is the destination version at `vpath` (`dsubject` version `v`) one the source
 * holds live now, with its id? A re-sent DELETE_SUBJECT (after a reset) may be
 * older than a permanent delete of the subject, whose version numbers then
 * started again at 1: those versions are not the ones it deleted. */
static bool live_at_source(struct lnk_apply *ap, const char *dsubject, const char *vpath, int v)
{
    if (!ap->source_has)
        return false;
    long status;
    json_t *ans = NULL;
    struct fy_err e = {0};
    bool live = false;
    if (lnk_client_call(ap->cl, "GET", vpath, NULL, &status, &ans, &e) == 0 && status == 200) {
        json_t *id = json_object_get(ans, "id");
        live = json_is_integer(id) &&
               ap->source_has(ap->source_arg, dsubject, v, (int32_t)json_integer_value(id), true);
    }
    json_decref(ans);
    fy_err_destroy(&e);
    return live;
}

int lnk_apply_subject_delete(struct lnk_apply *ap, const char *context, const char *name,
                             int upto, struct fy_err *err)
{
    static const long gone[] = {40401, 40404, 0};
    static const long vgone[] = {40401, 40402, 40406, 0};
    char *d = dest(ap, context, name);
    char *ds = seg(d);
    char *path = fy_asprintf("/subjects/%s", ds);
    int rc = 0;
    if (upto < 0) {
        rc = call_ok(ap, d, "DELETE", path, NULL, gone, NULL, err);
    } else {
        /* only the versions the source deleted: a re-sent record must not
         * delete versions registered after it (the destination may hold them
         * already, e.g. after a reset, and they may be referenced) */
        char *lpath = fy_asprintf("%s/versions", path);
        long status;
        json_t *ans = NULL;
        if (lnk_client_call(ap->cl, "GET", lpath, NULL, &status, &ans, err) != 0) {
            rc = -1;
        } else if (status == 200 && json_is_array(ans)) {
            size_t i;
            json_t *v;
            json_array_foreach(ans, i, v)
            {
                json_int_t ver = json_integer_value(v);
                if (ver < 1 || ver > upto)
                    continue;
                char *vpath = fy_asprintf("%s/versions/%lld", path, (long long)ver);
                if (!live_at_source(ap, d, vpath, (int)ver))
                    rc = call_ok(ap, d, "DELETE", vpath, NULL, vgone, NULL, err);
                free(vpath);
                if (rc != 0)
                    break;
            }
        } else if (status != 404) {
            rc = fy_err_set(err, FY_E_HTTP, "destination GET %s answered %ld", lpath, status);
        }
        json_decref(ans);
        free(lpath);
    }
    free(path);
    free(ds);
    free(d);
    return rc;
}

/* ConfigUpdateRequest fields: the source's config is whole, so the fields
 * it lacks are sent as null (PUT /config merges). */
static const char *const config_fields[] = {
    "alias", "normalize", "validateFields", "validateNewSchemas", "validateRules",
    "compatibilityPolicy", "compatibilityGroup", "defaultMetadata", "overrideMetadata",
    "defaultRuleSet", "overrideRuleSet", NULL};

int lnk_apply_config(struct lnk_apply *ap, const char *context, const char *name,
                     json_t *config, struct fy_err *err)
{
    static const long gone[] = {40401, 40408, 0};
    char *d = dest(ap, context, name);
    if (!d[0]) {
        free(d);
        return 0;
    }
    char *ds = seg(d);
    char *path = fy_asprintf("/config/%s", ds);
    int rc;
    if (!config) {
        rc = call_ok(ap, name[0] ? d : NULL, "DELETE", path, NULL, gone, NULL, err);
    } else {
        json_t *body = json_object();
        json_t *lvl = json_object_get(config, "compatibilityLevel");
        json_object_set(body, "compatibility", lvl ? lvl : json_null());
        for (size_t i = 0; config_fields[i]; i++) {
            json_t *f = json_object_get(config, config_fields[i]);
            json_object_set(body, config_fields[i], f ? f : json_null());
        }
        char *text = json_dumps(body, JSON_COMPACT);
        rc = call_ok(ap, name[0] ? d : NULL, "PUT", path, text, NULL, NULL, err);
        free(text);
        json_decref(body);
    }
    free(path);
    free(ds);
    free(d);
    return rc;
}

int lnk_apply_mode(struct lnk_apply *ap, const char *context, const char *name,
                   const char *mode, struct fy_err *err)
{
    static const long gone[] = {40401, 40409, 0};
    char *d = dest(ap, context, name);
    char *ds = seg(d);
    char *path = fy_asprintf("/mode/%s", ds);
    const char *m = mode && strcmp(mode, "READWRITE") != 0 ? mode : NULL;
    struct ctx_subject cs;
    bool dest_default = ctx_subject_parse(d, &cs, NULL) == 0 && ctx_is_default(cs.context);
    ctx_subject_destroy(&cs);
    int rc;
    if (m || dest_default) {
        char *body = fy_asprintf("{\"mode\":\"%s\"}", m ? m : "IMPORT");
        rc = call_ok(ap, NULL, "PUT", path, body, NULL, NULL, err);
        free(body);
    } else {
        rc = call_ok(ap, NULL, "DELETE", path, NULL, gone, NULL, err);
    }
    free(path);
    free(ds);
    free(d);
    return rc;
}
