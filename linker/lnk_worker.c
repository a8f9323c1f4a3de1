/* SPDX-License-Identifier: Apache-2.0
 * lnk_worker: one exporter's thread. It follows the registry store's change
 * feed (reg_store_read_from + reg_registry_feed_wait: no polling, no REST
 * reads of its own registry) and turns each `_schemas` record into
 * destination REST calls (lnk_client):
 *   SCHEMA          -> POST /subjects/{d}/versions with explicit id and version
 *                      (IMPORT), schemaType, mapped references, metadata, ruleSet;
 *                      deleted:true -> then DELETE the version (soft)
 *   SCHEMA tombstone-> DELETE version, then DELETE ?permanent=true (hard)
 *   DELETE_SUBJECT  -> DELETE /subjects/{d} (soft)
 *   CONFIG          -> PUT/DELETE /config/{d} (subject and context level)
 *   MODE (subject)  -> PUT/DELETE /mode/{d} (READWRITE becomes IMPORT, below)
 * Every call is idempotent, so re-sending records after a restart or a
 * reset is harmless: the position is journaled lazily (at most every second
 * while busy, and when caught up) and records after it are simply re-sent.
 *
 * Loop prevention (bidirectional links, docs/internals/linker.md): a record
 * is exported only when (1) its subject matches the exporter's `subjects`
 * patterns — unqualified patterns, including the default `*`, mean the
 * source's default context, `:*:` every context — and (2) the subject's
 * effective mode on this registry is not IMPORT. Whatever a link wrote here
 * sits in an IMPORT scope (the writing exporter put it there), so it never
 * travels back; a scope failed over to READWRITE is exported again.
 * Thread: its own; never holds svc->mu or a registry lock across I/O. */
#include "linker/lnk_int.h"

#include "common/fy_alloc.h"
#include "common/fy_log.h"
#include "common/fy_url.h"
#include "contexts/ctx_name.h"
#include "linker/lnk_client.h"
#include "registry/reg_records.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_RECORDS 500       /* records per feed read before control is re-checked */
#define PERSIST_EVERY_MS 1000   /* journal the position at most this often while busy */
#define IDLE_WAIT_MS 30000      /* feed wait bound (any write or control change wakes earlier) */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

