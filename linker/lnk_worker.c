/* SPDX-License-Identifier: Apache-2.0
 * lnk_worker: one exporter's thread. It follows the registry store's change
 * feed (reg_store_read_from + reg_registry_feed_wait: no polling, no REST
 * reads of its own registry) and turns each `_schemas` record into
 * destination REST calls (lnk_client):
 *   SCHEMA          -> POST /subjects/{d}/versions with explicit id and version
 *                      (IMPORT), schemaType, mapped references, metadata, ruleSet;
 *                      deleted:true -> then DELETE the version (soft)
 *   SCHEMA tombstone-> DELETE version, then DELETE ?permanent=true (hard),
 *   PURGED_VERSION     unless the destination holds the version the source has
 *                      at that number now (numbers come back after a hard delete)
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
#include "contexts/ctx_name.h"
#include "linker/lnk_apply.h"
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
    struct lnk_apply ap;     /* the destination calls, over `cl` */
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
    struct fy_map modes;      /* reader only: MODE scope -> its latest record (mode_pack) */
    int64_t next;             /* next source offset; everything before it is acknowledged */
    int64_t read_next;        /* reader: next offset to dispatch in the current feed read */
    int64_t persisted;        /* position last journaled */
    int64_t epoch;            /* the reset epoch of `next` (lnk_journal_state) */
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

/* ---- record translation ------------------------------------------------------ */

/* Should the source (context, name) be exported? See the loop rule above. */
/* The MODE records the reader knows (w->modes): scope -> the latest record's
 * offset and mode, packed into one pointer-sized value (0 = none known). */
static uintptr_t mode_pack(int64_t offset, int mode) /* mode -1 = tombstone */
{
    return ((uintptr_t)(offset + 1) << 3) | (uintptr_t)(mode + 1);
}

static void mode_note(struct worker *w, const struct reg_store_record *rec)
{
    if (!rec->key || !lnk_has_text(rec->key, rec->klen, "\"MODE\""))
        return; /* cheap pre-filter: most records are schemas */
    struct reg_key k;
    if (reg_key_parse(rec->key, rec->klen, &k, NULL) != 0)
        return;
    if (k.type == REG_KEY_MODE) {
        const char *scope = k.subject ? k.subject : "";
        uintptr_t old = (uintptr_t)fy_map_get(&w->modes, scope);
        int mode = -1;
        if (rec->value) {
            json_t *v = json_loadb(rec->value, rec->vlen, 0, NULL);
            enum reg_mode m;
            const char *ms = json_string_value(json_object_get(v, "mode"));
            if (ms && reg_mode_parse(ms, &m) == 0)
                mode = (int)m;
            json_decref(v);
        }
        if (!old || (int64_t)(old >> 3) - 1 < rec->offset)
            fy_map_put(&w->modes, scope, (void *)mode_pack(rec->offset, mode));
    }
    reg_key_destroy(&k);
}

static int mode_scan_record(void *arg, const struct reg_store_record *rec, struct fy_err *err)
{
    (void)err;
    mode_note(arg, rec);
    return 0;
}

/* Was the source record at `offset` of (context, name) written while its
 * scope was in IMPORT, i.e. by a link (the loop rule)? The mode *now* is not
 * enough: records written before the scope was switched to IMPORT and not yet
 * exported must still go. So: IMPORT now, and the MODE records that decide
 * it (reg_registry_scope_chain; the latest of each, which compaction
 * keeps) are all older than the record. A newer one, or one the reader has
 * not seen yet (the index runs ahead of the durable feed), leaves the mode
 * at `offset` uncertain: the record is exported (an identical re-import is a
 * no-op on the other side; a skipped record would be lost).
 * Locks: idx.lock held. Thread: the reader. */
static bool written_by_link(struct worker *w, const char *context, const char *name,
                            int64_t offset)
{
    if (reg_registry_mode(w->r, context, name) != REG_MODE_IMPORT)
        return false;
    char *scopes[REG_SCOPE_CHAIN_MAX]; /* the registry's own inheritance chain */
    size_t n = reg_registry_scope_chain(context, name, scopes);
    int at = -2; /* the mode at `offset`, -2 = no record says */
    bool newer = false;
    for (size_t i = 0; i < n; i++) {
        uintptr_t p = (uintptr_t)fy_map_get(&w->modes, scopes[i]);
        int64_t off = p ? (int64_t)(p >> 3) - 1 : -1;
        int m = p ? (int)(p & 7) - 1 : -1;
        if (off > offset)
            newer = true;
        else if (p && at == -2 && m >= 0)
            at = m;
        free(scopes[i]);
    }
    if (newer)
        return false;
    if (at == -2)
        at = (int)w->r->opts.default_mode;
    return at == (int)REG_MODE_IMPORT;
}

