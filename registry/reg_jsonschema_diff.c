/* SPDX-License-Identifier: Apache-2.0
 * reg_jsonschema_diff: Confluent's JSON Schema compatibility, SchemaDiff and
 * its per-type diffs (json-schema-provider diff/), over ferry's model. Every
 * Difference.Type, its compatible sets (COMPATIBLE_CHANGES_STRICT / _LENIENT),
 * the differences in Confluent's order: property sets iterate as Java's
 * HashSet<String> would (bucket of String.hashCode() in the table size the
 * JDK picks), so the lists match Confluent's diff test resources.
 * Pairs are memoised (Context.compareMemoized: identity of the two nodes,
 * differences relative to the pair, rebased on reuse); a pair met again while
 * in progress is a cycle, assumed compatible, and the pass repeats with the
 * incompatible pairs seeded until it is stable (SchemaDiff.compare's fixpoint).
 * The walk recurses along schema nesting, bounded by ferry.schema.max.depth,
 * and counts its work against ferry.compatibility.max.steps.
 * Difference paths are built only when a difference is reported.
 * Thread: any (one check's state is its own). */
#include "registry/reg_jsonschema.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "common/fy_map.h"
#include "registry/reg_avro.h"
#include "registry/reg_compat.h"
#include "registry/reg_jsonschema_int.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TYPES(X)                                                                                   \
    X(ID_CHANGED, 1, 1) X(DESCRIPTION_CHANGED, 1, 1) X(TITLE_CHANGED, 1, 1)                        \
    X(DEFAULT_CHANGED, 1, 1) X(SCHEMA_ADDED, 0, 0) X(SCHEMA_REMOVED, 1, 1)                         \
    X(TYPE_EXTENDED, 1, 1) X(TYPE_NARROWED, 0, 0) X(TYPE_CHANGED, 0, 0)                            \
    X(MAX_LENGTH_ADDED, 0, 0) X(MAX_LENGTH_REMOVED, 1, 1) X(MAX_LENGTH_INCREASED, 1, 1)            \
    X(MAX_LENGTH_DECREASED, 0, 0) X(MIN_LENGTH_ADDED, 0, 0) X(MIN_LENGTH_REMOVED, 1, 1)            \
    X(MIN_LENGTH_INCREASED, 0, 0) X(MIN_LENGTH_DECREASED, 1, 1) X(PATTERN_ADDED, 0, 0)             \
    X(PATTERN_REMOVED, 1, 1) X(PATTERN_CHANGED, 0, 0) X(MAXIMUM_ADDED, 0, 0)                       \
    X(MAXIMUM_REMOVED, 1, 1) X(MAXIMUM_INCREASED, 1, 1) X(MAXIMUM_DECREASED, 0, 0)                 \
    X(MINIMUM_ADDED, 0, 0) X(MINIMUM_REMOVED, 1, 1) X(MINIMUM_INCREASED, 0, 0)                     \
    X(MINIMUM_DECREASED, 1, 1) X(EXCLUSIVE_MAXIMUM_ADDED, 0, 0)                                    \
    X(EXCLUSIVE_MAXIMUM_REMOVED, 1, 1) X(EXCLUSIVE_MAXIMUM_INCREASED, 1, 1)                        \
    X(EXCLUSIVE_MAXIMUM_DECREASED, 0, 0) X(EXCLUSIVE_MINIMUM_ADDED, 0, 0)                          \
    X(EXCLUSIVE_MINIMUM_REMOVED, 1, 1) X(EXCLUSIVE_MINIMUM_INCREASED, 0, 0)                        \
    X(EXCLUSIVE_MINIMUM_DECREASED, 1, 1) X(MULTIPLE_OF_ADDED, 0, 0) X(MULTIPLE_OF_REMOVED, 1, 1)   \
    X(MULTIPLE_OF_EXPANDED, 0, 0) X(MULTIPLE_OF_REDUCED, 1, 1) X(MULTIPLE_OF_CHANGED, 0, 0)        \
    X(REQUIRED_ATTRIBUTE_ADDED, 0, 0) X(REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED, 1, 1)               \
    X(REQUIRED_ATTRIBUTE_REMOVED, 1, 1) X(MAX_PROPERTIES_ADDED, 0, 0)                              \
    X(MAX_PROPERTIES_REMOVED, 1, 1) X(MAX_PROPERTIES_INCREASED, 1, 1)                              \
    X(MAX_PROPERTIES_DECREASED, 0, 0) X(MIN_PROPERTIES_ADDED, 0, 0)                                \
    X(MIN_PROPERTIES_REMOVED, 1, 1) X(MIN_PROPERTIES_INCREASED, 0, 0)                              \
    X(MIN_PROPERTIES_DECREASED, 1, 1) X(ADDITIONAL_PROPERTIES_ADDED, 1, 1)                         \
    X(ADDITIONAL_PROPERTIES_REMOVED, 0, 1) X(ADDITIONAL_PROPERTIES_EXTENDED, 1, 1)                 \
    X(ADDITIONAL_PROPERTIES_NARROWED, 0, 1) X(DEPENDENCY_ARRAY_ADDED, 0, 0)                        \
    X(DEPENDENCY_ARRAY_REMOVED, 1, 1) X(DEPENDENCY_ARRAY_EXTENDED, 0, 0)                           \
    X(DEPENDENCY_ARRAY_NARROWED, 1, 1) X(DEPENDENCY_ARRAY_CHANGED, 0, 0)                           \
    X(DEPENDENCY_SCHEMA_ADDED, 0, 0) X(DEPENDENCY_SCHEMA_REMOVED, 1, 1)                            \
    X(PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL, 0, 0)                                                  \
    X(REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL, 0, 0)                                         \
    X(REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL, 0, 1)                            \
    X(OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL, 0, 1)                                         \
    X(PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL, 1, 1)                                \
    X(REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL, 0, 0)                                       \
    X(REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL, 1, 1)                          \
    X(OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL, 1, 1)                                       \
    X(PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL, 1, 1)                                              \
    X(PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL, 1, 1)                                 \
    X(PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL, 0, 1)                                            \
    X(PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, 1, 1)                           \
    X(PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, 0, 1)                          \
    X(PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, 1, 1)                             \
    X(PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, 0, 1)                            \
    X(RESERVED_PROPERTY_REMOVED, 0, 0) X(RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY, 0, 0)          \
    X(UNEVALUATED_PROPERTIES_ADDED, 1, 1) X(UNEVALUATED_PROPERTIES_REMOVED, 0, 1)                  \
    X(UNEVALUATED_PROPERTIES_EXTENDED, 1, 1) X(UNEVALUATED_PROPERTIES_NARROWED, 0, 1)              \
    X(MAX_ITEMS_ADDED, 0, 0) X(MAX_ITEMS_REMOVED, 1, 1) X(MAX_ITEMS_INCREASED, 1, 1)               \
    X(MAX_ITEMS_DECREASED, 0, 0) X(MIN_ITEMS_ADDED, 0, 0) X(MIN_ITEMS_REMOVED, 1, 1)               \
    X(MIN_ITEMS_INCREASED, 0, 0) X(MIN_ITEMS_DECREASED, 1, 1) X(MAX_CONTAINS_ADDED, 0, 0)          \
    X(MAX_CONTAINS_REMOVED, 1, 1) X(MAX_CONTAINS_INCREASED, 1, 1)                                  \
    X(MAX_CONTAINS_DECREASED, 0, 0) X(MIN_CONTAINS_ADDED, 0, 0) X(MIN_CONTAINS_REMOVED, 1, 1)      \
    X(MIN_CONTAINS_INCREASED, 0, 0) X(MIN_CONTAINS_DECREASED, 1, 1) X(UNIQUE_ITEMS_ADDED, 0, 0)    \
    X(UNIQUE_ITEMS_REMOVED, 1, 1) X(ADDITIONAL_ITEMS_ADDED, 1, 1)                                  \
    X(ADDITIONAL_ITEMS_REMOVED, 0, 0) X(ADDITIONAL_ITEMS_EXTENDED, 1, 1)                           \
    X(ADDITIONAL_ITEMS_NARROWED, 0, 0) X(UNEVALUATED_ITEMS_ADDED, 1, 1)                            \
    X(UNEVALUATED_ITEMS_REMOVED, 0, 0) X(UNEVALUATED_ITEMS_EXTENDED, 1, 1)                         \
    X(UNEVALUATED_ITEMS_NARROWED, 0, 0) X(ITEM_ADDED_TO_OPEN_CONTENT_MODEL, 0, 0)                  \
    X(ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL, 1, 1)                                    \
    X(ITEM_ADDED_TO_CLOSED_CONTENT_MODEL, 1, 1) X(ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL, 1, 1)      \
    X(ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL, 1, 1)                                     \
    X(ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL, 0, 0)                                                \
    X(ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, 1, 1)                               \
    X(ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, 0, 0)                              \
    X(ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, 1, 1)                                 \
    X(ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, 0, 0)                                \
    X(ENUM_ARRAY_EXTENDED, 1, 1) X(ENUM_ARRAY_NARROWED, 0, 0) X(ENUM_ARRAY_CHANGED, 0, 0)          \
    X(COMBINED_TYPE_EXTENDED, 1, 1) X(COMBINED_TYPE_CHANGED, 0, 0)                                 \
    X(PRODUCT_TYPE_EXTENDED, 0, 0) X(PRODUCT_TYPE_NARROWED, 1, 1) X(SUM_TYPE_EXTENDED, 1, 1)       \
    X(SUM_TYPE_NARROWED, 0, 0) X(COMBINED_TYPE_SUBSCHEMAS_CHANGED, 0, 0)                           \
    X(NOT_TYPE_EXTENDED, 0, 0) X(NOT_TYPE_NARROWED, 1, 1)