struct worker {
    struct lnk_exp *ex;
    struct lnk_service *svc;
    struct reg_registry *r;
    struct lnk_def def;       /* private copy of the definition */
    uint64_t gen;
    struct lnk_client *cl;
    struct fy_map ensured;    /* destination scopes already put into IMPORT */
    int64_t next;             /* next source offset */
    int64_t persisted;        /* position last journaled */
    int64_t persisted_at;     /* monotonic ms */
    size_t batch;             /* records handled in this feed read */
    bool interrupted;         /* the callback stopped for a control change / batch end */
    bool dirty;               /* exported something since the position was journaled; a
                               * skipped record (our own EXPORTER_STATE) never sets it, or
                               * each journaled position would wake us to journal another */
    int attempt;              /* consecutive failures */
    char *last_error;         /* logged once until it changes */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void ensured_clear(struct worker *w)
{
    fy_map_destroy(&w->ensured);
    fy_map_init(&w->ensured);
}

/* ---- destination calls ------------------------------------------------------ */

static char *seg(const char *s)
{
    return fy_url_encode(s, FY_URL_SAFE_SEGMENT);
}

/* Confluent error_code of an answer, or the HTTP status. */
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

/* Call and accept 200 or any of the listed error codes (0-terminated) as done. */
static int call_ok(struct worker *w, const char *method, const char *path, const char *body,
                   const long *accept, long *code_out, struct fy_err *err)
{
    long status;
    json_t *ans = NULL;
    if (lnk_client_call(w->cl, method, path, body, &status, &ans, err) != 0)
        return -1;
    long code = answer_code(ans, status);
    if (code_out)
        *code_out = status == 200 ? 200 : code;
    int rc = 0;
    if (status != 200) {
        bool ok = false;
        for (size_t i = 0; accept && accept[i]; i++)
            ok = ok || accept[i] == code;
        if (!ok)
            rc = fy_err_set(err, FY_E_HTTP, "destination %s %s answered %ld (error_code %ld): %s",
                            method, path, status, code, answer_msg(ans));
    }
    json_decref(ans);
    return rc;
}

/* The destination scope of `dsubject` (qualified) must be in IMPORT before
 * anything is written there: the context when it is a named one (so failing
 * over is one call on the context), else the subject itself. Refused (42205)
 * when that scope holds live subjects that a link did not write — e.g. a DR
 * context that was failed over to READWRITE: never overwrite those. */
static int ensure_import(struct worker *w, const char *dsubject, struct fy_err *err)
{
    struct ctx_subject cs;
    if (ctx_subject_parse(dsubject, &cs, err) != 0)
        return -1;
    char *scope = ctx_is_default(cs.context) ? ctx_subject_format(cs.context, cs.name)
                                             : ctx_subject_format(cs.context, "");
    ctx_subject_destroy(&cs);
    int rc = 0;
    if (!fy_map_get(&w->ensured, scope)) {
        char *s = seg(scope);
        char *path = fy_asprintf("/mode/%s", s);
        rc = call_ok(w, "PUT", path, "{\"mode\":\"IMPORT\"}", NULL, NULL, err);
        if (rc == 0) {
            fy_map_put(&w->ensured, scope, (void *)1);
        } else {
            char why[256];
            snprintf(why, sizeof why, "%s", fy_err_text(err)); /* err is rewritten below */
            fy_err_set(err, FY_E_HTTP, "cannot put destination scope '%s' into IMPORT mode: %s",
                       scope, why);
        }
        free(path);
        free(s);
    }
    free(scope);
    return rc;
}

/* ---- record translation ------------------------------------------------------ */

/* Should the source (context, name) be exported? See the loop rule above. */
static bool wanted(struct worker *w, const char *context, const char *name)
{
    if (!lnk_def_matches(&w->def, context, name))
        return false;
    pthread_rwlock_rdlock(&w->r->idx.lock);
    enum reg_mode m = reg_registry_mode(w->r, context, name);
    pthread_rwlock_unlock(&w->r->idx.lock);
    return m != REG_MODE_IMPORT;
}

static char *dest(struct worker *w, const char *context, const char *name)
{
    return lnk_def_dest_subject(&w->def, w->r->cluster_id, context, name);
}

/* References name subjects relative to the referrer's context; map each the
 * way the referrer's own subject is mapped. **new** array. */
static json_t *map_references(struct worker *w, json_t *refs, const char *context)
{
    json_t *out = json_array();
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        json_t *r2 = json_deep_copy(ref);
        const char *rs = json_string_value(json_object_get(ref, "subject"));
        if (rs) {
            struct ctx_subject cs;
            if (ctx_subject_parse(rs, &cs, NULL) == 0) {
                bool qualified = strncmp(rs, ":.", 2) == 0;
                char *d = dest(w, qualified ? cs.context : context, cs.name);
                json_object_set_new(r2, "subject", json_string(d));
                free(d);
                ctx_subject_destroy(&cs);
            }
        }
        json_array_append_new(out, r2);
    }
    return out;
}

static int export_schema(struct worker *w, const struct reg_key *k,
                         const struct reg_store_record *rec, const char *context,
                         const char *name, struct fy_err *err)
{
    static const long gone[] = {40401, 40402, 40406, 0};
    static const long gone_hard[] = {40401, 40402, 0};
    int rc = -1;
    json_t *v = NULL, *body = NULL;
    char *body_text = NULL;
    char *d = dest(w, context, name);
    char *ds = seg(d);
    char *vpath = fy_asprintf("/subjects/%s/versions/%d", ds, (int)k->version);
    char *vpath_perm = fy_asprintf("%s?permanent=true", vpath);
    if (!rec->value) { /* hard delete: soft first (the registry requires it), then permanent */
        rc = call_ok(w, "DELETE", vpath, NULL, gone, NULL, err);
        if (rc == 0)
            rc = call_ok(w, "DELETE", vpath_perm, NULL, gone_hard, NULL, err);
        goto out;
    }
    v = json_loadb(rec->value, rec->vlen, 0, NULL);
    const char *schema = json_string_value(json_object_get(v, "schema"));
    json_t *id = json_object_get(v, "id");
    if (!schema || !json_is_integer(id)) {
        fy_log(FY_LOG_WARN, "linker", "msg=\"unreadable SCHEMA record skipped\" offset=%lld",
               (long long)rec->offset);
        rc = 0;
        goto out;
    }
    bool deleted = json_is_true(json_object_get(v, "deleted"));
    if (ensure_import(w, d, err) != 0)
        goto out;
    if (deleted) {
        long code = 0;
        /* already there (live or soft-deleted): deleting is all that is left */
        if (call_ok(w, "DELETE", vpath, NULL, gone, &code, err) != 0)
            goto out;
        if (code == 200 || code == 40406) {
            rc = 0;
            goto out;
        }
    }
    body = json_object();
    json_object_set_new(body, "schema", json_string(schema));
    json_t *st = json_object_get(v, "schemaType");
    if (json_is_string(st))
        json_object_set(body, "schemaType", st);
    json_object_set(body, "id", id);
    json_object_set_new(body, "version", json_integer(k->version));
    json_t *refs = json_object_get(v, "references");
    if (json_is_array(refs) && json_array_size(refs))
        json_object_set_new(body, "references", map_references(w, refs, context));
    json_t *md = json_object_get(v, "metadata");
    if (json_is_object(md))
        json_object_set(body, "metadata", md);
    json_t *rs = json_object_get(v, "ruleSet");
    if (json_is_object(rs))
        json_object_set(body, "ruleSet", rs);
    body_text = json_dumps(body, JSON_COMPACT);
    char *rpath = fy_asprintf("/subjects/%s/versions", ds);
    rc = call_ok(w, "POST", rpath, body_text, NULL, NULL, err);
    free(rpath);
    if (rc != 0 && err->code == FY_E_HTTP) {
        /* refused, but maybe because it is already applied (a subject the
         * source made READONLY after this version): same id there = done */
        char *gpath = fy_asprintf("%s?deleted=true", vpath);
        long status;
        json_t *ans = NULL;
        struct fy_err e2 = {0};
        if (lnk_client_call(w->cl, "GET", gpath, NULL, &status, &ans, &e2) == 0 &&
            status == 200 && json_equal(json_object_get(ans, "id"), id)) {
            fy_err_clear(err);
            rc = 0;
        }
        json_decref(ans);
        fy_err_destroy(&e2);
        free(gpath);
    }
    if (rc == 0 && deleted)
        rc = call_ok(w, "DELETE", vpath, NULL, gone, NULL, err);
out:
    free(body_text);
    json_decref(body);
    json_decref(v);
    free(vpath_perm);
    free(vpath);
    free(ds);
    free(d);
    return rc;
}

