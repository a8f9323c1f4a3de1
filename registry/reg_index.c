/* SPDX-License-Identifier: Apache-2.0
 * reg_index: in-memory registry state built by applying store records (see
 * reg_index.h). Mirrors Confluent's InMemoryCache + KafkaStoreMessageHandler:
 * later records for a key replace earlier ones, a null value deletes, an id
 * that already names a different schema in its context is refused. */
#define _GNU_SOURCE /* pthread_rwlockattr_setkind_np: writers must not starve under read load */
#include "registry/reg_index.h"

#include "common/fy_alloc.h"
#include "common/fy_jscan.h"
#include "common/fy_log.h"
#include "contexts/ctx_name.h"
#include "registry/reg_parsed_cache.h"
#include "registry/reg_records.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const mode_names[] = {"READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"};

const char *reg_mode_name(enum reg_mode mode)
{
    return mode_names[mode];
}

int reg_mode_parse(const char *s, enum reg_mode *out)
{
    for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++)
        if (strcasecmp(s, mode_names[i]) == 0) {
            *out = (enum reg_mode)i;
            return 0;
        }
    return -1;
}

char *reg_schema_identity(const char *type, const char *schema, const char *references,
                          const char *metadata, const char *rule_set)
{
    /* \x01 cannot occur unescaped in JSON text, so the parts cannot run into
     * each other. Built with memcpy: replay makes one per schema. The type
     * is a part only when not AVRO, so Avro identities are what they were. */
    bool typed = type && strcmp(type, "AVRO") != 0;
    int n = typed ? 5 : 4;
    const char *parts[5] = {schema, references ? references : "", metadata ? metadata : "",
                            rule_set ? rule_set : "", typed ? type : ""};
    size_t lens[5], total = (size_t)n;
    for (int i = 0; i < n; i++) {
        lens[i] = strlen(parts[i]);
        total += lens[i];
    }
    char *id = fy_malloc(total);
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        memcpy(id + o, parts[i], lens[i]);
        o += lens[i];
        id[o++] = i < n - 1 ? '\x01' : '\0';
    }
    return id;
}

uint64_t reg_schema_identity_hash(const char *identity)
{
    /* computed for every schema at replay: eight bytes a step, not one (any
     * well-mixed hash will do, it never leaves the process) */
    const unsigned char *p = (const unsigned char *)identity;
    size_t len = strlen(identity);
    uint64_t h = 0x9E3779B97F4A7C15ull ^ len;
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = (h ^ w) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
    }
    uint64_t w = 0;
    memcpy(&w, p, len);
    h = (h ^ w) * 0xC4CEB9FE1A85EC53ull;
    return h ^ (h >> 29);
}

void reg_index_init(struct reg_index *idx)
{
    memset(idx, 0, sizeof *idx);
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&idx->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    fy_map_init(&idx->contexts);
    fy_map_init(&idx->configs);
    fy_map_init(&idx->modes);
    fy_map_init(&idx->referrers);
    fy_map_init(&idx->id_hwm);
    idx->applied_offset = -1;
    idx->parsed = reg_parsed_cache_new(REG_PARSED_CACHE_DEFAULT_BYTES);
}

static void schema_free(struct reg_schema *sc)
{
    if (!sc)
        return;
    free(sc->schema);
    free(sc->schema_type);
    free(sc->references);
    free(sc->metadata);
    free(sc->rule_set);
    free(sc->identity);
    for (struct reg_format_memo *m = atomic_load(&sc->format_memo), *next; m; m = next) {
        next = m->next;
        free(m->text);
        free(m);
    }
    free(sc);
}

static void subject_free(struct reg_subject *sub)
{
    for (size_t i = 0; i < sub->n_versions; i++)
        free(sub->versions[i]);
    free(sub->versions);
    if (sub->identity_counts) {
        fy_map_destroy(sub->identity_counts);
        free(sub->identity_counts);
    }
    free(sub->qname);
    free(sub->name);
    free(sub);
}

static void context_free(struct reg_context *c)
{
    size_t it = 0;
    void *v;
    while (fy_map_next(&c->subjects, &it, NULL, &v))
        subject_free(v);
    it = 0;
    while (fy_map_next(&c->ids, &it, NULL, &v))
        schema_free(v);
    fy_map_destroy(&c->subjects);
    fy_map_destroy(&c->ids);
    fy_map_destroy(&c->identities);
    free(c->name);
    free(c);
}

