/* SPDX-License-Identifier: Apache-2.0
 * reg_jsonschema: loading a JSON Schema text into ferry's model, the way
 * Confluent's JsonSchema.rawSchema() does through everit's SchemaLoader:
 * $schema picks the draft (default draft 7), a `$ref` object is a reference
 * and nothing else, otherwise the extractors run in everit's order (enum,
 * allOf/anyOf/oneOf, not, const, type, then keywords sniffed without a type),
 * each consuming its keywords; two or more results make a synthetic allOf.
 * Wrong keyword types and unresolvable `$ref`s are 42201 with the pointer of
 * the problem (everit's SchemaException wording). `$ref`s are resolved after
 * the tree is loaded, from a queue: no recursion follows a reference, and
 * loading recurses only along the JSON nesting, which is bounded first
 * (ferry.schema.max.json.depth). Thread: any. */
#include "registry/reg_jsonschema.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "registry/reg_avro.h"
#include "registry/reg_json.h"
#include "registry/reg_jsonschema_int.h"

#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct pending {
    struct js_node *ref;
    size_t doc;            /* index into L->docs (0 = root) */
};

struct loader {
    struct reg_jsonschema *js;
    const struct reg_jsonschema_ref *refs;
    size_t nrefs;
    json_t **docs;         /* 0: the root; then referenced documents */
    const char **doc_names;
    size_t ndocs, adocs;
    size_t cur_doc;
    struct fy_map by_json; /* json_t * -> node */
    struct pending *pend;
    size_t npend, apend;
    struct fy_buf ptr;     /* JSON pointer of what is being loaded */
    struct js_node *empty; /* the shared EmptySchema of meta-schema references */
    struct fy_err *err;
    bool failed;
};

static struct js_node *node_new(struct loader *L, enum js_kind kind, json_t *raw)
{
    struct js_node *n = fy_calloc(1, sizeof *n);
    n->kind = kind;
    n->raw = raw;
    n->permits_additional = true;
    n->permits_additional_items = true;
    fy_map_init(&n->prop_index);
    fy_map_init(&n->required_set);
    n->next_alloc = L->js->nodes;
    L->js->nodes = n;
    return n;
}

static void node_free(struct js_node *n)
{
    free(n->props);
    fy_map_destroy(&n->prop_index);
    fy_map_destroy(&n->required_set);
    for (size_t i = 0; i < n->npatterns; i++)
        if (n->patterns[i].compiled)
            regfree(&n->patterns[i].re);
    free(n->patterns);
    free(n->deps);
    free(n->items);
    free(n->subs);
    free(n->order);
    free(n);
}

/* ---- errors ------------------------------------------------------------ */

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "JSONObject";
    case JSON_ARRAY: return "JSONArray";
    case JSON_STRING: return "String";
    case JSON_INTEGER: return "Integer";
    case JSON_REAL: return "BigDecimal";
    case JSON_TRUE:
    case JSON_FALSE: return "Boolean";
    default: return "Null";
    }
}

static void fail(struct loader *L, const char *fmt, const char *a, const char *b)
{
    if (L->failed)
        return;
    L->failed = true;
    char msg[200];
    snprintf(msg, sizeof msg, fmt, a, b);
    fy_err_set(L->err, REG_E_INVALID_SCHEMA, "Invalid schema: #%s: %s", fy_buf_str(&L->ptr), msg);
}

static bool want(struct loader *L, const char *key, json_t *v, bool ok, const char *expected)
{
    if (ok)
        return true;
    char what[120];
    snprintf(what, sizeof what, "%s: expected type: %s, found: %s", key, expected,
             json_type_name(v));
    fail(L, "%s%s", what, "");
    return false;
}

/* ---- JSON pointer of the current position -------------------------------- */

static size_t ptr_push(struct loader *L, const char *seg)
{
    size_t mark = L->ptr.len;
    fy_buf_putc(&L->ptr, '/');
    for (const char *c = seg; *c; c++) {
        if (*c == '~')
            fy_buf_puts(&L->ptr, "~0");
        else if (*c == '/')
            fy_buf_puts(&L->ptr, "~1");
        else
            fy_buf_putc(&L->ptr, *c);
    }
    return mark;
}

static size_t ptr_push_index(struct loader *L, size_t i)
{
    size_t mark = L->ptr.len;
    fy_buf_printf(&L->ptr, "/%zu", i);
    return mark;
}

static void ptr_pop(struct loader *L, size_t mark)
{
    L->ptr.len = mark;
    if (L->ptr.data)
        L->ptr.data[mark] = '\0';
}

/* ---- keywords ------------------------------------------------------------ */

static const char *const v4_object_kw[] = {"properties", "required", "minProperties",
    "maxProperties", "dependencies", "patternProperties", "additionalProperties", NULL};
static const char *const v6_object_kw[] = {"properties", "required", "minProperties",
    "maxProperties", "dependencies", "patternProperties", "additionalProperties",
    "propertyNames", NULL};
static const char *const modern_object_kw[] = {"properties", "required", "minProperties",
    "maxProperties", "dependencies", "patternProperties", "additionalProperties",
    "propertyNames", "dependentRequired", "dependentSchemas", "unevaluatedProperties", NULL};
static const char *const v4_array_kw[] = {"items", "additionalItems", "minItems", "maxItems",
    "uniqueItems", NULL};
static const char *const v6_array_kw[] = {"items", "additionalItems", "minItems", "maxItems",
    "uniqueItems", "contains", NULL};
static const char *const modern_array_kw[] = {"items", "additionalItems", "minItems", "maxItems",
    "uniqueItems", "contains", "prefixItems", "minContains", "maxContains", "unevaluatedItems",
    NULL};
static const char *const number_kw[] = {"minimum", "maximum", "exclusiveMinimum",
    "exclusiveMaximum", "multipleOf", NULL};
static const char *const string_kw[] = {"minLength", "maxLength", "pattern", "format", NULL};
static const char *const cond_kw[] = {"if", "then", "else", NULL};

