/* SPDX-License-Identifier: Apache-2.0
 * reg_proto_diff: Confluent's protobuf-provider diff/ over the reg_proto
 * model (see reg_proto_diff.h). The Java classes map to sections here:
 * Context (type tables, scopes, resolve), SchemaDiff.compareTypeElements,
 * MessageSchemaDiff.compare, FieldSchemaDiff, EnumSchemaDiff, Difference.
 * Iteration orders: Java's HashMap/HashSet order is bucket order (the
 * spread hash masked by the table size) with ties in insertion order; it
 * is reproduced for the sets Confluent iterates (message and enum names,
 * enum tags), the TreeSets are sorted. */
#include "registry/reg_proto_diff.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "common/fy_map.h"
#include "registry/reg_avro.h"
#include "registry/reg_proto_int.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- Difference --------------------------------------------------------- */

static const char *const type_names[] = {
    "PACKAGE_CHANGED",
    "MESSAGE_ADDED",
    "MESSAGE_REMOVED",
    "MESSAGE_MOVED",
    "ENUM_ADDED",
    "ENUM_REMOVED",
    "ENUM_CONST_ADDED",
    "ENUM_CONST_CHANGED",
    "ENUM_CONST_REMOVED",
    "FIELD_ADDED",
    "FIELD_REMOVED",
    "FIELD_NAME_CHANGED",
    "FIELD_KIND_CHANGED",
    "FIELD_SCALAR_KIND_CHANGED",
    "FIELD_NAMED_TYPE_CHANGED",
    "FIELD_NUMERIC_LABEL_CHANGED",
    "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
    "REQUIRED_FIELD_ADDED",
    "REQUIRED_FIELD_REMOVED",
    "ONEOF_ADDED",
    "ONEOF_REMOVED",
    "ONEOF_FIELD_ADDED",
    "ONEOF_FIELD_REMOVED",
    "ONEOF_FIELD_MOVED_TO_TOP_LEVEL",
    "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
    "FIELD_MOVED_TO_EXISTING_ONEOF",
};

const char *reg_proto_diff_type_name(enum reg_proto_diff_type t)
{
    return (size_t)t < sizeof type_names / sizeof type_names[0] ? type_names[t] : "?";
}

bool reg_proto_diff_compatible(enum reg_proto_diff_type t)
{
    switch (t) {
    case REG_PROTO_MESSAGE_ADDED:
    case REG_PROTO_MESSAGE_MOVED:
    case REG_PROTO_ENUM_ADDED:
    case REG_PROTO_ENUM_REMOVED:
    case REG_PROTO_ENUM_CONST_ADDED:
    case REG_PROTO_ENUM_CONST_CHANGED:
    case REG_PROTO_ENUM_CONST_REMOVED:
    case REG_PROTO_FIELD_ADDED:
    case REG_PROTO_FIELD_REMOVED:
    case REG_PROTO_FIELD_NAME_CHANGED:
    case REG_PROTO_FIELD_STRING_OR_BYTES_LABEL_CHANGED:
    case REG_PROTO_ONEOF_ADDED:
    case REG_PROTO_ONEOF_REMOVED:
    case REG_PROTO_ONEOF_FIELD_ADDED:
    case REG_PROTO_ONEOF_FIELD_MOVED_TO_TOP_LEVEL:
        return true;
    default:
        return false;
    }
}

void reg_proto_differences_free(struct reg_proto_differences *d)
{
    for (size_t i = 0; d && i < d->n; i++)
        free(d->v[i].path);
    if (d) {
        free(d->v);
        memset(d, 0, sizeof *d);
    }
}

/* Difference.error(): the description, "%s" for the reader's word and then
 * the writer's. */
static const char *description(enum reg_proto_diff_type t)
{
    switch (t) {
    case REG_PROTO_PACKAGE_CHANGED:
        return "The package at '@' in the %s schema does not match the package in the %s schema";
    case REG_PROTO_MESSAGE_REMOVED:
        return "The %s schema is missing a MESSAGE type at path '@' in the %s schema";
    case REG_PROTO_FIELD_KIND_CHANGED:
        return "The type of a field at path '@' in the %s schema does not match the %s schema";
    case REG_PROTO_FIELD_SCALAR_KIND_CHANGED:
        return "The kind of a SCALAR field at path '@' in the %s schema does not match its kind "
               "in the %s schema";
    case REG_PROTO_FIELD_NAMED_TYPE_CHANGED:
        return "The type of a MESSAGE field at path '@' in the %s schema does not match its type "
               "in the %s schema";
    case REG_PROTO_FIELD_NUMERIC_LABEL_CHANGED:
        return "The label for a NUMERIC field at path '@' in the %s schema does not match its "
               "label in the %s schema";
    case REG_PROTO_REQUIRED_FIELD_ADDED:
        return "A required field  at path '@' in the %s schema is missing in the %s schema";
    case REG_PROTO_REQUIRED_FIELD_REMOVED:
        return "The %s schema is missing a required field at path: '@' in the %s schema";
    case REG_PROTO_ONEOF_FIELD_REMOVED:
        return "The %s schema is missing a oneof field at path '@' in the %s schema";
    case REG_PROTO_ONEOF_FIELD_MOVED_TO_TOP_LEVEL:
        return "The oneof field at path '@' in the %s schema was moved out of its oneof to a "
               "top-level field in the %s schema";
    case REG_PROTO_MULTIPLE_FIELDS_MOVED_TO_ONEOF:
        return "Multiple fields in the oneof at path '@' in the %s schema are outside a oneof in "
               "the %s schema";
    case REG_PROTO_FIELD_MOVED_TO_EXISTING_ONEOF:
        return "A field in the oneof at path '@' in the %s schema is outside an existing oneof in "
               "the %s schema";
    default:
        return "";
    }
}

char *reg_proto_difference_message(const struct reg_proto_difference *d, const char *rw,
                                   const char *ww)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_printf(&b, "{errorType:\"%s\", description:\"", reg_proto_diff_type_name(d->type));
    const char *words[2] = {rw, ww};
    int w = 0;
    for (const char *p = description(d->type); *p; p++) {
        if (*p == '@') {
            fy_buf_puts(&b, d->path);
        } else if (p[0] == '%' && p[1] == 's') {
            fy_buf_puts(&b, w < 2 ? words[w] : "");
            w++;
            p++;
        } else {
            fy_buf_putc(&b, *p);
        }
    }
    fy_buf_puts(&b, "\"}");
    return fy_buf_steal(&b);
}