static void ghost_destroy(struct reg_ghost *g)
{
    free(g->context);
    free(g->name);
    free(g->qname);
}

/* Remember that version `v` of `sub` left memory (see struct reg_ghost); the
 * oldest ghosts go once they are older than REG_GHOST_KEEP_MS or too many. */
static void ghost_add(struct reg_index *idx, const struct reg_subject *sub, int32_t version)
{
    int64_t ts = idx->apply_ts;
    size_t drop = 0;
    while (drop < idx->n_ghosts && (idx->ghosts[drop].ts < ts - REG_GHOST_KEEP_MS ||
                                    idx->n_ghosts - drop >= REG_GHOST_MAX))
        ghost_destroy(&idx->ghosts[drop++]);
    if (drop) {
        idx->n_ghosts -= drop;
        memmove(idx->ghosts, idx->ghosts + drop, idx->n_ghosts * sizeof *idx->ghosts);
    }
    if (idx->n_ghosts == idx->cap_ghosts) {
        idx->cap_ghosts = idx->cap_ghosts ? idx->cap_ghosts * 2 : 16;
        idx->ghosts = fy_realloc(idx->ghosts, idx->cap_ghosts * sizeof *idx->ghosts);
    }
    struct reg_ghost *g = &idx->ghosts[idx->n_ghosts++];
    g->context = fy_strdup(sub->ctx->name);
    g->name = fy_strdup(sub->name);
    g->qname = fy_strdup(sub->qname);
    g->version = version;
    g->ts = ts;
}

void reg_index_destroy(struct reg_index *idx)
{
    size_t it = 0;
    void *v;
    while (fy_map_next(&idx->contexts, &it, NULL, &v))
        context_free(v);
    it = 0;
    while (fy_map_next(&idx->configs, &it, NULL, &v))
        json_decref(v);
    it = 0;
    while (fy_map_next(&idx->referrers, &it, NULL, &v)) {
        struct reg_refs *r = v;
        free(r->items);
        free(r);
    }
    fy_map_destroy(&idx->contexts);
    fy_map_destroy(&idx->configs);
    fy_map_destroy(&idx->modes);
    fy_map_destroy(&idx->referrers);
    fy_map_destroy(&idx->id_hwm);
    for (size_t i = 0; i < idx->n_ghosts; i++)
        ghost_destroy(&idx->ghosts[i]);
    free(idx->ghosts);
    reg_parsed_cache_free(idx->parsed);
    idx->parsed = NULL;
    pthread_rwlock_destroy(&idx->lock);
}

struct reg_context *reg_index_context(const struct reg_index *idx, const char *context)
{
    return fy_map_get(&idx->contexts, context);
}

static struct reg_context *context_get_or_create(struct reg_index *idx, const char *context)
{
    struct reg_context *c = fy_map_get(&idx->contexts, context);
    if (c)
        return c;
    c = fy_calloc(1, sizeof *c);
    c->name = fy_strdup(context);
    fy_map_init(&c->subjects);
    fy_map_init(&c->ids);
    fy_map_init(&c->identities);
    c->max_id = (int32_t)(intptr_t)fy_map_get(&idx->id_hwm, context);
    fy_map_put(&idx->contexts, context, c);
    return c;
}

int32_t reg_index_max_id(const struct reg_index *idx, const char *context)
{
    const struct reg_context *c = fy_map_get(&idx->contexts, context);
    if (c)
        return c->max_id;
    return (int32_t)(intptr_t)fy_map_get(&idx->id_hwm, context);
}

/* ID_HWM: max_id = max(max_id, mark), for the context now and for any later
 * incarnation of it (the mark outlives DELETE /contexts). */
static void apply_id_hwm(struct reg_index *idx, const char *context, const char *value,
                         size_t vlen, int64_t offset)
{
    int32_t mark;
    if (!context || !value || reg_value_id_hwm_parse(value, vlen, &mark) != 0) {
        fy_log(FY_LOG_WARN, "registry", "msg=\"skipping malformed ID_HWM record\" offset=%lld",
               (long long)offset);
        return;
    }
    if (mark > (int32_t)(intptr_t)fy_map_get(&idx->id_hwm, context))
        fy_map_put(&idx->id_hwm, context, (void *)(intptr_t)mark);
    struct reg_context *c = fy_map_get(&idx->contexts, context);
    if (c && mark > c->max_id)
        c->max_id = mark;
}

