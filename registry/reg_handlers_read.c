/* SPDX-License-Identifier: Apache-2.0
 * reg_handlers_read: the read-only REST endpoints (sr-api §2.1-2.4, 2.8).
 * Each takes the index read lock, copies what it needs straight into the
 * response text, and lets go — no jansson tree on the hot paths. */
#include "registry/reg_handlers_int.h"

#include "common/fy_alloc.h"
#include "common/fy_jsonout.h"
#include "common/fy_version.h"
#include "contexts/ctx_name.h"
#include "registry/reg_schema_type.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int reg_h_root(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    (void)hc;
    (void)err;
    fy_buf_puts(out, "{}");
    return 0;
}

int reg_h_metadata_id(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    (void)err;
    fy_buf_puts(out, "{\"scope\":{\"path\":[],\"clusters\":{\"kafka-cluster\":");
    fy_jsonout_str(out, hc->r->cluster_id);
    fy_buf_puts(out, ",\"schema-registry-cluster\":");
    fy_jsonout_str(out, hc->r->group_id);
    fy_buf_puts(out, "}}}");
    return 0;
}

int reg_h_metadata_version(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    (void)hc;
    (void)err;
    fy_buf_puts(out, "{\"version\":\"" FERRY_VERSION "\",\"commitId\":\"" FERRY_COMMIT "\"}");
    return 0;
}

int reg_h_schema_types(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    (void)hc;
    (void)err;
    /* SchemasResource.getSchemaTypes: the providers this registry has */
    fy_buf_putc(out, '[');
    for (size_t i = 0; i < reg_schema_type_count(); i++) {
        if (i)
            fy_buf_putc(out, ',');
        fy_jsonout_str(out, reg_schema_type_at(i)->name);
    }
    fy_buf_putc(out, ']');
    return 0;
}

/* Pagination as Confluent's normalizeLimit: limit <= 0 or above the maximum
 * gives the default (0 = unlimited). */
static void page(const struct reg_hctx *hc, size_t total, size_t def_limit, size_t max_limit,
                 size_t *from, size_t *to)
{
    long long offset = reg_arg_int(hc, "offset", 0);
    long long limit = reg_arg_int(hc, "limit", -1);
    if (offset < 0)
        offset = 0;
    size_t lim = def_limit;
    if (limit > 0 && (max_limit == 0 || (size_t)limit <= max_limit))
        lim = (size_t)limit;
    *from = (size_t)offset < total ? (size_t)offset : total;
    *to = lim == 0 || total - *from < lim ? total : *from + lim;
}

