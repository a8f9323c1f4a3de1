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
 * Pipelining (docs/internals/linker.md "Pipelining"): the worker thread reads
 * the feed and hands records to `max.in.flight` lanes, each a thread with
 * its own client (connection). A subject always goes to the same lane (FIFO),
 * so its records stay in order; a record whose references name another
 * subject waits until that subject's earlier records are acknowledged; any
 * other record (deletes, context-level config/mode) runs alone, after
 * everything before it and before anything after it. After each feed read
 * the worker drains the lanes, so the position only ever moves past
 * acknowledged records (on a failure: to the oldest unacknowledged one).
 *
 * Loop prevention (bidirectional links, docs/internals/linker.md): a record
 * is exported only when (1) its subject matches the exporter's `subjects`
 * patterns — unqualified patterns, including the default `*`, mean the
 * source's default context, `:*:` every context — and (2) the subject's
 * effective mode on this registry is not IMPORT. Whatever a link wrote here
 * sits in an IMPORT scope (the writing exporter put it there), so it never
 * travels back; a scope failed over to READWRITE is exported again.
 * Thread: its own, plus its lanes; never holds svc->mu, w->pmu or a
 * registry lock across I/O. Lock order: pmu, then svc->mu (never the reverse). */
#include "linker/lnk_int.h"

#include "common/fy_alloc.h"
#include "common/fy_log.h"
#include "common/fy_url.h"
#include "contexts/ctx_name.h"
#include "linker/lnk_client.h"
#include "registry/reg_records.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_RECORDS 500       /* records per feed read before control is re-checked */
#define PERSIST_EVERY_MS 1000   /* journal the position at most this often while busy */
#define IDLE_WAIT_MS 30000      /* feed wait bound (any write or control change wakes earlier) */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define IN_FLIGHT_DEFAULT 8     /* max.in.flight: lanes (threads + connections) per exporter */
#define LANE_QUEUE_MAX 32       /* records queued on one lane before the reader waits */

struct worker;

/* One record handed to a lane: owned copies of what the feed lent us. */
struct job {
    struct job *next;
    struct reg_key k;
    struct ctx_subject cs;
    struct reg_store_record rec; /* key/value owned */
};

/* A sender: its own thread and client, a FIFO of jobs. The head job stays
 * queued while it is exported and leaves only when acknowledged, so the
 * head's offset is the lane's oldest unacknowledged record. */
struct lane {
    struct worker *w;
    struct lnk_client *cl;
    pthread_t thread;
    bool started;
    struct job *head, *tail; /* (pmu) */
    size_t n;                /* (pmu) queued jobs, the head included */
    bool busy;               /* (pmu) the head is being exported */
};