enum dtype {
#define X(name, strict, lenient) name,
    TYPES(X)
#undef X
        DTYPE_COUNT
};

static const char *const type_name[] = {
#define X(name, strict, lenient) #name,
    TYPES(X)
#undef X
};

/* SchemaDiff.COMPATIBLE_CHANGES_STRICT and _LENIENT */
static const bool compatible[2][DTYPE_COUNT] = {
    {
#define X(name, strict, lenient) strict,
        TYPES(X)
#undef X
    },
    {
#define X(name, strict, lenient) lenient,
        TYPES(X)
#undef X
    },
};

struct diff {
    enum dtype type;
    char *path; /* "#/a/b" */
};

struct dlist {
    struct diff *d;
    size_t n, alloc;
};

static void dl_add(struct dlist *l, enum dtype t, char *path)
{
    if (l->n == l->alloc) {
        l->alloc = l->alloc ? l->alloc * 2 : 4;
        l->d = fy_realloc(l->d, l->alloc * sizeof *l->d);
    }
    l->d[l->n].type = t;
    l->d[l->n].path = path;
    l->n++;
}

static void dl_destroy(struct dlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->d[i].path);
    free(l->d);
    memset(l, 0, sizeof *l);
}

struct memo {
    struct diff *d;
    size_t n;
};

/* Shared by every context of one check (Context's memo, inProgress, seed, optimism). */
struct dstate {
    bool lenient;
    struct fy_map memo;        /* pair -> struct memo * */
    struct fy_map in_progress; /* pair -> 1 */
    struct fy_map *seed;       /* pair -> struct memo * (the previous pass's incompatible) */
    bool optimism;
    uint64_t steps, max_steps;
    unsigned depth, max_depth;
    bool over;
    struct fy_err *err;
};

static struct memo no_diffs; /* a memoised pair without differences */

struct dctx {
    struct dstate *st;
    struct fy_buf *path; /* segments joined by '/', without the "#/"; a
                          * subcontext shares its parent's (Context.getSubcontext
                          * copies it; the sub's enters and leaves are balanced) */
    struct fy_buf own;
    struct dlist diffs;
};

/* A context rooted at a pair (empty path), or a subcontext of `parent`. */
static void ctx_init(struct dctx *c, struct dstate *st, struct dctx *parent)
{
    c->st = st;
    fy_buf_init(&c->own, 0);
    c->path = parent ? parent->path : &c->own;
    memset(&c->diffs, 0, sizeof c->diffs);
}

static void ctx_destroy(struct dctx *c)
{
    fy_buf_destroy(&c->own);
    dl_destroy(&c->diffs);
}

static size_t enter(struct dctx *c, const char *seg)
{
    size_t mark = c->path->len;
    if (c->path->len)
        fy_buf_putc(c->path, '/');
    fy_buf_puts(c->path, seg);
    return mark;
}

static void leave(struct dctx *c, size_t mark)
{
    c->path->len = mark;
    if (c->path->data)
        c->path->data[mark] = '\0';
}

static void add(struct dctx *c, enum dtype t)
{
    dl_add(&c->diffs, t, fy_strconcat("#/", fy_buf_str(c->path), NULL));
}

static void add_at(struct dctx *c, const char *attr, enum dtype t)
{
    size_t m = enter(c, attr);
    add(c, t);
    leave(c, m);
}

/* Context.addDifferences: the list (paths absolute already) appended, moved. */
static void add_all_move(struct dctx *c, struct dlist *from)
{
    for (size_t i = 0; i < from->n; i++)
        dl_add(&c->diffs, from->d[i].type, from->d[i].path);
    from->n = 0;
}

static void add_all_copy(struct dctx *c, const struct diff *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dl_add(&c->diffs, d[i].type, fy_strdup(d[i].path));
}

static bool list_compatible(const struct dstate *st, const struct diff *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!compatible[st->lenient][d[i].type])
            return false;
    return true;
}

static bool ctx_compatible(const struct dctx *c)
{
    return list_compatible(c->st, c->diffs.d, c->diffs.n);
}

/* ---- Java HashMap/HashSet iteration order ----------------------------------- */

static uint32_t spread(uint32_t h)
{
    return h ^ (h >> 16);
}

static size_t table_size_for(size_t c)
{
    size_t n = 1;
    while (n < c)
        n <<= 1;
    return n;
}

/* The capacity a HashMap grown by puts (from 16) has for n entries. */
static size_t grown_cap(size_t start, size_t n)
{
    size_t cap = start;
    while ((double)n > (double)cap * 0.75)
        cap <<= 1;
    return cap;
}

struct okey {
    const char *name;
    uint32_t hash;
    size_t bucket;
    struct js_prop *op, *up; /* the property in the original and in the update */
};