/* ---- identities: ctx->identities maps each identity to the head of a chain
 * (reg_schema.same_next) of the context's schemas that have it ---- */

static void identity_link(struct reg_context *c, struct reg_schema *sc)
{
    struct reg_schema *head = fy_map_get(&c->identities, sc->identity);
    if (!head) {
        fy_map_put(&c->identities, sc->identity, sc);
        return;
    }
    while (head->same_next)
        head = head->same_next;
    head->same_next = sc;
}

/* `sc` is going away: the next schema with its identity (if any) takes its place. */
static void identity_unlink(struct reg_context *c, struct reg_schema *sc)
{
    struct reg_schema *head = fy_map_get(&c->identities, sc->identity);
    if (head == sc) {
        if (sc->same_next)
            fy_map_put(&c->identities, sc->identity, sc->same_next);
        else
            fy_map_del(&c->identities, sc->identity);
    } else {
        for (struct reg_schema *p = head; p; p = p->same_next)
            if (p->same_next == sc) {
                p->same_next = sc->same_next;
                break;
            }
    }
    sc->same_next = NULL;
}

struct reg_subject *reg_index_subject(const struct reg_index *idx, const char *context,
                                      const char *name)
{
    struct reg_context *c = fy_map_get(&idx->contexts, context);
    return c ? fy_map_get(&c->subjects, name) : NULL;
}

struct reg_schema *reg_index_schema(const struct reg_index *idx, const char *context, int32_t id)
{
    struct reg_context *c = fy_map_get(&idx->contexts, context);
    return c ? fy_map_geti(&c->ids, id) : NULL;
}

const char *reg_schema_guid(const struct reg_schema *sc, char buf[REG_GUID_LEN])
{
    /* the cache is not part of what the schema is: writing it through a
     * const pointer is how readers under the shared lock fill it */
    struct reg_schema *m = (struct reg_schema *)sc;
    if (atomic_load_explicit(&m->guid_state, memory_order_acquire) == 2)
        return m->guid_text;
    reg_guid(sc->schema, sc->references, sc->metadata, sc->rule_set, buf);
    int expect = 0;
    if (atomic_compare_exchange_strong_explicit(&m->guid_state, &expect, 1,
                                                memory_order_acq_rel, memory_order_acquire)) {
        memcpy(m->guid_text, buf, REG_GUID_LEN);
        atomic_store_explicit(&m->guid_state, 2, memory_order_release);
    }
    return buf;
}

static int cmp_context_name(const void *a, const void *b)
{
    return strcmp((*(struct reg_context *const *)a)->name, (*(struct reg_context *const *)b)->name);
}

struct reg_context **reg_index_named_contexts(const struct reg_index *idx, size_t *n)
{
    struct reg_context **cs = fy_malloc((idx->contexts.count + 1) * sizeof *cs);
    size_t m = 0, it = 0;
    void *cv;
    while (fy_map_next(&idx->contexts, &it, NULL, &cv))
        if (!ctx_is_default(((struct reg_context *)cv)->name))
            cs[m++] = cv;
    qsort(cs, m, sizeof *cs, cmp_context_name);
    *n = m;
    return cs;
}

