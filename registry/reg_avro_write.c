/* SPDX-License-Identifier: Apache-2.0
 * reg_avro_write: the two texts Confluent stores for an Avro schema. The
 * canonical form is Avro-Java 1.11 Schema.toString(referencedSchemas, false);
 * the normalized form is Confluent's AvroSchemaUtils.toNormalizedString,
 * re-parsed and written canonically again, because that is what
 * AvroSchema.normalize().canonicalString() stores. Ids are deduplicated by
 * these texts, so every byte matters. Thread: any (nodes are read-only). */
#include "registry/reg_avro.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "common/fy_json.h"
#include "common/fy_jsonout.h"
#include "registry/reg_avro_int.h"

#include <stdlib.h>
#include <string.h>

static bool is_named(enum reg_avro_type t)
{
    return t == REG_AVRO_RECORD || t == REG_AVRO_ENUM || t == REG_AVRO_FIXED;
}

static bool str_eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* The named types a write starts out knowing: the roots of the parse calls
 * before `limit` (the schema's references), as Confluent passes them to
 * Schema.toString(Collection<Schema>, ...). Only those roots: a type nested
 * inside a reference is unknown to that call and gets written in full. */
static void seed_references(struct fy_map *known, const struct reg_avro_parser *p, unsigned limit)
{
    for (size_t i = 0; i < p->n_roots && i + 1 < limit; i++) {
        const struct reg_avro *r = &p->roots[i]->pub;
        if (is_named(r->type))
            fy_map_put(known, r->fullname, (void *)r);
    }
    if (p->parent)
        seed_references(known, p->parent, p->parent_limit);
}

/* The parse call `root` is the result of: the last one that returned it (a
 * schema that is just the name of a reference returns that reference's node),
 * else the call that created it. Its references are the calls before. */
static unsigned root_call(const struct reg_avro_parser *p, const struct reg_avro *root)
{
    for (size_t i = p->n_roots; i-- > 0;)
        if (&p->roots[i]->pub == root)
            return (unsigned)i + 1;
    return reg_avro_node_of(root)->call;
}

/* ---------------------------------------------------------------- canonical */

struct wctx {
    struct fy_buf *b;
    struct fy_map written; /* full name -> node already written (or a reference) */
    const char *space;     /* Avro-Java Names.space: the enclosing namespace */
    unsigned depth;        /* write_canonical calls in progress */
    bool too_deep;         /* cut short at the max_depth limit */
};

/* One more level of a recursive writer: false (and *too_deep set) past the
 * ferry.schema.max.depth limit, so client-made nesting cannot exhaust the
 * stack. Parsed roots never get there (reg_avro_write_depth). */
static bool depth_enter(unsigned *depth, bool *too_deep)
{
    if (*depth >= reg_avro_get_limits()->max_depth) {
        *too_deep = true;
        return false;
    }
    (*depth)++;
    return true;
}

/* Avro-Java Name.getQualified: the short name when its namespace is the
 * enclosing one, unless the short name is also a type name ("record",
 * "int", ...), which would read back as that type. */
static void put_qualified(struct fy_buf *b, const char *full, const char *enclosing)
{
    static const char *const type_words[] = {"record", "enum",   "array", "map",    "union",
                                             "fixed",  "string", "bytes", "int",    "long",
                                             "float",  "double", "boolean", "null", NULL};
    const char *dot = strrchr(full, '.');
    if (dot && enclosing && strlen(enclosing) == (size_t)(dot - full) &&
        strncmp(full, enclosing, (size_t)(dot - full)) == 0) {
        bool word = false;
        for (size_t i = 0; type_words[i] && !word; i++)
            word = strcmp(dot + 1, type_words[i]) == 0;
        if (!word) {
            fy_jsonout_str(b, dot + 1);
            return;
        }
    }
    fy_jsonout_str(b, full);
}

static void put_props(struct fy_buf *b, const json_t *props)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)props, k, v)
    {
        fy_buf_putc(b, ',');
        fy_jsonout_key(b, k);
        fy_json_write(b, v);
    }
}

static void write_canonical(struct wctx *w, const struct reg_avro *s);