/* The ConfigUpdateRequest fields: a CONFIG record is the whole config, so
 * fields it lacks are sent as null (PUT /config merges). */
static const char *const config_fields[] = {
    "alias", "normalize", "validateFields", "validateNewSchemas", "validateRules",
    "compatibilityPolicy", "compatibilityGroup", "defaultMetadata", "overrideMetadata",
    "defaultRuleSet", "overrideRuleSet", NULL};

static int export_config(struct worker *w, const struct reg_store_record *rec,
                         const char *context, const char *name, struct fy_err *err)
{
    static const long gone[] = {40401, 40408, 0};
    char *d = dest(w, context, name);
    if (!d[0]) { /* the destination's top level is not ours to change (NONE/DEFAULT) */
        free(d);
        return 0;
    }
    char *ds = seg(d);
    char *path = fy_asprintf("/config/%s", ds);
    int rc;
    if (!rec->value) {
        rc = call_ok(w, "DELETE", path, NULL, gone, NULL, err);
    } else {
        json_t *v = json_loadb(rec->value, rec->vlen, 0, NULL);
        json_t *body = json_object();
        json_t *lvl = json_object_get(v, "compatibilityLevel");
        json_object_set(body, "compatibility", lvl ? lvl : json_null());
        for (size_t i = 0; config_fields[i]; i++) {
            json_t *f = json_object_get(v, config_fields[i]);
            json_object_set(body, config_fields[i], f ? f : json_null());
        }
        char *text = json_dumps(body, JSON_COMPACT);
        rc = call_ok(w, "PUT", path, text, NULL, NULL, err);
        free(text);
        json_decref(body);
        json_decref(v);
    }
    free(path);
    free(ds);
    free(d);
    return rc;
}

/* Subject-level modes follow, except that the destination must stay
 * writable for the link: READWRITE (or no mode) there means IMPORT. */
static int export_mode(struct worker *w, const struct reg_store_record *rec,
                       const char *context, const char *name, struct fy_err *err)
{
    static const long gone[] = {40401, 40409, 0};
    char *d = dest(w, context, name);
    char *ds = seg(d);
    char *path = fy_asprintf("/mode/%s", ds);
    const char *mode = NULL;
    json_t *v = rec->value ? json_loadb(rec->value, rec->vlen, 0, NULL) : NULL;
    const char *m = json_string_value(json_object_get(v, "mode"));
    if (m && strcmp(m, "READWRITE") != 0)
        mode = m;
    int rc;
    struct ctx_subject cs;
    bool dest_default = ctx_subject_parse(d, &cs, NULL) == 0 && ctx_is_default(cs.context);
    ctx_subject_destroy(&cs);
    if (mode || dest_default) {
        char *body = fy_asprintf("{\"mode\":\"%s\"}", mode ? mode : "IMPORT");
        rc = call_ok(w, "PUT", path, body, NULL, NULL, err);
        free(body);
    } else {
        rc = call_ok(w, "DELETE", path, NULL, gone, NULL, err);
    }
    json_decref(v);
    free(path);
    free(ds);
    free(d);
    return rc;
}