struct reg_version *reg_subject_version(const struct reg_subject *sub, int32_t version)
{
    size_t lo = 0, hi = sub->n_versions;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int32_t v = sub->versions[mid]->version;
        if (v == version)
            return sub->versions[mid];
        if (v < version)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

struct reg_version *reg_subject_latest(const struct reg_subject *sub)
{
    for (size_t i = sub->n_versions; i-- > 0;)
        if (!sub->versions[i]->deleted)
            return sub->versions[i];
    return NULL;
}

bool reg_subject_live(const struct reg_subject *sub)
{
    return reg_subject_latest(sub) != NULL;
}

/* ---- per-subject identity counts (reg_subject.identity_counts) ---- */

static void identity_count_add(struct reg_subject *sub, const struct reg_schema *sc, int delta)
{
    if (!sub->identity_counts)
        return;
    uint64_t h = sc->identity_hash;
    intptr_t n = (intptr_t)fy_map_getn(sub->identity_counts, &h, sizeof h) + delta;
    if (n > 0)
        fy_map_putn(sub->identity_counts, &h, sizeof h, (void *)n);
    else
        fy_map_deln(sub->identity_counts, &h, sizeof h);
}

/* Start counting once the subject is big enough for a scan to cost something. */
static void identity_counts_build(struct reg_subject *sub)
{
    if (sub->identity_counts || sub->n_versions < REG_SUBJECT_HASHED_MIN)
        return;
    sub->identity_counts = fy_calloc(1, sizeof *sub->identity_counts);
    fy_map_init(sub->identity_counts);
    for (size_t i = 0; i < sub->n_versions; i++)
        identity_count_add(sub, sub->versions[i]->schema, 1);
}

struct reg_version *reg_subject_find_identity(const struct reg_subject *sub, const char *identity,
                                              int32_t id)
{
    uint64_t h = reg_schema_identity_hash(identity);
    if (sub->identity_counts && !fy_map_getn(sub->identity_counts, &h, sizeof h))
        return NULL;
    for (size_t i = sub->n_versions; i-- > 0;) {
        const struct reg_version *v = sub->versions[i];
        const struct reg_schema *sc = v->schema;
        if (v->deleted || sc->identity_hash != h || strcmp(sc->identity, identity) != 0)
            continue;
        if (id >= 0 && sc->id != id)
            continue;
        return sub->versions[i];
    }
    return NULL;
}

static char *refs_key(const char *qsubject, int32_t version)
{
    return fy_asprintf("%s\n%d", qsubject, (int)version);
}

const struct reg_refs *reg_index_referrers(const struct reg_index *idx, const char *qsubject,
                                           int32_t version)
{
    char *k = refs_key(qsubject, version);
    const struct reg_refs *r = fy_map_get(&idx->referrers, k);
    free(k);
    return r;
}

json_t *reg_index_config(const struct reg_index *idx, const char *scope)
{
    return fy_map_get(&idx->configs, scope);
}

bool reg_index_mode(const struct reg_index *idx, const char *scope, enum reg_mode *out)
{
    void *v = fy_map_get(&idx->modes, scope);
    if (!v)
        return false;
    *out = (enum reg_mode)((intptr_t)v - 1);
    return true;
}

/* Walk the references array of `sc` and add (add=true) or remove it as a
 * referrer of each referenced subject-version. An unqualified reference
 * subject lives in the referrer's context (sr-api §9). */
static void link_references(struct reg_index *idx, struct reg_schema *sc, bool add)
{
    if (!sc->references)
        return;
    json_t *refs = json_loads(sc->references, 0, NULL);
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref)
    {
        const char *rsub = json_string_value(json_object_get(ref, "subject"));
        json_t *rv = json_object_get(ref, "version");
        if (!rsub || !json_is_integer(rv))
            continue;
        struct ctx_subject cs;
        if (ctx_subject_parse(rsub, &cs, NULL) != 0)
            continue;
        bool qualified = rsub[0] == ':';
        char *q = ctx_subject_format(qualified ? cs.context : sc->ctx->name, cs.name);
        ctx_subject_destroy(&cs);
        char *k = refs_key(q, (int32_t)json_integer_value(rv));
        free(q);
        struct reg_refs *r = fy_map_get(&idx->referrers, k);
        if (add) {
            if (!r) {
                r = fy_calloc(1, sizeof *r);
                fy_map_put(&idx->referrers, k, r);
            }
            if (r->n == r->cap) {
                r->cap = r->cap ? r->cap * 2 : 2;
                r->items = fy_realloc(r->items, r->cap * sizeof *r->items);
            }
            r->items[r->n++] = sc;
        } else if (r) {
            for (size_t j = 0; j < r->n; j++)
                if (r->items[j] == sc) {
                    r->items[j] = r->items[--r->n];
                    break;
                }
            if (r->n == 0) {
                fy_map_del(&idx->referrers, k);
                free(r->items);
                free(r);
            }
        }
        free(k);
    }
    json_decref(refs);
}

/* One fewer version uses `sc`; when none does, the id stops resolving
 * (Confluent: only after every subject-version using it is hard-deleted). */