/* ---- Java's hash orders ------------------------------------------------- */

/* String.hashCode over the UTF-16 units of UTF-8 `s`. */
static uint32_t java_string_hash(const char *s)
{
    uint32_t h = 0;
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        uint32_t cp;
        size_t len;
        if (*p < 0x80) {
            cp = *p;
            len = 1;
        } else if ((*p & 0xE0) == 0xC0 && p[1]) {
            cp = (uint32_t)(*p & 0x1F) << 6 | (p[1] & 0x3F);
            len = 2;
        } else if ((*p & 0xF0) == 0xE0 && p[1] && p[2]) {
            cp = (uint32_t)(*p & 0x0F) << 12 | (uint32_t)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
            len = 3;
        } else if ((*p & 0xF8) == 0xF0 && p[1] && p[2] && p[3]) {
            cp = (uint32_t)(*p & 0x07) << 18 | (uint32_t)(p[1] & 0x3F) << 12 |
                 (uint32_t)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
            len = 4;
        } else {
            cp = 0xFFFD; /* not UTF-8: any stable value */
            len = 1;
        }
        if (cp > 0xFFFF) {
            cp -= 0x10000;
            h = 31 * h + (0xD800 + (cp >> 10));
            h = 31 * h + (0xDC00 + (cp & 0x3FF));
        } else {
            h = 31 * h + cp;
        }
        p += len;
    }
    return h;
}

struct horder {
    uint32_t bucket;
    size_t seq; /* insertion position */
    size_t item;
};

static int cmp_horder(const void *a, const void *b)
{
    const struct horder *x = a, *y = b;
    if (x->bucket != y->bucket)
        return x->bucket < y->bucket ? -1 : 1;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* The iteration order of a java.util.HashMap whose table starts at `cap`
 * (a power of two) into which `n` distinct keys with hashes `h` went in
 * that order: `order` gets their positions. (Resizes double the table when
 * the size passes 3/4 of it; a bucket keeps insertion order.) */
static void java_order(const uint32_t *h, size_t n, size_t cap, size_t *order)
{
    while (n > cap / 4 * 3)
        cap *= 2;
    struct horder *o = fy_malloc((n ? n : 1) * sizeof *o);
    for (size_t i = 0; i < n; i++) {
        uint32_t s = h[i] ^ (h[i] >> 16);
        o[i] = (struct horder){.bucket = s & (uint32_t)(cap - 1), .seq = i, .item = i};
    }
    qsort(o, n, sizeof *o, cmp_horder);
    for (size_t i = 0; i < n; i++)
        order[i] = o[i].item;
    free(o);
}

/* HashSet(Collection c)'s first table (JDK 8-18: max(size/.75f + 1, 16)). */
static size_t set_capacity(size_t n)
{
    size_t want = (size_t)((float)n / .75f) + 1;
    if (want < 16)
        want = 16;
    size_t cap = 1;
    while (cap < want)
        cap <<= 1;
    return cap;
}

/* ---- Context ------------------------------------------------------------ */

/* TypeElementInfo */
struct tinfo {
    const char *pkg;                       /* "" when none */
    const struct reg_proto_diff_ref *ref;  /* NULL: no SchemaReference */
    const struct reg_proto_type *type;
    bool is_map;
    const struct reg_proto_field *key, *value;
};

/* One side's types by full name. */
struct table {
    struct fy_map types;       /* full name -> struct tinfo */
    struct tinfo **all;        /* owned */
    size_t n_all, cap_all;
    const char *pkg;           /* the schema's own package ("" when none) */
    bool known_layer;          /* look in the shared known table after this one */
};

/* the schema itself: Confluent's dummy SchemaReference("", "", -1) */
static const struct reg_proto_diff_ref self_ref = {.subject = "", .version = -1, .direct = true};

struct scope {
    char **v;
    size_t n, cap;
};

static void scope_push(struct scope *s, const char *name)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 8;
        s->v = fy_realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = fy_strdup(name);
}

static void scope_pop(struct scope *s)
{
    free(s->v[--s->n]);
}

static void scope_free(struct scope *s)
{
    while (s->n)
        scope_pop(s);
    free(s->v);
    memset(s, 0, sizeof *s);
}

static char *scope_join(const struct scope *s, const char *sep)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    for (size_t i = 0; i < s->n; i++) {
        if (i)
            fy_buf_puts(&b, sep);
        fy_buf_puts(&b, s->v[i]);
    }
    return fy_buf_steal(&b);
}

static void table_add(struct table *t, const char *full, struct tinfo *ti)
{
    if (t->n_all == t->cap_all) {
        t->cap_all = t->cap_all ? 2 * t->cap_all : 16;
        t->all = fy_realloc(t->all, t->cap_all * sizeof *t->all);
    }
    t->all[t->n_all++] = ti;
    fy_map_put(&t->types, full, ti);
}

/* Context.collectTypeInfo(ref, types): the nesting is bounded by the parse
 * (reg_proto_limits.max_depth), so this recursion is too. */
static void collect_types(struct table *t, struct scope *path, const char *pkg,
                          const struct reg_proto_diff_ref *ref, const struct reg_proto_types *types)
{
    for (size_t i = 0; i < types->n; i++) {
        const struct reg_proto_type *ty = types->v[i];
        scope_push(path, ty->name);
        struct tinfo *ti = fy_calloc(1, sizeof *ti);
        ti->pkg = pkg;
        ti->ref = ref;
        ti->type = ty;
        if (reg_proto_is_map_entry(ty)) {
            ti->is_map = true;
            ti->key = reg_proto_find_field(&ty->msg.fields, "key");
            ti->value = reg_proto_find_field(&ty->msg.fields, "value");
        }
        char *joined = scope_join(path, ".");
        char *full = pkg[0] ? fy_asprintf("%s.%s", pkg, joined) : fy_strdup(joined);
        table_add(t, full, ti);
        free(full);
        free(joined);
        if (!ty->is_enum)
            collect_types(t, path, pkg, ref, &ty->msg.nested);
        scope_pop(path);
    }
}