static bool wanted_locked(struct worker *w, const char *context, const char *name,
                          int64_t offset)
{
    return lnk_def_matches(&w->def, context, name) &&
           !written_by_link(w, context, name, offset);
}

static bool wanted(struct worker *w, const char *context, const char *name, int64_t offset)
{
    if (!lnk_def_matches(&w->def, context, name))
        return false;
    pthread_rwlock_rdlock(&w->r->idx.lock);
    bool yes = wanted_locked(w, context, name, offset);
    pthread_rwlock_unlock(&w->r->idx.lock);
    return yes;
}

/* A hard delete (a SCHEMA tombstone or a PURGED_VERSION record) of `version`:
 * the destination's version there gives way unless it is the one the source
 * holds now. A number can be handed out again after a hard delete; the new
 * version's records come later in the feed, and a record re-sent after a
 * reset must not purge what they brought. */
static int export_purged(struct lane *ln, const char *context, const char *name,
                         int32_t version, struct fy_err *err)
{
    struct worker *w = ln->w;
    int32_t current = -1;
    pthread_rwlock_rdlock(&w->r->idx.lock);
    const struct reg_subject *sub = reg_index_subject(&w->r->idx, context, name);
    const struct reg_version *v = sub ? reg_subject_version(sub, version) : NULL;
    if (v)
        current = v->schema->id;
    pthread_rwlock_unlock(&w->r->idx.lock);
    return lnk_apply_version_purge_stale(&ln->ap, context, name, (int)version, current, err);
}

/* One SCHEMA record: the value is the version as Confluent stores it (the
 * same fields as a Schema object); a tombstone is a hard delete. */
static int export_schema(struct lane *ln, const struct reg_key *k,
                         const struct reg_store_record *rec, const char *context,
                         const char *name, struct fy_err *err)
{
    if (!rec->value)
        return export_purged(ln, context, name, k->version, err);
    json_t *v = json_loadb(rec->value, rec->vlen, 0, NULL);
    int rc = 0;
    if (!json_is_string(json_object_get(v, "schema")) ||
        !json_is_integer(json_object_get(v, "id")))
        fy_log(FY_LOG_WARN, "linker", "msg=\"unreadable SCHEMA record skipped\" offset=%lld",
               (long long)rec->offset);
    else
        rc = lnk_apply_version(&ln->ap, context, name, (int)k->version, v,
                               json_is_true(json_object_get(v, "deleted")), err);
    json_decref(v);
    return rc;
}