static void schema_unuse(struct reg_index *idx, struct reg_schema *sc)
{
    if (--sc->n_versions > 0)
        return;
    struct reg_context *c = sc->ctx;
    /* the id may come back with other content (an import): forget its model */
    reg_parsed_cache_drop(idx->parsed, c->name, sc->id);
    fy_map_deli(&c->ids, sc->id);
    identity_unlink(c, sc);
    link_references(idx, sc, false);
    idx->n_schemas--;
    schema_free(sc);
}

static char *compact_json(json_t *j, size_t flags)
{
    if (!j || json_is_null(j))
        return NULL;
    if ((json_is_array(j) && json_array_size(j) == 0) ||
        (json_is_object(j) && json_object_size(j) == 0))
        return NULL;
    return json_dumps(j, JSON_COMPACT | flags);
}

static void subject_remove_at(struct reg_index *idx, struct reg_subject *sub, size_t i)
{
    ghost_add(idx, sub, sub->versions[i]->version);
    identity_count_add(sub, sub->versions[i]->schema, -1);
    free(sub->versions[i]);
    memmove(&sub->versions[i], &sub->versions[i + 1],
            (sub->n_versions - i - 1) * sizeof *sub->versions);
    sub->n_versions--;
}

static void subject_drop_if_empty(struct reg_subject *sub)
{
    if (sub->n_versions)
        return;
    fy_map_del(&sub->ctx->subjects, sub->name);
    subject_free(sub);
}

static void apply_schema_tombstone(struct reg_index *idx, const struct ctx_subject *cs,
                                   int32_t version)
{
    struct reg_subject *sub = reg_index_subject(idx, cs->context, cs->name);
    if (!sub)
        return;
    for (size_t i = 0; i < sub->n_versions; i++) {
        if (sub->versions[i]->version != version)
            continue;
        struct reg_schema *sc = sub->versions[i]->schema;
        subject_remove_at(idx, sub, i);
        schema_unuse(idx, sc);
        /* a cached model whose references resolved through this version
         * would now parse differently (or not at all) */
        reg_parsed_cache_drop_referencing(idx->parsed);
        break;
    }
    subject_drop_if_empty(sub);
}

/* The fields of a SCHEMA value, all **new** strings (NULL when absent). */
struct schema_value {
    char *subject, *text, *type, *refs, *meta, *rules;
    int64_t id, version;
    bool has_id, has_version, deleted;
};

static void schema_value_destroy(struct schema_value *sv)
{
    free(sv->subject);
    free(sv->text);
    free(sv->type);
    free(sv->refs);
    free(sv->meta);
    free(sv->rules);
}

static char *compact_json(json_t *j, size_t flags);

/* A nested value's text as stored: the raw span when it is already compact
 * (what ferry and Jackson write), else re-serialised by jansson. */
static char *nested_text(const struct fy_jscan_member *m, size_t flags)
{
    if (m->type != FY_JS_OBJECT && m->type != FY_JS_ARRAY)
        return NULL;
    if (m->vlen == 2) /* [] or {} */
        return NULL;
    bool compact = !memchr(m->val, ' ', m->vlen) && !memchr(m->val, '\n', m->vlen) &&
                   !memchr(m->val, '\t', m->vlen) && !memchr(m->val, '\r', m->vlen);
    if (compact && !(flags & JSON_SORT_KEYS))
        return fy_strndup(m->val, m->vlen);
    json_t *j = json_loadb(m->val, m->vlen, 0, NULL);
    char *text = compact_json(j, flags);
    json_decref(j);
    return text;
}