static void collect_file(struct table *t, const struct reg_proto_file *f,
                         const struct reg_proto_diff_ref *ref)
{
    struct scope path = {0};
    collect_types(t, &path, f->package ? f->package : "", ref, &f->types);
    scope_free(&path);
}

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->n_all; i++)
        free(t->all[i]);
    free(t->all);
    fy_map_destroy(&t->types);
}

/* The known files (KNOWN_DEPENDENCIES), collected once, shared read-only. */
static struct table known;
static pthread_once_t known_once = PTHREAD_ONCE_INIT;

static void known_build(void)
{
    fy_map_init(&known.types);
    size_t n;
    const struct reg_proto_dep *k = reg_proto_known_deps(&n);
    for (size_t i = 0; i < n; i++)
        collect_file(&known, k[i].file, NULL);
}

/* Context.collectTypeInfo(schema): dependenciesWithLogicalTypes (the
 * dependencies, plus the known files no dependency replaces), then the
 * schema itself. */
static void table_build(struct table *t, const struct reg_proto_diff_side *s)
{
    memset(t, 0, sizeof *t);
    fy_map_init(&t->types);
    size_t n_known;
    const struct reg_proto_dep *k = reg_proto_known_deps(&n_known);
    bool replaced = false;
    for (size_t i = 0; i < s->n_deps && !replaced; i++)
        for (size_t j = 0; j < n_known && !replaced; j++)
            replaced = strcmp(s->deps[i].name, k[j].name) == 0;
    if (replaced) {
        /* a reference named like a known file takes its place: no shared layer */
        for (size_t j = 0; j < n_known; j++) {
            bool mine = false;
            for (size_t i = 0; i < s->n_deps && !mine; i++)
                mine = strcmp(s->deps[i].name, k[j].name) == 0;
            if (!mine)
                collect_file(t, k[j].file, NULL);
        }
    } else {
        pthread_once(&known_once, known_build);
        t->known_layer = true;
    }
    for (size_t i = 0; i < s->n_deps; i++) {
        const struct reg_proto_diff_ref *r = s->refs && s->refs[i].direct ? &s->refs[i] : NULL;
        collect_file(t, s->deps[i].file, r);
    }
    collect_file(t, s->file, &self_ref);
    t->pkg = s->file->package ? s->file->package : "";
}

static const struct tinfo *table_get(const struct table *t, const char *full)
{
    if (full[0] == '.')
        full++;
    const struct tinfo *ti = fy_map_get(&t->types, full);
    if (!ti && t->known_layer)
        ti = fy_map_get(&known.types, full);
    return ti;
}

/* What one SchemaDiff.compare shares across its (sub)contexts. */
struct run {
    struct table side[2]; /* 0 = original, 1 = update */
    uint64_t steps, max_steps;
    size_t depth, max_depth;
    const char *over; /* the limit that ran out, or NULL */
};

/* Context (one per compare and subcontext). */
struct dctx {
    struct run *run;
    const char *pkg[2];        /* originalPackageName, updatePackageName */
    struct scope path, name;   /* fullPath, fullName */
    const struct reg_proto_type **schemas; /* enterSchema's set (originals in progress) */
    size_t n_schemas, cap_schemas;
    struct reg_proto_differences *diffs;
};

static bool stopped(struct dctx *c)
{
    return c->run->over != NULL;
}

static void spend(struct dctx *c, uint64_t n)
{
    c->run->steps += n;
    if (c->run->steps > c->run->max_steps && !c->run->over)
        c->run->over = "ferry.compatibility.max.steps";
}

static void add_diff(struct dctx *c, enum reg_proto_diff_type t)
{
    struct reg_proto_differences *d = c->diffs;
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 8;
        d->v = fy_realloc(d->v, d->cap * sizeof *d->v);
    }
    char *joined = scope_join(&c->path, "/");
    d->v[d->n].type = t;
    d->v[d->n].path = fy_asprintf("#/%s", joined);
    d->n++;
    free(joined);
    spend(c, 1);
}

static void add_diff_at(struct dctx *c, const char *elem, enum reg_proto_diff_type t)
{
    scope_push(&c->path, elem);
    add_diff(c, t);
    scope_pop(&c->path);
}

static void enter_name(struct dctx *c, const char *name)
{
    scope_push(&c->path, name);
    scope_push(&c->name, name);
}

static void leave_name(struct dctx *c)
{
    scope_pop(&c->name);
    scope_pop(&c->path);
}

/* Context.resolveFull for types: the full name (**new**, no leading dot)
 * and its info, or NULL. */
static char *resolve(struct dctx *c, const char *name, int side, const struct tinfo **out)
{
    const struct table *t = &c->run->side[side];
    const struct tinfo *ti;
    *out = NULL;
    if (name[0] == '.') {
        ti = table_get(t, name + 1);
        if (ti) {
            *out = ti;
            return fy_strdup(name + 1);
        }
        return NULL;
    }
    /* prefix: the package's parts, then fullName; shortened from the end */
    struct fy_buf prefix;
    fy_buf_init(&prefix, 0);
    const char *pkg = c->pkg[side];
    fy_buf_puts(&prefix, pkg);
    for (size_t i = 0; i < c->name.n; i++) {
        if (fy_buf_str(&prefix)[0])
            fy_buf_putc(&prefix, '.');
        fy_buf_puts(&prefix, c->name.v[i]);
    }
    char *p = fy_buf_steal(&prefix);
    size_t len = strlen(p);
    char *found = NULL;
    while (len > 0 && !found) {
        char *n = fy_asprintf("%.*s.%s", (int)len, p, name);
        ti = table_get(t, n);
        spend(c, 1);
        if (ti) {
            *out = ti;
            found = n;
            break;
        }
        free(n);
        /* removeLast: drop the last part */
        while (len > 0 && p[len - 1] != '.')
            len--;
        if (len > 0)
            len--; /* the dot */
    }
    free(p);
    if (found)
        return found;
    ti = table_get(t, name);
    if (ti) {
        *out = ti;
        return fy_strdup(name);
    }
    return NULL;
}

static const struct tinfo *get_type(struct dctx *c, const char *name, int side)
{
    const struct tinfo *ti;
    char *full = resolve(c, name, side, &ti);
    free(full);
    return ti;
}