/* Export one job on its lane: 0 when applied, -1 on failure. */
static int export_job(struct lane *ln, const struct job *j, struct fy_err *err)
{
    const struct ctx_subject *cs = &j->cs;
    int rc = 0;
    json_t *v = j->rec.value ? json_loadb(j->rec.value, j->rec.vlen, 0, NULL) : NULL;
    switch (j->k.type) {
    case REG_KEY_SCHEMA:
        rc = export_schema(ln, &j->k, &j->rec, cs->context, cs->name, err);
        break;
    case REG_KEY_DELETE_SUBJECT:
    {
        json_t *upto = json_object_get(v, "version"); /* Confluent's DeleteSubjectValue */
        rc = lnk_apply_subject_delete(&ln->ap, cs->context, cs->name,
                                      json_is_integer(upto) ? (int)json_integer_value(upto) : -1,
                                      err);
        break;
    }
    case REG_KEY_CONFIG: /* the record is the whole config; a tombstone removes it */
        rc = lnk_apply_config(&ln->ap, cs->context, cs->name, v, err);
        break;
    case REG_KEY_MODE:
        rc = lnk_apply_mode(&ln->ap, cs->context, cs->name,
                            json_string_value(json_object_get(v, "mode")), err);
        break;
    case REG_KEY_PURGED_VERSION: /* the hard delete, kept when its number came back */
        rc = export_purged(ln, cs->context, cs->name, j->k.version, err);
        break;
    default:
        break;
    }
    json_decref(v);
    return rc;
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

/* Is the SCHEMA record `rec` (of job `j`) history: the source no longer holds
 * its subject/version with its id? Then a later record of its key follows in
 * the feed (the hard delete's tombstone, or the version the number was handed
 * out to again), and compaction would have dropped this one: sending it could
 * only meet the newer version on the destination (a replay after a reset).
 * Thread: the reader. */
static bool superseded(struct worker *w, const struct job *j, const struct reg_store_record *rec)
{
    json_t *v = json_loadb(rec->value, rec->vlen, 0, NULL);
    json_t *id = json_object_get(v, "id");
    bool old = false;
    if (json_is_integer(id)) {
        pthread_rwlock_rdlock(&w->r->idx.lock);
        const struct reg_subject *sub =
            reg_index_subject(&w->r->idx, j->cs.context, j->cs.name);
        const struct reg_version *ver = sub ? reg_subject_version(sub, j->k.version) : NULL;
        old = !ver || ver->schema->id != json_integer_value(id);
        pthread_rwlock_unlock(&w->r->idx.lock);
    }
    json_decref(v);
    return old;
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
    case REG_KEY_PURGED_VERSION:
        break;
    default:
        goto out;
    }
    if (ctx_subject_parse(j->k.subject ? j->k.subject : "", &j->cs, NULL) != 0 || j->cs.wildcard)
        goto out;
    if (j->k.type == REG_KEY_SCHEMA || j->k.type == REG_KEY_MODE)
        keep = j->cs.name[0] != '\0';
    else if (j->k.type == REG_KEY_DELETE_SUBJECT || j->k.type == REG_KEY_PURGED_VERSION)
        keep = j->cs.name[0] && rec->value;
    else
        keep = true;
    keep = keep && wanted(w, j->cs.context, j->cs.name, rec->offset) &&
           !(j->k.type == REG_KEY_SCHEMA && rec->value && superseded(w, j, rec));
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

/* The qualified subject a reference `ref` of a version in `context` names
 * (relative to the referrer's context unless qualified, as map_references),
 * **new**, or NULL when it has none. */
static char *ref_subject(json_t *ref, const char *context)
{
    const char *rs = json_string_value(json_object_get(ref, "subject"));
    struct ctx_subject cs;
    if (!rs || ctx_subject_parse(rs, &cs, NULL) != 0)
        return NULL;
    bool qualified = strncmp(rs, ":.", 2) == 0;
    char *q = ctx_subject_format(qualified ? cs.context : context, cs.name);
    ctx_subject_destroy(&cs);
    return q;
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
    if (!j->cs.name[0] || j->k.type == REG_KEY_DELETE_SUBJECT ||
        j->k.type == REG_KEY_PURGED_VERSION)
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
        char *dep = ref_subject(ref, j->cs.context);
        if (!dep)
            continue;
        if (!*deps)
            *deps = json_array();
        json_array_append_new(*deps, json_string(dep));
        free(dep);
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

/* ---- referenced versions the feed brings later ------------------------------------ */

/* Compaction keeps each key's latest record, so a referenced version that
 * changed after its referrer (soft-deleted once the referrer was) comes
 * after it in the feed, and the destination would refuse the referrer
 * (42201). Such a version is sent first, live, as the source holds it now,
 * at the referrer's offset (a failure keeps the position there); its own
 * record follows later in the feed and applies its state (e.g. the soft
 * delete). Transitively, dependencies first, without recursion. */
#define FORWARD_MAX 4096 /* versions pre-sent for one record, at most */

struct fwd_frame {
    json_t *refs;       /* the references being walked (borrowed from `values`) */
    char *context;      /* their owner's context */
    size_t i;
    struct job *node;   /* the version they belong to (NULL = the root record) */
};

/* A live import job for (sub, v) as the index holds it, at `offset`.
 * Locks: idx.lock held. */
static struct job *job_from_index(const struct reg_subject *sub, const struct reg_version *v,
                                  int64_t offset)
{
    struct job *j = fy_calloc(1, sizeof *j);
    struct fy_buf b;
    fy_buf_init(&b, 0);
    reg_put_schema_obj(&b, sub, v);
    /* the Schema obj says `deleted` (8.x); the pre-sent copy is live: its own
     * record, later in the feed, brings the soft delete */
    json_t *obj = json_loadb(b.data, b.len, 0, NULL);
    fy_buf_destroy(&b);
    json_object_del(obj, "deleted");
    j->rec.value = json_dumps(obj, JSON_COMPACT);
    j->rec.vlen = j->rec.value ? strlen(j->rec.value) : 0;
    json_decref(obj);
    j->rec.offset = offset;
    j->k.type = REG_KEY_SCHEMA;
    j->k.subject = fy_strdup(sub->qname);
    j->k.version = v->version;
    if (ctx_subject_parse(sub->qname, &j->cs, NULL) != 0) {
        job_free(j);
        return NULL;
    }
    return j;
}

/* The jobs (dependencies first) for the versions `root` references, directly
 * or not, whose latest record comes after root's in the feed. **new** array
 * of jobs in *out / *n. Thread: the reader. */
static void forward_refs(struct worker *w, const struct job *root, struct job ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    json_t *rv = json_loadb(root->rec.value, root->rec.vlen, 0, NULL);
    if (!json_array_size(json_object_get(rv, "references"))) {
        json_decref(rv);
        return;
    }
    json_t *values = json_array(); /* keeps every parsed value alive for the frames */
    json_array_append_new(values, rv);
    struct fy_map seen;
    fy_map_init(&seen);
    size_t cap = 8, depth = 0, total = 0;
    struct fwd_frame *st = fy_malloc(cap * sizeof *st);
    st[depth++] = (struct fwd_frame){json_object_get(rv, "references"),
                                     fy_strdup(root->cs.context), 0, NULL};
    pthread_rwlock_rdlock(&w->r->idx.lock);
    while (depth) {
        struct fwd_frame *f = &st[depth - 1];
        if (f->i == json_array_size(f->refs)) { /* all its dependencies are out: emit it */
            if (f->node) {
                *out = fy_realloc(*out, (*n + 1) * sizeof **out);
                (*out)[(*n)++] = f->node;
            }
            free(f->context);
            depth--;
            continue;
        }
        json_t *ref = json_array_get(f->refs, f->i++);
        json_t *ver = json_object_get(ref, "version");
        char *q = ref_subject(ref, f->context);
        struct ctx_subject cs;
        if (!q || !json_is_integer(ver) || ctx_subject_parse(q, &cs, NULL) != 0) {
            free(q);
            continue;
        }
        char *key = fy_asprintf("%s\x1f%lld", q, (long long)json_integer_value(ver));
        const struct reg_subject *sub = reg_index_subject(&w->r->idx, cs.context, cs.name);
        const struct reg_version *v =
            sub ? reg_subject_version(sub, (int32_t)json_integer_value(ver)) : NULL;
        struct job *j = NULL;
        if (v && v->offset > root->rec.offset && !fy_map_get(&seen, key) &&
            total < FORWARD_MAX && wanted_locked(w, cs.context, cs.name, v->offset))
            j = job_from_index(sub, v, root->rec.offset);
        if (j) {
            fy_map_put(&seen, key, (void *)1);
            total++;
            json_t *jv = json_loadb(j->rec.value, j->rec.vlen, 0, NULL);
            json_array_append_new(values, jv);
            if (depth == cap) {
                cap *= 2;
                st = fy_realloc(st, cap * sizeof *st);
            }
            st[depth++] = (struct fwd_frame){json_object_get(jv, "references"),
                                             fy_strdup(cs.context), 0, j};
        }
        free(key);
        free(q);
        ctx_subject_destroy(&cs);
    }
    pthread_rwlock_unlock(&w->r->idx.lock);
    free(st);
    fy_map_destroy(&seen);
    json_decref(values);
}

/* Dispatch `j` (stolen), after the referenced versions the feed brings later. */
static int dispatch_with_refs(struct worker *w, struct job *j, struct fy_err *err)
{
    struct job **pre = NULL;
    size_t n = 0;
    if (j->k.type == REG_KEY_SCHEMA && j->rec.value)
        forward_refs(w, j, &pre, &n);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc == 0)
            rc = dispatch(w, pre[i], err);
        else
            job_free(pre[i]);
    }
    free(pre);
    if (rc == 0)
        return dispatch(w, j, err);
    job_free(j);
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
        lnk_apply_destroy(&ln->ap);
        lnk_client_free(ln->cl);
    }
    free(w->lanes);
    w->lanes = NULL;
    w->n_lanes = 0;
    w->lanes_stop = false;
}