/* Fast path: one pass of fy_jscan over the value. false = use jansson. */
static bool scan_schema_value(const char *value, size_t vlen, struct schema_value *sv)
{
    struct fy_jscan js;
    struct fy_jscan_member m;
    int rc;
    if (!fy_jscan_begin(&js, value, vlen))
        return false;
    while ((rc = fy_jscan_next(&js, &m)) == 1) {
        if (fy_jscan_key_is(&m, "schema")) {
            if (!(sv->text = fy_jscan_string(&m)))
                return false;
        } else if (fy_jscan_key_is(&m, "subject")) {
            if (m.type == FY_JS_STRING && !(sv->subject = fy_jscan_string(&m)))
                return false;
        } else if (fy_jscan_key_is(&m, "id")) {
            sv->has_id = fy_jscan_int(&m, &sv->id);
        } else if (fy_jscan_key_is(&m, "version")) {
            sv->has_version = fy_jscan_int(&m, &sv->version);
        } else if (fy_jscan_key_is(&m, "schemaType")) {
            if (m.type == FY_JS_STRING && !(sv->type = fy_jscan_string(&m)))
                return false;
        } else if (fy_jscan_key_is(&m, "deleted")) {
            sv->deleted = m.type == FY_JS_TRUE;
        } else if (fy_jscan_key_is(&m, "references")) {
            sv->refs = nested_text(&m, 0);
        } else if (fy_jscan_key_is(&m, "metadata")) {
            sv->meta = nested_text(&m, JSON_SORT_KEYS);
        } else if (fy_jscan_key_is(&m, "ruleSet")) {
            sv->rules = nested_text(&m, 0);
        }
    }
    return rc == 0;
}

static void read_schema_value(const char *value, size_t vlen, struct schema_value *sv)
{
    if (scan_schema_value(value, vlen, sv))
        return;
    schema_value_destroy(sv);
    memset(sv, 0, sizeof *sv);
    json_t *v = json_loadb(value, vlen, 0, NULL);
    sv->text = fy_strdup(json_string_value(json_object_get(v, "schema")));
    sv->subject = fy_strdup(json_string_value(json_object_get(v, "subject")));
    sv->type = fy_strdup(json_string_value(json_object_get(v, "schemaType")));
    json_t *jid = json_object_get(v, "id"), *jver = json_object_get(v, "version");
    sv->has_id = json_is_integer(jid);
    sv->id = json_integer_value(jid);
    sv->has_version = json_is_integer(jver);
    sv->version = json_integer_value(jver);
    sv->deleted = json_is_true(json_object_get(v, "deleted"));
    sv->refs = compact_json(json_object_get(v, "references"), 0);
    sv->meta = compact_json(json_object_get(v, "metadata"), JSON_SORT_KEYS);
    sv->rules = compact_json(json_object_get(v, "ruleSet"), 0);
    json_decref(v);
}