/* 1 when the record was exported, 0 when it is not for this exporter, -1 on failure. */
static int export_record(struct worker *w, const struct reg_store_record *rec,
                         struct fy_err *err)
{
    struct reg_key k;
    if (reg_key_parse(rec->key, rec->klen, &k, NULL) != 0)
        return 0;
    int rc = 0;
    struct ctx_subject cs = {0};
    switch (k.type) {
    case REG_KEY_SCHEMA:
    case REG_KEY_DELETE_SUBJECT:
    case REG_KEY_CONFIG:
    case REG_KEY_MODE:
        break;
    default:
        goto out; /* CONTEXT, CLEAR_SUBJECT, NOOP, EXPORTER*: nothing to send */
    }
    if (ctx_subject_parse(k.subject ? k.subject : "", &cs, NULL) != 0 || cs.wildcard)
        goto out;
    if (!wanted(w, cs.context, cs.name))
        goto out;
    rc = 1;
    if (k.type == REG_KEY_SCHEMA && cs.name[0]) {
        rc = export_schema(w, &k, rec, cs.context, cs.name, err) ? -1 : 1;
    } else if (k.type == REG_KEY_DELETE_SUBJECT && cs.name[0] && rec->value) {
        static const long gone[] = {40401, 40404, 0};
        char *d = dest(w, cs.context, cs.name);
        char *ds = seg(d);
        char *path = fy_asprintf("/subjects/%s", ds);
        rc = call_ok(w, "DELETE", path, NULL, gone, NULL, err) ? -1 : 1;
        free(path);
        free(ds);
        free(d);
    } else if (k.type == REG_KEY_CONFIG) {
        rc = export_config(w, rec, cs.context, cs.name, err) ? -1 : 1;
    } else if (k.type == REG_KEY_MODE && cs.name[0]) {
        rc = export_mode(w, rec, cs.context, cs.name, err) ? -1 : 1;
    }
out:
    ctx_subject_destroy(&cs);
    reg_key_destroy(&k);
    return rc;
}

/* ---- the loop ------------------------------------------------------------------- */

/* Feed callback: stop at a control change or at the end of a batch. */
static int on_record(void *arg, const struct reg_store_record *rec, struct fy_err *err)
{
    struct worker *w = arg;
    pthread_mutex_lock(&w->svc->mu);
    bool changed = w->ex->stop || w->ex->reset || w->ex->gen != w->gen;
    pthread_mutex_unlock(&w->svc->mu);
    if (changed || w->batch >= BATCH_RECORDS) {
        w->interrupted = true;
        return -1;
    }
    w->batch++;
    int sent = export_record(w, rec, err);
    if (sent < 0)
        return -1;
    if (sent > 0)
        w->dirty = true;
    w->next = rec->offset + 1;
    return 0;
}

static void set_state(struct worker *w, enum lnk_state st, const char *trace)
{
    pthread_mutex_lock(&w->svc->mu);
    w->ex->state = st;
    free(w->ex->trace);
    w->ex->trace = fy_strdup(trace);
    pthread_mutex_unlock(&w->svc->mu);
}

static void persist(struct worker *w, bool force)
{
    if (!w->dirty || w->next == w->persisted)
        return;
    if (!force && mono_ms() - w->persisted_at < PERSIST_EVERY_MS)
        return;
    pthread_mutex_lock(&w->svc->mu);
    bool reset = w->ex->reset; /* a pending reset journaled 0 already: do not undo it */
    pthread_mutex_unlock(&w->svc->mu);
    if (reset)
        return;
    struct fy_err err = {0};
    if (lnk_journal_state(w->svc, w->def.name, w->next, &err) == 0) {
        w->persisted = w->next;
        w->persisted_at = mono_ms();
        w->dirty = false;
    } else {
        fy_log(FY_LOG_ERROR, "linker", "msg=\"cannot journal position\" exporter=%s reason=\"%s\"",
               w->def.name, err.msg);
    }
    fy_err_destroy(&err);
}

static long backoff_ms(int attempt)
{
    long cap = BACKOFF_MIN_MS;
    for (int i = 1; i < attempt && cap < BACKOFF_MAX_MS; i++)
        cap *= 2;
    if (cap > BACKOFF_MAX_MS)
        cap = BACKOFF_MAX_MS;
    return cap / 2 + random() % (cap / 2 + 1); /* jitter: spread retries of many links */
}

