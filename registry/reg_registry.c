/* SPDX-License-Identifier: Apache-2.0
 * reg_registry: store + index lifecycle, the writer path and the effective
 * config/mode chain (see reg_registry.h). */
#include "registry/reg_registry.h"

#include "common/fy_alloc.h"
#include "common/fy_file.h"
#include "common/fy_log.h"
#include "contexts/ctx_name.h"
#include "registry/reg_metrics.h"
#include "registry/reg_parsed_cache.h"
#include "registry/reg_records.h"

#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static int replay_record(void *arg, const struct reg_store_record *rec, struct fy_err *err)
{
    (void)err;
    struct reg_registry *r = arg;
    reg_index_apply(&r->idx, rec->key, rec->klen, rec->value, rec->vlen, rec->offset, rec->ts);
    return 0;
}

/* A registry's identity outlives restarts: it names the AUTO context of
 * schema links (sr-api §11), so it is created once and kept in the data dir. */
static char *load_cluster_id(const char *dir, struct fy_err *err)
{
    char *path = fy_asprintf("%s/cluster.id", dir);
    char buf[64] = {0};
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
            buf[--n] = '\0';
        if (n > 0) {
            free(path);
            return fy_strdup(buf);
        }
    }
    unsigned char raw[16];
    FILE *rnd = fopen("/dev/urandom", "rb");
    if (!rnd || fread(raw, 1, sizeof raw, rnd) != sizeof raw) {
        if (rnd)
            fclose(rnd);
        fy_err_set(err, FY_E_IO, "cannot read /dev/urandom for the cluster id");
        free(path);
        return NULL;
    }
    fclose(rnd);
    /* base64url of 16 random bytes, like Kafka's cluster ids */
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < 16; i += 3) {
        unsigned v = (unsigned)raw[i] << 16 | (i + 1 < 16 ? (unsigned)raw[i + 1] << 8 : 0) |
                     (i + 2 < 16 ? raw[i + 2] : 0);
        buf[o++] = b64[(v >> 18) & 63];
        buf[o++] = b64[(v >> 12) & 63];
        if (i + 1 < 16)
            buf[o++] = b64[(v >> 6) & 63];
        if (i + 2 < 16)
            buf[o++] = b64[v & 63];
    }
    buf[o++] = '\n';
    /* crash-safe as every small state file: temp, fsync, rename, fsync of the dir */
    int rc = fy_file_write_atomic(path, buf, o, err);
    free(path);
    if (rc != 0)
        return NULL;
    buf[o - 1] = '\0';
    return fy_strdup(buf);
}

/* Compaction runs here, off the request path: a writer only kicks it. */
static void *maintenance(void *arg)
{
    struct reg_registry *r = arg;
    pthread_mutex_lock(&r->maint_mu);
    for (;;) {
        while (!r->maint_kick && !r->maint_stop)
            pthread_cond_wait(&r->maint_cv, &r->maint_mu);
        if (r->maint_stop)
            break;
        r->maint_kick = false;
        pthread_mutex_unlock(&r->maint_mu);
        struct fy_err err = {0};
        if (reg_store_compact_due(r->store) && reg_store_compact(r->store, &err) != 0)
            fy_log(FY_LOG_ERROR, "registry", "msg=\"store compaction failed\" reason=\"%s\"",
                   err.msg);
        fy_err_destroy(&err);
        pthread_mutex_lock(&r->maint_mu);
    }
    pthread_mutex_unlock(&r->maint_mu);
    return NULL;
}