static bool modern(const struct loader *L)
{
    return L->js->draft >= 201909;
}

static const char *const *object_kw(const struct loader *L)
{
    return L->js->draft == 4 ? v4_object_kw : modern(L) ? modern_object_kw : v6_object_kw;
}

static const char *const *array_kw(const struct loader *L)
{
    return L->js->draft == 4 ? v4_array_kw : modern(L) ? modern_array_kw : v6_array_kw;
}

/* The keys an extractor took: everit's projected JSON hides them from the
 * extractors after it. */
struct consumed {
    const char *keys[48];
    size_t n;
};

static bool is_consumed(const struct consumed *c, const char *key)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->keys[i], key) == 0)
            return true;
    return false;
}

static void consume(struct consumed *c, const char *key)
{
    if (!is_consumed(c, key) && c->n < sizeof c->keys / sizeof *c->keys)
        c->keys[c->n++] = key;
}

static void consume_all(struct consumed *c, const char *const *kw)
{
    for (; *kw; kw++)
        consume(c, *kw);
}

static bool has_any(const struct loader *L, json_t *o, const struct consumed *c,
                    const char *const *kw)
{
    for (; *kw; kw++) {
        json_t *v = json_object_get(o, *kw);
        if (!v || is_consumed(c, *kw))
            continue;
        /* 2019-09+ (json-sKema through SchemaTranslator): an empty "properties"
         * builds no object schema */
        if (modern(L) && strcmp(*kw, "properties") == 0 && json_is_object(v) &&
            json_object_size(v) == 0)
            continue;
        return true;
    }
    return false;
}

/* ---- loading ------------------------------------------------------------- */

static struct js_node *load(struct loader *L, json_t *j, unsigned depth);

static struct js_node *load_child(struct loader *L, const char *key, json_t *j, unsigned depth)
{
    size_t mark = ptr_push(L, key);
    struct js_node *n = load(L, j, depth + 1);
    ptr_pop(L, mark);
    return n;
}

static struct js_node *load_child2(struct loader *L, const char *key, const char *key2, json_t *j,
                                   unsigned depth)
{
    size_t mark = ptr_push(L, key);
    struct js_node *n = load_child(L, key2, j, depth + 1);
    ptr_pop(L, mark);
    return n;
}

static struct js_node *load_childi(struct loader *L, const char *key, size_t i, json_t *j,
                                   unsigned depth)
{
    size_t mark = ptr_push(L, key);
    ptr_push_index(L, i);
    struct js_node *n = load(L, j, depth + 2);
    ptr_pop(L, mark);
    return n;
}

static bool is_schema_json(const struct loader *L, json_t *v)
{
    return json_is_object(v) || (L->js->draft != 4 && json_is_boolean(v));
}

static bool get_int(struct loader *L, json_t *o, const char *key, struct js_num *out)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return true;
    if (!want(L, key, v, json_is_integer(v), "Integer"))
        return false;
    out->has = true;
    out->v = (double)json_integer_value(v);
    return true;
}

static bool get_num(struct loader *L, json_t *o, const char *key, struct js_num *out)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return true;
    if (!want(L, key, v, json_is_number(v), "Number"))
        return false;
    out->has = true;
    out->v = json_number_value(v);
    return true;
}

static bool get_str(struct loader *L, json_t *o, const char *key, const char **out)
{
    json_t *v = json_object_get(o, key);
    if (!v)
        return true;
    if (!want(L, key, v, json_is_string(v), "String"))
        return false;
    *out = json_string_value(v);
    return true;
}

static void load_number(struct loader *L, struct js_node *n, json_t *o)
{
    get_num(L, o, "minimum", &n->minimum);
    get_num(L, o, "maximum", &n->maximum);
    if (get_num(L, o, "multipleOf", &n->multiple_of) && n->multiple_of.has &&
        n->multiple_of.v == 0)
        fail(L, "multipleOf should not be 0%s%s", "", "");
    for (int i = 0; i < 2; i++) {
        const char *key = i ? "exclusiveMaximum" : "exclusiveMinimum";
        json_t *v = json_object_get(o, key);
        if (!v)
            continue;
        if (L->js->draft == 4) {
            /* draft 4's boolean flags modify minimum/maximum; SchemaDiff reads only the
             * draft 6 limits (getExclusiveMinimumLimit) */
            want(L, key, v, json_is_boolean(v), "Boolean");
        } else {
            get_num(L, o, key, i ? &n->excl_maximum : &n->excl_minimum);
        }
    }
}

static void load_string(struct loader *L, struct js_node *n, json_t *o)
{
    get_int(L, o, "minLength", &n->min_length);
    get_int(L, o, "maxLength", &n->max_length);
    get_str(L, o, "pattern", &n->pattern);
    const char *format = NULL;
    get_str(L, o, "format", &format);
}

/* Java regexes in POSIX ERE: \d \w \s and their negations as bracket classes. */
static void compile_pattern(struct js_pattern *p)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    for (const char *c = p->pattern; *c; c++) {
        if (c[0] == '\\' && c[1]) {
            const char *cls = NULL;
            switch (c[1]) {
            case 'd': cls = "[0-9]"; break;
            case 'D': cls = "[^0-9]"; break;
            case 'w': cls = "[A-Za-z0-9_]"; break;
            case 'W': cls = "[^A-Za-z0-9_]"; break;
            case 's': cls = "[[:space:]]"; break;
            case 'S': cls = "[^[:space:]]"; break;
            default: break;
            }
            if (cls) {
                fy_buf_puts(&b, cls);
                c++;
                continue;
            }
            fy_buf_putc(&b, c[0]);
            fy_buf_putc(&b, c[1]);
            c++;
            continue;
        }
        fy_buf_putc(&b, *c);
    }
    p->compiled = regcomp(&p->re, fy_buf_str(&b), REG_EXTENDED | REG_NOSUB) == 0;
    fy_buf_destroy(&b);
}