static void write_fields(struct wctx *w, const struct reg_avro *s)
{
    struct fy_buf *b = w->b;
    fy_buf_putc(b, '[');
    for (size_t i = 0; i < s->n_fields; i++) {
        const struct reg_avro_field *f = &s->fields[i];
        if (i)
            fy_buf_putc(b, ',');
        fy_buf_puts(b, "{\"name\":");
        fy_jsonout_str(b, f->name);
        fy_buf_puts(b, ",\"type\":");
        write_canonical(w, f->type);
        if (f->doc) {
            fy_buf_puts(b, ",\"doc\":");
            fy_jsonout_str(b, f->doc);
        }
        if (f->default_value) {
            fy_buf_puts(b, ",\"default\":");
            fy_json_write(b, f->default_value);
        }
        if (f->order != REG_AVRO_ASCENDING)
            fy_buf_puts(b, f->order == REG_AVRO_DESCENDING ? ",\"order\":\"descending\""
                                                           : ",\"order\":\"ignore\"");
        if (f->n_aliases) {
            fy_buf_puts(b, ",\"aliases\":[");
            for (size_t k = 0; k < f->n_aliases; k++) {
                if (k)
                    fy_buf_putc(b, ',');
                fy_jsonout_str(b, f->aliases[k]);
            }
            fy_buf_putc(b, ']');
        }
        put_props(b, f->props);
        fy_buf_putc(b, '}');
    }
    fy_buf_putc(b, ']');
}

/* Avro-Java NamedSchema.toJson: a type already written is its name; else
 * type, name, namespace (when it differs from the enclosing one), doc, body,
 * props, aliases (relative to the type's namespace). */
static void write_named(struct wctx *w, const struct reg_avro *s)
{
    struct fy_buf *b = w->b;
    if (fy_map_get(&w->written, s->fullname) == s) {
        put_qualified(b, s->fullname, w->space);
        return;
    }
    fy_map_put(&w->written, s->fullname, (void *)s);
    const char *saved = w->space;
    const char *kind = s->type == REG_AVRO_RECORD ? (s->is_error ? "error" : "record")
                       : s->type == REG_AVRO_ENUM ? "enum"
                                                  : "fixed";
    fy_buf_puts(b, "{\"type\":");
    fy_jsonout_str(b, kind);
    fy_buf_puts(b, ",\"name\":");
    fy_jsonout_str(b, s->name);
    if (s->namespace_) {
        if (!str_eq(s->namespace_, w->space)) {
            fy_buf_puts(b, ",\"namespace\":");
            fy_jsonout_str(b, s->namespace_);
        }
    } else if (w->space) {
        /* a type in no namespace inside one that has a namespace */
        fy_buf_puts(b, ",\"namespace\":\"\"");
    }
    /* only a record opens a namespace scope (enum and fixed have no children) */
    if (s->type == REG_AVRO_RECORD)
        w->space = s->namespace_;
    if (s->doc) {
        fy_buf_puts(b, ",\"doc\":");
        fy_jsonout_str(b, s->doc);
    }
    if (s->type == REG_AVRO_RECORD) {
        fy_buf_puts(b, ",\"fields\":");
        write_fields(w, s);
    } else if (s->type == REG_AVRO_ENUM) {
        fy_buf_puts(b, ",\"symbols\":[");
        for (size_t i = 0; i < s->n_symbols; i++) {
            if (i)
                fy_buf_putc(b, ',');
            fy_jsonout_str(b, s->symbols[i]);
        }
        fy_buf_putc(b, ']');
        if (s->enum_default) {
            fy_buf_puts(b, ",\"default\":");
            fy_jsonout_str(b, s->enum_default);
        }
    } else {
        fy_buf_printf(b, ",\"size\":%lld", (long long)s->size);
    }
    put_props(b, s->props);
    if (s->n_aliases) {
        fy_buf_puts(b, ",\"aliases\":[");
        for (size_t i = 0; i < s->n_aliases; i++) {
            if (i)
                fy_buf_putc(b, ',');
            put_qualified(b, s->aliases[i], s->namespace_);
        }
        fy_buf_putc(b, ']');
    }
    fy_buf_putc(b, '}');
    w->space = saved;
}

static void write_canonical_at(struct wctx *w, const struct reg_avro *s);

static void write_canonical(struct wctx *w, const struct reg_avro *s)
{
    if (!depth_enter(&w->depth, &w->too_deep)) {
        fy_buf_puts(w->b, "null");
        return;
    }
    write_canonical_at(w, s);
    w->depth--;
}