/* Stable reorder of keys by their bucket in a `cap`-slot table (a counting
 * sort: the order a HashMap of that capacity iterates them in). */
static void order_by_cap(struct okey *k, size_t n, size_t cap)
{
    if (n < 2)
        return;
    size_t *start = fy_calloc(cap + 1, sizeof *start);
    struct okey *tmp = fy_malloc(n * sizeof *tmp);
    for (size_t i = 0; i < n; i++) {
        k[i].bucket = spread(k[i].hash) & (cap - 1);
        start[k[i].bucket + 1]++;
    }
    for (size_t b = 0; b < cap; b++)
        start[b + 1] += start[b];
    for (size_t i = 0; i < n; i++)
        tmp[start[k[i].bucket]++] = k[i];
    memcpy(k, tmp, n * sizeof *k);
    free(tmp);
    free(start);
}

/* The order of a map built by puts in document order and then copied
 * (new HashMap<>(map), ObjectSchema's copy of the builder's maps). */
static void map_order(struct okey *k, size_t n)
{
    order_by_cap(k, n, grown_cap(16, n));
    order_by_cap(k, n, table_size_for((size_t)((float)n / 0.75f + 1.0f)));
}

/* new HashSet<>(a keys) then addAll(b keys): both in map_order, the union's order. */
static void union_order(struct okey *k, size_t na, size_t n)
{
    size_t cap = table_size_for((size_t)fmax((double)(int)((float)na / 0.75f) + 1, 16));
    cap = grown_cap(cap, n);
    order_by_cap(k, n, cap);
}

/* ---- the walk ------------------------------------------------------------- */

static void compare(struct dctx *c, struct js_node *o, struct js_node *u);

static struct js_node *deref(struct js_node *n)
{
    for (int i = 0; n && n->kind == JS_REF && i < 1000; i++)
        n = n->target;
    return n;
}

static bool is_empty(const struct js_node *n)
{
    return n && (n->kind == JS_EMPTY || n->kind == JS_TRUE);
}

static bool is_false(const struct js_node *n)
{
    return n && n->kind == JS_FALSE;
}

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static void cmp_num(struct dctx *c, const char *attr, struct js_num o, struct js_num u,
                    enum dtype added, enum dtype removed, enum dtype inc, enum dtype dec)
{
    if (!o.has && !u.has)
        return;
    if (!o.has)
        add_at(c, attr, added);
    else if (!u.has)
        add_at(c, attr, removed);
    else if (o.v < u.v)
        add_at(c, attr, inc);
    else if (o.v > u.v)
        add_at(c, attr, dec);
}

static void string_diff(struct dctx *c, struct js_node *o, struct js_node *u)
{
    cmp_num(c, "maxLength", o->max_length, u->max_length, MAX_LENGTH_ADDED, MAX_LENGTH_REMOVED,
            MAX_LENGTH_INCREASED, MAX_LENGTH_DECREASED);
    cmp_num(c, "minLength", o->min_length, u->min_length, MIN_LENGTH_ADDED, MIN_LENGTH_REMOVED,
            MIN_LENGTH_INCREASED, MIN_LENGTH_DECREASED);
    if (!o->pattern && u->pattern)
        add_at(c, "pattern", PATTERN_ADDED);
    else if (o->pattern && !u->pattern)
        add_at(c, "pattern", PATTERN_REMOVED);
    else if (o->pattern && strcmp(o->pattern, u->pattern) != 0)
        add_at(c, "pattern", PATTERN_CHANGED);
}

/* BigDecimal remainder == 0 for the divisions multipleOf needs, in doubles
 * with a relative tolerance for decimal fractions (0.1 * 3). */
static bool divides(double divisor, double x)
{
    if (divisor == 0)
        return false;
    double q = x / divisor;
    return fabs(q - nearbyint(q)) <= 1e-9 * fmax(1.0, fabs(q));
}

static void number_diff(struct dctx *c, struct js_node *o, struct js_node *u)
{
    cmp_num(c, "maximum", o->maximum, u->maximum, MAXIMUM_ADDED, MAXIMUM_REMOVED,
            MAXIMUM_INCREASED, MAXIMUM_DECREASED);
    cmp_num(c, "minimum", o->minimum, u->minimum, MINIMUM_ADDED, MINIMUM_REMOVED,
            MINIMUM_INCREASED, MINIMUM_DECREASED);
    cmp_num(c, "exclusiveMaximum", o->excl_maximum, u->excl_maximum, EXCLUSIVE_MAXIMUM_ADDED,
            EXCLUSIVE_MAXIMUM_REMOVED, EXCLUSIVE_MAXIMUM_INCREASED, EXCLUSIVE_MAXIMUM_DECREASED);
    cmp_num(c, "exclusiveMinimum", o->excl_minimum, u->excl_minimum, EXCLUSIVE_MINIMUM_ADDED,
            EXCLUSIVE_MINIMUM_REMOVED, EXCLUSIVE_MINIMUM_INCREASED, EXCLUSIVE_MINIMUM_DECREASED);
    struct js_num om = o->multiple_of, um = u->multiple_of;
    if (om.has != um.has || (om.has && om.v != um.v)) {
        if (!om.has)
            add_at(c, "multipleOf", MULTIPLE_OF_ADDED);
        else if (!um.has)
            add_at(c, "multipleOf", MULTIPLE_OF_REMOVED);
        else if (divides(om.v, um.v))
            add_at(c, "multipleOf", MULTIPLE_OF_EXPANDED);
        else if (divides(um.v, om.v))
            add_at(c, "multipleOf", MULTIPLE_OF_REDUCED);
        else
            add_at(c, "multipleOf", MULTIPLE_OF_CHANGED);
    }
    if (o->requires_integer != u->requires_integer)
        add(c, o->requires_integer ? TYPE_EXTENDED : TYPE_NARROWED);
}

static bool value_in(json_t *v, json_t *arr)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e) if (json_equal(v, e)) return true;
    return false;
}

static bool contains_all(json_t *big, json_t *small)
{
    size_t i;
    json_t *e;
    json_array_foreach(small, i, e) if (!value_in(e, big)) return false;
    return true;
}

static void enum_diff(struct dctx *c, struct js_node *o, struct js_node *u)
{
    bool ab = contains_all(u->values, o->values), ba = contains_all(o->values, u->values);
    if (ab && ba)
        return;
    if (ab)
        add_at(c, "enum", ENUM_ARRAY_EXTENDED);
    else if (ba)
        add_at(c, "enum", ENUM_ARRAY_NARROWED);
    else
        add_at(c, "enum", ENUM_ARRAY_CHANGED);
}

static void not_diff(struct dctx *c, struct js_node *o, struct js_node *u)
{
    size_t m = enter(c, "not");
    struct dctx sub;
    ctx_init(&sub, c->st, c);
    /* reversed: what the update must not match may only grow */
    compare(&sub, u->must_not, o->must_not);
    add(c, ctx_compatible(&sub) ? NOT_TYPE_NARROWED : NOT_TYPE_EXTENDED);
    ctx_destroy(&sub);
    leave(c, m);
}

/* ---- objects ---- */

static bool open_object(const struct js_node *n)
{
    if (!n->permits_additional || n->additional || n->npatterns)
        return false;
    return !n->uneval || is_empty(n->uneval);
}