static void apply_schema(struct reg_index *idx, const struct reg_key *k, const char *value,
                         size_t vlen, int64_t offset, int64_t ts)
{
    struct schema_value sv = {0};
    read_schema_value(value, vlen, &sv);
    const char *text = sv.text;
    const char *subject = sv.subject ? sv.subject : k->subject;
    struct ctx_subject cs = {0};
    /* ids and versions are 32-bit: an out-of-range one would wrap */
    if (!text || !sv.has_id || !sv.has_version || !subject || sv.id < 0 || sv.id > INT32_MAX ||
        sv.version < 1 || sv.version > INT32_MAX || ctx_subject_parse(subject, &cs, NULL) != 0) {
        fy_log(FY_LOG_WARN, "registry", "msg=\"skipping malformed SCHEMA record\" offset=%lld",
               (long long)offset);
        schema_value_destroy(&sv);
        return;
    }
    int32_t id = (int32_t)sv.id;
    int32_t version = (int32_t)sv.version;
    const char *type = sv.type;
    bool deleted = sv.deleted;
    char *refs = sv.refs, *meta = sv.meta, *rules = sv.rules;
    sv.refs = sv.meta = sv.rules = NULL; /* owned by the schema entry or freed below */
    char *identity = reg_schema_identity(type, text, refs, meta, rules);

    struct reg_context *c = context_get_or_create(idx, cs.context);
    struct reg_schema *sc = fy_map_geti(&c->ids, id);
    if (sc && strcmp(sc->identity, identity) != 0) {
        /* Confluent's KafkaStoreMessageHandler.validateUpdate: never let an id
         * change meaning inside a context */
        fy_log(FY_LOG_WARN, "registry",
               "msg=\"skipping SCHEMA record: id already names a different schema\" "
               "context=%s id=%d offset=%lld",
               c->name, (int)id, (long long)offset);
        free(refs);
        free(meta);
        free(rules);
        free(identity);
        goto out;
    }
    if (!sc) {
        sc = fy_calloc(1, sizeof *sc);
        sc->id = id;
        sc->ctx = c;
        sc->schema = sv.text; /* steal: one copy of each schema text, not two */
        sv.text = NULL;
        sc->schema_type = fy_strdup(type ? type : "AVRO");
        sc->references = refs;
        sc->metadata = meta;
        sc->rule_set = rules;
        sc->identity = identity;
        sc->identity_hash = reg_schema_identity_hash(identity);
        fy_map_puti(&c->ids, id, sc);
        identity_link(c, sc);
        link_references(idx, sc, true);
        idx->n_schemas++;
        if (id > c->max_id)
            c->max_id = id;
    } else {
        free(refs);
        free(meta);
        free(rules);
        free(identity);
    }

    struct reg_subject *sub = fy_map_get(&c->subjects, cs.name);
    if (!sub) {
        sub = fy_calloc(1, sizeof *sub);
        sub->name = fy_strdup(cs.name);
        sub->qname = ctx_subject_format(c->name, cs.name);
        sub->ctx = c;
        fy_map_put(&c->subjects, cs.name, sub);
    }
    struct reg_version *ver = reg_subject_version(sub, version);
    if (ver) {
        if (ver->schema != sc) {
            struct reg_schema *old = ver->schema;
            identity_count_add(sub, old, -1);
            identity_count_add(sub, sc, 1);
            ver->schema = sc;
            sc->n_versions++;
            schema_unuse(idx, old);
            /* references to this subject-version now resolve to `sc` */
            reg_parsed_cache_drop_referencing(idx->parsed);
        }
    } else {
        ver = fy_calloc(1, sizeof *ver);
        ver->version = version;
        ver->schema = sc;
        sc->n_versions++;
        if (sub->n_versions == sub->cap) {
            sub->cap = sub->cap ? sub->cap * 2 : 4;
            sub->versions = fy_realloc(sub->versions, sub->cap * sizeof *sub->versions);
        }
        size_t pos = sub->n_versions;
        while (pos > 0 && sub->versions[pos - 1]->version > version)
            pos--;
        memmove(&sub->versions[pos + 1], &sub->versions[pos],
                (sub->n_versions - pos) * sizeof *sub->versions);
        sub->versions[pos] = ver;
        sub->n_versions++;
        identity_count_add(sub, sc, 1);
        identity_counts_build(sub);
    }
    if (deleted && !ver->deleted)
        ver->deleted_ts = ts;
    else if (!deleted)
        ver->deleted_ts = 0;
    ver->deleted = deleted;
    ver->offset = offset;
    ver->ts = ts;
out:
    ctx_subject_destroy(&cs);
    schema_value_destroy(&sv);
}

/* DELETE_SUBJECT marks versions 1..N soft-deleted in memory; Confluent does
 * not rewrite the SCHEMA records for it. */
static void apply_delete_subject(struct reg_index *idx, const char *subject, const char *value,
                                 size_t vlen)
{
    json_t *v = json_loadb(value, vlen, 0, NULL);
    json_t *jver = json_object_get(v, "version");
    struct ctx_subject cs;
    if (json_is_integer(jver) && subject && ctx_subject_parse(subject, &cs, NULL) == 0) {
        struct reg_subject *sub = reg_index_subject(idx, cs.context, cs.name);
        int32_t upto = (int32_t)json_integer_value(jver);
        for (size_t i = 0; sub && i < sub->n_versions; i++) {
            struct reg_version *ver = sub->versions[i];
            if (ver->version <= upto && !ver->deleted) {
                ver->deleted = true;
                ver->deleted_ts = idx->apply_ts;
            }
        }
        ctx_subject_destroy(&cs);
    }
    json_decref(v);
}

static void clear_subject(struct reg_index *idx, struct reg_subject *sub)
{
    bool removed = false;
    for (size_t i = sub->n_versions; i-- > 0;) {
        if (!sub->versions[i]->deleted)
            continue;
        struct reg_schema *sc = sub->versions[i]->schema;
        subject_remove_at(idx, sub, i);
        schema_unuse(idx, sc);
        removed = true;
    }
    if (removed) /* as for a tombstone: references may have resolved through them */
        reg_parsed_cache_drop_referencing(idx->parsed);
    subject_drop_if_empty(sub);
}

/* CLEAR_SUBJECT purges soft-deleted versions from memory: of one subject, of
 * a whole context (`:.ctx:`), or of everything (written when a scope switches
 * to IMPORT, sr-api §7). */