struct reg_registry *reg_registry_open(const struct reg_registry_opts *opts, struct fy_err *err)
{
    struct reg_registry *r = fy_calloc(1, sizeof *r);
    r->opts = *opts;
    r->data_dir = fy_strdup(opts->data_dir);
    r->group_id = fy_strdup(opts->group_id ? opts->group_id : "schema-registry");
    r->opts.data_dir = r->data_dir;
    r->opts.group_id = r->group_id;
    reg_index_init(&r->idx);
    if (opts->parsed_cache_bytes)
        reg_parsed_cache_set_budget(r->idx.parsed, opts->parsed_cache_bytes);
    pthread_mutex_init(&r->wlock, NULL);
    pthread_mutex_init(&r->maint_mu, NULL);
    pthread_cond_init(&r->maint_cv, NULL);
    pthread_mutex_init(&r->feed_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* timeouts immune to clock steps */
    pthread_cond_init(&r->feed_cv, &ca);
    pthread_condattr_destroy(&ca);

    struct reg_journal_opts jo = {.dir = opts->data_dir, .fsync = opts->fsync,
                                  .compact_min_bytes = opts->compact_min_bytes,
                                  .metrics = opts->metrics};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r->store = reg_journal_open(&jo, err);
    if (!r->store)
        goto fail;
    r->cluster_id = load_cluster_id(opts->data_dir, err);
    if (!r->cluster_id)
        goto fail;
    if (reg_store_replay(r->store, replay_record, r, err) != 0)
        goto fail;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (pthread_create(&r->maint, NULL, maintenance, r) != 0) {
        fy_err_set(err, FY_E_INTERNAL, "cannot start the maintenance thread");
        goto fail;
    }
    r->maint_started = true;
    if (opts->metrics)
        fy_metrics_add_collector(opts->metrics, reg_metrics_collect, r);
    fy_log(FY_LOG_INFO, "registry",
           "msg=\"store replayed\" data_dir=%s records_offset=%lld schemas=%lld contexts=%zu "
           "elapsed_ms=%.1f",
           r->data_dir, (long long)r->idx.applied_offset, (long long)r->idx.n_schemas,
           r->idx.contexts.count,
           (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    return r;
fail:
    reg_registry_close(r);
    return NULL;
}

void reg_registry_close(struct reg_registry *r)
{
    if (!r)
        return;
    if (r->opts.metrics)
        fy_metrics_remove_collector(r->opts.metrics, reg_metrics_collect, r);
    if (r->maint_started) {
        pthread_mutex_lock(&r->maint_mu);
        r->maint_stop = true;
        pthread_cond_signal(&r->maint_cv);
        pthread_mutex_unlock(&r->maint_mu);
        pthread_join(r->maint, NULL);
    }
    pthread_mutex_destroy(&r->maint_mu);
    pthread_cond_destroy(&r->maint_cv);
    reg_store_close(r->store);
    reg_index_destroy(&r->idx);
    pthread_mutex_destroy(&r->wlock);
    pthread_mutex_destroy(&r->feed_mu);
    pthread_cond_destroy(&r->feed_cv);
    free(r->exts); /* prefixes live inside the entries (reg_route.c) */
    free(r->data_dir);
    free(r->group_id);
    free(r->cluster_id);
    free(r);
}

/* Note in `seen` the contexts a hard delete in `w` can take ids away from:
 * a SCHEMA tombstone, a CLEAR_SUBJECT (of a subject, a context or, with no
 * subject, every context) or a CONTEXT tombstone. Locks: idx.lock held. */
static void hard_delete_contexts(const struct reg_index *idx, const struct reg_write *w,
                                 struct fy_map *seen)
{
    struct reg_key k;
    if (reg_key_parse(w->key, strlen(w->key), &k, NULL) != 0)
        return;
    bool tombstone = w->value == NULL;
    if (k.type == REG_KEY_CONTEXT && tombstone && k.context) {
        fy_map_put(seen, k.context, (void *)1);
    } else if ((k.type == REG_KEY_SCHEMA && tombstone && k.subject) ||
               (k.type == REG_KEY_CLEAR_SUBJECT && !tombstone && k.subject && k.subject[0])) {
        struct ctx_subject cs;
        if (ctx_subject_parse(k.subject, &cs, NULL) == 0) {
            fy_map_put(seen, cs.context, (void *)1);
            ctx_subject_destroy(&cs);
        }
    } else if (k.type == REG_KEY_CLEAR_SUBJECT && !tombstone) {
        size_t it = 0;
        const char *name;
        while (fy_map_next(&idx->contexts, &it, &name, NULL))
            fy_map_put(seen, name, (void *)1);
    }
    reg_key_destroy(&k);
}

/* A PURGED_VERSION record for `w` when it is a SCHEMA tombstone (into *out):
 * 1, else 0. */
static size_t purged_record(const struct reg_write *w, struct reg_write *out)
{
    struct reg_key k;
    if (w->value || reg_key_parse(w->key, strlen(w->key), &k, NULL) != 0)
        return 0;
    size_t n = 0;
    if (k.type == REG_KEY_SCHEMA && k.subject) {
        out->key = reg_key_purged_version(k.subject, k.version);
        out->value = reg_value_purged_version(k.subject, k.version);
        n = 1;
    }
    reg_key_destroy(&k);
    return n;
}

/* The batch to append: `recs`, led by an ID_HWM record for each context one
 * of them hard-deletes from, then a PURGED_VERSION record for each version
 * one of them hard-deletes. Compaction keeps a key's latest record only, so
 * once a hard-deleted version's SCHEMA record is gone, the replayed max id
 * could drop and an id be handed out again; the mark, the latest record of
 * its own key, keeps it (docs/internals/journal.md). Likewise a hard-deleted
 * version's number can be handed out again, and the new version's SCHEMA
 * record then replaces the tombstone: PURGED_VERSION keeps the delete in the
 * feed for an exporter behind it (docs/internals/linker.md). Both come first,
 * so a torn batch never holds the delete without them. The entries of `recs`
 * move into the result (their pointers are cleared). **new** array of *n. */
static struct reg_write *with_id_marks(struct reg_registry *r, struct reg_write *recs,
                                       size_t *n)
{
    struct fy_map seen;
    fy_map_init(&seen);
    pthread_rwlock_rdlock(&r->idx.lock);
    for (size_t i = 0; i < *n; i++)
        hard_delete_contexts(&r->idx, &recs[i], &seen);
    struct reg_write *all = fy_calloc(2 * *n + seen.count + 1, sizeof *all);
    size_t m = 0, it = 0;
    const char *context;
    while (fy_map_next(&seen, &it, &context, NULL)) {
        int32_t max_id = reg_index_max_id(&r->idx, context);
        if (max_id <= 0)
            continue;
        all[m].key = reg_key_id_hwm(context);
        all[m].value = reg_value_id_hwm(context, max_id);
        m++;
    }
    pthread_rwlock_unlock(&r->idx.lock);
    fy_map_destroy(&seen);
    for (size_t i = 0; i < *n; i++)
        m += purged_record(&recs[i], &all[m]);
    for (size_t i = 0; i < *n; i++) {
        all[m++] = recs[i];
        recs[i].key = recs[i].value = NULL;
    }
    *n = m;
    return all;
}

int reg_registry_write(struct reg_registry *r, struct reg_write *recs, size_t n, int64_t *offset,
                       struct fy_err *err)
{
    int rc = -1;
    struct reg_write *all = with_id_marks(r, recs, &n);
    struct reg_store_record *srecs = fy_calloc(n, sizeof *srecs);
    for (size_t i = 0; i < n; i++) {
        srecs[i].key = all[i].key;
        srecs[i].klen = strlen(all[i].key);
        srecs[i].value = all[i].value;
        srecs[i].vlen = all[i].value ? strlen(all[i].value) : 0;
    }
    /* store first, then index: memory never holds what the log lacks */
    if (reg_store_append(r->store, srecs, n, offset, err) != 0) {
        fy_log(FY_LOG_ERROR, "registry", "msg=\"store append failed\" reason=\"%s\"",
               err ? err->msg : "");
        goto out;
    }
    pthread_rwlock_wrlock(&r->idx.lock);
    for (size_t i = 0; i < n; i++)
        reg_index_apply(&r->idx, srecs[i].key, srecs[i].klen, srecs[i].value, srecs[i].vlen,
                        srecs[i].offset, srecs[i].ts);
    pthread_rwlock_unlock(&r->idx.lock);
    if (reg_store_compact_due(r->store)) {
        pthread_mutex_lock(&r->maint_mu);
        r->maint_kick = true;
        pthread_cond_signal(&r->maint_cv);
        pthread_mutex_unlock(&r->maint_mu);
    }
    rc = 0;
out:
    for (size_t i = 0; i < n; i++) {
        free(all[i].key);
        free(all[i].value);
    }
    free(all);
    free(srecs);
    return rc;
}

int reg_registry_sync(struct reg_registry *r, int64_t offset, struct fy_err *err)
{
    if (offset < 0)
        return 0;
    if (reg_store_sync(r->store, offset, err) != 0) {
        fy_log(FY_LOG_ERROR, "registry", "msg=\"store sync failed\" reason=\"%s\"",
               err ? err->msg : "");
        return -1;
    }
    /* the records are durable now: wake the change-feed followers. Taking
     * feed_mu orders this after a waiter's check of the durable offset. */
    pthread_mutex_lock(&r->feed_mu);
    pthread_cond_broadcast(&r->feed_cv);
    pthread_mutex_unlock(&r->feed_mu);
    return 0;
}

uint64_t reg_registry_feed_mark(struct reg_registry *r)
{
    pthread_mutex_lock(&r->feed_mu);
    uint64_t mark = r->feed_wakes;
    pthread_mutex_unlock(&r->feed_mu);
    return mark;
}

int reg_registry_feed_wait(struct reg_registry *r, int64_t after, uint64_t mark, int timeout_ms)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    int got = 0;
    pthread_mutex_lock(&r->feed_mu);
    uint64_t wakes = mark;
    for (;;) {
        if (reg_store_durable_offset(r->store) > after) {
            got = 1;
            break;
        }
        if (r->feed_wakes != wakes)
            break;
        if (pthread_cond_timedwait(&r->feed_cv, &r->feed_mu, &deadline) == ETIMEDOUT)
            break;
    }
    pthread_mutex_unlock(&r->feed_mu);
    return got;
}

void reg_registry_feed_wake(struct reg_registry *r)
{
    pthread_mutex_lock(&r->feed_mu);
    r->feed_wakes++;
    pthread_cond_broadcast(&r->feed_cv);
    pthread_mutex_unlock(&r->feed_mu);
}

int reg_registry_unlock_sync(struct reg_registry *r, int rc, int64_t offset, struct fy_err *err)
{
    pthread_mutex_unlock(&r->wlock);
    if (rc == 0 && reg_registry_sync(r, offset, err) != 0)
        rc = -1;
    return rc;
}

int reg_registry_writable(const struct reg_registry *r, const char *context, const char *name,
                          const char *subject, struct fy_err *err)
{
    enum reg_mode m = reg_registry_mode(r, context, name);
    if (m != REG_MODE_READONLY && m != REG_MODE_READONLY_OVERRIDE)
        return 0;
    return fy_err_set(err, REG_E_OPERATION_NOT_PERMITTED,
                      "Subject %s in context :%s: is in read-only mode", subject, context);
}

char *reg_qualify_with_parent(const char *context, const char *subject)
{
    struct ctx_subject as;
    if (!subject || !subject[0] || ctx_subject_parse(subject, &as, NULL) != 0)
        return NULL;
    char *out = ctx_subject_format(ctx_is_default(as.context) ? context : as.context, as.name);
    ctx_subject_destroy(&as);
    return out;
}

char *reg_registry_scope(const char *context, const char *name)
{
    /* the default context's own config/mode is the top-level record (subject null) */
    if (ctx_is_default(context) && !name[0])
        return fy_strdup("");
    return ctx_subject_format(context, name);
}

size_t reg_registry_scope_chain(const char *context, const char *name,
                                char *out[REG_SCOPE_CHAIN_MAX])
{
    size_t n = 0;
    if (name[0])
        out[n++] = reg_registry_scope(context, name);
    out[n++] = reg_registry_scope(context, ""); /* "" (top level) for the default context */
    out[n++] = reg_registry_scope(CTX_GLOBAL, "");
    return n;
}

static void scope_chain_free(char *scopes[], size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(scopes[i]);
}

/* InMemoryCache.config(subject, true, default) as AbstractSchemaRegistry
 * .getConfigInScope uses it (Confluent 8.2+): a subject's own record wins and
 * lacks nothing the top-level record has (Config.mergeConfigs); without one,
 * the first record further up the chain answers whole. Returns the field
 * (borrowed from the index) or NULL for the server default. */
json_t *reg_registry_config_field(const struct reg_registry *r, const char *context,
                                  const char *name, const char *field)
{
    char *scopes[REG_SCOPE_CHAIN_MAX];
    size_t n = reg_registry_scope_chain(context, name, scopes);
    size_t first = 0;
    json_t *found = NULL;
    if (name[0]) {
        first = 1;
        json_t *own = reg_index_config(&r->idx, scopes[0]);
        if (own) {
            found = json_object_get(own, field);
            if (!found || json_is_null(found)) {
                json_t *top = reg_index_config(&r->idx, "");
                found = top ? json_object_get(top, field) : NULL;
            }
            first = n;
        }
    }
    json_t *cfg = NULL;
    for (size_t i = first; i < n && !cfg; i++)
        cfg = reg_index_config(&r->idx, scopes[i]);
    if (cfg)
        found = json_object_get(cfg, field);
    scope_chain_free(scopes, n);
    return found && !json_is_null(found) ? found : NULL;
}

enum reg_compat_level reg_registry_level(const struct reg_registry *r, const char *context,
                                         const char *name)
{
    json_t *v = reg_registry_config_field(r, context, name, "compatibilityLevel");
    enum reg_compat_level level;
    if (v && json_is_string(v) && reg_compat_level_parse(json_string_value(v), &level) == 0)
        return level;
    return r->opts.default_level;
}

/* InMemoryCache.mode(subject, true, default) (Confluent 8.2+): the first MODE
 * record up the chain. A top-level READONLY_OVERRIDE no longer overrides
 * lower levels (8.0/8.1 did; 8.2 made :.__GLOBAL: READONLY the way to freeze
 * everything not set otherwise). */
enum reg_mode reg_registry_mode(const struct reg_registry *r, const char *context,
                                const char *name)
{
    enum reg_mode m;
    char *scopes[REG_SCOPE_CHAIN_MAX];
    size_t n = reg_registry_scope_chain(context, name, scopes);
    bool found = false;
    for (size_t i = 0; i < n && !found; i++)
        found = reg_index_mode(&r->idx, scopes[i], &m);
    scope_chain_free(scopes, n);
    return found ? m : r->opts.default_mode;
}

int reg_version_parse(const char *s, int32_t *out, struct fy_err *err)
{
    /* Confluent VersionId: "latest" (case-insensitive, trimmed) or -1 mean
     * latest; otherwise an integer in [1, 2^31-1] */
    const char *p = s;
    while (isspace((unsigned char)*p))
        p++;
    size_t len = strlen(p);
    while (len > 0 && isspace((unsigned char)p[len - 1]))
        len--;
    if (len == 6 && strncasecmp(p, "latest", 6) == 0) {
        *out = -1;
        return 0;
    }
    char buf[32];
    if (len > 0 && len < sizeof buf) {
        memcpy(buf, p, len);
        buf[len] = '\0';
        char *end;
        errno = 0;
        long long v = strtoll(buf, &end, 10);
        if (errno == 0 && *end == '\0' && (v == -1 || (v >= 1 && v <= INT_MAX))) {
            *out = (int32_t)v;
            return 0;
        }
    }
    return fy_err_set(err, REG_E_INVALID_VERSION,
                      "The specified version '%s' is not a valid version id. Allowed values are "
                      "between [1, 2^31-1] and the string \"latest\"",
                      s);
}