/* lnk_apply's source_has: does the source hold the version the destination
 * subject `dsubject` / `version` comes from, with `id`, live if `live_only`?
 * Thread: any lane (reads the index under its read lock; w->def does not
 * change while lanes run). */
static bool source_has(void *arg, const char *dsubject, int version, int32_t id, bool live_only)
{
    struct worker *w = arg;
    char *context = NULL, *name = NULL;
    if (lnk_def_source_subject(&w->def, w->r->cluster_id, dsubject, &context, &name) != 0)
        return true; /* not ours: leave it alone */
    pthread_rwlock_rdlock(&w->r->idx.lock);
    const struct reg_subject *sub = reg_index_subject(&w->r->idx, context, name);
    const struct reg_version *v = sub ? reg_subject_version(sub, version) : NULL;
    bool has = v && v->schema->id == id && !(live_only && v->deleted);
    pthread_rwlock_unlock(&w->r->idx.lock);
    free(context);
    free(name);
    return has;
}

/* One client and thread per lane, `max.in.flight` of them. */
static int lanes_start(struct worker *w, struct fy_err *err)
{
    const char *s = json_string_value(json_object_get(w->def.config, "max.in.flight"));
    size_t n = s ? (size_t)strtol(s, NULL, 10) : IN_FLIGHT_DEFAULT; /* checked: 1..64 */
    if (n > w->svc->o.max_lanes) /* ferry.link.max.threads.per.exporter */
        n = w->svc->o.max_lanes;
    w->lanes = fy_calloc(n, sizeof *w->lanes);
    w->n_lanes = n;
    for (size_t i = 0; i < n; i++) {
        struct lane *ln = &w->lanes[i];
        ln->w = w;
        ln->cl = lnk_client_new(w->def.config, err);
        if (!ln->cl)
            goto fail;
        lnk_client_set_abort(ln->cl, &w->ex->abort);
        /* lanes share the set of scopes already in IMPORT (under pmu) */
        lnk_apply_init_shared(&ln->ap, &w->def, w->r->cluster_id, ln->cl, &w->ensured, &w->pmu);
        ln->ap.source_has = source_has;
        ln->ap.source_arg = w;
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
    mode_note(w, rec);
    struct job *j = job_for(w, rec);
    if (j && dispatch_with_refs(w, j, err) != 0)
        return -1;
    w->read_next = rec->offset + 1;
    return 0;
}

static void set_state(struct worker *w, enum lnk_state st, const char *trace)
{
    pthread_mutex_lock(&w->svc->mu);
    w->ex->state = st;
    w->ex->errors += st == LNK_ERROR;
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
    /* a pending reset journaled 0 already: never journal an old position after
     * it (jmu, lnk_int.h); were one there, its old epoch would lose at replay */
    pthread_mutex_lock(&w->svc->jmu);
    pthread_mutex_lock(&w->svc->mu);
    bool reset = w->ex->reset;
    pthread_mutex_unlock(&w->svc->mu);
    struct fy_err err = {0};
    int rc = reset ? 1 : lnk_journal_state(w->svc, w->def.name, w->next, w->epoch, &err);
    pthread_mutex_unlock(&w->svc->jmu);
    if (rc == 1) {
        fy_err_destroy(&err);
        return;
    }
    if (rc == 0) {
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
    w.epoch = w.ex->epoch;
    w.gen = w.ex->gen;
    lnk_def_copy(&w.ex->def, &w.def);
    pthread_mutex_unlock(&w.svc->mu);
    w.persisted_at = mono_ms();
    int64_t retry_at = 0;
    fy_map_init(&w.modes);
    { /* the loop rule needs the MODE records before our position (written_by_link) */
        struct fy_err serr = {0};
        int64_t cont = 0;
        if (reg_store_read_from(w.r->store, 0, mode_scan_record, &w, &cont, &serr) != 0)
            fy_log(FY_LOG_WARN, "linker", "msg=\"cannot read modes\" exporter=%s reason=\"%s\"",
                   w.def.name, fy_err_text(&serr));
        fy_err_destroy(&serr);
    }

    for (;;) {
        /* marked before the control state is read: a stop/pause/update that
         * lands after this point ends the next feed wait at once */
        uint64_t mark = reg_registry_feed_mark(w.r);
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
            w.epoch = ex->epoch;
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
            reg_registry_feed_wait(w.r, INT64_MAX, mark, IDLE_WAIT_MS); /* control changes wake it */
            continue;
        }
        int64_t now = mono_ms();
        if (retry_at > now) {
            reg_registry_feed_wait(w.r, INT64_MAX, mark, (int)(retry_at - now));
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
        reg_registry_feed_wait(w.r, w.next - 1, mark, IDLE_WAIT_MS);
    }
    lanes_stop(&w);
    persist(&w, true);
    lnk_def_destroy(&w.def);
    fy_map_destroy(&w.ensured);
    fy_map_destroy(&w.last);
    fy_map_destroy(&w.modes);
    fy_err_destroy(&w.perr);
    pthread_mutex_destroy(&w.pmu);
    pthread_cond_destroy(&w.work_cv);
    pthread_cond_destroy(&w.done_cv);
    free(w.last_error);
    return NULL;
}
