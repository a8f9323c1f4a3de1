/* SPDX-License-Identifier: Apache-2.0
 * reg_index: the registry's in-memory state, rebuilt from the store's records
 * and only ever changed by applying a record (replay and live writes take the
 * same path, so memory and disk cannot disagree). Contexts hold subjects and
 * an id space each; subjects hold versions; a version points at the shared
 * schema of its (context, id). Config and mode are kept per scope.
 *
 * Locking: `lock` is a writer-preferring rwlock. Readers hold it shared while
 * they look things up and copy what they need into their response; the
 * registry's writer path applies records holding it exclusively. Everything
 * reachable from the index is valid only while the lock is held.
 * Thread: MHD pool threads (readers), the registry writer path (apply). */
#ifndef REG_INDEX_H
#define REG_INDEX_H

#include "common/fy_err.h"
#include "common/fy_map.h"
#include "registry/reg_guid.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reg_parsed_cache;

enum reg_mode { REG_MODE_READWRITE, REG_MODE_READONLY, REG_MODE_READONLY_OVERRIDE, REG_MODE_IMPORT };

/* A `?format=` text of a schema kept with it (reg_registry_formatted). */
struct reg_format_memo {
    const void *format;           /* the type's format entry it is for */
    char *text;
    struct reg_format_memo *next;
};

/* One schema of one context's id space. Shared by every version that uses it. */
struct reg_schema {
    int32_t id;
    struct reg_context *ctx; /* borrowed: the owning context */
    char *schema;            /* stored (canonical) text */
    char *schema_type;       /* "AVRO", "JSON", "PROTOBUF" */
    char *references;        /* compact JSON array text, NULL when none */
    char *metadata;          /* compact JSON object text, NULL when none */
    char *rule_set;          /* compact JSON object text, NULL when none */
    char *identity;          /* dedupe key: text + references + metadata + ruleSet (+ type) */
    uint64_t identity_hash;  /* reg_schema_identity_hash(identity) */
    /* Confluent 8.x's content guid (reg_guid.h), derived from the fields
     * above on first use (reg_schema_guid): guid_text is valid once
     * guid_state is 2 (0 not yet, 1 being written) */
    char guid_text[REG_GUID_LEN];
    _Atomic int guid_state;
    int n_versions;          /* versions (live or soft-deleted) that use it */
    /* the next schema of this context with the same identity (a chain headed
     * by ctx->identities; IMPORT can give one identity several ids) */
    struct reg_schema *same_next;
    /* formatted texts already made (only for schemas without references, whose
     * formatted text cannot change): pushed with compare-and-swap by readers
     * holding idx.lock shared, freed with the schema */
    _Atomic(struct reg_format_memo *) format_memo;
};

struct reg_version {
    int32_t version;
    bool deleted;            /* soft-deleted */
    struct reg_schema *schema;
    int64_t offset;          /* store offset of the record that wrote it */
    int64_t ts;              /* ms */
    int64_t deleted_ts;      /* ms of the record that soft-deleted it; 0 while live */
};

struct reg_subject {
    char *qname;             /* qualified text: "s" or ":.ctx:s" */
    char *name;              /* inside its context */
    struct reg_context *ctx; /* borrowed */
    struct reg_version **versions; /* ascending by version */
    size_t n_versions;
    size_t cap;
    /* identity hash (8 bytes) -> number of versions whose schema has it, as
     * an intptr_t; NULL until the subject has REG_SUBJECT_HASHED_MIN versions
     * (below that a scan is as cheap, and most subjects stay small) */
    struct fy_map *identity_counts;
};

#define REG_SUBJECT_HASHED_MIN 16

struct reg_context {
    char *name;              /* "." or ".ctx" */
    struct fy_map subjects;  /* name -> struct reg_subject */
    struct fy_map ids;       /* int64 id -> struct reg_schema */
    struct fy_map identities;/* identity -> struct reg_schema (lowest id first seen),
                              * the head of its same_next chain */
    int32_t max_id;          /* highest id ever seen in this context, including the
                              * durable high-water mark (ID_HWM records) */
    bool recorded;           /* a CONTEXT record exists */
};

/* A subject-version removed from memory (hard-deleted), remembered for
 * REG_GHOST_KEEP_MS so a reader paging through GET /schemas by offset never
 * skips a version when one before its offset goes away: the removed entry
 * keeps its place for that long (reg_handlers_read.c). Replay rebuilds the
 * ghosts of the tombstones it applies. */
struct reg_ghost {
    char *context;           /* ".", ".ctx" */
    char *name;              /* inside its context */
    char *qname;             /* qualified */
    int32_t version;
    int64_t ts;              /* ms, of the record that removed it */
};

#define REG_GHOST_KEEP_MS (5 * 60 * 1000) /* longer than any one read of every page */
#define REG_GHOST_MAX 100000               /* and at most this many */