static void write_canonical_at(struct wctx *w, const struct reg_avro *s)
{
    struct fy_buf *b = w->b;
    switch (s->type) {
    case REG_AVRO_RECORD:
    case REG_AVRO_ENUM:
    case REG_AVRO_FIXED:
        write_named(w, s);
        return;
    case REG_AVRO_ARRAY:
    case REG_AVRO_MAP:
        fy_buf_puts(b, s->type == REG_AVRO_ARRAY ? "{\"type\":\"array\",\"items\":"
                                                 : "{\"type\":\"map\",\"values\":");
        write_canonical(w, s->items);
        put_props(b, s->props);
        fy_buf_putc(b, '}');
        return;
    case REG_AVRO_UNION:
        fy_buf_putc(b, '[');
        for (size_t i = 0; i < s->n_branches; i++) {
            if (i)
                fy_buf_putc(b, ',');
            write_canonical(w, s->branches[i]);
        }
        fy_buf_putc(b, ']');
        return;
    default:
        /* a primitive is its bare name unless it carries properties */
        if (json_object_size(s->props) == 0) {
            fy_jsonout_str(b, reg_avro_type_name(s->type));
            return;
        }
        fy_buf_puts(b, "{\"type\":");
        fy_jsonout_str(b, reg_avro_type_name(s->type));
        put_props(b, s->props);
        fy_buf_putc(b, '}');
        return;
    }
}

char *reg_avro_canonical(const struct reg_avro_parser *p, const struct reg_avro *root)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    struct wctx w = {.b = &b};
    fy_map_init(&w.written);
    seed_references(&w.written, p, root_call(p, root));
    write_canonical(&w, root);
    fy_map_destroy(&w.written);
    return fy_buf_steal(&b);
}

/* A child of `s` in write_canonical's order, or NULL after the last. */
static const struct reg_avro *child_at(const struct reg_avro *s, size_t i)
{
    switch (s->type) {
    case REG_AVRO_RECORD:
        return i < s->n_fields ? s->fields[i].type : NULL;
    case REG_AVRO_ARRAY:
    case REG_AVRO_MAP:
        return i == 0 ? s->items : NULL;
    case REG_AVRO_UNION:
        return i < s->n_branches ? s->branches[i] : NULL;
    default:
        return NULL;
    }
}

/* write_canonical's walk with an explicit stack: same visiting order, same
 * "already written" rule, so the depth it reports is the writer's. */
static size_t canonical_depth(const struct reg_avro_parser *p, const struct reg_avro *root,
                              bool seeded)
{
    struct frame {
        const struct reg_avro *s;
        size_t next;
    };
    struct fy_map written;
    fy_map_init(&written);
    if (seeded)
        seed_references(&written, p, root_call(p, root));
    struct frame *st = NULL;
    size_t n = 0, cap = 0, deepest = 0;
    const struct reg_avro *s = root;
    for (;;) {
        if (s) {
            /* a write_canonical call at depth n + 1 */
            if (n + 1 > deepest)
                deepest = n + 1;
            bool expand = true;
            if (is_named(s->type)) {
                expand = fy_map_get(&written, s->fullname) != s;
                if (expand)
                    fy_map_put(&written, s->fullname, (void *)s);
            }
            if (expand && child_at(s, 0)) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 64;
                    st = fy_realloc(st, cap * sizeof *st);
                }
                st[n].s = s;
                st[n].next = 0;
                n++;
            }
        }
        if (n == 0)
            break;
        s = child_at(st[n - 1].s, st[n - 1].next++);
        if (!s)
            n--;
    }
    free(st);
    fy_map_destroy(&written);
    return deepest;
}

size_t reg_avro_write_depth(const struct reg_avro_parser *p, const struct reg_avro *root)
{
    /* no references known to the write: both walks are the same walk */
    if (!p->parent && root_call(p, root) <= 1)
        return canonical_depth(p, root, false);
    size_t a = canonical_depth(p, root, true);
    size_t b = canonical_depth(p, root, false);
    return a > b ? a : b;
}

/* ---------------------------------------------------------------- normalized */