static bool pattern_matches(const struct js_pattern *p, const char *name)
{
    return p->compiled && regexec(&p->re, name, 0, NULL, 0) == 0;
}

static struct js_node *partial_object(const struct js_node *n, const char *name)
{
    for (size_t i = 0; i < n->npatterns; i++)
        if (pattern_matches(&n->patterns[i], name))
            return n->patterns[i].schema;
    if (n->additional)
        return n->additional;
    if (n->permits_additional && n->uneval && !is_false(n->uneval) && !is_empty(n->uneval))
        return n->uneval;
    return NULL;
}

static bool has_default(const struct js_node *n)
{
    return n && n->def;
}

void reg_jsonschema_order_props(struct js_node *n)
{
    struct okey *k = fy_malloc((n->nprops + 1) * sizeof *k);
    for (size_t i = 0; i < n->nprops; i++) {
        k[i].name = n->props[i].name;
        k[i].hash = reg_jsonschema_java_hash(k[i].name, strlen(k[i].name));
        k[i].op = &n->props[i];
    }
    map_order(k, n->nprops);
    free(n->order);
    n->order = fy_malloc((n->nprops + 1) * sizeof *n->order);
    for (size_t i = 0; i < n->nprops; i++)
        n->order[i] = (struct js_okey){.name = k[i].name, .hash = k[i].hash, .prop = k[i].op};
    free(k);
}

/* ObjectSchemaDiff.compareRequired over the original's properties in their
 * HashMap order; match[i]: the update's property of o->order[i], or NULL. */
static void required_diff(struct dctx *c, struct js_node *o, struct js_prop **match)
{
    size_t m = enter(c, "required");
    for (size_t i = 0; i < o->nprops; i++) {
        struct js_prop *op = o->order[i].prop, *up = match[i];
        if (!up)
            continue;
        if (op->required && !up->required)
            add_at(c, op->name, REQUIRED_ATTRIBUTE_REMOVED);
        else if (!op->required && up->required)
            add_at(c, op->name, has_default(up->schema) ? REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED
                                                        : REQUIRED_ATTRIBUTE_ADDED);
    }
    leave(c, m);
}

static void partial_compare(struct dctx *c, struct js_node *o, struct js_node *u, enum dtype ok,
                            enum dtype bad)
{
    struct dctx sub;
    ctx_init(&sub, c->st, c);
    compare(&sub, o, u);
    bool compat = ctx_compatible(&sub);
    add_all_move(c, &sub.diffs);
    add(c, compat ? ok : bad);
    ctx_destroy(&sub);
}

static void property_removed(struct dctx *c, struct js_node *u, struct js_prop *op)
{
    if (open_object(u)) {
        add(c, PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL);
        return;
    }
    struct js_node *partial = partial_object(u, op->name);
    if (partial)
        partial_compare(c, op->schema, partial,
                        PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
                        PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL);
    else
        add(c, is_false(op->schema) ? PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL
                                    : PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL);
}

static void property_added(struct dctx *c, struct js_node *o, struct js_prop *up)
{
    if (open_object(o)) {
        if (is_empty(up->schema))
            add(c, PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL);
        else if (up->required)
            add(c, has_default(up->schema)
                       ? REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL
                       : REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL);
        else
            add(c, OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL);
        return;
    }
    struct js_node *partial = partial_object(o, up->name);
    if (partial)
        partial_compare(c, partial, up->schema,
                        PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
                        PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL);
    /* closed and partially open content models alike */
    if (up->required)
        add(c, has_default(up->schema) ? REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL
                                       : REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL);
    else
        add(c, OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL);
}

/* ObjectSchemaDiff.compareProperties over the union of the names, in the
 * order of the HashSet it builds. */
static void properties_diff(struct dctx *c, struct js_node *o, struct js_node *u,
                            struct js_prop **match)
{
    size_t m = enter(c, "properties");
    size_t n = 0;
    struct okey *all = fy_malloc((o->nprops + u->nprops + 1) * sizeof *all);
    for (size_t i = 0; i < o->nprops; i++)
        all[n++] = (struct okey){.name = o->order[i].name, .hash = o->order[i].hash,
                                 .op = o->order[i].prop, .up = match[i]};
    for (size_t i = 0; i < u->nprops; i++)
        if (!fy_map_get(&o->prop_index, u->order[i].name))
            all[n++] = (struct okey){.name = u->order[i].name, .hash = u->order[i].hash,
                                     .up = u->order[i].prop};
    union_order(all, o->nprops, n);
    for (size_t i = 0; i < n && !c->st->over; i++) {
        size_t m2 = enter(c, all[i].name);
        if (!all[i].up)
            property_removed(c, u, all[i].op);
        else if (!all[i].op)
            property_added(c, o, all[i].up);
        else
            compare(c, all[i].op->schema, all[i].up->schema);
        leave(c, m2);
    }
    free(all);
    leave(c, m);
}

static struct js_dep *find_dep(const struct js_node *n, const char *name, bool schema)
{
    for (size_t i = 0; i < n->ndeps; i++)
        if ((n->deps[i].schema != NULL) == schema && strcmp(n->deps[i].name, name) == 0)
            return &n->deps[i];
    return NULL;
}

static void dependencies_diff(struct dctx *c, struct js_node *o, struct js_node *u)
{
    if (!o->ndeps && !u->ndeps)
        return;
    size_t m = enter(c, "dependencies");
    for (int schema = 0; schema < 2; schema++) {
        struct okey *k = fy_malloc((o->ndeps + u->ndeps + 1) * sizeof *k);
        size_t na = 0, n;
        for (size_t i = 0; i < o->ndeps; i++)
            if ((o->deps[i].schema != NULL) == schema)
                k[na++] = (struct okey){.name = o->deps[i].name};
        for (size_t i = 0; i < na; i++)
            k[i].hash = reg_jsonschema_java_hash(k[i].name, strlen(k[i].name));
        map_order(k, na);
        n = na;
        struct okey *tail = k + na;
        size_t nb = 0;
        for (size_t i = 0; i < u->ndeps; i++)
            if ((u->deps[i].schema != NULL) == schema && !find_dep(o, u->deps[i].name, schema)) {
                tail[nb] = (struct okey){.name = u->deps[i].name};
                tail[nb].hash = reg_jsonschema_java_hash(tail[nb].name, strlen(tail[nb].name));
                nb++;
            }
        map_order(tail, nb);
        n += nb;
        union_order(k, na, n);
        for (size_t i = 0; i < n; i++) {
            struct js_dep *od = find_dep(o, k[i].name, schema), *ud = find_dep(u, k[i].name, schema);
            size_t m2 = enter(c, k[i].name);
            if (!ud) {
                add(c, schema ? DEPENDENCY_SCHEMA_REMOVED : DEPENDENCY_ARRAY_REMOVED);
            } else if (!od) {
                add(c, schema ? DEPENDENCY_SCHEMA_ADDED : DEPENDENCY_ARRAY_ADDED);
            } else if (schema) {
                compare(c, od->schema, ud->schema);
            } else {
                bool ab = contains_all(ud->names, od->names);
                bool ba = contains_all(od->names, ud->names);
                if (!(ab && ba))
                    add(c, ab ? DEPENDENCY_ARRAY_EXTENDED
                              : ba ? DEPENDENCY_ARRAY_NARROWED : DEPENDENCY_ARRAY_CHANGED);
            }
            leave(c, m2);
        }
        free(k);
    }
    leave(c, m);
}