struct worker {
    struct lnk_exp *ex;
    struct lnk_service *svc;
    struct reg_registry *r;
    struct lnk_def def;       /* private copy of the definition */
    uint64_t gen;
    struct lane *lanes;       /* NULL until the clients are made (per definition) */
    size_t n_lanes;
    pthread_mutex_t pmu;      /* the pipeline: lane queues, `halted`, `perr`, `ensured`, `dirty` */
    pthread_cond_t work_cv;   /* lanes wait for jobs */
    pthread_cond_t done_cv;   /* the reader waits for acknowledgements */
    bool lanes_stop;          /* (pmu) */
    bool halted;              /* (pmu) a job failed: lanes take no more until the reader drains */
    struct fy_err perr;       /* (pmu) the first failure */
    struct fy_map last;       /* reader only: canonical subject -> offset + 1 of its last
                               * dispatched record (since the last drain) */
    struct fy_map ensured;    /* (pmu) destination scopes already put into IMPORT */
    int64_t next;             /* next source offset; everything before it is acknowledged */
    int64_t read_next;        /* reader: next offset to dispatch in the current feed read */
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
    pthread_mutex_lock(&w->pmu);
    fy_map_destroy(&w->ensured);
    fy_map_init(&w->ensured);
    pthread_mutex_unlock(&w->pmu);
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
static int call_ok(struct lane *ln, const char *method, const char *path, const char *body,
                   const long *accept, long *code_out, struct fy_err *err)
{
    long status;
    json_t *ans = NULL;
    if (lnk_client_call(ln->cl, method, path, body, &status, &ans, err) != 0)
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
static int ensure_import(struct lane *ln, const char *dsubject, struct fy_err *err)
{
    struct worker *w = ln->w;
    struct ctx_subject cs;
    if (ctx_subject_parse(dsubject, &cs, err) != 0)
        return -1;
    char *scope = ctx_is_default(cs.context) ? ctx_subject_format(cs.context, cs.name)
                                             : ctx_subject_format(cs.context, "");
    ctx_subject_destroy(&cs);
    int rc = 0;
    pthread_mutex_lock(&w->pmu);
    bool done = fy_map_get(&w->ensured, scope) != NULL;
    pthread_mutex_unlock(&w->pmu);
    /* two lanes may both switch a new scope: the PUT is idempotent */
    if (!done) {
        char *s = seg(scope);
        char *path = fy_asprintf("/mode/%s", s);
        rc = call_ok(ln, "PUT", path, "{\"mode\":\"IMPORT\"}", NULL, NULL, err);
        if (rc == 0) {
            pthread_mutex_lock(&w->pmu);
            fy_map_put(&w->ensured, scope, (void *)1);
            pthread_mutex_unlock(&w->pmu);
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

static int export_schema(struct lane *ln, const struct reg_key *k,
                         const struct reg_store_record *rec, const char *context,
                         const char *name, struct fy_err *err)
{
    struct worker *w = ln->w;
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
        rc = call_ok(ln, "DELETE", vpath, NULL, gone, NULL, err);
        if (rc == 0)
            rc = call_ok(ln, "DELETE", vpath_perm, NULL, gone_hard, NULL, err);
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
    if (ensure_import(ln, d, err) != 0)
        goto out;
    if (deleted) {
        long code = 0;
        /* already there (live or soft-deleted): deleting is all that is left */
        if (call_ok(ln, "DELETE", vpath, NULL, gone, &code, err) != 0)
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
    rc = call_ok(ln, "POST", rpath, body_text, NULL, NULL, err);
    free(rpath);
    if (rc != 0 && err->code == FY_E_HTTP) {
        /* refused, but maybe because it is already applied (a subject the
         * source made READONLY after this version): same id there = done */
        char *gpath = fy_asprintf("%s?deleted=true", vpath);
        long status;
        json_t *ans = NULL;
        struct fy_err e2 = {0};
        if (lnk_client_call(ln->cl, "GET", gpath, NULL, &status, &ans, &e2) == 0 &&
            status == 200 && json_equal(json_object_get(ans, "id"), id)) {
            fy_err_clear(err);
            rc = 0;
        }
        json_decref(ans);
        fy_err_destroy(&e2);
        free(gpath);
    }
    if (rc == 0 && deleted)
        rc = call_ok(ln, "DELETE", vpath, NULL, gone, NULL, err);
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

static int export_config(struct lane *ln, const struct reg_store_record *rec,
                         const char *context, const char *name, struct fy_err *err)
{
    struct worker *w = ln->w;
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
        rc = call_ok(ln, "DELETE", path, NULL, gone, NULL, err);
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
        rc = call_ok(ln, "PUT", path, text, NULL, NULL, err);
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
static int export_mode(struct lane *ln, const struct reg_store_record *rec,
                       const char *context, const char *name, struct fy_err *err)
{
    struct worker *w = ln->w;
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
        rc = call_ok(ln, "PUT", path, body, NULL, NULL, err);
        free(body);
    } else {
        rc = call_ok(ln, "DELETE", path, NULL, gone, NULL, err);
    }
    json_decref(v);
    free(path);
    free(ds);
    free(d);
    return rc;
}

/* Export one job on its lane: 0 when applied, -1 on failure. */
static int export_job(struct lane *ln, const struct job *j, struct fy_err *err)
{
    const struct ctx_subject *cs = &j->cs;
    switch (j->k.type) {
    case REG_KEY_SCHEMA:
        return export_schema(ln, &j->k, &j->rec, cs->context, cs->name, err);
    case REG_KEY_DELETE_SUBJECT: {
        static const long gone[] = {40401, 40404, 0};
        char *d = dest(ln->w, cs->context, cs->name);
        char *ds = seg(d);
        char *path = fy_asprintf("/subjects/%s", ds);
        int rc = call_ok(ln, "DELETE", path, NULL, gone, NULL, err);
        free(path);
        free(ds);
        free(d);
        return rc;
    }
    case REG_KEY_CONFIG:
        return export_config(ln, &j->rec, cs->context, cs->name, err);
    case REG_KEY_MODE:
        return export_mode(ln, &j->rec, cs->context, cs->name, err);
    default:
        return 0;
    }
}

/* ---- the pipeline ---------------------------------------------------------------- */

static void job_free(struct job *j)
{
    if (!j)
        return;
    reg_key_destroy(&j->k);
    ctx_subject_destroy(&j->cs);
    free((char *)j->rec.key);
    free((char *)j->rec.value);
    free(j);
}

static char *bytes_dup(const char *p, size_t len)
{
    if (!p)
        return NULL;
    char *c = fy_malloc(len + 1);
    memcpy(c, p, len);
    c[len] = '\0';
    return c;
}

/* The job for a feed record, or NULL when the record is not for this
 * exporter (CONTEXT, CLEAR_SUBJECT, NOOP, EXPORTER*, unmatched subjects, and
 * subjects in IMPORT here: the loop rule). Thread: the reader. */
static struct job *job_for(struct worker *w, const struct reg_store_record *rec)
{
    struct job *j = fy_calloc(1, sizeof *j);
    bool keep = false;
    if (reg_key_parse(rec->key, rec->klen, &j->k, NULL) != 0) {
        free(j);
        return NULL;
    }
    switch (j->k.type) {
    case REG_KEY_SCHEMA:
    case REG_KEY_DELETE_SUBJECT:
    case REG_KEY_CONFIG:
    case REG_KEY_MODE:
        break;
    default:
        goto out;
    }
    if (ctx_subject_parse(j->k.subject ? j->k.subject : "", &j->cs, NULL) != 0 || j->cs.wildcard)
        goto out;
    if (j->k.type == REG_KEY_SCHEMA || j->k.type == REG_KEY_MODE)
        keep = j->cs.name[0] != '\0';
    else if (j->k.type == REG_KEY_DELETE_SUBJECT)
        keep = j->cs.name[0] && rec->value;
    else
        keep = true;
    keep = keep && wanted(w, j->cs.context, j->cs.name);
out:
    if (!keep) {
        job_free(j);
        return NULL;
    }
    j->rec = *rec;
    j->rec.key = bytes_dup(rec->key, rec->klen);
    j->rec.value = bytes_dup(rec->value, rec->vlen);
    return j;
}

/* How a job is ordered against the others (see the file comment): a live
 * SCHEMA import or a subject-level CONFIG/MODE only follows its own subject
 * (and, for a schema, the subjects it references: *deps, **new** canonical
 * names); deletes and context-level records run alone, because their effect
 * on the destination depends on other subjects (a version can only be
 * deleted once its referrers are; a context config covers every subject). */
static bool job_runs_alone(const struct job *j, json_t **deps)
{
    *deps = NULL;
    if (!j->cs.name[0] || j->k.type == REG_KEY_DELETE_SUBJECT)
        return true;
    if (j->k.type != REG_KEY_SCHEMA)
        return false;
    if (!j->rec.value)
        return true;
    json_t *v = json_loadb(j->rec.value, j->rec.vlen, 0, NULL);
    bool alone = !v || json_is_true(json_object_get(v, "deleted"));
    json_t *refs = json_object_get(v, "references");
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        const char *rs = json_string_value(json_object_get(ref, "subject"));
        struct ctx_subject cs;
        if (!rs || ctx_subject_parse(rs, &cs, NULL) != 0)
            continue;
        /* relative to the referrer's context unless qualified (as map_references) */
        bool qualified = strncmp(rs, ":.", 2) == 0;
        if (!*deps)
            *deps = json_array();
        char *dep = ctx_subject_format(qualified ? cs.context : j->cs.context, cs.name);
        json_array_append_new(*deps, json_string(dep));
        free(dep);
        ctx_subject_destroy(&cs);
    }
    json_decref(v);
    return alone;
}

static struct lane *lane_of(struct worker *w, const char *subject)
{
    return &w->lanes[fy_hash_bytes(subject, strlen(subject)) % w->n_lanes];
}

/* Locks: pmu held. */
static bool lanes_idle(const struct worker *w)
{
    for (size_t i = 0; i < w->n_lanes; i++)
        if (w->lanes[i].head)
            return false;
    return true;
}

/* Copy the pipeline's failure into `err`. Locks: pmu held. */
static int pipeline_error(struct worker *w, struct fy_err *err)
{
    return fy_err_set_long(err, w->perr.code ? w->perr.code : FY_E_HTTP, "%s",
                           fy_err_text(&w->perr));
}

/* Hand `j` (stolen) to its subject's lane, after what it must follow.
 * 0, or -1 with the pipeline's failure. Thread: the reader. */
static int dispatch(struct worker *w, struct job *j, struct fy_err *err)
{
    json_t *deps = NULL;
    bool alone = job_runs_alone(j, &deps);
    char *subject = ctx_subject_format(j->cs.context, j->cs.name);
    struct lane *ln = lane_of(w, subject);
    int64_t offset = j->rec.offset;
    int rc = 0;
    pthread_mutex_lock(&w->pmu);
    while (alone && !w->halted && !lanes_idle(w))
        pthread_cond_wait(&w->done_cv, &w->pmu);
    size_t i;
    json_t *dep;
    json_array_foreach(deps, i, dep)
    {
        /* the referenced subject's records dispatched so far must be acknowledged */
        const char *ds = json_string_value(dep);
        int64_t after = (int64_t)(intptr_t)fy_map_get(&w->last, ds); /* offset + 1, 0 = none */
        struct lane *dl = lane_of(w, ds);
        while (after && !w->halted && dl->head && dl->head->rec.offset < after)
            pthread_cond_wait(&w->done_cv, &w->pmu);
    }
    while (!w->halted && ln->n >= LANE_QUEUE_MAX)
        pthread_cond_wait(&w->done_cv, &w->pmu);
    if (w->halted) {
        rc = pipeline_error(w, err);
        job_free(j);
    } else {
        if (ln->tail)
            ln->tail->next = j;
        else
            ln->head = j;
        ln->tail = j;
        ln->n++;
        pthread_cond_broadcast(&w->work_cv);
        while (alone && !w->halted && !lanes_idle(w))
            pthread_cond_wait(&w->done_cv, &w->pmu);
    }
    pthread_mutex_unlock(&w->pmu);
    if (rc == 0)
        fy_map_put(&w->last, subject, (void *)(intptr_t)(offset + 1));
    free(subject);
    json_decref(deps);
    return rc;
}

/* A lane: export its head job, drop it once acknowledged. On a failure the
 * job stays at the head and the pipeline halts until the reader drains. */
static void *lane_main(void *arg)
{
    struct lane *ln = arg;
    struct worker *w = ln->w;
    pthread_mutex_lock(&w->pmu);
    for (;;) {
        while (!w->lanes_stop && (!ln->head || w->halted))
            pthread_cond_wait(&w->work_cv, &w->pmu);
        if (w->lanes_stop)
            break;
        struct job *j = ln->head;
        ln->busy = true;
        pthread_mutex_unlock(&w->pmu);
        struct fy_err err = {0};
        int rc = export_job(ln, j, &err);
        pthread_mutex_lock(&w->pmu);
        ln->busy = false;
        if (rc != 0) {
            if (!w->halted) {
                w->halted = true;
                fy_err_set_long(&w->perr, err.code, "%s", fy_err_text(&err));
            }
        } else {
            ln->head = j->next;
            if (!ln->head)
                ln->tail = NULL;
            ln->n--;
            w->dirty = true;
            job_free(j);
        }
        fy_err_destroy(&err);
        pthread_cond_broadcast(&w->done_cv);
    }
    pthread_mutex_unlock(&w->pmu);
    return NULL;
}

/* Wait until every dispatched job is acknowledged: 0 and w->next =
 * w->read_next; or, after a failure, -1 with it and w->next = the oldest
 * unacknowledged offset (that job and every later queued one are dropped:
 * the next read sends them again). Thread: the reader. */
static int drain(struct worker *w, struct fy_err *err)
{
    int rc = 0;
    pthread_mutex_lock(&w->pmu);
    while (!w->halted && !lanes_idle(w))
        pthread_cond_wait(&w->done_cv, &w->pmu);
    if (w->halted) {
        for (size_t i = 0; i < w->n_lanes; i++)
            while (w->lanes[i].busy)
                pthread_cond_wait(&w->done_cv, &w->pmu);
        int64_t oldest = w->read_next;
        for (size_t i = 0; i < w->n_lanes; i++) {
            struct lane *ln = &w->lanes[i];
            if (ln->head && ln->head->rec.offset < oldest)
                oldest = ln->head->rec.offset;
            while (ln->head) {
                struct job *j = ln->head;
                ln->head = j->next;
                job_free(j);
            }
            ln->tail = NULL;
            ln->n = 0;
        }
        w->next = oldest;
        rc = pipeline_error(w, err);
        fy_err_destroy(&w->perr);
        memset(&w->perr, 0, sizeof w->perr);
        w->halted = false;
    } else {
        w->next = w->read_next;
    }
    pthread_mutex_unlock(&w->pmu);
    fy_map_destroy(&w->last);
    fy_map_init(&w->last);
    return rc;
}

static void lanes_stop(struct worker *w)
{
    if (!w->lanes)
        return;
    pthread_mutex_lock(&w->pmu);
    w->lanes_stop = true;
    pthread_cond_broadcast(&w->work_cv);
    pthread_mutex_unlock(&w->pmu);
    for (size_t i = 0; i < w->n_lanes; i++) {
        struct lane *ln = &w->lanes[i];
        if (ln->started)
            pthread_join(ln->thread, NULL);
        while (ln->head) {
            struct job *j = ln->head;
            ln->head = j->next;
            job_free(j);
        }
        lnk_client_free(ln->cl);
    }
    free(w->lanes);
    w->lanes = NULL;
    w->n_lanes = 0;
    w->lanes_stop = false;
}

/* One client and thread per lane, `max.in.flight` of them. */
static int lanes_start(struct worker *w, struct fy_err *err)
{
    const char *s = json_string_value(json_object_get(w->def.config, "max.in.flight"));
    size_t n = s ? (size_t)strtol(s, NULL, 10) : IN_FLIGHT_DEFAULT; /* checked: 1..64 */
    w->lanes = fy_calloc(n, sizeof *w->lanes);
    w->n_lanes = n;
    for (size_t i = 0; i < n; i++) {
        struct lane *ln = &w->lanes[i];
        ln->w = w;
        ln->cl = lnk_client_new(w->def.config, err);
        if (!ln->cl)
            goto fail;
        lnk_client_set_abort(ln->cl, &w->ex->abort);
        if (pthread_create(&ln->thread, NULL, lane_main, ln) != 0) {
            fy_err_set(err, FY_E_NOMEM, "cannot start sender thread %zu of exporter '%s'", i,
                       w->def.name);
            goto fail;
        }
        ln->started = true;
    }
    return 0;
fail:
    lanes_stop(w);
    return -1;
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
    struct job *j = job_for(w, rec);
    if (j && dispatch(w, j, err) != 0)
        return -1;
    w->read_next = rec->offset + 1;
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
    fy_map_init(&w.last);
    pthread_mutex_init(&w.pmu, NULL);
    pthread_cond_init(&w.work_cv, NULL);
    pthread_cond_init(&w.done_cv, NULL);
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
        bool restart = false;
        if (ex->reset) {
            ex->reset = false;
            w.next = 0;
            w.persisted = 0; /* the handler journaled 0 */
            retry_at = 0;
            w.attempt = 0;
            restart = true;
        }
        if (ex->gen != w.gen) {
            lnk_def_destroy(&w.def);
            lnk_def_copy(&ex->def, &w.def);
            w.gen = ex->gen;
            retry_at = 0;
            w.attempt = 0;
            restart = true;
        }
        bool paused = w.def.paused;
        if (paused)
            ex->state = LNK_PAUSED;
        ex->next = w.next;
        pthread_mutex_unlock(&w.svc->mu);
        if (restart) { /* lanes are idle here (drained after every read) */
            lanes_stop(&w);
            ensured_clear(&w);
        }

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
        if (!w.lanes && lanes_start(&w, &err) != 0) {
            failed(&w, &err);
            retry_at = mono_ms() + backoff_ms(w.attempt);
            fy_err_destroy(&err);
            continue;
        }
        if (w.next <= reg_store_durable_offset(w.r->store)) {
            w.batch = 0;
            w.interrupted = false;
            w.read_next = w.next;
            int64_t cont = w.next;
            int rc = reg_store_read_from(w.r->store, w.next, on_record, &w, &cont, &err);
            struct fy_err derr = {0};
            if (drain(&w, &derr) != 0) { /* a lane's failure is the one to report */
                fy_err_destroy(&err);
                err = derr;
                rc = -1;
                w.interrupted = false;
            }
            if (rc != 0 && !w.interrupted) {
                if (!atomic_load(&ex->abort)) /* stopping: not an error */
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
    lanes_stop(&w);
    persist(&w, true);
    lnk_def_destroy(&w.def);
    fy_map_destroy(&w.ensured);
    fy_map_destroy(&w.last);
    fy_err_destroy(&w.perr);
    pthread_mutex_destroy(&w.pmu);
    pthread_cond_destroy(&w.work_cv);
    pthread_cond_destroy(&w.done_cv);
    free(w.last_error);
    return NULL;
}
