/* SPDX-License-Identifier: Apache-2.0
 * reg_registry: the registry service — owns the store and the index, and is
 * the one writer path: every change is validated, turned into `_schemas`
 * records, appended to the store, applied to the index, and acknowledged
 * only after the store says it is durable (group commit, reg_store.h).
 * Operations that change state live here and in reg_register.c; read-only
 * endpoints read the index directly under its read lock (reg_handlers.c).
 * Thread: MHD pool threads call everything; writes serialise on `wlock`,
 * which is never held across the fsync wait. */
#ifndef REG_REGISTRY_H
#define REG_REGISTRY_H

#include "common/fy_buf.h"
#include "common/fy_err.h"
#include "registry/reg_avro.h"
#include "registry/reg_compat.h"
#include "registry/reg_index.h"
#include "registry/reg_store.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>

struct reg_route_ext; /* reg_route.c */

struct reg_registry_opts {
    const char *data_dir;
    bool fsync;                          /* false only for tests/benchmarks that say so */
    enum reg_compat_level default_level; /* schema.compatibility.level */
    enum reg_mode default_mode;          /* mode at startup when none is stored */
    bool mode_mutability;                /* mode.mutability */
    const char *group_id;                /* schema.registry.group.id */
    int64_t compact_min_bytes;           /* compact the store past this size (0 = default) */
    size_t parsed_cache_bytes;           /* parsed-schema cache budget (0 = default 64 MiB) */
    struct fy_metrics *metrics;          /* borrowed, may be NULL: the registry's and the
                                          * store's metrics are published there */
};

struct reg_registry {
    struct reg_registry_opts opts;
    char *data_dir;
    char *group_id;
    char *cluster_id;      /* stable id of this registry's data (data_dir/cluster.id) */
    struct reg_store *store;
    struct reg_index idx;
    pthread_mutex_t wlock; /* the writer path: one state change at a time */
    /* maintenance thread: compacts the store when writes have made it worth it */
    pthread_t maint;
    bool maint_started;
    pthread_mutex_t maint_mu;
    pthread_cond_t maint_cv;
    bool maint_kick, maint_stop;
    /* change feed wake-ups (reg_registry_feed_wait): broadcast whenever records
     * become durable or reg_registry_feed_wake() is called */
    pthread_mutex_t feed_mu;
    pthread_cond_t feed_cv;
    uint64_t feed_wakes;   /* bumped by reg_registry_feed_wake; under feed_mu */
    /* REST extensions (reg_route_add_extension); set up before serving */
    struct reg_route_ext *exts;
    size_t n_exts;
};

/* Open the store in opts->data_dir, replay it into a fresh index. NULL with err on failure. */
struct reg_registry *reg_registry_open(const struct reg_registry_opts *opts, struct fy_err *err);
void reg_registry_close(struct reg_registry *r);

/* A record to write: key and value (NULL = tombstone) are **new** strings the
 * writer frees. */
struct reg_write {
    char *key;
    char *value;
};

/* Append `n` records, apply them to the index and return the last offset in
 * *offset (not yet durable). A batch that hard-deletes (a SCHEMA tombstone,
 * CLEAR_SUBJECT, a CONTEXT tombstone) is led by an ID_HWM record for each
 * context it touches, so no compaction can make an id be handed out again
 * (docs/internals/journal.md). Locks: caller holds r->wlock; takes idx.lock
 * (shared, then exclusively) inside. Frees the records' strings in every case. */
int reg_registry_write(struct reg_registry *r, struct reg_write *recs, size_t n, int64_t *offset,
                       struct fy_err *err);
/* Wait until `offset` is durable. Locks: none held (this may wait for an fsync). */
int reg_registry_sync(struct reg_registry *r, int64_t offset, struct fy_err *err);
/* End a write made under r->wlock: unlock it, then, when `rc` is 0, wait for
 * `offset` to be durable — a write is acknowledged only once it is. Returns
 * the final result (0, or -1 with err). Locks: r->wlock held; released. */
int reg_registry_unlock_sync(struct reg_registry *r, int rc, int64_t offset, struct fy_err *err);
/* 0 when (context, name) may be changed; -1 with 42205 `Subject <subject> in
 * context :<ctx>: is in read-only mode` when its effective mode is READONLY or
 * READONLY_OVERRIDE. `subject` is the name as the client wrote it.
 * Locks: r->wlock or idx.lock held. */
int reg_registry_writable(const struct reg_registry *r, const char *context, const char *name,
                          const char *subject, struct fy_err *err);

/* The feed's wake-up count now. A follower takes it BEFORE it looks at its
 * own control state (stop, pause, config), and passes it to the wait: a wake
 * that happens in between then ends the wait at once instead of being lost. */