static void additional_diff(struct dctx *c, struct js_node *o, struct js_node *u)
{
    size_t m = enter(c, "additionalProperties");
    if (o->permits_additional != u->permits_additional)
        add(c, u->permits_additional ? ADDITIONAL_PROPERTIES_ADDED : ADDITIONAL_PROPERTIES_REMOVED);
    else if (!o->additional && u->additional)
        add(c, ADDITIONAL_PROPERTIES_NARROWED);
    else if (!u->additional && o->additional)
        add(c, ADDITIONAL_PROPERTIES_EXTENDED);
    else
        compare(c, o->additional, u->additional);
    leave(c, m);
}

/* compareUnevaluatedProperties / compareUnevaluatedItems */
static void uneval_diff(struct dctx *c, const char *kw, struct js_node *ou, struct js_node *uu,
                        enum dtype added, enum dtype removed, enum dtype ext, enum dtype nar)
{
    if (!ou && !uu)
        return;
    size_t m = enter(c, kw);
    if (!ou)
        add(c, is_false(uu) ? removed : nar);
    else if (!uu)
        add(c, is_false(ou) ? added : ext);
    else if (is_false(ou) && !is_false(uu))
        add(c, added);
    else if (!is_false(ou) && is_false(uu))
        add(c, removed);
    else if (is_empty(ou) && !is_empty(uu))
        add(c, nar);
    else if (!is_empty(ou) && is_empty(uu))
        add(c, ext);
    else
        compare(c, ou, uu);
    leave(c, m);
}

static void object_diff(struct dctx *c, struct js_node *o, struct js_node *u)
{
    struct js_prop **match = fy_malloc((o->nprops + 1) * sizeof *match);
    for (size_t i = 0; i < o->nprops; i++)
        match[i] = fy_map_get(&u->prop_index, o->order[i].name);
    required_diff(c, o, match);
    properties_diff(c, o, u, match);
    free(match);
    dependencies_diff(c, o, u);
    additional_diff(c, o, u);
    uneval_diff(c, "unevaluatedProperties", o->uneval, u->uneval, UNEVALUATED_PROPERTIES_ADDED,
                UNEVALUATED_PROPERTIES_REMOVED, UNEVALUATED_PROPERTIES_EXTENDED,
                UNEVALUATED_PROPERTIES_NARROWED);
    cmp_num(c, "maxProperties", o->max_props, u->max_props, MAX_PROPERTIES_ADDED,
            MAX_PROPERTIES_REMOVED, MAX_PROPERTIES_INCREASED, MAX_PROPERTIES_DECREASED);
    cmp_num(c, "minProperties", o->min_props, u->min_props, MIN_PROPERTIES_ADDED,
            MIN_PROPERTIES_REMOVED, MIN_PROPERTIES_INCREASED, MIN_PROPERTIES_DECREASED);
}

/* ---- arrays ---- */

static bool open_array(const struct js_node *n)
{
    if (!n->permits_additional_items || n->additional_items)
        return false;
    return !n->uneval || is_empty(n->uneval);
}

static struct js_node *partial_array(const struct js_node *n)
{
    if (n->additional_items)
        return n->additional_items;
    if (n->permits_additional_items && n->uneval && !is_false(n->uneval) && !is_empty(n->uneval))
        return n->uneval;
    return NULL;
}

static void items_diff(struct dctx *c, struct js_node *o, struct js_node *u)
{
    size_t common = o->nitems < u->nitems ? o->nitems : u->nitems;
    char seg[32];
    for (size_t i = 0; i < o->nitems || i < u->nitems; i++) {
        snprintf(seg, sizeof seg, "items/%zu", i);
        size_t m = enter(c, seg);
        if (i < common) {
            compare(c, o->items[i], u->items[i]);
        } else if (i < o->nitems) {
            if (open_array(u)) {
                add(c, ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL);
            } else {
                struct js_node *partial = partial_array(u);
                if (partial)
                    partial_compare(c, o->items[i], partial,
                                    ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
                                    ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL);
                else
                    add(c, is_false(o->items[i]) ? ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL
                                                 : ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL);
            }
        } else {
            if (open_array(o)) {
                add(c, is_empty(u->items[i]) ? ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
                                             : ITEM_ADDED_TO_OPEN_CONTENT_MODEL);
            } else {
                struct js_node *partial = partial_array(o);
                if (partial)
                    partial_compare(c, partial, u->items[i],
                                    ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
                                    ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL);
                else
                    add(c, ITEM_ADDED_TO_CLOSED_CONTENT_MODEL);
            }
        }
        leave(c, m);
    }
}

static void array_diff(struct dctx *c, struct js_node *o, struct js_node *u)
{
    size_t m = enter(c, "items");
    compare(c, o->all_items, u->all_items);
    leave(c, m);
    items_diff(c, o, u);
    m = enter(c, "additionalItems");
    if (o->permits_additional_items != u->permits_additional_items)
        add(c, o->permits_additional_items ? ADDITIONAL_ITEMS_REMOVED : ADDITIONAL_ITEMS_ADDED);
    else if (!o->additional_items && u->additional_items)
        add(c, ADDITIONAL_ITEMS_NARROWED);
    else if (!u->additional_items && o->additional_items)
        add(c, ADDITIONAL_ITEMS_EXTENDED);
    else
        compare(c, o->additional_items, u->additional_items);
    leave(c, m);
    uneval_diff(c, "unevaluatedItems", o->uneval, u->uneval, UNEVALUATED_ITEMS_ADDED,
                UNEVALUATED_ITEMS_REMOVED, UNEVALUATED_ITEMS_EXTENDED, UNEVALUATED_ITEMS_NARROWED);
    cmp_num(c, "maxItems", o->max_items, u->max_items, MAX_ITEMS_ADDED, MAX_ITEMS_REMOVED,
            MAX_ITEMS_INCREASED, MAX_ITEMS_DECREASED);
    cmp_num(c, "minItems", o->min_items, u->min_items, MIN_ITEMS_ADDED, MIN_ITEMS_REMOVED,
            MIN_ITEMS_INCREASED, MIN_ITEMS_DECREASED);
    if (o->unique_items != u->unique_items)
        add_at(c, "uniqueItems", o->unique_items ? UNIQUE_ITEMS_REMOVED : UNIQUE_ITEMS_ADDED);
    cmp_num(c, "maxContains", o->max_contains, u->max_contains, MAX_CONTAINS_ADDED,
            MAX_CONTAINS_REMOVED, MAX_CONTAINS_INCREASED, MAX_CONTAINS_DECREASED);
    cmp_num(c, "minContains", o->min_contains, u->min_contains, MIN_CONTAINS_ADDED,
            MIN_CONTAINS_REMOVED, MIN_CONTAINS_INCREASED, MIN_CONTAINS_DECREASED);
}

/* ---- combined ---- */

static const char *crit_name(enum js_crit k)
{
    return k == JS_ALL ? "allOf" : k == JS_ANY ? "anyOf" : "oneOf";
}