struct nctx {
    struct fy_buf *b;
    unsigned depth;       /* write_normalized calls in progress */
    bool too_deep;        /* cut short at the max_depth limit */
    struct fy_map env;  /* full name -> node already written (Confluent's env) */
    const char *failed; /* field whose default Confluent's code cannot convert */
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Keys of `obj` sorted (Java TreeMap order; code point order equals UTF-16
 * order outside the surrogate range). **new** array, borrowed keys. */
static const char **sorted_keys(const json_t *obj, size_t *n)
{
    *n = json_object_size(obj);
    const char **keys = fy_calloc(*n + 1, sizeof *keys);
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v)
    {
        keys[i++] = k;
    }
    qsort(keys, *n, sizeof *keys, cmp_str);
    return keys;
}

/* Bytes and fixed defaults go through String.getBytes(ISO_8859_1) and back:
 * every UTF-16 unit above U+00FF becomes '?'. */
static void put_latin1(struct fy_buf *b, const char *s, size_t len)
{
    struct fy_buf t;
    fy_buf_init(&t, 0);
    const unsigned char *u = (const unsigned char *)s;
    const unsigned char *end = u + len;
    while (u < end) {
        size_t n = *u < 0x80 ? 1 : *u >= 0xF0 ? 4 : *u >= 0xE0 ? 3 : 2;
        uint32_t cp = n == 1 ? *u : n == 2 ? (uint32_t)(*u & 0x1F) : n == 3 ? (uint32_t)(*u & 0x0F)
                                                                            : (uint32_t)(*u & 0x07);
        size_t k = 1;
        for (; k < n && u + k < end && (u[k] & 0xC0) == 0x80; k++)
            cp = (cp << 6) | (u[k] & 0x3F);
        if (cp <= 0xFF) {
            char buf[3];
            size_t blen = 0;
            if (cp < 0x80) {
                buf[blen++] = (char)cp;
            } else {
                buf[blen++] = (char)(0xC0 | (cp >> 6));
                buf[blen++] = (char)(0x80 | (cp & 0x3F));
            }
            fy_buf_append(&t, buf, blen);
        } else {
            fy_buf_puts(&t, cp > 0xFFFF ? "??" : "?");
        }
        u += k;
    }
    fy_jsonout_strn(b, fy_buf_str(&t), t.len);
    fy_buf_destroy(&t);
}

/* Confluent's toJsonNode(JacksonUtils.toObject(v, schema)): the value
 * converted to the Java type the schema implies, objects with sorted keys.
 * `schema` NULL = untyped (properties). Returns 1 when written, 0 (nothing
 * written) when Avro-Java's conversion yields null (e.g. a real for an int,
 * which drops the default), -1 when Confluent's code would throw: a null
 * inside a container, or a record default naming an unknown field. */
/* Record schema -> its fields by name (struct fy_map *), built on first use
 * so that looking up a default's keys stays linear in the default's size. */
static const struct reg_avro *record_field_type(struct fy_map *cache, const struct reg_avro *rec,
                                                const char *key)
{
    if (rec->n_fields <= 8) {
        for (size_t k = 0; k < rec->n_fields; k++)
            if (strcmp(rec->fields[k].name, key) == 0)
                return rec->fields[k].type;
        return NULL;
    }
    struct fy_map *m = fy_map_getn(cache, &rec, sizeof rec);
    if (!m) {
        m = fy_calloc(1, sizeof *m);
        fy_map_init(m);
        for (size_t k = rec->n_fields; k-- > 0;) /* the first of equal names wins */
            fy_map_put(m, rec->fields[k].name, rec->fields[k].type);
        fy_map_putn(cache, &rec, sizeof rec, m);
    }
    return fy_map_get(m, key);
}

static void field_cache_destroy(struct fy_map *cache)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (fy_map_next(cache, &it, &k, &v)) {
        fy_map_destroy(v);
        free(v);
    }
    fy_map_destroy(cache);
}

static int put_converted_at(struct fy_buf *b, const json_t *v, const struct reg_avro *schema,
                            struct fy_map *cache);

static int put_converted(struct fy_buf *b, const json_t *v, const struct reg_avro *schema)
{
    struct fy_map cache;
    fy_map_init(&cache);
    int rc = put_converted_at(b, v, schema, &cache);
    field_cache_destroy(&cache);
    return rc;
}

/* Recursion: one level per level of the JSON value, which the parser bounds
 * (ferry.schema.max.json.depth). */