uint64_t reg_registry_feed_mark(struct reg_registry *r);

/* The change feed's wait (style S6.5: no polling): block until a record
 * with offset > `after` is durable (1), until reg_registry_feed_wake() has
 * been called since `mark` (from reg_registry_feed_mark) or `timeout_ms`
 * passes (0). Followers then read the new records with
 * reg_store_read_from(r->store, after + 1, ...). Every successful
 * reg_registry_sync() wakes the waiters. Locks: none held. Thread: any
 * (link workers). */
int reg_registry_feed_wait(struct reg_registry *r, int64_t after, uint64_t mark, int timeout_ms);
/* Wake every reg_registry_feed_wait() caller now (control changes, shutdown).
 * Locks: none held. Thread: any. */
void reg_registry_feed_wake(struct reg_registry *r);

/* Effective compatibility level and mode of a subject (context, name; name ""
 * = the context itself), as Confluent 8.2+: subject -> its named context, or
 * the top level for the default context -> :.__GLOBAL: -> server default
 * (the top level does not reach named contexts).
 * Locks: idx.lock held (shared is enough) or r->wlock. */
enum reg_compat_level reg_registry_level(const struct reg_registry *r, const char *context,
                                         const char *name);
enum reg_mode reg_registry_mode(const struct reg_registry *r, const char *context,
                                const char *name);
/* The scopes whose CONFIG/MODE records decide (context, name), most specific
 * first, as Confluent 8.2+: the subject (when name is not ""), its named
 * context or, for the default context, the top level (""), then
 * :.__GLOBAL:. Returns how many were written to `out`; each is **new**. */
#define REG_SCOPE_CHAIN_MAX 3
size_t reg_registry_scope_chain(const char *context, const char *name,
                                char *out[REG_SCOPE_CHAIN_MAX]);
/* One field of the config in scope for (context, name) by the same chain
 * (a subject's own record over the top level's; else its context's or the
 * top level's, else :.__GLOBAL:'s): borrowed from the index (valid while the
 * lock is held), NULL when unset. Locks: idx.lock or r->wlock. */
json_t *reg_registry_config_field(const struct reg_registry *r, const char *context,
                                  const char *name, const char *field);
/* The scope key of (context, name) in the index's config/mode maps. **new**. */
char *reg_registry_scope(const char *context, const char *name);

/* --- schema operations (reg_register.c) --- */

/* POST /subjects/{s}/versions: Confluent's register algorithm (sr-api §5).
 * On success appends the response body ({"id":N}) to `out`. */
int reg_registry_register(struct reg_registry *r, const char *subject, json_t *body,
                          bool normalize, struct fy_buf *out, struct fy_err *err);
/* POST /subjects/{s}: lookup; appends the Schema obj. */
int reg_registry_lookup(struct reg_registry *r, const char *subject, json_t *body, bool normalize,
                        bool deleted, struct fy_buf *out, struct fy_err *err);
/* POST /compatibility/subjects/{s}/versions[/{v}]; `version` NULL = the
 * register check against all live versions. Appends {"is_compatible":..}. */
int reg_registry_check(struct reg_registry *r, const char *subject, const char *version,
                       json_t *body, bool normalize, bool verbose, struct fy_buf *out,
                       struct fy_err *err);

/* Append the Schema obj of sr-api §3 for (sub, v): subject, version, id,
 * schemaType (omitted for AVRO, as Confluent <= 7.9), references, metadata,
 * ruleSet, schema. Locks: idx.lock held. */
void reg_put_schema_obj(struct fy_buf *out, const struct reg_subject *sub,
                        const struct reg_version *v);

/* The `?format=` text of a stored schema, as its schema type writes it
 * (reg_schema_type.h formats: Avro's "resolved" inlines the references).
 * **new** string; NULL when the type has no such format (or it reads the
 * same for this schema: the stored text is the answer), or with err when the
 * schema no longer parses. Locks: idx.lock held. */
char *reg_registry_formatted(struct reg_registry *r, const struct reg_schema *sc,
                             const char *format, struct fy_err *err);

/* Append `,"references":..,"metadata":..,"ruleSet":..` for those `sc` has
 * (each omitted when empty, as Jackson NON_EMPTY). Locks: idx.lock held. */
void reg_put_schema_extras(struct fy_buf *out, const struct reg_schema *sc);

/* Parse a version path parameter: "latest" (any case, trimmed) and -1 give
 * -1; 1..2^31-1 the number; anything else -1 with 42202. */
int reg_version_parse(const char *s, int32_t *out, struct fy_err *err);

#endif