/* LinkedHashSet<JsonSchema>: equal subschemas (same text) collapse. */
static size_t distinct_subs(const struct js_node *n, struct js_node **out)
{
    size_t k = 0;
    for (size_t i = 0; i < n->nsubs; i++) {
        bool dup = false;
        for (size_t j = 0; j < k && !dup; j++)
            dup = out[j] == n->subs[i] ||
                  (out[j]->raw && n->subs[i]->raw && out[j]->kind == n->subs[i]->kind &&
                   json_equal(out[j]->raw, n->subs[i]->raw));
        if (!dup)
            out[k++] = n->subs[i];
    }
    return k;
}

/* Maximum bipartite matching by augmenting paths (BFS, no recursion).
 * adj[i*nu+j]: original i can pair with update j. Fills match_o. */
static size_t max_matching(const bool *adj, size_t no, size_t nu, long *match_o)
{
    long *match_u = fy_malloc((nu + 1) * sizeof *match_u);
    long *prev = fy_malloc((nu + 1) * sizeof *prev);
    size_t *queue = fy_malloc((no + 1) * sizeof *queue);
    bool *seen = fy_malloc(nu + 1);
    for (size_t j = 0; j < nu; j++)
        match_u[j] = -1;
    for (size_t i = 0; i < no; i++)
        match_o[i] = -1;
    size_t size = 0;
    for (size_t s = 0; s < no; s++) {
        memset(seen, 0, nu + 1);
        size_t qh = 0, qt = 0;
        queue[qt++] = s;
        long found = -1;
        /* prev[j]: the original vertex that reached update j */
        while (qh < qt && found < 0) {
            size_t i = queue[qh++];
            for (size_t j = 0; j < nu && found < 0; j++) {
                if (!adj[i * nu + j] || seen[j])
                    continue;
                seen[j] = true;
                prev[j] = (long)i;
                if (match_u[j] < 0)
                    found = (long)j;
                else
                    queue[qt++] = (size_t)match_u[j];
            }
        }
        if (found < 0)
            continue;
        /* flip the path back to s */
        long j = found;
        while (j >= 0) {
            long i = prev[j];
            long next = match_o[i];
            match_o[i] = j;
            match_u[j] = i;
            j = next;
        }
        size++;
    }
    free(match_u);
    free(prev);
    free(queue);
    free(seen);
    return size;
}

static bool singleton(const struct js_node *n)
{
    return n->nsubs == 1;
}

static void combined_diff(struct dctx *c, struct js_node *o, struct js_node *u)
{
    if (o->crit != u->crit) {
        if (u->crit == JS_ANY || (singleton(o) && singleton(u)) ||
            (singleton(o) && u->crit == JS_ONE) || (singleton(u) && o->crit == JS_ALL)) {
            add(c, COMBINED_TYPE_EXTENDED);
        } else {
            add(c, COMBINED_TYPE_CHANGED);
            return;
        }
    }
    struct js_node **os = fy_malloc((o->nsubs + 1) * sizeof *os);
    struct js_node **us = fy_malloc((u->nsubs + 1) * sizeof *us);
    size_t no = distinct_subs(o, os), nu = distinct_subs(u, us);
    if (no < nu)
        add(c, u->crit == JS_ALL ? PRODUCT_TYPE_EXTENDED : SUM_TYPE_EXTENDED);
    else if (no > nu)
        add(c, o->crit == JS_ANY || o->crit == JS_ONE ? SUM_TYPE_NARROWED : PRODUCT_TYPE_NARROWED);
    bool *adj = fy_calloc(no * nu + 1, 1);
    struct dlist *edge = fy_calloc(no * nu + 1, sizeof *edge);
    char seg[40];
    for (size_t i = 0; i < no && !c->st->over; i++) {
        snprintf(seg, sizeof seg, "%s/%zu", crit_name(o->crit), i);
        size_t m = enter(c, seg);
        for (size_t j = 0; j < nu && !c->st->over; j++) {
            struct dctx sub;
            ctx_init(&sub, c->st, c);
            compare(&sub, os[i], us[j]);
            if (ctx_compatible(&sub)) {
                adj[i * nu + j] = true;
                edge[i * nu + j] = sub.diffs;
                memset(&sub.diffs, 0, sizeof sub.diffs);
            }
            ctx_destroy(&sub);
        }
        leave(c, m);
    }
    long *match = fy_malloc((no + 1) * sizeof *match);
    size_t size = max_matching(adj, no, nu, match);
    for (size_t i = 0; i < no; i++)
        if (match[i] >= 0)
            add_all_move(c, &edge[i * nu + (size_t)match[i]]);
    if (size < (no < nu ? no : nu))
        add(c, COMBINED_TYPE_SUBSCHEMAS_CHANGED);
    for (size_t k = 0; k < no * nu; k++)
        dl_destroy(&edge[k]);
    free(edge);
    free(match);
    free(adj);
    free(os);
    free(us);
}

/* ---- SchemaDiff.compareTypes ---- */

static bool default_equal(const json_t *a, const json_t *b)
{
    if (a == b)
        return true;
    if (!a || !b)
        return false;
    /* Objects.equals over org.json values: JSONObject and JSONArray compare by
     * identity, so two object or array defaults always differ */
    if (json_is_object(a) || json_is_array(a))
        return false;
    if (json_typeof(a) != json_typeof(b))
        return false;
    return json_equal(a, b);
}

static bool try_sub(struct dctx *c, struct js_node *o, struct js_node *u, enum dtype extra,
                    bool with_extra)
{
    struct dctx sub;
    ctx_init(&sub, c->st, c);
    compare(&sub, o, u);
    bool ok = ctx_compatible(&sub);
    if (ok) {
        add_all_move(c, &sub.diffs);
        if (with_extra)
            add(c, extra);
    }
    ctx_destroy(&sub);
    return ok;
}

static void compare_types(struct dctx *c, struct js_node *o, struct js_node *u)
{
    bool oc = o->kind == JS_COMBINED, uc = u->kind == JS_COMBINED;
    if (!oc && uc) {
        if (u->nsubs == 1) {
            if (try_sub(c, o, u->subs[0], SUM_TYPE_EXTENDED, false))
                return;
        } else if (u->crit == JS_ANY || u->crit == JS_ONE) {
            for (size_t i = 0; i < u->nsubs; i++)
                if (try_sub(c, o, u->subs[i], SUM_TYPE_EXTENDED, true))
                    return;
        }
    } else if (oc && !uc) {
        if (o->nsubs == 1) {
            if (try_sub(c, o->subs[0], u, PRODUCT_TYPE_NARROWED, false))
                return;
        } else if (o->crit == JS_ALL) {
            for (size_t i = 0; i < o->nsubs; i++)
                if (try_sub(c, o->subs[i], u, PRODUCT_TYPE_NARROWED, true))
                    return;
        }
    }
    if (o->kind != u->kind) {
        if (is_false(o) || is_empty(u))
            return;
        if (str_eq(o->connect_type, "bytes") && str_eq(u->connect_type, "bytes"))
            return;
        add(c, TYPE_CHANGED);
        return;
    }
    if (!str_eq(o->id, u->id))
        add(c, ID_CHANGED);
    if (!str_eq(o->title, u->title))
        add(c, TITLE_CHANGED);
    if (!str_eq(o->description, u->description))
        add(c, DESCRIPTION_CHANGED);
    if (!default_equal(o->def, u->def))
        add(c, DEFAULT_CHANGED);
    switch (o->kind) {
    case JS_STRING: string_diff(c, o, u); break;
    case JS_NUMBER: number_diff(c, o, u); break;
    case JS_CONST:
        if (!json_equal(o->values, u->values))
            add_at(c, "const", ENUM_ARRAY_CHANGED);
        break;
    case JS_ENUM: enum_diff(c, o, u); break;
    case JS_COMBINED: combined_diff(c, o, u); break;
    case JS_NOT: not_diff(c, o, u); break;
    case JS_OBJECT: object_diff(c, o, u); break;
    case JS_ARRAY: array_diff(c, o, u); break;
    default: break;
    }
}