static void add_prop(struct js_node *n, const char *name, struct js_node *s, size_t cap)
{
    if (!n->props)
        n->props = fy_malloc((cap ? cap : 1) * sizeof *n->props);
    struct js_prop *p = &n->props[n->nprops++];
    p->name = name;
    p->schema = s;
    fy_map_put(&n->prop_index, name, p);
}

static void load_deps(struct loader *L, struct js_node *n, json_t *o, const char *key,
                      unsigned depth, int kinds /* 1 arrays, 2 schemas, 3 both */)
{
    json_t *deps = json_object_get(o, key);
    if (!deps)
        return;
    if (!want(L, key, deps, json_is_object(deps), "JSONObject"))
        return;
    size_t add = json_object_size(deps);
    n->deps = fy_realloc(n->deps, (n->ndeps + add + 1) * sizeof *n->deps);
    const char *name;
    json_t *v;
    json_object_foreach(deps, name, v) {
        struct js_dep *d = &n->deps[n->ndeps];
        memset(d, 0, sizeof *d);
        d->name = name;
        if ((kinds & 1) && json_is_array(v)) {
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) {
                if (!json_is_string(e)) {
                    size_t mark = ptr_push(L, key);
                    want(L, name, e, false, "String");
                    ptr_pop(L, mark);
                    return;
                }
            }
            d->names = v;
        } else if ((kinds & 2) && is_schema_json(L, v)) {
            d->schema = load_child2(L, key, name, v, depth);
        } else {
            size_t mark = ptr_push(L, key);
            want(L, name, v, false, kinds == 1 ? "JSONArray" : "JSONObject");
            ptr_pop(L, mark);
            return;
        }
        n->ndeps++;
    }
}

static void load_object(struct loader *L, struct js_node *n, json_t *o, unsigned depth)
{
    get_int(L, o, "minProperties", &n->min_props);
    get_int(L, o, "maxProperties", &n->max_props);
    json_t *props = json_object_get(o, "properties");
    if (props && want(L, "properties", props, json_is_object(props), "JSONObject")) {
        const char *idkw = L->js->draft == 4 ? "id" : "$id";
        size_t cap = json_object_size(props);
        fy_map_reserve(&n->prop_index, cap);
        const char *name;
        json_t *v;
        json_object_foreach(props, name, v) {
            /* ObjectSchemaLoader.populatePropertySchemas skips an id keyword that is
             * not an object */
            if (strcmp(name, idkw) == 0 && !json_is_object(v))
                continue;
            if (!is_schema_json(L, v)) {
                size_t mark = ptr_push(L, "properties");
                want(L, name, v, false, "JSONObject");
                ptr_pop(L, mark);
                return;
            }
            add_prop(n, name, load_child2(L, "properties", name, v, depth), cap);
        }
    }
    reg_jsonschema_order_props(n);
    json_t *ap = json_object_get(o, "additionalProperties");
    if (ap) {
        if (json_is_boolean(ap))
            n->permits_additional = json_is_true(ap);
        else if (want(L, "additionalProperties", ap, json_is_object(ap), "Boolean or JSONObject"))
            n->additional = load_child(L, "additionalProperties", ap, depth);
    }
    json_t *req = json_object_get(o, "required");
    if (req && want(L, "required", req, json_is_array(req), "JSONArray")) {
        size_t i;
        json_t *e;
        json_array_foreach(req, i, e) {
            if (!json_is_string(e)) {
                size_t mark = ptr_push(L, "required");
                char idx[24];
                snprintf(idx, sizeof idx, "%zu", i);
                want(L, idx, e, false, "String");
                ptr_pop(L, mark);
                return;
            }
            fy_map_put(&n->required_set, json_string_value(e), (void *)1);
        }
        n->required = req;
    }
    json_t *pp = json_object_get(o, "patternProperties");
    if (pp && want(L, "patternProperties", pp, json_is_object(pp), "JSONObject")) {
        n->patterns = fy_calloc(json_object_size(pp) + 1, sizeof *n->patterns);
        const char *pat;
        json_t *v;
        json_object_foreach(pp, pat, v) {
            struct js_pattern *p = &n->patterns[n->npatterns++];
            p->pattern = pat;
            p->schema = load_child2(L, "patternProperties", pat, v, depth);
            compile_pattern(p);
        }
    }
    for (size_t i = 0; i < n->nprops; i++)
        n->props[i].required = fy_map_get(&n->required_set, n->props[i].name) != NULL;
    load_deps(L, n, o, "dependencies", depth, 3);
    if (L->js->draft != 4) {
        json_t *pn = json_object_get(o, "propertyNames");
        if (pn)
            load_child(L, "propertyNames", pn, depth);
    }
    if (modern(L)) {
        load_deps(L, n, o, "dependentRequired", depth, 1);
        load_deps(L, n, o, "dependentSchemas", depth, 2);
        json_t *u = json_object_get(o, "unevaluatedProperties");
        if (u)
            n->uneval = load_child(L, "unevaluatedProperties", u, depth);
    }
}

static void load_tuple(struct loader *L, struct js_node *n, const char *key, json_t *arr,
                       unsigned depth)
{
    n->has_items_array = true;
    n->nitems = json_array_size(arr);
    n->items = fy_calloc(n->nitems + 1, sizeof *n->items);
    for (size_t i = 0; i < n->nitems; i++)
        n->items[i] = load_childi(L, key, i, json_array_get(arr, i), depth);
}