static int parse_id(const char *s, int32_t *id, struct fy_err *err)
{
    /* Jersey fails to convert a non-integer path param: 404 Not Found */
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    bool digits = (s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9');
    if (!digits || *end || errno || v < INT_MIN || v > INT_MAX)
        return fy_err_set(err, FY_E_NOT_FOUND, "HTTP 404 Not Found");
    *id = (int32_t)v;
    return 0;
}

/* The version of `sub` that holds id `id` (the newest, as Confluent's
 * id -> subject -> version map keeps the last one put), or NULL. */
static struct reg_version *version_with_id(const struct reg_subject *sub, int32_t id)
{
    for (size_t i = sub ? sub->n_versions : 0; i-- > 0;)
        if (sub->versions[i]->schema->id == id)
            return sub->versions[i];
    return NULL;
}

/* Resolve `id` with the optional ?subject= as getSchemaKeyUsingContexts: the
 * subject as named when it holds the id; for a subject of the default
 * context, the same name in each other context in sorted order; else the id
 * in the subject's context (a subject that is only a context names that
 * context) with a subject-version of it. Fills subp and vp with the
 * subject-version found, else NULL (no ?subject=).
 * Locks: idx.lock held. */
static struct reg_schema *find_by_id(struct reg_hctx *hc, int32_t id, struct reg_subject **subp,
                                     struct reg_version **vp, struct fy_err *err)
{
    struct reg_index *idx = &hc->r->idx;
    const char *subject = reg_arg(hc, "subject");
    struct reg_schema *sc = NULL;
    *subp = NULL;
    *vp = NULL;
    if (!subject || !subject[0])
        sc = reg_index_schema(idx, CTX_DEFAULT, id);
    else {
        struct ctx_subject cs;
        if (ctx_subject_parse(subject, &cs, NULL) != 0)
            return fy_err_set(err, REG_E_SCHEMA_NOT_FOUND, "Schema %d not found", (int)id), NULL;
        struct reg_subject *sub = cs.name[0] ? reg_index_subject(idx, cs.context, cs.name) : NULL;
        struct reg_version *v = version_with_id(sub, id);
        if (!v && cs.name[0] && ctx_is_default(cs.context)) {
            size_t n;
            struct reg_context **ctxs = reg_index_named_contexts(idx, &n);
            for (size_t i = 0; !v && i < n; i++) {
                sub = fy_map_get(&ctxs[i]->subjects, cs.name);
                v = version_with_id(sub, id);
            }
            free(ctxs);
        }
        if (!v) {
            /* the last fallback names some subject-version of the id in the
             * subject's context (schemaKeyById with no subject); ferry takes
             * the first by (subject, version), Confluent a hash map's first */
            sc = reg_index_schema(idx, cs.context, id);
            sub = NULL;
            size_t it = 0;
            void *sv;
            while (sc && fy_map_next(&sc->ctx->subjects, &it, NULL, &sv)) {
                struct reg_subject *cand = sv;
                for (size_t i = 0; i < cand->n_versions; i++) {
                    if (cand->versions[i]->schema != sc)
                        continue;
                    if (!sub || strcmp(cand->qname, sub->qname) < 0) {
                        sub = cand;
                        v = cand->versions[i];
                    }
                    break;
                }
            }
        }
        if (v) {
            sc = v->schema;
            *subp = sub;
            *vp = v;
        }
        ctx_subject_destroy(&cs);
    }
    if (!sc)
        fy_err_set(err, REG_E_SCHEMA_NOT_FOUND, "Schema %d not found", (int)id);
    return sc;
}

/* referenceFormat=qualified asked */
static bool qualified_refs(const struct reg_hctx *hc)
{
    const char *f = reg_arg(hc, "referenceFormat");
    return f && strcmp(f, "qualified") == 0;
}

/* 8.x's SchemaString: subject and version when found through ?subject=,
 * guid, schemaType always (7.x left AVRO out), the text, references,
 * metadata, ruleSet, then ts/deleted of that version and maxId. */
static void put_schema_string(struct fy_buf *out, const struct reg_schema *sc,
                              const struct reg_subject *sub, const struct reg_version *v,
                              bool max_id, bool qualify, const char *text)
{
    fy_buf_putc(out, '{');
    if (sub && v) {
        fy_buf_puts(out, "\"subject\":");
        fy_jsonout_str(out, sub->qname);
        fy_buf_printf(out, ",\"version\":%d,", (int)v->version);
    }
    char g[REG_GUID_LEN];
    fy_buf_printf(out, "\"guid\":\"%s\",\"schemaType\":", reg_schema_guid(sc, g));
    fy_jsonout_str(out, sc->schema_type);
    fy_buf_puts(out, ",\"schema\":");
    fy_jsonout_str(out, text);
    /* referenceFormat=qualified applies when found through a subject of a
     * named context (SchemasResource.getSchema) */
    reg_put_schema_extras_in(out, sc, qualify && sub ? sub->ctx->name : NULL);
    if (sub && v)
        reg_put_version_state(out, v);
    if (max_id)
        fy_buf_printf(out, ",\"maxId\":%d", (int)sc->ctx->max_id);
    fy_buf_putc(out, '}');
}

int reg_h_schema_by_id(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    int32_t id;
    if (parse_id(hc->params[0], &id, err) != 0)
        return -1;
    int rc = -1;
    pthread_rwlock_rdlock(&hc->r->idx.lock);
    struct reg_subject *sub;
    struct reg_version *v;
    struct reg_schema *sc = find_by_id(hc, id, &sub, &v, err);
    if (sc) {
        const char *format = reg_arg(hc, "format");
        /* unknown formats fall back to the canonical text, as Confluent */
        char *text = format ? reg_registry_formatted(hc->r, sc, format, NULL) : NULL;
        put_schema_string(out, sc, sub, v, reg_arg_bool(hc, "fetchMaxId"), qualified_refs(hc),
                          text ? text : sc->schema);
        free(text);
        rc = 0;
    }
    pthread_rwlock_unlock(&hc->r->idx.lock);
    return rc;
}

int reg_h_schema_by_id_text(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    int32_t id;
    if (parse_id(hc->params[0], &id, err) != 0)
        return -1;
    int rc = -1;
    pthread_rwlock_rdlock(&hc->r->idx.lock);
    struct reg_subject *sub;
    struct reg_version *v;
    struct reg_schema *sc = find_by_id(hc, id, &sub, &v, err);
    if (sc) {
        /* the text itself, unescaped: SchemasResource.getSchemaOnly returns a
         * String, which JAX-RS writes as it is (sr-api §3) */
        fy_buf_puts(out, sc->schema);
        rc = 0;
    }
    pthread_rwlock_unlock(&hc->r->idx.lock);
    return rc;
}

/* The schema of `c` with this guid (the lowest id when IMPORT gave one
 * content several), or NULL. A guid is compared as Confluent's
 * MD5.fromString reads it: a UUID, case-insensitive. Locks: idx.lock held. */
static struct reg_schema *schema_with_guid(const struct reg_context *c, const char *guid)
{
    struct reg_schema *best = NULL;
    size_t it = 0;
    void *v;
    while (fy_map_next(&c->ids, &it, NULL, &v)) {
        struct reg_schema *sc = v;
        char g[REG_GUID_LEN];
        if (strcasecmp(reg_schema_guid(sc, g), guid) == 0 && (!best || sc->id < best->id))
            best = sc;
    }
    return best;
}

/* GET /schemas/guids/{guid} (SchemasResource.getSchemaByGuid): the default
 * context first, then the others sorted (getIdUsingContexts); a SchemaString
 * without subject and version; 40403 "Schema {guid} not found". */
int reg_h_schema_by_guid(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    const char *guid = hc->params[0];
    struct reg_index *idx = &hc->r->idx;
    pthread_rwlock_rdlock(&idx->lock);
    struct reg_context *dc = reg_index_context(idx, CTX_DEFAULT);
    struct reg_schema *sc = dc ? schema_with_guid(dc, guid) : NULL;
    if (!sc) {
        size_t n;
        struct reg_context **ctxs = reg_index_named_contexts(idx, &n);
        for (size_t i = 0; !sc && i < n; i++)
            sc = schema_with_guid(ctxs[i], guid);
        free(ctxs);
    }
    if (sc)
        put_schema_string(out, sc, NULL, NULL, false, false, sc->schema);
    else
        fy_err_set(err, REG_E_SCHEMA_NOT_FOUND, "Schema %s not found", guid);
    pthread_rwlock_unlock(&idx->lock);
    return sc ? 0 : -1;
}

/* GET /schemas/guids/{guid}/ids (listIdsForGuid): [{"context":..,"id":..}]
 * for every context holding it, sorted by context (ContextId.compareTo);
 * [] when none. */
int reg_h_schema_guid_ids(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    (void)err;
    struct reg_index *idx = &hc->r->idx;
    pthread_rwlock_rdlock(&idx->lock);
    size_t n;
    struct reg_context **ctxs = reg_index_named_contexts(idx, &n);
    struct reg_context *dc = reg_index_context(idx, CTX_DEFAULT);
    size_t shown = 0;
    fy_buf_putc(out, '[');
    for (size_t i = 0; i <= n; i++) {
        struct reg_context *c = i == 0 ? dc : ctxs[i - 1];
        struct reg_schema *sc = c ? schema_with_guid(c, hc->params[0]) : NULL;
        if (!sc)
            continue;
        fy_buf_puts(out, shown++ ? ",{\"context\":" : "{\"context\":");
        fy_jsonout_str(out, c->name);
        fy_buf_printf(out, ",\"id\":%d}", (int)sc->id);
    }
    fy_buf_putc(out, ']');
    free(ctxs);
    pthread_rwlock_unlock(&idx->lock);
    return 0;
}

struct subject_version {
    const char *qname;
    int32_t version;
};

static int cmp_sv(const void *a, const void *b)
{
    const struct subject_version *x = a, *y = b;
    int c = strcmp(x->qname, y->qname);
    if (c)
        return c;
    return (x->version > y->version) - (x->version < y->version);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Subject-versions of the id's context that use schema `sc`. */
static size_t collect_uses(const struct reg_schema *sc, bool deleted,
                           struct subject_version **out)
{
    size_t n = 0, cap = 8;
    struct subject_version *sv = fy_malloc(cap * sizeof *sv);
    size_t it = 0;
    void *v;
    while (fy_map_next(&sc->ctx->subjects, &it, NULL, &v)) {
        const struct reg_subject *sub = v;
        for (size_t i = 0; i < sub->n_versions; i++) {
            const struct reg_version *ver = sub->versions[i];
            if (ver->schema != sc || (ver->deleted && !deleted))
                continue;
            if (n == cap) {
                cap *= 2;
                sv = fy_realloc(sv, cap * sizeof *sv);
            }
            sv[n].qname = sub->qname;
            sv[n].version = ver->version;
            n++;
        }
    }
    qsort(sv, n, sizeof *sv, cmp_sv);
    *out = sv;
    return n;
}

static int schema_uses(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err, bool versions)
{
    int32_t id;
    if (parse_id(hc->params[0], &id, err) != 0)
        return -1;
    pthread_rwlock_rdlock(&hc->r->idx.lock);
    struct reg_subject *sub;
    struct reg_version *v;
    struct reg_schema *sc = find_by_id(hc, id, &sub, &v, err);
    if (!sc) {
        pthread_rwlock_unlock(&hc->r->idx.lock);
        return fy_err_set(err, REG_E_SCHEMA_NOT_FOUND, "Schema not found");
    }
    struct subject_version *sv;
    size_t n = collect_uses(sc, reg_arg_bool(hc, "deleted"), &sv);
    size_t from, to;
    size_t shown = 0;
    fy_buf_putc(out, '[');
    if (versions) {
        page(hc, n, 0, 0, &from, &to);
        for (size_t i = from; i < to; i++) {
            fy_buf_puts(out, shown++ ? ",{\"subject\":" : "{\"subject\":");
            fy_jsonout_str(out, sv[i].qname);
            fy_buf_printf(out, ",\"version\":%d}", (int)sv[i].version);
        }
    } else {
        /* distinct subjects, in order */
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (m == 0 || strcmp(sv[m - 1].qname, sv[i].qname) != 0)
                sv[m++] = sv[i];
        page(hc, m, 0, 0, &from, &to);
        for (size_t i = from; i < to; i++) {
            if (shown++)
                fy_buf_putc(out, ',');
            fy_jsonout_str(out, sv[i].qname);
        }
    }
    fy_buf_putc(out, ']');
    pthread_rwlock_unlock(&hc->r->idx.lock);
    free(sv);
    return 0;
}

int reg_h_schema_by_id_subjects(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    return schema_uses(hc, out, err, false);
}

int reg_h_schema_by_id_versions(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    return schema_uses(hc, out, err, true);
}

/* A subject filter: one context (or all) and a name prefix. */
struct prefix {
    char *context; /* NULL = every context */
    char *name;
};

static int prefix_parse(const char *raw, const char *def, struct prefix *px, struct fy_err *err)
{
    const char *p = raw ? raw : def;
    px->context = NULL;
    px->name = NULL;
    if (p[0] != ':') { /* a plain prefix covers the default context only */
        px->context = fy_strdup(CTX_DEFAULT);
        px->name = fy_strdup(p);
        return 0;
    }
    struct ctx_subject cs;
    if (ctx_subject_parse(p, &cs, err) != 0)
        return -1;
    px->context = cs.wildcard ? NULL : fy_strdup(cs.context);
    px->name = fy_strdup(cs.name);
    ctx_subject_destroy(&cs);
    return 0;
}

static void prefix_destroy(struct prefix *px)
{
    free(px->context);
    free(px->name);
}

static bool subject_shown(const struct reg_subject *sub, bool deleted, bool deleted_only)
{
    bool live = reg_subject_live(sub);
    if (deleted_only)
        return !live && sub->n_versions > 0;
    return live || (deleted && sub->n_versions > 0);
}

int reg_h_subjects_list(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    struct prefix px;
    if (prefix_parse(reg_arg(hc, "subjectPrefix"), ":*:", &px, err) != 0)
        return -1;
    bool deleted = reg_arg_bool(hc, "deleted");
    bool deleted_only = reg_arg_bool(hc, "deletedOnly");
    size_t plen = strlen(px.name);
    pthread_rwlock_rdlock(&hc->r->idx.lock);
    size_t n = 0, cap = 64;
    const char **names = fy_malloc(cap * sizeof *names);
    size_t it = 0;
    void *cv;
    while (fy_map_next(&hc->r->idx.contexts, &it, NULL, &cv)) {
        struct reg_context *c = cv;
        if (px.context && strcmp(px.context, c->name) != 0)
            continue;
        size_t sit = 0;
        void *sv;
        while (fy_map_next(&c->subjects, &sit, NULL, &sv)) {
            struct reg_subject *sub = sv;
            if (strncmp(sub->name, px.name, plen) != 0 ||
                !subject_shown(sub, deleted, deleted_only))
                continue;
            if (n == cap) {
                cap *= 2;
                names = fy_realloc(names, cap * sizeof *names);
            }
            names[n++] = sub->qname;
        }
    }
    qsort(names, n, sizeof *names, cmp_str);
    size_t from, to;
    page(hc, n, 0, 0, &from, &to);
    fy_buf_putc(out, '[');
    for (size_t i = from; i < to; i++) {
        if (i > from)
            fy_buf_putc(out, ',');
        fy_jsonout_str(out, names[i]);
    }
    fy_buf_putc(out, ']');
    pthread_rwlock_unlock(&hc->r->idx.lock);
    free(names);
    prefix_destroy(&px);
    return 0;
}

/* One place in GET /schemas' order: a version in memory (shown or hidden by
 * the filters) or a ghost (struct reg_ghost: hard-deleted a moment ago). */
struct entry {
    const char *qname;
    int32_t version;
    const struct reg_subject *sub; /* NULL for a ghost */
    const struct reg_version *v;   /* NULL for a ghost */
    bool shown;
};

static int cmp_entry(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    int c = strcmp(x->qname, y->qname);
    if (c)
        return c;
    if (x->version != y->version)
        return (x->version > y->version) - (x->version < y->version);
    return (x->sub == NULL) - (y->sub == NULL); /* the live entry before its ghost */
}

struct entries {
    struct entry *items;
    size_t n, cap;
};

static void entries_add(struct entries *es, struct entry e)
{
    if (es->n == es->cap) {
        es->cap = es->cap ? es->cap * 2 : 64;
        es->items = fy_realloc(es->items, es->cap * sizeof *es->items);
    }
    es->items[es->n++] = e;
}

static bool prefix_covers(const struct prefix *px, const char *context, const char *name)
{
    return (!px->context || strcmp(px->context, context) == 0) &&
           strncmp(name, px->name, strlen(px->name)) == 0;
}

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The places of one subject's versions (see schemas_places). */
static void subject_places(const struct reg_subject *sub, bool deleted, bool latest_only,
                           int64_t recent, struct entries *es)
{
    const struct reg_version *latest = reg_subject_latest(sub);
    for (size_t i = 0; i < sub->n_versions; i++) {
        const struct reg_version *v = sub->versions[i];
        bool shown = !(v->deleted && !deleted) && !(latest_only && v != latest);
        bool gone = v->deleted && !deleted && v->deleted_ts >= recent;
        if (shown || gone)
            entries_add(es, (struct entry){sub->qname, v->version, sub, v, shown});
    }
}

/* One subject config's alias, inverted: `target` is named by `alias`. */
struct alias_pair {
    char *target;      /* qualified, owned */
    const char *alias; /* the config's subject (qualified), borrowed from the index */
};

static int cmp_alias_pair(const void *a, const void *b)
{
    const struct alias_pair *x = a, *y = b;
    int c = strcmp(x->target, y->target);
    return c ? c : strcmp(x->alias, y->alias);
}

/* ?aliases=true (AbstractSchemaRegistry.getAliases): every subject config
 * under the prefix with an `alias`, as (target, alias) sorted. Locks: idx.lock held. */
static struct alias_pair *aliases_under(const struct reg_index *idx, const struct prefix *px,
                                        size_t *n)
{
    size_t m = 0, it = 0;
    struct alias_pair *out = fy_malloc((idx->configs.count + 1) * sizeof *out);
    const char *scope;
    void *cv;
    while (fy_map_next(&idx->configs, &it, &scope, &cv)) {
        const char *alias = json_string_value(json_object_get(cv, "alias"));
        struct ctx_subject cs;
        if (!alias || !alias[0] || !scope[0] || ctx_subject_parse(scope, &cs, NULL) != 0)
            continue;
        char *target = cs.name[0] && prefix_covers(px, cs.context, cs.name)
                           ? reg_qualify_with_parent(cs.context, alias)
                           : NULL;
        ctx_subject_destroy(&cs);
        if (target)
            out[m++] = (struct alias_pair){target, scope};
    }
    qsort(out, m, sizeof *out, cmp_alias_pair);
    *n = m;
    return out;
}

/* The versions of alias targets outside the prefix join the listing, as
 * allVersionsIncludingAliasesWithSubjectPrefix adds them. */
static void alias_target_places(const struct reg_index *idx, const struct prefix *px,
                                const struct alias_pair *pairs, size_t n, bool deleted,
                                bool latest_only, struct entries *es)
{
    int64_t recent = now_ms() - REG_GHOST_KEEP_MS;
    for (size_t i = 0; i < n; i++) {
        if (i && strcmp(pairs[i].target, pairs[i - 1].target) == 0)
            continue;
        struct ctx_subject cs;
        if (ctx_subject_parse(pairs[i].target, &cs, NULL) != 0)
            continue;
        const struct reg_subject *sub = reg_index_subject(idx, cs.context, cs.name);
        if (sub && !prefix_covers(px, cs.context, cs.name))
            subject_places(sub, deleted, latest_only, recent, es);
        ctx_subject_destroy(&cs);
    }
}

/* Every place under the prefix, sorted by (subject, version), one per
 * subject-version: the versions shown, and those that went away in the last
 * REG_GHOST_KEEP_MS (soft-deleted while the listing hides them, or
 * hard-deleted: ghosts). With nothing recently gone, the places are the
 * shown versions and pages are Confluent's exactly. Locks: idx.lock held. */
static void schemas_places(const struct reg_index *idx, const struct prefix *px, bool deleted,
                           bool latest_only, const struct alias_pair *pairs, size_t n_pairs,
                           struct entries *es)
{
    int64_t recent = now_ms() - REG_GHOST_KEEP_MS;
    size_t it = 0;
    void *cv;
    while (fy_map_next(&idx->contexts, &it, NULL, &cv)) {
        struct reg_context *c = cv;
        if (px->context && strcmp(px->context, c->name) != 0)
            continue;
        size_t sit = 0;
        void *sv;
        while (fy_map_next(&c->subjects, &sit, NULL, &sv)) {
            const struct reg_subject *sub = sv;
            if (!prefix_covers(px, c->name, sub->name))
                continue;
            subject_places(sub, deleted, latest_only, recent, es);
        }
    }
    for (size_t i = 0; i < idx->n_ghosts; i++) {
        const struct reg_ghost *g = &idx->ghosts[i];
        if (g->ts >= recent && prefix_covers(px, g->context, g->name))
            entries_add(es, (struct entry){g->qname, g->version, NULL, NULL, false});
    }
    alias_target_places(idx, px, pairs, n_pairs, deleted, latest_only, es);
    if (es->n > 1)
        qsort(es->items, es->n, sizeof *es->items, cmp_entry);
    size_t m = 0;
    for (size_t i = 0; i < es->n; i++)
        if (m == 0 || es->items[m - 1].version != es->items[i].version ||
            strcmp(es->items[m - 1].qname, es->items[i].qname) != 0)
            es->items[m++] = es->items[i];
    es->n = m;
}

/* ExtendedSchema's "aliases" of the object just written: the subjects whose
 * alias names `qname` (none: no member, as NON_EMPTY). */
static void put_aliases(struct fy_buf *out, const struct alias_pair *pairs, size_t n,
                        const char *qname)
{
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the first pair with target >= qname */
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(pairs[mid].target, qname) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == n || strcmp(pairs[lo].target, qname) != 0 || !out->len ||
        out->data[out->len - 1] != '}')
        return;
    out->len--; /* reopen the object: drop its closing brace */
    out->data[out->len] = '\0';
    fy_buf_puts(out, ",\"aliases\":[");
    for (size_t i = lo; i < n && strcmp(pairs[i].target, qname) == 0; i++) {
        if (i > lo)
            fy_buf_putc(out, ',');
        fy_jsonout_str(out, pairs[i].alias);
    }
    fy_buf_puts(out, "]}");
}

/* GET /schemas with Confluent's offset/limit, over places that do not move
 * when a version goes away: a version soft-deleted (while the listing hides
 * those) or hard-deleted a moment ago keeps its place, and a page holds the
 * next `limit` shown versions from place `offset` on. A client reading page after
 * page (offset += limit) may see a version twice, never miss one that
 * existed throughout (issue 9). */
int reg_h_schemas_list(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    struct prefix px;
    if (prefix_parse(reg_arg(hc, "subjectPrefix"), "", &px, err) != 0)
        return -1;
    bool deleted = reg_arg_bool(hc, "deleted");
    bool latest_only = reg_arg_bool(hc, "latestOnly");
    struct entries es = {0};
    pthread_rwlock_rdlock(&hc->r->idx.lock);
    size_t n_pairs = 0;
    struct alias_pair *pairs = reg_arg_bool(hc, "aliases")
                                   ? aliases_under(&hc->r->idx, &px, &n_pairs)
                                   : NULL;
    schemas_places(&hc->r->idx, &px, deleted, latest_only, pairs, n_pairs, &es);
    size_t from, to;
    page(hc, es.n, 1000, 1000, &from, &to);
    size_t want = to - from, shown = 0;
    fy_buf_putc(out, '[');
    for (size_t i = from; i < es.n && shown < want; i++) {
        if (!es.items[i].shown)
            continue;
        if (shown++)
            fy_buf_putc(out, ',');
        reg_put_schema_obj(out, es.items[i].sub, es.items[i].v);
        put_aliases(out, pairs, n_pairs, es.items[i].qname);
    }
    fy_buf_putc(out, ']');
    pthread_rwlock_unlock(&hc->r->idx.lock);
    for (size_t i = 0; i < n_pairs; i++)
        free(pairs[i].target);
    free(pairs);
    free(es.items);
    prefix_destroy(&px);
    return 0;
}

/* Parse {subject} (404-class problems are the caller's). */
static int subject_param(struct reg_hctx *hc, struct ctx_subject *cs, struct fy_err *err)
{
    if (ctx_subject_parse(hc->params[0], cs, NULL) != 0)
        return fy_err_set(err, REG_E_SUBJECT_NOT_FOUND, "Subject '%s' not found.", hc->params[0]);
    return 0;
}

/* The subject named by {subject} itself when it has a visible version
 * (SubjectsResource.getLatestWithMetadata reads only that subject), or NULL
 * with 40401. Locks: idx.lock held. */
static struct reg_subject *visible_subject(struct reg_hctx *hc, const struct ctx_subject *cs,
                                           bool deleted, struct fy_err *err)
{
    struct reg_subject *sub = reg_index_subject(&hc->r->idx, cs->context, cs->name);
    if (!sub || !(deleted ? sub->n_versions > 0 : reg_subject_live(sub))) {
        fy_err_set(err, REG_E_SUBJECT_NOT_FOUND, "Subject '%s' not found.", hc->params[0]);
        return NULL;
    }
    return sub;
}

/* AbstractSchemaRegistry.get(subject, version, returnDeleted): "latest"
 * (-1) is the newest live version whatever `deleted` says (getLatestVersion
 * skips deleted ones); a number is that version, soft-deleted only when
 * `deleted`. */
static struct reg_version *pick_version(const struct reg_subject *sub, int32_t vnum, bool deleted)
{
    if (!sub)
        return NULL;
    if (vnum == -1)
        return reg_subject_latest(sub);
    struct reg_version *v = reg_subject_version(sub, vnum);
    return v && v->deleted && !deleted ? NULL : v;
}

int reg_h_versions_list(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    struct ctx_subject cs;
    if (subject_param(hc, &cs, err) != 0)
        return -1;
    bool deleted = reg_arg_bool(hc, "deleted");
    bool deleted_only = reg_arg_bool(hc, "deletedOnly");
    bool negative = reg_arg_bool(hc, "deletedAsNegative");
    int rc = -1;
    pthread_rwlock_rdlock(&hc->r->idx.lock);
    struct reg_subject *sub = reg_index_subject(&hc->r->idx, cs.context, cs.name);
    size_t n = 0;
    int32_t *vs = NULL;
    /* SubjectVersionsResource.listVersions: the subject must exist (with
     * soft-deleted versions counting under deleted or deletedOnly), then the
     * filter picks, deletedAsNegative first — so an answer may be [] */
    bool exists = sub && ((deleted || deleted_only) ? sub->n_versions > 0 : reg_subject_live(sub));
    if (exists) {
        vs = fy_malloc((sub->n_versions + 1) * sizeof *vs);
        for (size_t i = 0; i < sub->n_versions; i++) {
            const struct reg_version *v = sub->versions[i];
            bool shown = negative ? true : deleted_only ? v->deleted : (!v->deleted || deleted);
            if (shown)
                vs[n++] = v->deleted && negative ? -v->version : v->version;
        }
    }
    if (!exists) {
        fy_err_set(err, REG_E_SUBJECT_NOT_FOUND, "Subject '%s' not found.", hc->params[0]);
    } else {
        size_t from, to;
        page(hc, n, 0, 0, &from, &to);
        fy_buf_putc(out, '[');
        for (size_t i = from; i < to; i++)
            fy_buf_printf(out, i > from ? ",%d" : "%d", (int)vs[i]);
        fy_buf_putc(out, ']');
        rc = 0;
    }
    pthread_rwlock_unlock(&hc->r->idx.lock);
    free(vs);
    ctx_subject_destroy(&cs);
    return rc;
}

/* {subject}/versions/{version} → the version entry, as
 * AbstractSchemaRegistry.getUsingContexts: the subject as named; for a
 * subject of the default context that has no such version, the same name in
 * each other context in sorted order, the first that has the version. When
 * none has it: 40401 if the subject as named has no (visible) version, else
 * 40402 (SubjectVersionsResource.getSchemaByVersion). Locks: idx.lock held. */
static int find_version(struct reg_hctx *hc, const struct ctx_subject *cs, bool deleted,
                        struct reg_subject **subp, struct reg_version **vp, struct fy_err *err)
{
    int32_t vnum;
    if (reg_version_parse(hc->params[1], &vnum, err) != 0)
        return -1;
    struct reg_index *idx = &hc->r->idx;
    struct reg_subject *named = reg_index_subject(idx, cs->context, cs->name);
    struct reg_subject *sub = named;
    struct reg_version *v = pick_version(sub, vnum, deleted);
    if (!v && ctx_is_default(cs->context) && cs->name[0]) {
        size_t n;
        struct reg_context **ctxs = reg_index_named_contexts(idx, &n);
        for (size_t i = 0; !v && i < n; i++) {
            sub = fy_map_get(&ctxs[i]->subjects, cs->name);
            v = pick_version(sub, vnum, deleted);
        }
        free(ctxs);
    }
    if (!v) {
        if (!named || !(deleted ? named->n_versions > 0 : reg_subject_live(named)))
            return fy_err_set(err, REG_E_SUBJECT_NOT_FOUND, "Subject '%s' not found.",
                              hc->params[0]);
        return fy_err_set(err, REG_E_VERSION_NOT_FOUND, "Version %s not found.", hc->params[1]);
    }
    *subp = sub;
    *vp = v;
    return 0;
}

int reg_h_version_get(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    struct ctx_subject cs;
    if (subject_param(hc, &cs, err) != 0)
        return -1;
    pthread_rwlock_rdlock(&hc->r->idx.lock);
    struct reg_subject *sub;
    struct reg_version *v;
    int rc = find_version(hc, &cs, reg_arg_bool(hc, "deleted"), &sub, &v, err);
    if (rc == 0) {
        /* getSchemaByVersion: formattedString(format) when one is asked for */
        const char *format = reg_arg(hc, "format");
        char *text = format ? reg_registry_formatted(hc->r, v->schema, format, NULL) : NULL;
        reg_put_schema_obj_fmt(out, sub, v, qualified_refs(hc), text);
        free(text);
    }
    pthread_rwlock_unlock(&hc->r->idx.lock);
    ctx_subject_destroy(&cs);
    return rc;
}

int reg_h_version_schema(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    struct ctx_subject cs;
    if (subject_param(hc, &cs, err) != 0)
        return -1;
    pthread_rwlock_rdlock(&hc->r->idx.lock);
    struct reg_subject *sub;
    struct reg_version *v;
    int rc = find_version(hc, &cs, reg_arg_bool(hc, "deleted"), &sub, &v, err);
    if (rc == 0)     /* unescaped, as SubjectVersionsResource.getSchemaOnly */
        fy_buf_puts(out, v->schema->schema);
    pthread_rwlock_unlock(&hc->r->idx.lock);
    ctx_subject_destroy(&cs);
    return rc;
}

static int cmp_int(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* Does any live version use `sc`? */
static bool schema_live(const struct reg_schema *sc)
{
    size_t it = 0;
    void *v;
    while (fy_map_next(&sc->ctx->subjects, &it, NULL, &v)) {
        const struct reg_subject *sub = v;
        for (size_t i = 0; i < sub->n_versions; i++)
            if (sub->versions[i]->schema == sc && !sub->versions[i]->deleted)
                return true;
    }
    return false;
}

int reg_h_referenced_by(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    struct ctx_subject cs;
    if (subject_param(hc, &cs, err) != 0)
        return -1;
    bool deleted = reg_arg_bool(hc, "deleted");
    pthread_rwlock_rdlock(&hc->r->idx.lock);
    struct reg_subject *sub;
    struct reg_version *v;
    /* getReferencedBy finds the version with deleted ones included, then
     * applies ?deleted to the referrers */
    int rc = find_version(hc, &cs, true, &sub, &v, err);
    if (rc == 0) {
        const struct reg_refs *refs = reg_index_referrers(&hc->r->idx, sub->qname, v->version);
        size_t n = 0;
        int32_t *ids = fy_malloc(((refs ? refs->n : 0) + 1) * sizeof *ids);
        for (size_t i = 0; refs && i < refs->n; i++)
            if (deleted || schema_live(refs->items[i]))
                ids[n++] = refs->items[i]->id;
        qsort(ids, n, sizeof *ids, cmp_int);
        size_t from, to;
        page(hc, n, 0, 0, &from, &to);
        fy_buf_putc(out, '[');
        for (size_t i = from; i < to; i++)
            fy_buf_printf(out, i > from ? ",%d" : "%d", (int)ids[i]);
        fy_buf_putc(out, ']');
        free(ids);
    }
    pthread_rwlock_unlock(&hc->r->idx.lock);
    ctx_subject_destroy(&cs);
    return rc;
}

int reg_h_contexts_list(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    (void)err;
    pthread_rwlock_rdlock(&hc->r->idx.lock);
    size_t n = 0;
    const char **names = fy_malloc((hc->r->idx.contexts.count + 1) * sizeof *names);
    size_t it = 0;
    void *cv;
    while (fy_map_next(&hc->r->idx.contexts, &it, NULL, &cv)) {
        const struct reg_context *c = cv;
        if (!ctx_is_default(c->name))
            names[n++] = c->name;
    }
    qsort(names, n, sizeof *names, cmp_str);
    /* "." always first, then the others sorted; ContextsResource.listContexts
     * keeps those starting with contextPrefix (case-sensitive), then pages */
    memmove(names + 1, names, n * sizeof *names);
    names[0] = CTX_DEFAULT;
    n++;
    const char *prefix = reg_arg(hc, "contextPrefix");
    if (prefix && prefix[0]) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (strncmp(names[i], prefix, strlen(prefix)) == 0)
                names[k++] = names[i];
        n = k;
    }
    size_t from, to;
    page(hc, n, 0, 0, &from, &to);
    fy_buf_putc(out, '[');
    for (size_t i = from; i < to; i++) {
        if (i > from)
            fy_buf_putc(out, ',');
        fy_jsonout_str(out, names[i]);
    }
    fy_buf_putc(out, ']');
    pthread_rwlock_unlock(&hc->r->idx.lock);
    free(names);
    return 0;
}

/* Does the stored metadata text hold every key=value pair of the request?
 * As AbstractSchemaRegistry.getLatestWithMetadata: a version without
 * metadata or without `properties` never matches, even for no pairs. */
static bool metadata_has_pairs(const char *metadata, const struct reg_hctx *hc)
{
    if (!metadata)
        return false;
    json_t *md = json_loads(metadata, 0, NULL);
    json_t *props = md ? json_object_get(md, "properties") : NULL;
    bool match = json_is_object(props);
    size_t ki = 0, vi = 0;
    /* the i-th `key` goes with the i-th `value`; extra ones of either are
     * ignored (SubjectsResource pairs them up to the shorter list) */
    while (match) {
        while (ki < hc->n_args && strcmp(hc->arg_names[ki], "key") != 0)
            ki++;
        while (vi < hc->n_args && strcmp(hc->arg_names[vi], "value") != 0)
            vi++;
        if (ki >= hc->n_args || vi >= hc->n_args)
            break;
        const char *have = json_string_value(json_object_get(props, hc->arg_values[ki]));
        match = have && strcmp(have, hc->arg_values[vi]) == 0;
        ki++;
        vi++;
    }
    json_decref(md);
    return match;
}

int reg_h_latest_with_metadata(struct reg_hctx *hc, struct fy_buf *out, struct fy_err *err)
{
    struct ctx_subject cs;
    if (subject_param(hc, &cs, err) != 0)
        return -1;
    bool deleted = reg_arg_bool(hc, "deleted");
    int rc = -1;
    pthread_rwlock_rdlock(&hc->r->idx.lock);
    struct reg_subject *sub = visible_subject(hc, &cs, deleted, err);
    for (size_t i = sub ? sub->n_versions : 0; i-- > 0;) {
        const struct reg_version *v = sub->versions[i];
        if ((!v->deleted || deleted) && metadata_has_pairs(v->schema->metadata, hc)) {
            reg_put_schema_obj(out, sub, v);
            rc = 0;
            break;
        }
    }
    if (sub && rc != 0)
        fy_err_set(err, REG_E_SCHEMA_NOT_FOUND, "Schema not found");
    pthread_rwlock_unlock(&hc->r->idx.lock);
    ctx_subject_destroy(&cs);
    return rc;
}