/* ---- memoisation (Context.compareMemoized) ---- */

struct pair {
    const void *o, *u;
};

static void rebase_into(struct dctx *c, const struct diff *d, size_t n)
{
    if (c->path->len == 0) {
        add_all_copy(c, d, n);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        const char *rel = d[i].path;
        char *p = strlen(rel) <= 2 ? fy_strconcat("#/", fy_buf_str(c->path), NULL)
                                   : fy_strconcat("#/", fy_buf_str(c->path), "/", rel + 2, NULL);
        dl_add(&c->diffs, d[i].type, p);
    }
}

static void compare(struct dctx *c, struct js_node *o, struct js_node *u)
{
    struct dstate *st = c->st;
    if (st->over)
        return;
    if (++st->steps > st->max_steps) {
        st->over = true;
        fy_err_set(st->err, REG_E_INVALID_SCHEMA,
                   "Compatibility check exceeds the limit ferry.compatibility.max.steps=%llu",
                   (unsigned long long)st->max_steps);
        return;
    }
    if (!o && !u)
        return;
    if (!o) {
        add(c, SCHEMA_ADDED);
        return;
    }
    if (!u) {
        add(c, SCHEMA_REMOVED);
        return;
    }
    o = deref(o);
    u = deref(u);
    if (!o || !u)
        return;
    if (st->depth >= st->max_depth) {
        st->over = true;
        fy_err_set(st->err, REG_E_INVALID_SCHEMA,
                   "Compatibility check exceeds the limit ferry.schema.max.depth=%u",
                   st->max_depth);
        return;
    }
    /* equal texts without $ref, not or object defaults: SchemaDiff finds nothing */
    if (o->kind == u->kind && o->text && u->text && o->hash == u->hash &&
        o->text_len == u->text_len && memcmp(o->text, u->text, o->text_len) == 0)
        return;
    if (!o->shared && !u->shared) {
        /* reachable once per pair of paths: only a $ref target is met again
         * (and only through one can a walk cycle), so only those are memoised;
         * the differences are the same as with every pair memoised */
        st->depth++;
        compare_types(c, o, u);
        st->depth--;
        return;
    }
    struct pair key = {o, u};
    struct memo *mm = fy_map_getn(&st->memo, &key, sizeof key);
    if (mm) {
        rebase_into(c, mm->d, mm->n);
        return;
    }
    if (fy_map_getn(&st->in_progress, &key, sizeof key)) {
        struct memo *seeded = st->seed ? fy_map_getn(st->seed, &key, sizeof key) : NULL;
        if (seeded)
            rebase_into(c, seeded->d, seeded->n);
        else
            st->optimism = true;
        return;
    }
    fy_map_putn(&st->in_progress, &key, sizeof key, (void *)1);
    st->depth++;
    struct dctx sub;
    ctx_init(&sub, st, NULL);
    compare_types(&sub, o, u);
    st->depth--;
    fy_map_deln(&st->in_progress, &key, sizeof key);
    rebase_into(c, sub.diffs.d, sub.diffs.n);
    if (sub.diffs.n == 0) {
        fy_map_putn(&st->memo, &key, sizeof key, &no_diffs);
        ctx_destroy(&sub);
    } else {
        struct memo *e = fy_malloc(sizeof *e);
        e->d = sub.diffs.d;
        e->n = sub.diffs.n;
        memset(&sub.diffs, 0, sizeof sub.diffs);
        ctx_destroy(&sub);
        fy_map_putn(&st->memo, &key, sizeof key, e);
    }
}

static void memo_free_map(struct fy_map *m)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (fy_map_next(m, &it, &k, &v)) {
        struct memo *e = v;
        if (e == &no_diffs)
            continue;
        for (size_t i = 0; i < e->n; i++)
            free(e->d[i].path);
        free(e->d);
        free(e);
    }
    fy_map_destroy(m);
}

/* SchemaDiff.compare(compatibleChanges, original, update), fixpoint included.
 * 0 and the differences moved into *out, or -1 with err. */
static int run_diff(const struct reg_jsonschema *orig, const struct reg_jsonschema *upd,
                    bool lenient, struct dlist *out, struct fy_err *err)
{
    struct fy_map *seed = NULL;
    int rc = -1;
    reg_jsonschema_prepare(orig);
    reg_jsonschema_prepare(upd);
    for (int pass = 0; pass < 64; pass++) {
        struct dstate st = {.lenient = lenient, .seed = seed, .err = err};
        st.max_steps = reg_compat_get_limits()->max_steps;
        st.max_depth = reg_avro_get_limits()->max_depth;
        fy_map_init(&st.memo);
        fy_map_init(&st.in_progress);
        struct dctx c;
        ctx_init(&c, &st, NULL);
        compare(&c, orig->root, upd->root);
        fy_map_destroy(&st.in_progress);
        if (st.over) {
            ctx_destroy(&c);
            memo_free_map(&st.memo);
            break;
        }
        /* the incompatible memoised pairs: the next pass's seed */
        struct fy_map *next = fy_malloc(sizeof *next);
        fy_map_init(next);
        size_t it = 0, nnext = 0;
        const char *k;
        void *v;
        while (fy_map_next(&st.memo, &it, &k, &v)) {
            struct memo *e = v;
            if (e != &no_diffs && !list_compatible(&st, e->d, e->n)) {
                fy_map_putn(next, k, sizeof(struct pair), e);
                nnext++;
            }
        }
        size_t nseed = seed ? seed->count : 0;
        bool same = nnext == nseed;
        if (same && seed) {
            it = 0;
            while (fy_map_next(next, &it, &k, &v))
                if (!fy_map_getn(seed, k, sizeof(struct pair))) {
                    same = false;
                    break;
                }
        }
        if (!st.optimism || same) {
            *out = c.diffs;
            memset(&c.diffs, 0, sizeof c.diffs);
            ctx_destroy(&c);
            fy_map_destroy(next);
            free(next);
            memo_free_map(&st.memo);
            rc = 0;
            break;
        }
        ctx_destroy(&c);
        /* the seed must own its entries past this pass's memo */
        it = 0;
        while (fy_map_next(next, &it, &k, &v)) {
            struct memo *e = v, *copy = fy_malloc(sizeof *copy);
            copy->n = e->n;
            copy->d = fy_malloc(e->n * sizeof *copy->d);
            for (size_t i = 0; i < e->n; i++) {
                copy->d[i].type = e->d[i].type;
                copy->d[i].path = fy_strdup(e->d[i].path);
            }
            fy_map_putn(next, k, sizeof(struct pair), copy);
        }
        memo_free_map(&st.memo);
        if (seed) {
            memo_free_map(seed);
            free(seed);
        }
        seed = next;
    }
    if (seed) {
        memo_free_map(seed);
        free(seed);
    }
    return rc;
}