static void load_array(struct loader *L, struct js_node *n, json_t *o, unsigned depth)
{
    get_int(L, o, "minItems", &n->min_items);
    get_int(L, o, "maxItems", &n->max_items);
    json_t *u = json_object_get(o, "uniqueItems");
    if (u && want(L, "uniqueItems", u, json_is_boolean(u), "Boolean"))
        n->unique_items = json_is_true(u);
    json_t *prefix = modern(L) ? json_object_get(o, "prefixItems") : NULL;
    json_t *ai = json_object_get(o, "additionalItems");
    json_t *items = json_object_get(o, "items");
    if (prefix && want(L, "prefixItems", prefix, json_is_array(prefix), "JSONArray")) {
        load_tuple(L, n, "prefixItems", prefix, depth);
        /* 2020-12: items after prefixItems is what additionalItems was */
        if (L->js->draft == 202012 && items && !ai) {
            ai = items;
            items = NULL;
        }
    }
    if (ai) {
        if (json_is_boolean(ai))
            n->permits_additional_items = json_is_true(ai);
        else if (want(L, "additionalItems", ai, json_is_object(ai), "Boolean or JSONObject"))
            n->additional_items = load_child(L, ai == json_object_get(o, "items") ? "items"
                                                                                 : "additionalItems",
                                             ai, depth);
    }
    if (items && L->js->draft == 202012 && json_is_boolean(items)) {
        /* SchemaTranslator.visitItemsSchema: items false closes the array
         * (additionalItems false), items true adds nothing */
        if (json_is_false(items))
            n->permits_additional_items = false;
        items = NULL;
    }
    if (items) {
        if (json_is_array(items) && !n->has_items_array)
            load_tuple(L, n, "items", items, depth);
        else if (want(L, "items", items, is_schema_json(L, items), "JSONObject or JSONArray"))
            n->all_items = load_child(L, "items", items, depth);
    }
    if (L->js->draft != 4) {
        json_t *c = json_object_get(o, "contains");
        if (c)
            n->contains = load_child(L, "contains", c, depth);
    }
    /* everit keeps minContains/maxContains among the unprocessed properties,
     * where ArraySchemaDiff reads them as numbers in any draft */
    json_t *mc = json_object_get(o, "minContains");
    if (modern(L) && n->contains && !mc) {
        /* SchemaTranslator puts json-sKema's minContains, which defaults to 1 */
        n->min_contains.has = true;
        n->min_contains.v = 1;
    }
    if (json_is_number(mc)) {
        n->min_contains.has = true;
        n->min_contains.v = (double)(int64_t)json_number_value(mc);
    }
    mc = json_object_get(o, "maxContains");
    if (json_is_number(mc)) {
        n->max_contains.has = true;
        n->max_contains.v = (double)(int64_t)json_number_value(mc);
    }
    if (modern(L)) {
        json_t *ue = json_object_get(o, "unevaluatedItems");
        if (ue)
            n->uneval = load_child(L, "unevaluatedItems", ue, depth);
    }
}

static struct js_node *load_typed(struct loader *L, const char *type, json_t *o,
                                  struct consumed *c, unsigned depth)
{
    struct js_node *n = NULL;
    if (strcmp(type, "string") == 0) {
        n = node_new(L, JS_STRING, o);
        consume_all(c, string_kw);
        load_string(L, n, o);
    } else if (strcmp(type, "integer") == 0 || strcmp(type, "number") == 0) {
        n = node_new(L, JS_NUMBER, o);
        n->requires_integer = type[0] == 'i';
        consume_all(c, number_kw);
        load_number(L, n, o);
    } else if (strcmp(type, "boolean") == 0) {
        n = node_new(L, JS_BOOLEAN, o);
    } else if (strcmp(type, "null") == 0) {
        n = node_new(L, JS_NULL, o);
    } else if (strcmp(type, "array") == 0) {
        n = node_new(L, JS_ARRAY, o);
        consume_all(c, array_kw(L));
        load_array(L, n, o, depth);
    } else if (strcmp(type, "object") == 0) {
        n = node_new(L, JS_OBJECT, o);
        consume_all(c, object_kw(L));
        load_object(L, n, o, depth);
    } else {
        fail(L, "unknown type: [%s]%s", type, "");
    }
    return n;
}

uint32_t reg_jsonschema_java_hash(const char *s, size_t len)
{
    uint32_t h = 0;
    const unsigned char *p = (const unsigned char *)s, *end = p + len;
    while (p < end) {
        uint32_t cp;
        if (*p < 0x80) {
            cp = *p++;
        } else if ((*p & 0xE0) == 0xC0 && p + 1 < end) {
            cp = ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
            p += 2;
        } else if ((*p & 0xF0) == 0xE0 && p + 2 < end) {
            cp = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
            p += 3;
        } else if ((*p & 0xF8) == 0xF0 && p + 3 < end) {
            cp = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
                 ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
            p += 4;
        } else {
            cp = 0xFFFD;
            p++;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            h = 31 * h + (0xD800 + (cp >> 10));
            h = 31 * h + (0xDC00 + (cp & 0x3FF));
        } else {
            h = 31 * h + cp;
        }
    }
    return h;
}