struct reg_index {
    pthread_rwlock_t lock;
    struct fy_map contexts;  /* name -> struct reg_context */
    struct fy_map configs;   /* scope ("" top level, ":.ctx:", subject) -> json_t object */
    struct fy_map modes;     /* scope -> (enum reg_mode + 1) as pointer */
    struct fy_map referrers; /* "qsubject\nversion" -> struct reg_refs */
    /* context name -> highest ID_HWM value seen, as an intptr_t; outlives a
     * deleted context, so a context created again never restarts its ids */
    struct fy_map id_hwm;
    struct reg_ghost *ghosts;/* oldest first */
    size_t n_ghosts, cap_ghosts;
    int64_t apply_ts;        /* ts of the record being applied */
    int64_t applied_offset;  /* last record applied, -1 initially */
    int64_t n_schemas;       /* live (context, id) entries */
    /* parsed models of stored schemas (reg_parsed_cache.h): owned; applying a
     * record drops the entries it makes stale. Has its own (leaf) mutex. */
    struct reg_parsed_cache *parsed;
};

/* Referrers of one subject-version: schemas (in any context) whose references name it. */
struct reg_refs {
    struct reg_schema **items;
    size_t n;
    size_t cap;
};

void reg_index_init(struct reg_index *idx);
void reg_index_destroy(struct reg_index *idx);

/* Apply one store record (key/value JSON of sr-api §12; value NULL = tombstone).
 * Unknown key types and malformed records are logged and skipped (a log that
 * Confluent or Karapace wrote must still load), so this only fails on a
 * broken invariant. Locks: caller holds idx->lock exclusively. */
void reg_index_apply(struct reg_index *idx, const char *key, size_t klen, const char *value,
                     size_t vlen, int64_t offset, int64_t ts);

/* Lookups. All return borrowed pointers valid while idx->lock is held, or NULL. */
struct reg_context *reg_index_context(const struct reg_index *idx, const char *context);
struct reg_subject *reg_index_subject(const struct reg_index *idx, const char *context,
                                      const char *name);
struct reg_schema *reg_index_schema(const struct reg_index *idx, const char *context, int32_t id);
/* The highest id ever used in `context` (0 when none): the live schemas, every
 * SCHEMA record replayed, and the durable high-water mark, which survives hard
 * deletes and compaction. A new id is always above it. */
int32_t reg_index_max_id(const struct reg_index *idx, const char *context);
/* The contexts other than the default one, sorted by name (the order of
 * Confluent's allContexts(), a sorted store range, in which a bare subject is
 * looked for in other contexts): **new** array of borrowed pointers, *n of
 * them. Locks: idx.lock held. */
struct reg_context **reg_index_named_contexts(const struct reg_index *idx, size_t *n);
/* The version entry with this number (live or soft-deleted), or NULL. */
struct reg_version *reg_subject_version(const struct reg_subject *sub, int32_t version);
/* Highest live version, or NULL. */
struct reg_version *reg_subject_latest(const struct reg_subject *sub);
/* true when the subject has at least one live version */
bool reg_subject_live(const struct reg_subject *sub);
/* The newest live version of `sub` whose schema has this identity (see
 * reg_schema_identity) and, when `id` >= 0, this id; or NULL. A subject with
 * many versions answers "none" from a hash table without looking at them (the
 * common case when registering a new version); otherwise only versions whose
 * identity hash matches are compared. Locks: idx.lock held (or the writer's
 * wlock, under which the index cannot change). */
struct reg_version *reg_subject_find_identity(const struct reg_subject *sub, const char *identity,
                                              int32_t id);
/* Referrers of (qualified subject, version), or NULL. */
const struct reg_refs *reg_index_referrers(const struct reg_index *idx, const char *qsubject,
                                           int32_t version);

/* Stored config object of a scope ("" = top level), or NULL. Borrowed. */
json_t *reg_index_config(const struct reg_index *idx, const char *scope);
/* Stored mode of a scope: true and *out, or false when none. */
bool reg_index_mode(const struct reg_index *idx, const char *scope, enum reg_mode *out);

const char *reg_mode_name(enum reg_mode mode);
/* Case-insensitive: 0, or -1 when unknown. */
int reg_mode_parse(const char *s, enum reg_mode *out);

/* The guid of `sc`: its cached text, or computed into `buf` (and cached for
 * the next reader) the first time. Readers may race; each gets the same
 * text. Locks: idx.lock held (shared is enough). */
const char *reg_schema_guid(const struct reg_schema *sc, char buf[REG_GUID_LEN]);

/* The identity (dedupe key) of a schema of schemaType `type` (NULL = AVRO):
 * **new** string. */
char *reg_schema_identity(const char *type, const char *schema, const char *references,
                          const char *metadata, const char *rule_set);
/* The hash of an identity string kept in reg_schema.identity_hash. */
uint64_t reg_schema_identity_hash(const char *identity);

#endif