/* Handle one failed batch: ERROR with the reason, logged once per distinct reason. */
static void failed(struct worker *w, const struct fy_err *err)
{
    const char *why = fy_err_text(err);
    if (!w->last_error || strcmp(w->last_error, why) != 0) {
        fy_log(FY_LOG_WARN, "linker", "msg=\"export failed, retrying\" exporter=%s offset=%lld "
               "reason=\"%s\"", w->def.name, (long long)w->next, why);
        free(w->last_error);
        w->last_error = fy_strdup(why);
    }
    set_state(w, LNK_ERROR, why);
    w->attempt++;
    ensured_clear(w); /* the destination may have been replaced or changed */
}

void *lnk_worker_main(void *arg)
{
    struct worker w = {0};
    w.ex = arg;
    w.svc = w.ex->svc;
    w.r = w.svc->r;
    fy_map_init(&w.ensured);
    pthread_mutex_lock(&w.svc->mu);
    w.next = w.persisted = w.ex->next;
    w.gen = w.ex->gen;
    lnk_def_copy(&w.ex->def, &w.def);
    pthread_mutex_unlock(&w.svc->mu);
    w.persisted_at = mono_ms();
    int64_t retry_at = 0;

    for (;;) {
        pthread_mutex_lock(&w.svc->mu);
        struct lnk_exp *ex = w.ex;
        if (ex->stop) {
            pthread_mutex_unlock(&w.svc->mu);
            break;
        }
        if (ex->reset) {
            ex->reset = false;
            w.next = 0;
            w.persisted = 0; /* the handler journaled 0 */
            retry_at = 0;
            w.attempt = 0;
            ensured_clear(&w);
        }
        if (ex->gen != w.gen) {
            lnk_def_destroy(&w.def);
            lnk_def_copy(&ex->def, &w.def);
            w.gen = ex->gen;
            lnk_client_free(w.cl);
            w.cl = NULL;
            retry_at = 0;
            w.attempt = 0;
            ensured_clear(&w);
        }
        bool paused = w.def.paused;
        if (paused)
            ex->state = LNK_PAUSED;
        ex->next = w.next;
        pthread_mutex_unlock(&w.svc->mu);

        if (paused) {
            persist(&w, true);
            reg_registry_feed_wait(w.r, INT64_MAX, IDLE_WAIT_MS); /* control changes wake it */
            continue;
        }
        int64_t now = mono_ms();
        if (retry_at > now) {
            reg_registry_feed_wait(w.r, INT64_MAX, (int)(retry_at - now));
            continue;
        }
        struct fy_err err = {0};
        if (!w.cl) {
            w.cl = lnk_client_new(w.def.config, &err);
            if (!w.cl) {
                failed(&w, &err);
                retry_at = mono_ms() + backoff_ms(w.attempt);
                fy_err_destroy(&err);
                continue;
            }
        }
        if (w.next <= reg_store_durable_offset(w.r->store)) {
            w.batch = 0;
            w.interrupted = false;
            int64_t cont = w.next;
            int rc = reg_store_read_from(w.r->store, w.next, on_record, &w, &cont, &err);
            if (rc != 0 && !w.interrupted) {
                failed(&w, &err);
                retry_at = mono_ms() + backoff_ms(w.attempt);
            } else {
                if (w.attempt || w.last_error)
                    fy_log(FY_LOG_INFO, "linker", "msg=\"export recovered\" exporter=%s "
                           "offset=%lld", w.def.name, (long long)w.next);
                w.attempt = 0;
                free(w.last_error);
                w.last_error = NULL;
                pthread_mutex_lock(&w.svc->mu);
                if (ex->state != LNK_PAUSED) {
                    ex->state = LNK_RUNNING;
                    free(ex->trace);
                    ex->trace = NULL;
                }
                ex->next = w.next;
                ex->ts = wall_ms();
                pthread_mutex_unlock(&w.svc->mu);
            }
            fy_err_destroy(&err);
            persist(&w, false);
            continue; /* more may be there (batch end); the check above decides */
        }
        /* caught up */
        persist(&w, true);
        pthread_mutex_lock(&w.svc->mu);
        if (ex->state == LNK_STARTING)
            ex->state = LNK_RUNNING;
        pthread_mutex_unlock(&w.svc->mu);
        fy_err_destroy(&err);
        reg_registry_feed_wait(w.r, w.next - 1, IDLE_WAIT_MS);
    }
    persist(&w, true);
    lnk_client_free(w.cl);
    lnk_def_destroy(&w.def);
    fy_map_destroy(&w.ensured);
    free(w.last_error);
    return NULL;
}