static struct js_node *load_object_schema(struct loader *L, json_t *o, unsigned depth)
{
    struct js_node *found[12];
    size_t nfound = 0;
    struct consumed c = {.n = 0};
    json_t *ref = json_object_get(o, "$ref");
    if (ref) {
        if (!want(L, "$ref", ref, json_is_string(ref), "String"))
            return NULL;
        struct js_node *n = node_new(L, JS_REF, o);
        n->ref = json_string_value(ref);
        if (L->npend == L->apend) {
            L->apend = L->apend ? L->apend * 2 : 16;
            L->pend = fy_realloc(L->pend, L->apend * sizeof *L->pend);
        }
        L->pend[L->npend++] = (struct pending){.ref = n, .doc = L->cur_doc};
        found[nfound++] = n;
        goto common;
    }
    json_t *en = json_object_get(o, "enum");
    if (en) {
        consume(&c, "enum");
        if (!want(L, "enum", en, json_is_array(en), "JSONArray"))
            return NULL;
        struct js_node *n = node_new(L, JS_ENUM, o);
        n->values = en;
        found[nfound++] = n;
    }
    /* CombinedSchemaLoader collects the keywords present into a HashSet: its
     * iteration order (bucket of the Java hash in a 16-slot table) is the order
     * of the combined schemas found */
    static const char *const comb[] = {"allOf", "anyOf", "oneOf"};
    static const enum js_crit crit[] = {JS_ALL, JS_ANY, JS_ONE};
    int order[3] = {0, 1, 2};
    for (int i = 0; i < 3; i++)
        for (int k = i + 1; k < 3; k++) {
            uint32_t hi = reg_jsonschema_java_hash(comb[order[i]], 5),
                     hk = reg_jsonschema_java_hash(comb[order[k]], 5);
            if (((hk ^ (hk >> 16)) & 15) < ((hi ^ (hi >> 16)) & 15)) {
                int t = order[i];
                order[i] = order[k];
                order[k] = t;
            }
        }
    for (int i = 0; i < 3; i++) {
        const char *kw = comb[order[i]];
        json_t *arr = json_object_get(o, kw);
        if (!arr)
            continue;
        consume(&c, kw);
        if (!want(L, kw, arr, json_is_array(arr), "JSONArray"))
            return NULL;
        struct js_node *n = node_new(L, JS_COMBINED, o);
        n->crit = crit[order[i]];
        n->nsubs = json_array_size(arr);
        n->subs = fy_calloc(n->nsubs + 1, sizeof *n->subs);
        for (size_t k = 0; k < n->nsubs; k++)
            n->subs[k] = load_childi(L, kw, k, json_array_get(arr, k), depth);
        found[nfound++] = n;
    }
    json_t *nt = json_object_get(o, "not");
    if (nt) {
        consume(&c, "not");
        struct js_node *n = node_new(L, JS_NOT, o);
        n->must_not = load_child(L, "not", nt, depth);
        found[nfound++] = n;
    }
    json_t *cst = L->js->draft != 4 ? json_object_get(o, "const") : NULL;
    if (cst) {
        consume(&c, "const");
        struct js_node *n = node_new(L, JS_CONST, o);
        n->values = cst;
        found[nfound++] = n;
    }
    json_t *type = json_object_get(o, "type");
    if (type) {
        consume(&c, "type");
        if (json_is_string(type)) {
            struct js_node *n = load_typed(L, json_string_value(type), o, &c, depth);
            if (!n)
                return NULL;
            found[nfound++] = n;
        } else if (want(L, "type", type, json_is_array(type), "String or JSONArray")) {
            struct js_node *n = node_new(L, JS_COMBINED, o);
            n->crit = JS_ANY;
            n->nsubs = json_array_size(type);
            n->subs = fy_calloc(n->nsubs + 1, sizeof *n->subs);
            for (size_t k = 0; k < n->nsubs; k++) {
                json_t *t = json_array_get(type, k);
                if (!json_is_string(t)) {
                    want(L, "type", t, false, "String");
                    return NULL;
                }
                n->subs[k] = load_typed(L, json_string_value(t), o, &c, depth);
                if (!n->subs[k])
                    return NULL;
            }
            found[nfound++] = n;
        } else {
            return NULL;
        }
    }
    /* PropertySnifferSchemaExtractor: type-specific keywords without their type */
    if (has_any(L, o, &c, array_kw(L))) {
        struct js_node *n = node_new(L, JS_ARRAY, o);
        load_array(L, n, o, depth);
        found[nfound++] = n;
    }
    if (has_any(L, o, &c, object_kw(L))) {
        struct js_node *n = node_new(L, JS_OBJECT, o);
        load_object(L, n, o, depth);
        found[nfound++] = n;
    }
    if (has_any(L, o, &c, number_kw)) {
        struct js_node *n = node_new(L, JS_NUMBER, o);
        load_number(L, n, o);
        found[nfound++] = n;
    }
    if (has_any(L, o, &c, string_kw)) {
        struct js_node *n = node_new(L, JS_STRING, o);
        load_string(L, n, o);
        found[nfound++] = n;
    }
    if (L->js->draft >= 7 && has_any(L, o, &c, cond_kw)) {
        struct js_node *n = node_new(L, JS_COND, o);
        for (const char *const *k = cond_kw; *k; k++) {
            json_t *v = json_object_get(o, *k);
            if (v)
                load_child(L, *k, v, depth);
        }
        found[nfound++] = n;
    }
common:;
    struct js_node *eff;
    if (nfound == 0) {
        eff = node_new(L, JS_EMPTY, o);
    } else if (nfound == 1) {
        eff = found[0];
    } else {
        eff = node_new(L, JS_COMBINED, o);
        eff->crit = JS_ALL;
        eff->synthetic = true;
        eff->nsubs = nfound;
        eff->subs = fy_calloc(nfound, sizeof *eff->subs);
        memcpy(eff->subs, found, nfound * sizeof *found);
    }
    const char *id = NULL;
    get_str(L, o, L->js->draft == 4 ? "id" : "$id", &id);
    /* json-sKema takes $id as the base URI, not as the schema's id */
    eff->id = modern(L) ? NULL : id;
    get_str(L, o, "title", &eff->title);
    get_str(L, o, "description", &eff->description);
    eff->def = json_object_get(o, "default");
    json_t *ct = json_object_get(o, "connect.type");
    eff->connect_type = json_is_string(ct) ? json_string_value(ct) : NULL;
    return eff;
}

static struct js_node *load(struct loader *L, json_t *j, unsigned depth)
{
    if (L->failed)
        return NULL;
    struct js_node *n = fy_map_geti(&L->by_json, (int64_t)(intptr_t)j);
    if (n)
        return n;
    if (json_is_boolean(j) && L->js->draft != 4) {
        n = node_new(L, json_is_true(j) ? JS_TRUE : JS_FALSE, j);
    } else if (json_is_object(j)) {
        n = load_object_schema(L, j, depth);
    } else {
        fail(L, "expected type: JSONObject or Boolean, found: %s%s", json_type_name(j), "");
        return NULL;
    }
    if (n)
        fy_map_puti(&L->by_json, (int64_t)(intptr_t)j, n);
    return n;
}

/* ---- $ref resolution ------------------------------------------------------ */

static bool is_meta_schema(const char *doc, size_t len)
{
    static const char *const metas[] = {"http://json-schema.org/", "https://json-schema.org/"};
    for (size_t i = 0; i < 2; i++)
        if (len >= strlen(metas[i]) && strncmp(doc, metas[i], strlen(metas[i])) == 0)
            return true;
    return false;
}