static bool ctx_compatible(const struct dctx *c)
{
    for (size_t i = 0; i < c->diffs->n; i++)
        if (!reg_proto_diff_compatible(c->diffs->v[i].type))
            return false;
    return true;
}

/* ---- ProtoType ---------------------------------------------------------- */

static bool is_scalar(const char *t)
{
    static const char *const scalars[] = {"bool",     "bytes",    "double", "float",  "fixed32",
                                          "fixed64",  "int32",    "int64",  "sfixed32",
                                          "sfixed64", "sint32",   "sint64", "string", "uint32",
                                          "uint64"};
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
        if (strcmp(t, scalars[i]) == 0)
            return true;
    return false;
}

static bool is_map_type(const char *t)
{
    size_t n = strlen(t);
    return n > 5 && strncmp(t, "map<", 4) == 0 && t[n - 1] == '>' && strchr(t, ',');
}

static char *trimmed(const char *s, size_t n)
{
    while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    return fy_strndup(s, n);
}

/* ProtoType.getKeyType / getValueType of "map<K, V>": **new** strings. */
static void map_parts(const char *t, char **key, char **value)
{
    const char *comma = strchr(t, ',');
    size_t n = strlen(t);
    *key = trimmed(t + 4, (size_t)(comma - (t + 4)));
    *value = trimmed(comma + 1, (size_t)(t + n - 1 - (comma + 1)));
}

/* ---- FieldSchemaDiff ---------------------------------------------------- */

enum kind { K_SCALAR, K_MAP, K_MESSAGE };
enum scalar_kind { S_GENERAL_NUMBER, S_SIGNED_NUMBER, S_STRING_OR_BYTES, S_FIXED32, S_FIXED64,
                   S_FLOAT, S_DOUBLE, S_ANY };

static enum kind kind_of(struct dctx *c, const char *type, int side)
{
    if (is_scalar(type))
        return K_SCALAR;
    if (is_map_type(type))
        return K_MAP;
    const struct tinfo *ti = get_type(c, type, side);
    if (ti && ti->type->is_enum)
        return K_SCALAR;
    return K_MESSAGE;
}

static enum scalar_kind scalar_kind(struct dctx *c, const char *type, int side)
{
    const struct tinfo *ti = get_type(c, type, side);
    if (ti && ti->type->is_enum)
        return S_GENERAL_NUMBER;
    static const struct {
        const char *name;
        enum scalar_kind k;
    } kinds[] = {
        {"int32", S_GENERAL_NUMBER},    {"int64", S_GENERAL_NUMBER},  {"uint32", S_GENERAL_NUMBER},
        {"uint64", S_GENERAL_NUMBER},   {"bool", S_GENERAL_NUMBER},   {"sint32", S_SIGNED_NUMBER},
        {"sint64", S_SIGNED_NUMBER},    {"string", S_STRING_OR_BYTES},
        {"bytes", S_STRING_OR_BYTES},   {"fixed32", S_FIXED32},       {"sfixed32", S_FIXED32},
        {"fixed64", S_FIXED64},         {"sfixed64", S_FIXED64},      {"float", S_FLOAT},
        {"double", S_DOUBLE},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(type, kinds[i].name) == 0)
            return kinds[i].k;
    /* Java throws IllegalArgumentException("Unknown type"); a kind() of
     * SCALAR is a scalar or an enum, so this is not reached */
    return S_ANY;
}

static void message_compare(struct dctx *c, const struct reg_proto_type *original,
                            const struct reg_proto_type *update);

static void compare_scalar_types(struct dctx *c, enum reg_proto_label ol, enum reg_proto_label ul,
                                 const char *ot, const char *ut)
{
    enum scalar_kind ok = scalar_kind(c, ot, 0), uk = scalar_kind(c, ut, 1);
    if (ok != uk) {
        add_diff(c, REG_PROTO_FIELD_SCALAR_KIND_CHANGED);
        return;
    }
    /* a label of NONE is Java's null */
    if (ol != REG_PROTO_LABEL_NONE && ul != REG_PROTO_LABEL_NONE && ol != ul) {
        switch (ok) {
        case S_GENERAL_NUMBER:
        case S_SIGNED_NUMBER:
        case S_FIXED32:
        case S_FIXED64:
        case S_FLOAT:
        case S_DOUBLE:
            add_diff(c, REG_PROTO_FIELD_NUMERIC_LABEL_CHANGED);
            break;
        case S_STRING_OR_BYTES:
            add_diff(c, REG_PROTO_FIELD_STRING_OR_BYTES_LABEL_CHANGED);
            break;
        default:
            break;
        }
    }
}

/* `full` without "<pkg>." in front. Borrowed from `full`. */
static const char *local_name(const char *full, const char *pkg)
{
    size_t n = strlen(pkg);
    if (strncmp(full, pkg, n) == 0 && full[n] == '.')
        return full + n + 1;
    return full;
}

static void compare_message_types(struct dctx *c, const char *ot, const char *ut)
{
    const struct tinfo *oi, *ui;
    char *of = resolve(c, ot, 0, &oi);
    char *uf = resolve(c, ut, 1, &ui);
    if (!of || !uf) {
        /* "Could not resolve full names, use simple names" */
        if (strcmp(ot, ut) != 0)
            add_diff(c, REG_PROTO_FIELD_NAMED_TYPE_CHANGED);
        free(of);
        free(uf);
        return;
    }
    const char *ol = local_name(of, oi->pkg), *ul = local_name(uf, ui->pkg);
    if (strcmp(ol, ul) != 0) {
        add_diff(c, REG_PROTO_FIELD_NAMED_TYPE_CHANGED);
    } else if (!oi->ref || !ui->ref || strcmp(oi->ref->subject, ui->ref->subject) != 0 ||
               oi->ref->version != ui->ref->version) {
        /* not both local, nor the same subject-version: compare in a subcontext */
        struct reg_proto_differences sub = {0};
        struct dctx s = {.run = c->run, .pkg = {oi->pkg, ui->pkg}, .diffs = &sub};
        s.n_schemas = s.cap_schemas = c->n_schemas;
        s.schemas = fy_malloc((c->n_schemas ? c->n_schemas : 1) * sizeof *s.schemas);
        memcpy(s.schemas, c->schemas, c->n_schemas * sizeof *s.schemas);
        /* setFullName(localName): the path and name are its parts */
        const char *p = ol;
        while (*p) {
            const char *dot = strchr(p, '.');
            size_t n = dot ? (size_t)(dot - p) : strlen(p);
            char *part = fy_strndup(p, n);
            scope_push(&s.path, part);
            scope_push(&s.name, part);
            free(part);
            p += n;
            if (*p == '.')
                p++;
        }
        if (!oi->type->is_enum && !ui->type->is_enum)
            message_compare(&s, oi->type, ui->type);
        bool compatible = ctx_compatible(&s);
        /* ctx.addDifferences(subctx.getDifferences()) */
        struct reg_proto_differences *d = c->diffs;
        for (size_t i = 0; i < sub.n; i++) {
            if (d->n == d->cap) {
                d->cap = d->cap ? 2 * d->cap : 8;
                d->v = fy_realloc(d->v, d->cap * sizeof *d->v);
            }
            d->v[d->n++] = sub.v[i];
        }
        free(sub.v);
        if (!compatible)
            add_diff(c, REG_PROTO_FIELD_NAMED_TYPE_CHANGED);
        scope_free(&s.path);
        scope_free(&s.name);
        free(s.schemas);
    }
    free(of);
    free(uf);
}