static int put_converted_at(struct fy_buf *b, const json_t *v, const struct reg_avro *schema,
                            struct fy_map *cache)
{
    while (schema && schema->type == REG_AVRO_UNION)
        schema = schema->n_branches ? schema->branches[0] : NULL;
    enum reg_avro_type t = schema ? schema->type : REG_AVRO_NULL;
    char num[FY_JSON_NUM_MAX];
    switch (json_typeof(v)) {
    case JSON_NULL:
        fy_buf_puts(b, "null");
        return 1;
    case JSON_TRUE:
    case JSON_FALSE:
        fy_buf_puts(b, json_is_true(v) ? "true" : "false");
        return 1;
    case JSON_INTEGER:
        if (!schema || t == REG_AVRO_INT || t == REG_AVRO_LONG) {
            fy_jsonout_int(b, (int64_t)json_integer_value(v));
        } else if (t == REG_AVRO_FLOAT) {
            fy_json_java_float((float)(double)json_integer_value(v), num);
            fy_buf_puts(b, num);
        } else if (t == REG_AVRO_DOUBLE) {
            fy_json_java_double((double)json_integer_value(v), num);
            fy_buf_puts(b, num);
        } else {
            return 0;
        }
        return 1;
    case JSON_REAL:
        if (!schema || t == REG_AVRO_DOUBLE) {
            fy_json_write(b, v);
        } else if (t == REG_AVRO_FLOAT) {
            fy_json_java_float((float)json_real_value(v), num);
            fy_buf_puts(b, num);
        } else {
            return 0;
        }
        return 1;
    case JSON_STRING:
        if (!schema || t == REG_AVRO_STRING || t == REG_AVRO_ENUM)
            fy_jsonout_strn(b, json_string_value(v), json_string_length(v));
        else if (t == REG_AVRO_BYTES || t == REG_AVRO_FIXED)
            put_latin1(b, json_string_value(v), json_string_length(v));
        else
            return 0;
        return 1;
    case JSON_ARRAY: {
        /* schema.getElementType() throws for anything but an array */
        if (schema && t != REG_AVRO_ARRAY)
            return -1;
        fy_buf_putc(b, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                fy_buf_putc(b, ',');
            if (put_converted_at(b, json_array_get(v, i), schema ? schema->items : NULL, cache) !=
                1)
                return -1;
        }
        fy_buf_putc(b, ']');
        return 1;
    }
    case JSON_OBJECT: {
        size_t n;
        int rc = 1;
        const char **keys = sorted_keys(v, &n);
        fy_buf_putc(b, '{');
        for (size_t i = 0; i < n && rc == 1; i++) {
            const struct reg_avro *vs = NULL;
            if (schema && t == REG_AVRO_MAP) {
                vs = schema->items;
            } else if (schema && t == REG_AVRO_RECORD) {
                vs = record_field_type(cache, schema, keys[i]);
                if (!vs)
                    rc = -1; /* schema.getField(key).schema(): NullPointerException */
            }
            if (rc != 1)
                break;
            if (i)
                fy_buf_putc(b, ',');
            fy_jsonout_key(b, keys[i]);
            if (put_converted_at(b, json_object_get(v, keys[i]), vs, cache) != 1)
                rc = -1;
        }
        fy_buf_putc(b, '}');
        free(keys);
        return rc;
    }
    }
    return -1;
}

/* setSimpleProps: every property, sorted by key, values untyped. */
static void put_sorted_props(struct fy_buf *b, const json_t *props)
{
    size_t n;
    const char **keys = sorted_keys(props, &n);
    for (size_t i = 0; i < n; i++) {
        fy_buf_putc(b, ',');
        fy_jsonout_key(b, keys[i]);
        put_converted(b, json_object_get(props, keys[i]), NULL);
    }
    free(keys);
}

static void put_sorted_strings(struct fy_buf *b, char *const *list, size_t n)
{
    char **copy = fy_calloc(n + 1, sizeof *copy);
    memcpy(copy, list, n * sizeof *copy);
    qsort(copy, n, sizeof *copy, cmp_str);
    fy_buf_putc(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            fy_buf_putc(b, ',');
        fy_jsonout_str(b, copy[i]);
    }
    fy_buf_putc(b, ']');
    free(copy);
}