/* The last path segment of a URI-ish name: references are matched by their
 * name as written and by the name resolved against the root's $id. */
static const char *last_segment(const char *s, size_t len, size_t *olen)
{
    const char *p = s + len;
    while (p > s && p[-1] != '/')
        p--;
    *olen = len - (size_t)(p - s);
    return p;
}

static json_t *doc_for(struct loader *L, const char *name, size_t len, size_t *index)
{
    for (size_t i = 1; i < L->ndocs; i++)
        if (strlen(L->doc_names[i]) == len && strncmp(L->doc_names[i], name, len) == 0) {
            *index = i;
            return L->docs[i];
        }
    const struct reg_jsonschema_ref *hit = NULL;
    for (size_t i = 0; i < L->nrefs && !hit; i++)
        if (strlen(L->refs[i].name) == len && strncmp(L->refs[i].name, name, len) == 0)
            hit = &L->refs[i];
    if (!hit) {
        /* "$ref": "http://example.com/other.json" against a reference named
         * "other.json" (ReferenceResolver.resolve(idUri, name)) */
        size_t sl;
        const char *seg = last_segment(name, len, &sl);
        for (size_t i = 0; i < L->nrefs && !hit; i++) {
            size_t rl;
            const char *rs = last_segment(L->refs[i].name, strlen(L->refs[i].name), &rl);
            if (rl == sl && strncmp(rs, seg, sl) == 0)
                hit = &L->refs[i];
        }
    }
    if (!hit)
        return NULL;
    json_error_t jerr;
    json_t *d = json_loads(hit->text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!d) {
        fail(L, "referenced schema '%s' is not valid JSON: %s", hit->name, jerr.text);
        return NULL;
    }
    if (L->ndocs == L->adocs) {
        L->adocs *= 2;
        L->docs = fy_realloc(L->docs, L->adocs * sizeof *L->docs);
        L->doc_names = fy_realloc(L->doc_names, L->adocs * sizeof *L->doc_names);
    }
    L->docs[L->ndocs] = d;
    L->doc_names[L->ndocs] = fy_strndup(name, len);
    *index = L->ndocs++;
    return d;
}

/* Walk JSON pointer `frag` (after '#', percent-escapes not decoded) in `doc`. */
static json_t *walk_pointer(json_t *doc, const char *frag)
{
    json_t *cur = doc;
    const char *p = frag;
    char seg[512];
    while (cur && *p == '/') {
        p++;
        size_t n = 0;
        while (*p && *p != '/' && n + 1 < sizeof seg) {
            if (p[0] == '~' && p[1] == '0') {
                seg[n++] = '~';
                p += 2;
            } else if (p[0] == '~' && p[1] == '1') {
                seg[n++] = '/';
                p += 2;
            } else if (p[0] == '%' && p[1] && p[2]) {
                char hex[3] = {p[1], p[2], 0};
                seg[n++] = (char)strtol(hex, NULL, 16);
                p += 3;
            } else {
                seg[n++] = *p++;
            }
        }
        seg[n] = '\0';
        if (json_is_object(cur)) {
            cur = json_object_get(cur, seg);
        } else if (json_is_array(cur)) {
            char *end;
            long i = strtol(seg, &end, 10);
            cur = (*end || i < 0) ? NULL : json_array_get(cur, (size_t)i);
        } else {
            cur = NULL;
        }
    }
    return *p ? NULL : cur;
}

/* A subschema named by "$anchor": "x" or "$id": "#x" (a plain-name fragment),
 * searched with an explicit stack. */
static json_t *find_anchor(json_t *doc, const char *name)
{
    json_t **stack = fy_malloc(64 * sizeof *stack);
    size_t n = 0, cap = 64;
    json_t *hit = NULL;
    stack[n++] = doc;
    while (n && !hit) {
        json_t *v = stack[--n];
        if (json_is_object(v)) {
            json_t *a = json_object_get(v, "$anchor");
            json_t *id = json_object_get(v, "$id");
            if (!id)
                id = json_object_get(v, "id");
            if ((json_is_string(a) && strcmp(json_string_value(a), name) == 0) ||
                (json_is_string(id) && json_string_value(id)[0] == '#' &&
                 strcmp(json_string_value(id) + 1, name) == 0)) {
                hit = v;
                break;
            }
        }
        if (json_is_object(v) || json_is_array(v)) {
            size_t add = json_is_object(v) ? json_object_size(v) : json_array_size(v);
            if (n + add > cap) {
                cap = (n + add) * 2;
                stack = fy_realloc(stack, cap * sizeof *stack);
            }
            if (json_is_object(v)) {
                const char *k;
                json_t *c;
                json_object_foreach(v, k, c) stack[n++] = c;
            } else {
                size_t i;
                json_t *c;
                json_array_foreach(v, i, c) stack[n++] = c;
            }
        }
    }
    free(stack);
    return hit;
}

static void resolve_refs(struct loader *L)
{
    for (size_t i = 0; i < L->npend && !L->failed; i++) {
        struct js_node *r = L->pend[i].ref;
        const char *ref = r->ref;
        const char *hash = strchr(ref, '#');
        size_t dlen = hash ? (size_t)(hash - ref) : strlen(ref);
        const char *frag = hash ? hash + 1 : "";
        size_t doc = L->pend[i].doc;
        json_t *d = L->docs[doc];
        if (dlen > 0) {
            d = doc_for(L, ref, dlen, &doc);
            if (!d && L->failed)
                return;
            if (!d && is_meta_schema(ref, dlen)) {
                r->target = L->empty;
                continue;
            }
        }
        json_t *target = NULL;
        if (d) {
            if (*frag == '\0')
                target = d;
            else if (*frag == '/') {
                target = walk_pointer(d, frag);
                /* JsonSchema.mergeDefBuckets: top-level definitions also answer #/$defs/ */
                if (!target && strncmp(frag, "/$defs/", 7) == 0) {
                    char alt[600];
                    snprintf(alt, sizeof alt, "/definitions/%s", frag + 7);
                    target = walk_pointer(d, alt);
                }
            } else {
                target = find_anchor(d, frag);
            }
        }
        if (!target) {
            fy_buf_reset(&L->ptr);
            fail(L, "$ref '%s' cannot be resolved%s", ref, "");
            return;
        }
        size_t saved = L->cur_doc;
        L->cur_doc = doc;
        fy_buf_reset(&L->ptr);
        fy_buf_puts(&L->ptr, frag[0] == '/' ? frag : "");
        r->target = load(L, target, 0);
        if (r->target)
            r->target->shared = true;
        L->cur_doc = saved;
    }
}