static void apply_clear_subject(struct reg_index *idx, const char *subject)
{
    struct ctx_subject cs = {0};
    if (subject && subject[0] && ctx_subject_parse(subject, &cs, NULL) != 0)
        return;
    size_t it = 0;
    void *cv;
    while (fy_map_next(&idx->contexts, &it, NULL, &cv)) {
        struct reg_context *c = cv;
        if (cs.context && strcmp(cs.context, c->name) != 0)
            continue;
        if (cs.name && cs.name[0]) {
            struct reg_subject *sub = fy_map_get(&c->subjects, cs.name);
            if (sub)
                clear_subject(idx, sub);
            continue;
        }
        /* collect first: clear_subject may remove subjects from the map */
        size_t n = 0, sit = 0;
        struct reg_subject **subs = fy_calloc(c->subjects.count + 1, sizeof *subs);
        void *sv;
        while (fy_map_next(&c->subjects, &sit, NULL, &sv))
            subs[n++] = sv;
        for (size_t i = 0; i < n; i++)
            clear_subject(idx, subs[i]);
        free(subs);
    }
    ctx_subject_destroy(&cs);
}

void reg_index_apply(struct reg_index *idx, const char *key, size_t klen, const char *value,
                     size_t vlen, int64_t offset, int64_t ts)
{
    struct reg_key k;
    struct fy_err err = {0};
    if (offset > idx->applied_offset)
        idx->applied_offset = offset;
    idx->apply_ts = ts;
    if (reg_key_parse(key, klen, &k, &err) != 0) {
        fy_log(FY_LOG_WARN, "registry", "msg=\"skipping record\" offset=%lld reason=\"%s\"",
               (long long)offset, err.msg);
        fy_err_destroy(&err);
        return;
    }
    const char *scope = k.subject ? k.subject : "";
    switch (k.type) {
    case REG_KEY_SCHEMA:
        if (!k.subject)
            break;
        if (value) {
            apply_schema(idx, &k, value, vlen, offset, ts);
        } else {
            struct ctx_subject cs;
            if (ctx_subject_parse(k.subject, &cs, NULL) == 0) {
                apply_schema_tombstone(idx, &cs, k.version);
                ctx_subject_destroy(&cs);
            }
        }
        break;
    case REG_KEY_CONFIG: {
        json_t *old = fy_map_del(&idx->configs, scope);
        json_decref(old);
        if (value) {
            json_t *v = json_loadb(value, vlen, 0, NULL);
            if (json_is_object(v))
                fy_map_put(&idx->configs, scope, v);
            else
                json_decref(v);
        }
        break;
    }
    case REG_KEY_MODE: {
        fy_map_del(&idx->modes, scope);
        if (value) {
            json_t *v = json_loadb(value, vlen, 0, NULL);
            enum reg_mode m;
            const char *name = json_string_value(json_object_get(v, "mode"));
            if (name && reg_mode_parse(name, &m) == 0)
                fy_map_put(&idx->modes, scope, (void *)(intptr_t)(m + 1));
            json_decref(v);
        }
        break;
    }
    case REG_KEY_DELETE_SUBJECT:
        if (value)
            apply_delete_subject(idx, k.subject, value, vlen);
        break;
    case REG_KEY_CLEAR_SUBJECT:
        if (value)
            apply_clear_subject(idx, k.subject);
        break;
    case REG_KEY_CONTEXT:
        if (value && k.context) {
            context_get_or_create(idx, k.context)->recorded = true;
        } else if (k.context && !ctx_is_default(k.context)) {
            /* DELETE /contexts/{ctx}: only an empty context is ever tombstoned */
            struct reg_context *c = fy_map_get(&idx->contexts, k.context);
            if (c && c->subjects.count == 0 && c->ids.count == 0) {
                fy_map_del(&idx->contexts, k.context);
                context_free(c);
            }
        }
        break;
    case REG_KEY_ID_HWM:
        apply_id_hwm(idx, k.context, value, vlen, offset);
        break;
    case REG_KEY_NOOP:
    case REG_KEY_PURGED_VERSION: /* for the linker (reg_registry_write) */
    case REG_KEY_OTHER:
        break;
    }
    reg_key_destroy(&k);
}