/* ---- messages (Difference.error / toString) ---- */

static const char *template_for(enum dtype t)
{
    switch (t) {
    case MAXIMUM_ADDED: case MINIMUM_ADDED: case EXCLUSIVE_MAXIMUM_ADDED:
    case EXCLUSIVE_MINIMUM_ADDED: case MULTIPLE_OF_ADDED: case MAX_LENGTH_ADDED:
    case MIN_LENGTH_ADDED: case PATTERN_ADDED: case REQUIRED_ATTRIBUTE_ADDED:
    case MAX_PROPERTIES_ADDED: case MIN_PROPERTIES_ADDED: case DEPENDENCY_ARRAY_ADDED:
    case DEPENDENCY_SCHEMA_ADDED: case MAX_ITEMS_ADDED: case MIN_ITEMS_ADDED:
    case MAX_CONTAINS_ADDED: case MIN_CONTAINS_ADDED: case UNIQUE_ITEMS_ADDED:
    case ADDITIONAL_ITEMS_REMOVED: case ADDITIONAL_PROPERTIES_REMOVED:
    case UNEVALUATED_PROPERTIES_REMOVED: case UNEVALUATED_ITEMS_REMOVED:
        return "The keyword at path '@' in the %s schema is not present in the %s schema";
    case MIN_LENGTH_INCREASED: case MINIMUM_INCREASED: case EXCLUSIVE_MINIMUM_INCREASED:
    case MIN_PROPERTIES_INCREASED: case MULTIPLE_OF_EXPANDED: case MIN_ITEMS_INCREASED:
    case MIN_CONTAINS_INCREASED:
        return "The value at path '@' in the %s schema is more than its value in the %s schema";
    case MAX_LENGTH_DECREASED: case MAXIMUM_DECREASED: case MAX_ITEMS_DECREASED:
    case MAX_CONTAINS_DECREASED: case EXCLUSIVE_MAXIMUM_DECREASED: case MAX_PROPERTIES_DECREASED:
        return "The value at path '@' in the %s schema is less than its value in the %s schema";
    case PATTERN_CHANGED: case MULTIPLE_OF_CHANGED: case DEPENDENCY_ARRAY_CHANGED:
        return "The value at path '@' is different between the %s and %s schema";
    case ADDITIONAL_ITEMS_NARROWED: case ENUM_ARRAY_NARROWED: case SUM_TYPE_NARROWED:
    case ADDITIONAL_PROPERTIES_NARROWED: case UNEVALUATED_PROPERTIES_NARROWED:
    case UNEVALUATED_ITEMS_NARROWED:
        return "An array or combined type at path '@' has fewer elements in the %s schema than "
               "the %s schema";
    case DEPENDENCY_ARRAY_EXTENDED: case PRODUCT_TYPE_EXTENDED: case SUM_TYPE_EXTENDED:
    case NOT_TYPE_EXTENDED:
        return "An array or combined type at path '@' has more elements in the %s schema than "
               "the %s schema";
    case TYPE_CHANGED: case TYPE_NARROWED: case COMBINED_TYPE_CHANGED:
    case COMBINED_TYPE_SUBSCHEMAS_CHANGED: case ENUM_ARRAY_CHANGED:
        return "A type at path '@' is different between the %s schema and the %s schema";
    case REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL:
    case REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_OPEN_CONTENT_MODEL:
    case OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL: case ITEM_ADDED_TO_OPEN_CONTENT_MODEL:
        return "The %s schema has an open content model and has a property or item at path '@' "
               "which is missing in the %s schema";
    case REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL:
        return "The %s schema has an unopen content model and has a required property at path "
               "'@' which is missing in the %s schema";
    case PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL: case ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL:
        return "The %s has a closed content model and is missing a property or item present at "
               "path '@' in the %s schema";
    case PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL:
    case ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL:
        return "A property or item is missing in the %s schema but present at path '@' in the "
               "%s schema and is not covered by its partially open content model";
    case PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL:
    case ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL:
        return "The %s schema has a property or item at path '@' which is missing in the %s "
               "schema and is not covered by its partially open content model";
    case RESERVED_PROPERTY_REMOVED:
        return "The %s schema has reserved property '@' removed from its metadata which is "
               "present in the %s schema.";
    case RESERVED_PROPERTY_CONFLICTS_WITH_PROPERTY:
        return "The %s schema has property at path '@' that conflicts with the reserved "
               "properties which is missing in the %s schema.";
    default:
        return "";
    }
}

/* {errorType:"T", description:"...'} with '@' the path and the %s filled. */
static char *message(const struct diff *d, const char *first, const char *second)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_printf(&b, "{errorType:\"%s\", description:\"", type_name[d->type]);
    int nth = 0;
    for (const char *t = template_for(d->type); *t; t++) {
        if (*t == '@') {
            fy_buf_puts(&b, d->path);
        } else if (t[0] == '%' && t[1] == 's') {
            fy_buf_puts(&b, nth++ == 0 ? first : second);
            t++;
        } else {
            fy_buf_putc(&b, *t);
        }
    }
    fy_buf_puts(&b, "'}");
    return fy_buf_steal(&b);
}

int reg_jsonschema_compat(const struct reg_jsonschema *reader, const struct reg_jsonschema *writer,
                          bool lenient, const char *first, const char *second, char ***messages,
                          struct fy_err *err)
{
    struct dlist d = {0};
    if (run_diff(writer, reader, lenient, &d, err) != 0)
        return -1;
    size_t bad = 0;
    for (size_t i = 0; i < d.n; i++)
        bad += !compatible[lenient][d.d[i].type];
    if (messages) {
        char **m = fy_calloc(bad + 1, sizeof *m);
        size_t k = 0;
        for (size_t i = 0; i < d.n; i++)
            if (!compatible[lenient][d.d[i].type])
                m[k++] = message(&d.d[i], first, second);
        *messages = m;
    }
    dl_destroy(&d);
    return (int)bad;
}

void reg_jsonschema_messages_free(char **messages)
{
    if (!messages)
        return;
    for (char **m = messages; *m; m++)
        free(*m);
    free(messages);
}

int reg_jsonschema_diff(const struct reg_jsonschema *original, const struct reg_jsonschema *update,
                        char ***changes, struct fy_err *err)
{
    struct dlist d = {0};
    if (run_diff(original, update, false, &d, err) != 0)
        return -1;
    char **m = fy_calloc(d.n + 1, sizeof *m);
    for (size_t i = 0; i < d.n; i++)
        m[i] = fy_strconcat(type_name[d.d[i].type], " ", d.d[i].path, NULL);
    *changes = m;
    dl_destroy(&d);
    return 0;
}

bool reg_jsonschema_change_compatible(const char *name, bool lenient)
{
    for (size_t i = 0; i < DTYPE_COUNT; i++)
        if (strcmp(type_name[i], name) == 0)
            return compatible[lenient][i];
    return false;
}