/* ---- equality filter ---------------------------------------------------------- */

struct jhash {
    uint64_t hash;
    size_t size; /* about the bytes of its compact text */
    bool poisoned;
};

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdULL;
}

/* Hash of a JSON value (order-sensitive) and whether it holds what makes
 * equal texts differ in SchemaDiff ($ref targets, not's fixed verdict, object
 * defaults compared by identity). Containers are cached by address, so a
 * document is hashed once; recursion follows the JSON nesting, bounded before
 * loading (ferry.schema.max.json.depth). */
static struct jhash json_hash(struct fy_map *cache, json_t *v)
{
    struct jhash r = {0, 0, false};
    switch (json_typeof(v)) {
    case JSON_OBJECT:
    case JSON_ARRAY: {
        struct jhash *c = fy_map_geti(cache, (int64_t)(intptr_t)v);
        if (c)
            return *c;
        if (json_is_object(v)) {
            r.hash = 0x4f;
            const char *k;
            json_t *e;
            json_object_foreach(v, k, e) {
                size_t kl = strlen(k);
                r.hash = mix(r.hash, fy_hash_bytes(k, kl));
                struct jhash h = json_hash(cache, e);
                r.hash = mix(r.hash, h.hash);
                r.size += kl + 4 + h.size;
                r.poisoned |= h.poisoned || strcmp(k, "$ref") == 0 || strcmp(k, "not") == 0 ||
                              (strcmp(k, "default") == 0 &&
                               (json_is_object(e) || json_is_array(e)));
            }
        } else {
            r.hash = 0x5b;
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e) {
                struct jhash h = json_hash(cache, e);
                r.hash = mix(r.hash, h.hash);
                r.size += h.size + 1;
                r.poisoned |= h.poisoned;
            }
        }
        r.size += 2;
        c = fy_malloc(sizeof *c);
        *c = r;
        fy_map_puti(cache, (int64_t)(intptr_t)v, c);
        return r;
    }
    case JSON_STRING:
        r.hash = mix(0x22, fy_hash_bytes(json_string_value(v), json_string_length(v)));
        r.size = json_string_length(v) + 2;
        return r;
    case JSON_INTEGER:
        r.hash = mix(0x69, (uint64_t)json_integer_value(v));
        r.size = 20;
        return r;
    case JSON_REAL: {
        double d = json_real_value(v);
        uint64_t bits;
        memcpy(&bits, &d, sizeof bits);
        r.hash = mix(0x72, bits);
        r.size = 24;
        return r;
    }
    default:
        r.hash = (uint64_t)json_typeof(v) + 1;
        r.size = 5;
        return r;
    }
}

/* Hash every node's raw JSON, and keep the compact text of the plain ones
 * (SchemaDiff skips two equal ones) within a budget of a few times the
 * schema's own size: nested subtrees repeat their bytes once per level, and
 * past the budget a node simply has no text (its comparison walks it). */