static void compare_labels_and_types(struct dctx *c, enum reg_proto_label ol,
                                     enum reg_proto_label ul, const char *ot_in,
                                     const char *ut_in);

static void compare_map_types(struct dctx *c, const char *ot, const char *ut)
{
    char *ok, *ov, *uk, *uv;
    map_parts(ot, &ok, &ov);
    map_parts(ut, &uk, &uv);
    compare_labels_and_types(c, REG_PROTO_LABEL_NONE, REG_PROTO_LABEL_NONE, ok, uk);
    compare_labels_and_types(c, REG_PROTO_LABEL_NONE, REG_PROTO_LABEL_NONE, ov, uv);
    free(ok);
    free(ov);
    free(uk);
    free(uv);
}

/* A map entry message's type as "map<K, V>" (TypeElementInfo.getMapType):
 * **new**, or NULL when it is no map entry. */
static char *map_type_of(const struct tinfo *ti)
{
    if (!ti || !ti->is_map || !ti->key || !ti->value)
        return NULL;
    return fy_asprintf("map<%s, %s>", ti->key->type, ti->value->type);
}

static void compare_labels_and_types(struct dctx *c, enum reg_proto_label ol,
                                     enum reg_proto_label ul, const char *ot_in,
                                     const char *ut_in)
{
    if (stopped(c))
        return;
    char *om = map_type_of(get_type(c, ot_in, 0));
    char *um = map_type_of(get_type(c, ut_in, 1));
    const char *ot = om ? om : ot_in, *ut = um ? um : ut_in;
    enum kind ok = kind_of(c, ot, 0), uk = kind_of(c, ut, 1);
    if (ok != uk) {
        add_diff(c, REG_PROTO_FIELD_KIND_CHANGED);
    } else if (ok == K_SCALAR) {
        compare_scalar_types(c, ol, ul, ot, ut);
    } else if (ok == K_MESSAGE) {
        compare_message_types(c, ot, ut);
    } else {
        compare_map_types(c, ot, ut);
    }
    free(om);
    free(um);
}

static void field_compare(struct dctx *c, const struct reg_proto_field *of,
                          const struct reg_proto_field *uf)
{
    if (strcmp(of->name, uf->name) != 0)
        add_diff(c, REG_PROTO_FIELD_NAME_CHANGED);
    compare_labels_and_types(c, of->label, uf->label, of->type, uf->type);
}

/* ---- MessageSchemaDiff -------------------------------------------------- */

struct tagged {
    int32_t tag;
    const struct reg_proto_field *field;
    const char *oneof; /* NULL: top level */
    size_t seq;
};

static int cmp_tagged(const void *a, const void *b)
{
    const struct tagged *x = a, *y = b;
    if (x->tag != y->tag)
        return (x->tag > y->tag) - (x->tag < y->tag);
    return (x->seq > y->seq) - (x->seq < y->seq);
}

/* collectFields: every field by tag (a later one with the same tag wins, as
 * HashMap.put), sorted by tag. **new** array, *n entries. */
static struct tagged *collect_fields(const struct reg_proto_message *m, size_t *n)
{
    size_t total = m->fields.n;
    for (size_t i = 0; i < m->n_oneofs; i++)
        total += m->oneofs[i]->fields.n;
    struct tagged *t = fy_malloc((total ? total : 1) * sizeof *t);
    size_t k = 0;
    for (size_t i = 0; i < m->fields.n; i++)
        t[k] = (struct tagged){m->fields.v[i]->tag, m->fields.v[i], NULL, k}, k++;
    for (size_t i = 0; i < m->n_oneofs; i++)
        for (size_t j = 0; j < m->oneofs[i]->fields.n; j++)
            t[k] = (struct tagged){m->oneofs[i]->fields.v[j]->tag, m->oneofs[i]->fields.v[j],
                                   m->oneofs[i]->name, k},
            k++;
    /* sorted by tag, equal tags in insertion order (top-level fields come
     * first, oneof members after), then the last of each tag kept: byTag's
     * put; tagToOneOf is written for members only, so a tag that is both a
     * top-level field and a member keeps the member's oneof */
    qsort(t, k, sizeof *t, cmp_tagged);
    size_t w = 0;
    for (size_t i = 0; i < k; i++) {
        if (w && t[w - 1].tag == t[i].tag) {
            /* byTag: the later field; tagToOneOf: the later oneof, if any */
            const char *oneof = t[i].oneof ? t[i].oneof : t[w - 1].oneof;
            t[w - 1] = t[i];
            t[w - 1].oneof = oneof;
        } else {
            t[w++] = t[i];
        }
    }
    *n = w;
    return t;
}

static const struct tagged *find_tag(const struct tagged *t, size_t n, int32_t tag)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t[mid].tag == tag)
            return &t[mid];
        if (t[mid].tag < tag)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The oneofs by name (a later one of the same name wins, as HashMap.put). */