/* setLogicalProps: logicalType, then a decimal's precision and non-zero scale. */
static bool put_logical(struct fy_buf *b, const struct reg_avro *s)
{
    int precision = 0, scale = 0;
    const char *lt = reg_avro_logical_type(s, &precision, &scale);
    if (!lt)
        return false;
    fy_buf_puts(b, ",\"logicalType\":");
    fy_jsonout_str(b, lt);
    if (strcmp(lt, "decimal") == 0) {
        fy_buf_printf(b, ",\"precision\":%d", precision);
        if (scale != 0)
            fy_buf_printf(b, ",\"scale\":%d", scale);
    }
    return true;
}

static void write_normalized(struct nctx *n, const struct reg_avro *s);

/* setFieldProps. Confluent writes Field.Order's Java name ("ASCENDING") for
 * every field, and doc even when empty (unlike a type's doc). */
static void write_norm_field(struct nctx *n, const struct reg_avro_field *f)
{
    struct fy_buf *b = n->b;
    static const char *const orders[] = {"ASCENDING", "DESCENDING", "IGNORE"};
    fy_buf_puts(b, "{\"name\":\"");
    fy_buf_puts(b, f->name);
    fy_buf_puts(b, "\",\"type\":");
    write_normalized(n, f->type);
    fy_buf_printf(b, ",\"order\":\"%s\"", orders[f->order]);
    if (f->doc) {
        fy_buf_puts(b, ",\"doc\":");
        fy_jsonout_str(b, f->doc);
    }
    if (f->n_aliases) {
        fy_buf_puts(b, ",\"aliases\":");
        put_sorted_strings(b, f->aliases, f->n_aliases);
    }
    if (f->default_value) {
        const struct reg_avro *ft = f->type;
        if (json_is_string(f->default_value) &&
            (ft->type == REG_AVRO_FLOAT || ft->type == REG_AVRO_DOUBLE)) {
            /* the parser's marker for a NaN/Infinity default: a Java double
             * that Jackson writes as the same quoted word */
            fy_buf_puts(b, ",\"default\":");
            fy_json_write(b, f->default_value);
        } else {
            struct fy_buf t;
            fy_buf_init(&t, 0);
            int rc = put_converted(&t, f->default_value, ft);
            if (rc == 1) {
                fy_buf_puts(b, ",\"default\":");
                fy_buf_append(b, t.data, t.len);
            } else if (rc < 0 && !n->failed) {
                n->failed = f->name;
            }
            fy_buf_destroy(&t);
        }
    }
    put_sorted_props(b, f->props);
    fy_buf_putc(b, '}');
}

/* Confluent AvroSchemaUtils.build. Names, field names and symbols are
 * appended unescaped, as Confluent does (valid Avro names need no escaping). */
static void write_normalized_at(struct nctx *n, const struct reg_avro *s);

static void write_normalized(struct nctx *n, const struct reg_avro *s)
{
    if (!depth_enter(&n->depth, &n->too_deep))
        return;
    write_normalized_at(n, s);
    n->depth--;
}