static void hash_nodes(struct reg_jsonschema *js, size_t text_len)
{
    size_t budget = 4 * text_len + 65536;
    struct fy_map cache, texts;
    fy_map_init(&cache);
    fy_map_init(&texts); /* raw -> its text: synthetic parts share their raw */
    size_t cap = 0;
    for (struct js_node *n = js->nodes; n; n = n->next_alloc) {
        if (!n->raw)
            continue;
        struct jhash h = json_hash(&cache, n->raw);
        n->plain = !h.poisoned && n->kind != JS_REF;
        n->hash = h.hash;
        if (!n->plain)
            continue;
        char *t = fy_map_geti(&texts, (int64_t)(intptr_t)n->raw);
        if (!t && h.size > budget)
            continue;
        if (!t) {
            t = json_dumps(n->raw, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
            if (!t) {
                n->plain = false;
                continue;
            }
            if (js->ntexts == cap) {
                cap = cap ? cap * 2 : 16;
                js->texts = fy_realloc(js->texts, cap * sizeof *js->texts);
            }
            js->texts[js->ntexts++] = t;
            fy_map_puti(&texts, (int64_t)(intptr_t)n->raw, t);
            size_t used = strlen(t);
            budget = used < budget ? budget - used : 0;
        }
        n->text = t;
        n->text_len = strlen(t);
    }
    fy_map_destroy(&texts);
    size_t it = 0;
    const char *k;
    void *v;
    while (fy_map_next(&cache, &it, &k, &v))
        free(v);
    fy_map_destroy(&cache);
}

void reg_jsonschema_prepare(const struct reg_jsonschema *cjs)
{
    struct reg_jsonschema *js = (struct reg_jsonschema *)cjs; /* the one late write */
    if (atomic_load_explicit(&js->prepared, memory_order_acquire) == 2)
        return;
    int idle = 0;
    if (atomic_compare_exchange_strong(&js->prepared, &idle, 1)) {
        hash_nodes(js, js->canonical_len);
        atomic_store_explicit(&js->prepared, 2, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&js->prepared, memory_order_acquire) != 2)
        sched_yield();
}

/* ---- the public face --------------------------------------------------------- */

static int detect_draft(json_t *root)
{
    json_t *s = json_is_object(root) ? json_object_get(root, "$schema") : NULL;
    const char *u = json_is_string(s) ? json_string_value(s) : "";
    /* SpecificationVersion.getFromUrl: the URL with or without its scheme's s,
     * a trailing '#' and "/schema" suffixes */
    if (strstr(u, "json-schema.org/draft/2020-12/"))
        return 202012;
    if (strstr(u, "json-schema.org/draft/2019-09/"))
        return 201909;
    if (strstr(u, "json-schema.org/draft-04/") || strcmp(u, "http://json-schema.org/schema#") == 0)
        return 4;
    if (strstr(u, "json-schema.org/draft-06/"))
        return 6;
    return 7;
}

int reg_jsonschema_parse(const char *text, size_t len, const struct reg_jsonschema_ref *refs,
                         size_t nrefs, struct reg_jsonschema **out, struct fy_err *err)
{
    const struct reg_avro_limits *lim = reg_avro_get_limits();
    if (len > lim->max_bytes)
        return fy_err_set(err, REG_E_INVALID_SCHEMA,
                          "Invalid schema: schema size in bytes %zu exceeds the limit "
                          "ferry.schema.max.bytes=%zu",
                          len, lim->max_bytes);
    if (reg_json_nesting(text, lim->max_json_depth) > lim->max_json_depth)
        return fy_err_set(err, REG_E_INVALID_SCHEMA,
                          "Invalid schema: JSON nesting depth exceeds the limit "
                          "ferry.schema.max.json.depth=%u",
                          lim->max_json_depth);
    for (size_t i = 0; i < nrefs; i++)
        if (reg_json_nesting(refs[i].text, lim->max_json_depth) > lim->max_json_depth)
            return fy_err_set(err, REG_E_INVALID_SCHEMA,
                              "Invalid schema: reference '%s': JSON nesting depth exceeds the "
                              "limit ferry.schema.max.json.depth=%u",
                              refs[i].name, lim->max_json_depth);
    json_t *doc = reg_json_load(text);
    json_error_t jerr;
    if (!doc)
        doc = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!doc)
        return fy_err_set(err, REG_E_INVALID_SCHEMA, "Invalid schema: %s at line %d column %d",
                          jerr.text, jerr.line, jerr.column);
    if (!json_is_object(doc) && !json_is_boolean(doc)) {
        const char *t = json_is_array(doc) ? "ARRAY" : json_is_string(doc) ? "STRING"
                        : json_is_number(doc) ? "NUMBER" : "NULL";
        json_decref(doc);
        return fy_err_set(err, REG_E_INVALID_SCHEMA,
                          "Invalid JSON schema: expected an object or boolean at the root, "
                          "found %s",
                          t);
    }
    struct reg_jsonschema *js = fy_calloc(1, sizeof *js);
    js->doc = doc;
    js->draft = detect_draft(doc);
    struct loader L = {.js = js, .refs = refs, .nrefs = nrefs, .err = err};
    L.adocs = 4;
    L.docs = fy_malloc(L.adocs * sizeof *L.docs);
    L.doc_names = fy_malloc(L.adocs * sizeof *L.doc_names);
    L.docs[0] = doc;
    L.doc_names[0] = NULL;
    L.ndocs = 1;
    fy_map_init(&L.by_json);
    fy_buf_init(&L.ptr, 4096);
    L.empty = node_new(&L, JS_EMPTY, NULL);
    if (json_is_boolean(doc))
        js->root = node_new(&L, json_is_true(doc) ? JS_TRUE : JS_FALSE, doc);
    else
        js->root = load(&L, doc, 0);
    if (!L.failed)
        resolve_refs(&L);
    int rc = -1;
    if (!L.failed && js->root) {
        js->canonical = reg_jsonschema_write_text(text, len, false, err);
        if (js->canonical) {
            js->canonical_len = strlen(js->canonical);
            rc = 0;
        }
    }
    /* the referenced documents stay with the schema: nodes borrow from them */
    js->docs = fy_malloc(L.ndocs * sizeof *js->docs);
    for (size_t i = 1; i < L.ndocs; i++) {
        js->docs[js->ndocs++] = L.docs[i];
        free((char *)L.doc_names[i]);
    }
    free(L.docs);
    free(L.doc_names);
    free(L.pend);
    fy_map_destroy(&L.by_json);
    fy_buf_destroy(&L.ptr);
    if (rc != 0) {
        reg_jsonschema_free(js);
        return -1;
    }
    *out = js;
    return 0;
}

void reg_jsonschema_free(struct reg_jsonschema *js)
{
    if (!js)
        return;
    for (struct js_node *n = js->nodes, *next; n; n = next) {
        next = n->next_alloc;
        node_free(n);
    }
    for (size_t i = 0; i < js->ntexts; i++)
        free(js->texts[i]);
    free(js->texts);
    for (size_t i = 0; i < js->ndocs; i++)
        json_decref(js->docs[i]);
    free(js->docs);
    json_decref(js->doc);
    free(js->canonical);
    free(js);
}

const char *reg_jsonschema_canonical(const struct reg_jsonschema *js)
{
    return js->canonical;
}

char *reg_jsonschema_normalized(const struct reg_jsonschema *js)
{
    return reg_jsonschema_write_text(js->canonical, js->canonical_len, true, NULL);
}

int reg_jsonschema_draft(const struct reg_jsonschema *js)
{
    return js->draft;
}

bool reg_jsonschema_has_top_level_field(const struct reg_jsonschema *js, const char *name,
                                        size_t len)
{
    const struct js_node *root = js->root;
    for (int i = 0; root && root->kind == JS_REF && i < 64; i++)
        root = root->target;
    if (!root || root->kind != JS_OBJECT)
        return false;
    return fy_map_getn(&root->prop_index, name, len) != NULL;
}

size_t reg_jsonschema_footprint(const struct reg_jsonschema *js)
{
    size_t nodes = 0;
    for (const struct js_node *n = js->nodes; n; n = n->next_alloc)
        nodes++;
    /* the node structs, and the jansson trees they borrow from (about
     * eight times the text they were read from) */
    /* the nodes' texts, made later by reg_jsonschema_prepare, stay within
     * 4 x the text + 64 KiB; about twice the text in practice */
    return nodes * sizeof(struct js_node) + js->canonical_len * 11;
}