static void oneof_index(const struct reg_proto_message *m, struct fy_map *out)
{
    fy_map_init(out);
    for (size_t i = 0; i < m->n_oneofs; i++)
        fy_map_put(out, m->oneofs[i]->name, m->oneofs[i]);
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void compare_type_elements(struct dctx *c, const struct reg_proto_types *original,
                                  const struct reg_proto_types *update);

static bool in_progress(const struct dctx *c, const struct reg_proto_type *t)
{
    for (size_t i = 0; i < c->n_schemas; i++)
        if (c->schemas[i] == t)
            return true;
    return false;
}

static char *tag_str(int32_t tag)
{
    return fy_asprintf("%d", (int)tag);
}

static void add_at_oneof(struct dctx *c, const char *oneof, int32_t tag,
                         enum reg_proto_diff_type t)
{
    char *ts = tag_str(tag);
    scope_push(&c->path, oneof);
    scope_push(&c->path, ts);
    add_diff(c, t);
    scope_pop(&c->path);
    scope_pop(&c->path);
    free(ts);
}

static void message_fields(struct dctx *c, const struct reg_proto_message *o,
                           const struct reg_proto_message *u)
{
    size_t no, nu;
    struct tagged *ot = collect_fields(o, &no);
    struct tagged *ut = collect_fields(u, &nu);
    spend(c, no + nu + o->n_oneofs + u->n_oneofs + 1);
    struct fy_map o_oneofs, u_oneofs, deleted;
    oneof_index(o, &o_oneofs);
    oneof_index(u, &u_oneofs);
    fy_map_init(&deleted);

    /* oneofs of the original gone by name, none of whose members survive */
    for (size_t i = 0; i < o->n_oneofs; i++) {
        const struct reg_proto_oneof *oo = o->oneofs[i];
        if (fy_map_get(&u_oneofs, oo->name) || fy_map_get(&o_oneofs, oo->name) != oo)
            continue;
        bool survives = false;
        for (size_t j = 0; j < oo->fields.n && !survives; j++)
            survives = find_tag(ut, nu, oo->fields.v[j]->tag) != NULL;
        if (!survives)
            fy_map_put(&deleted, oo->name, (void *)oo);
    }

    /* newly introduced mutual exclusivity */
    for (size_t i = 0; i < u->n_oneofs; i++) {
        const struct reg_proto_oneof *uo = u->oneofs[i];
        scope_push(&c->path, uo->name);
        /* originGroups: "oneof:<name>" of each original oneof, "field:<tag>"
         * of each top-level field moved in; brand-new fields are ignored */
        struct fy_map groups;
        fy_map_init(&groups);
        size_t top_level_moved_in = 0;
        for (size_t j = 0; j < uo->fields.n; j++) {
            const struct tagged *was = find_tag(ot, no, uo->fields.v[j]->tag);
            if (!was)
                continue;
            char *g = was->oneof ? fy_asprintf("oneof:%s", was->oneof)
                                 : fy_asprintf("field:%d", (int)was->tag);
            fy_map_put(&groups, g, (void *)was);
            free(g);
            if (!was->oneof)
                top_level_moved_in++;
        }
        if (groups.count > 1)
            add_diff(c, top_level_moved_in > 1 ? REG_PROTO_MULTIPLE_FIELDS_MOVED_TO_ONEOF
                                               : REG_PROTO_FIELD_MOVED_TO_EXISTING_ONEOF);
        fy_map_destroy(&groups);
        scope_pop(&c->path);
    }

    /* oneofs added / removed, by name in sorted order (TreeSet) */
    const char **names = fy_malloc((o->n_oneofs + u->n_oneofs + 1) * sizeof *names);
    size_t n_names = 0;
    for (size_t i = 0; i < o->n_oneofs; i++)
        names[n_names++] = o->oneofs[i]->name;
    for (size_t i = 0; i < u->n_oneofs; i++)
        names[n_names++] = u->oneofs[i]->name;
    qsort(names, n_names, sizeof *names, cmp_cstr);
    for (size_t i = 0; i < n_names; i++) {
        if (i && strcmp(names[i], names[i - 1]) == 0)
            continue;
        if (!fy_map_get(&u_oneofs, names[i]))
            add_diff_at(c, names[i], REG_PROTO_ONEOF_REMOVED);
        else if (!fy_map_get(&o_oneofs, names[i]))
            add_diff_at(c, names[i], REG_PROTO_ONEOF_ADDED);
    }
    free(names);

    /* every field by tag, in tag order (TreeSet) */
    size_t i = 0, j = 0;
    while ((i < no || j < nu) && !stopped(c)) {
        const struct tagged *of = NULL, *uf = NULL;
        if (j >= nu || (i < no && ot[i].tag < ut[j].tag)) {
            of = &ot[i++];
        } else if (i >= no || ut[j].tag < ot[i].tag) {
            uf = &ut[j++];
        } else {
            of = &ot[i++];
            uf = &ut[j++];
        }
        int32_t tag = of ? of->tag : uf->tag;
        char *ts = tag_str(tag);
        if (!uf) {
            if (of->oneof) {
                if (!fy_map_get(&deleted, of->oneof))
                    add_at_oneof(c, of->oneof, tag, REG_PROTO_ONEOF_FIELD_REMOVED);
            } else {
                add_diff_at(c, ts, of->field->label == REG_PROTO_REQUIRED
                                       ? REG_PROTO_REQUIRED_FIELD_REMOVED
                                       : REG_PROTO_FIELD_REMOVED);
            }
        } else if (!of) {
            if (uf->oneof)
                add_at_oneof(c, uf->oneof, tag, REG_PROTO_ONEOF_FIELD_ADDED);
            else
                add_diff_at(c, ts, uf->field->label == REG_PROTO_REQUIRED
                                       ? REG_PROTO_REQUIRED_FIELD_ADDED
                                       : REG_PROTO_FIELD_ADDED);
        } else {
            if (of->oneof && !uf->oneof)
                add_diff_at(c, ts, REG_PROTO_ONEOF_FIELD_MOVED_TO_TOP_LEVEL);
            if (uf->oneof)
                scope_push(&c->path, uf->oneof);
            scope_push(&c->path, ts);
            field_compare(c, of->field, uf->field);
            scope_pop(&c->path);
            if (uf->oneof)
                scope_pop(&c->path);
        }
        free(ts);
    }
    fy_map_destroy(&deleted);
    fy_map_destroy(&o_oneofs);
    fy_map_destroy(&u_oneofs);
    free(ot);
    free(ut);
}

static void message_compare(struct dctx *c, const struct reg_proto_type *original,
                            const struct reg_proto_type *update)
{
    if (stopped(c))
        return;
    if (++c->run->depth > c->run->max_depth) {
        c->run->over = "ferry.schema.max.depth";
        c->run->depth--;
        return;
    }
    /* enterSchema: a message already being compared is not compared again */
    bool scoped = !in_progress(c, original);
    if (scoped) {
        if (c->n_schemas == c->cap_schemas) {
            c->cap_schemas = c->cap_schemas ? 2 * c->cap_schemas : 8;
            c->schemas = fy_realloc(c->schemas, c->cap_schemas * sizeof *c->schemas);
        }
        c->schemas[c->n_schemas++] = original;
        message_fields(c, &original->msg, &update->msg);
    }
    compare_type_elements(c, &original->msg.nested, &update->msg.nested);
    if (scoped)
        c->n_schemas--;
    c->run->depth--;
}

/* ---- SchemaDiff.compareTypeElements ------------------------------------- */

/* One side's messages (or enums) by name, in the iteration order of the
 * HashMap Confluent fills (declaration order into a default table). */
struct named {
    const char **names;
    const struct reg_proto_type **types;
    int *index;     /* messageIndexes: the last message of that name's position */
    size_t n;
    struct fy_map at; /* name -> position + 1 */
};

static void named_collect(const struct reg_proto_types *types, bool enums, struct named *out)
{
    size_t cap = types->n ? types->n : 1;
    out->names = fy_malloc(cap * sizeof *out->names);
    out->types = fy_malloc(cap * sizeof *out->types);
    out->index = fy_malloc(cap * sizeof *out->index);
    out->n = 0;
    fy_map_init(&out->at);
    int index = 0;
    for (size_t i = 0; i < types->n; i++) {
        const struct reg_proto_type *t = types->v[i];
        if (t->is_enum != enums) {
            continue;
        }
        int my_index = enums ? 0 : index++;
        void *v = fy_map_get(&out->at, t->name);
        size_t k = v ? (size_t)(uintptr_t)v - 1 : out->n;
        if (!v) {
            out->names[k] = t->name;
            out->n++;
            fy_map_put(&out->at, t->name, (void *)(uintptr_t)(k + 1));
        }
        out->types[k] = t; /* put: the later one, the first position */
        out->index[k] = my_index;
    }
}

static void named_free(struct named *n)
{
    fy_map_destroy(&n->at);
    free(n->names);
    free(n->types);
    free(n->index);
}

static const struct reg_proto_type *named_get(const struct named *n, const char *name, int *index)
{
    void *v = fy_map_get(&n->at, name);
    if (!v)
        return NULL;
    size_t i = (size_t)(uintptr_t)v - 1;
    if (index)
        *index = n->index[i];
    return n->types[i];
}

/* The names of HashSet(orig.keySet()).addAll(upd.keySet()) in its
 * iteration order: **new** array of borrowed names, *n entries. */
static const char **union_order(const struct named *o, const struct named *u, size_t *n)
{
    size_t total = o->n + u->n;
    const char **ins = fy_malloc((total ? total : 1) * sizeof *ins);
    uint32_t *h = fy_malloc((total ? total : 1) * sizeof *h);
    size_t *ord = fy_malloc((total ? total : 1) * sizeof *ord);
    size_t k = 0;
    /* the original map's own order first */
    for (size_t i = 0; i < o->n; i++)
        h[i] = java_string_hash(o->names[i]);
    java_order(h, o->n, 16, ord);
    for (size_t i = 0; i < o->n; i++)
        ins[k++] = o->names[ord[i]];
    for (size_t i = 0; i < u->n; i++)
        h[i] = java_string_hash(u->names[i]);
    java_order(h, u->n, 16, ord);
    for (size_t i = 0; i < u->n; i++) {
        const char *name = u->names[ord[i]];
        if (!fy_map_get(&o->at, name))
            ins[k++] = name;
    }
    for (size_t i = 0; i < k; i++)
        h[i] = java_string_hash(ins[i]);
    java_order(h, k, set_capacity(o->n), ord);
    const char **out = fy_malloc((k ? k : 1) * sizeof *out);
    for (size_t i = 0; i < k; i++)
        out[i] = ins[ord[i]];
    free(ins);
    free(h);
    free(ord);
    *n = k;
    return out;
}

static void enum_compare(struct dctx *c, const struct reg_proto_enum *o,
                         const struct reg_proto_enum *u);

static void compare_type_elements(struct dctx *c, const struct reg_proto_types *original,
                                  const struct reg_proto_types *update)
{
    if (stopped(c))
        return;
    spend(c, original->n + update->n + 1);
    struct named om, um, oe, ue;
    named_collect(original, false, &om);
    named_collect(update, false, &um);
    named_collect(original, true, &oe);
    named_collect(update, true, &ue);
    size_t n;
    const char **names = union_order(&om, &um, &n);
    for (size_t i = 0; i < n && !stopped(c); i++) {
        enter_name(c, names[i]);
        int oidx = -1, uidx = -1;
        const struct reg_proto_type *o = named_get(&om, names[i], &oidx);
        const struct reg_proto_type *u = named_get(&um, names[i], &uidx);
        if (!u) {
            const struct tinfo *ti = get_type(c, names[i], 0);
            if (ti && !ti->is_map)
                add_diff(c, REG_PROTO_MESSAGE_REMOVED);
        } else if (!o) {
            const struct tinfo *ti = get_type(c, names[i], 1);
            if (ti && !ti->is_map)
                add_diff(c, REG_PROTO_MESSAGE_ADDED);
        } else {
            message_compare(c, o, u);
            /* moving or reordering is compatible: indexes are per schema id */
            if (oidx != uidx)
                add_diff(c, REG_PROTO_MESSAGE_MOVED);
        }
        leave_name(c);
    }
    free(names);
    names = union_order(&oe, &ue, &n);
    for (size_t i = 0; i < n && !stopped(c); i++) {
        enter_name(c, names[i]);
        const struct reg_proto_type *o = named_get(&oe, names[i], NULL);
        const struct reg_proto_type *u = named_get(&ue, names[i], NULL);
        if (!u)
            add_diff(c, REG_PROTO_ENUM_REMOVED);
        else if (!o)
            add_diff(c, REG_PROTO_ENUM_ADDED);
        else
            enum_compare(c, &o->en, &u->en);
        leave_name(c);
    }
    free(names);
    named_free(&om);
    named_free(&um);
    named_free(&oe);
    named_free(&ue);
}

/* ---- EnumSchemaDiff ----------------------------------------------------- */

/* One side's constants by tag, in HashMap<Integer> order of insertion. */
struct tagmap {
    int32_t *tags;
    const struct reg_proto_enum_constant **consts;
    size_t n;
};

static void tagmap_collect(const struct reg_proto_enum *e, struct tagmap *m)
{
    size_t cap = e->n_constants ? e->n_constants : 1;
    m->tags = fy_malloc(cap * sizeof *m->tags);
    m->consts = fy_malloc(cap * sizeof *m->consts);
    m->n = 0;
    /* a hash index keeps this linear on enums with many constants */
    struct fy_map at;
    fy_map_init(&at);
    for (size_t i = 0; i < e->n_constants; i++) {
        int32_t tag = e->constants[i]->tag;
        void *v = fy_map_geti(&at, tag);
        size_t k = v ? (size_t)(uintptr_t)v - 1 : m->n;
        if (!v) {
            m->tags[k] = tag;
            m->n++;
            fy_map_puti(&at, tag, (void *)(uintptr_t)(k + 1));
        }
        m->consts[k] = e->constants[i];
    }
    fy_map_destroy(&at);
}

static void enum_compare(struct dctx *c, const struct reg_proto_enum *o,
                         const struct reg_proto_enum *u)
{
    struct tagmap om, um;
    tagmap_collect(o, &om);
    tagmap_collect(u, &um);
    spend(c, om.n + um.n + 1);
    size_t total = om.n + um.n;
    uint32_t *h = fy_malloc((total ? total : 1) * sizeof *h);
    size_t *ord = fy_malloc((total ? total : 1) * sizeof *ord);
    int32_t *ins = fy_malloc((total ? total : 1) * sizeof *ins);
    struct fy_map oidx, uidx;
    fy_map_init(&oidx);
    fy_map_init(&uidx);
    for (size_t i = 0; i < om.n; i++)
        fy_map_puti(&oidx, om.tags[i], (void *)(uintptr_t)(i + 1));
    for (size_t i = 0; i < um.n; i++)
        fy_map_puti(&uidx, um.tags[i], (void *)(uintptr_t)(i + 1));
    /* HashSet(originalByTag.keySet()) in that map's order, then the update's new tags */
    for (size_t i = 0; i < om.n; i++)
        h[i] = (uint32_t)om.tags[i];
    java_order(h, om.n, 16, ord);
    size_t k = 0;
    for (size_t i = 0; i < om.n; i++)
        ins[k++] = om.tags[ord[i]];
    for (size_t i = 0; i < um.n; i++)
        h[i] = (uint32_t)um.tags[i];
    java_order(h, um.n, 16, ord);
    for (size_t i = 0; i < um.n; i++)
        if (!fy_map_geti(&oidx, um.tags[ord[i]]))
            ins[k++] = um.tags[ord[i]];
    for (size_t i = 0; i < k; i++)
        h[i] = (uint32_t)ins[i];
    java_order(h, k, set_capacity(om.n), ord);
    for (size_t i = 0; i < k && !stopped(c); i++) {
        int32_t tag = ins[ord[i]];
        void *ov = fy_map_geti(&oidx, tag), *uv = fy_map_geti(&uidx, tag);
        char *ts = tag_str(tag);
        if (!uv)
            add_diff_at(c, ts, REG_PROTO_ENUM_CONST_REMOVED);
        else if (!ov)
            add_diff_at(c, ts, REG_PROTO_ENUM_CONST_ADDED);
        else if (strcmp(om.consts[(uintptr_t)ov - 1]->name, um.consts[(uintptr_t)uv - 1]->name))
            add_diff_at(c, ts, REG_PROTO_ENUM_CONST_CHANGED);
        free(ts);
    }
    fy_map_destroy(&oidx);
    fy_map_destroy(&uidx);
    free(h);
    free(ord);
    free(ins);
    free(om.tags);
    free(om.consts);
    free(um.tags);
    free(um.consts);
}

/* ---- SchemaDiff.compare ------------------------------------------------- */

int reg_proto_diff(const struct reg_proto_diff_side *original,
                   const struct reg_proto_diff_side *update, struct reg_proto_differences *out,
                   struct fy_err *err)
{
    struct run run = {0};
    const struct reg_compat_limits *cl = reg_compat_get_limits();
    run.max_steps = cl->max_steps;
    run.max_depth = reg_avro_get_limits()->max_depth;
    table_build(&run.side[0], original);
    table_build(&run.side[1], update);
    struct dctx c = {.run = &run, .pkg = {run.side[0].pkg, run.side[1].pkg}, .diffs = out};
    const char *op = original->file->package, *up = update->file->package;
    if ((op == NULL) != (up == NULL) || (op && strcmp(op, up) != 0))
        add_diff(&c, REG_PROTO_PACKAGE_CHANGED);
    compare_type_elements(&c, &original->file->types, &update->file->types);
    scope_free(&c.path);
    scope_free(&c.name);
    free(c.schemas);
    table_free(&run.side[0]);
    table_free(&run.side[1]);
    if (run.over)
        return fy_err_set(err, REG_E_INVALID_SCHEMA,
                          "Schema too complex to check compatibility: the check exceeds the "
                          "limit %s",
                          run.over);
    return 0;
}

long reg_proto_diff_incompatible(const struct reg_proto_diff_side *original,
                                 const struct reg_proto_diff_side *update, const char *rw,
                                 const char *ww, struct reg_compat_msgs *out, struct fy_err *err)
{
    struct reg_proto_differences d = {0};
    if (reg_proto_diff(original, update, &d, err) != 0) {
        reg_proto_differences_free(&d);
        return -1;
    }
    long n = 0;
    for (size_t i = 0; i < d.n; i++) {
        if (reg_proto_diff_compatible(d.v[i].type))
            continue;
        char *m = reg_proto_difference_message(&d.v[i], rw, ww);
        reg_compat_msgs_add(out, m);
        free(m);
        n++;
    }
    reg_proto_differences_free(&d);
    return n;
}