static void write_normalized_at(struct nctx *n, const struct reg_avro *s)
{
    struct fy_buf *b = n->b;
    switch (s->type) {
    case REG_AVRO_UNION:
        fy_buf_putc(b, '[');
        for (size_t i = 0; i < s->n_branches; i++) {
            if (i)
                fy_buf_putc(b, ',');
            write_normalized(n, s->branches[i]);
        }
        fy_buf_putc(b, ']');
        return;
    case REG_AVRO_ARRAY:
    case REG_AVRO_MAP:
        fy_buf_puts(b, s->type == REG_AVRO_ARRAY ? "{\"type\":\"array\",\"items\":"
                                                 : "{\"type\":\"map\",\"values\":");
        write_normalized(n, s->items);
        put_sorted_props(b, s->props);
        fy_buf_putc(b, '}');
        return;
    case REG_AVRO_RECORD:
    case REG_AVRO_ENUM:
    case REG_AVRO_FIXED:
        if (fy_map_get(&n->env, s->fullname)) {
            fy_buf_printf(b, "\"%s\"", s->fullname);
            return;
        }
        fy_map_put(&n->env, s->fullname, (void *)s);
        /* Schema.Type.getName(): an error is written as a plain record */
        fy_buf_printf(b, "{\"name\":\"%s\",\"type\":\"%s\"", s->fullname,
                      reg_avro_type_name(s->type));
        if (s->type == REG_AVRO_ENUM) {
            fy_buf_puts(b, ",\"symbols\":[");
            for (size_t i = 0; i < s->n_symbols; i++)
                fy_buf_printf(b, "%s\"%s\"", i ? "," : "", s->symbols[i]);
            fy_buf_putc(b, ']');
        } else if (s->type == REG_AVRO_FIXED) {
            fy_buf_printf(b, ",\"size\":%lld", (long long)s->size);
            put_logical(b, s);
        } else {
            fy_buf_puts(b, ",\"fields\":[");
            for (size_t i = 0; i < s->n_fields; i++) {
                if (i)
                    fy_buf_putc(b, ',');
                write_norm_field(n, &s->fields[i]);
            }
            fy_buf_putc(b, ']');
        }
        /* setComplexProps */
        if (s->doc && *s->doc) {
            fy_buf_puts(b, ",\"doc\":");
            fy_jsonout_str(b, s->doc);
        }
        if (s->n_aliases) {
            fy_buf_puts(b, ",\"aliases\":");
            put_sorted_strings(b, s->aliases, s->n_aliases);
        }
        if (s->type == REG_AVRO_ENUM && s->enum_default) {
            fy_buf_puts(b, ",\"default\":");
            fy_jsonout_str(b, s->enum_default);
        }
        put_sorted_props(b, s->props);
        fy_buf_putc(b, '}');
        return;
    default: {
        const char *tn = reg_avro_type_name(s->type);
        size_t mark = b->len;
        fy_buf_printf(b, "{\"type\":\"%s\"", tn);
        /* a valid logical type is written first, then repeated among the
         * sorted properties; the re-parse keeps the first position */
        if (put_logical(b, s) || json_object_size(s->props)) {
            put_sorted_props(b, s->props);
            fy_buf_putc(b, '}');
        } else {
            b->len = mark;
            b->data[mark] = '\0';
            fy_buf_printf(b, "\"%s\"", tn);
        }
        return;
    }
    }
}

/* The raw AvroSchemaUtils.toNormalizedString text: **new**, or NULL with
 * err filled where Confluent's code throws. */
static char *normalized_text(const struct reg_avro_parser *p, const struct reg_avro *root,
                             struct fy_err *err)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    struct nctx n = {.b = &b};
    fy_map_init(&n.env);
    seed_references(&n.env, p, root_call(p, root));
    write_normalized(&n, root);
    fy_map_destroy(&n.env);
    if (n.too_deep) {
        fy_err_set(err, REG_E_INVALID_SCHEMA,
                   "Invalid schema: types nest deeper than the limit ferry.schema.max.depth=%u",
                   reg_avro_get_limits()->max_depth);
        fy_buf_destroy(&b);
        return NULL;
    }
    if (n.failed) {
        fy_err_set(err, REG_E_INVALID_SCHEMA,
                   "Cannot normalize the default of field %s: it does not match its type",
                   n.failed);
        fy_buf_destroy(&b);
        return NULL;
    }
    return fy_buf_steal(&b);
}

int reg_avro_normalize(const struct reg_avro_parser *p, const struct reg_avro *root, char **out,
                       struct fy_err *err)
{
    int rc = -1;
    struct reg_avro_parser *child = NULL;
    char *text = normalized_text(p, root, err);
    if (!text)
        goto out;
    /* Confluent stores new AvroSchema(normalizedText, refs).canonicalString():
     * re-read the text next to the same references, then write it canonically */
    child = reg_avro_parser_new_child(p, root_call(p, root));
    const struct reg_avro *again = NULL;
    /* validate as the schema itself was (Confluent: defaults only for new
     * schemas); a stored schema imported without validation stays readable */
    if (reg_avro_parser_parse(child, text, reg_avro_node_of(root)->validated, &again, err) != 0)
        goto out;
    *out = reg_avro_canonical(child, again);
    rc = 0;
out:
    reg_avro_parser_free(child);
    free(text);
    return rc;
}

char *reg_avro_normalized(const struct reg_avro_parser *p, const struct reg_avro *root)
{
    char *out = NULL;
    if (reg_avro_normalize(p, root, &out, NULL) != 0)
        return reg_avro_canonical(p, root);
    return out;
}
