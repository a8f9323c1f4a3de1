/* SPDX-License-Identifier: Apache-2.0
 * reg_avro: the Avro schema parser. Turns schema text into the node graph of
 * reg_avro.h, applying Avro-Java 1.11 Schema.Parser's rules one for one
 * (names, namespaces, reserved keys, defaults, unions), so that what Confluent
 * accepts parses and what it rejects fails with 42201. The writers live in
 * reg_avro_write.c. Thread: a parser belongs to one thread at a time. */
#include "registry/reg_avro.h"

#include "common/fy_alloc.h"
#include "registry/reg_avro_int.h"
#include "registry/reg_json.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

/* Longest schema excerpt quoted in an error message (fy_err.msg is 256 bytes). */
#define EXCERPT_MAX 120

/* ---------------------------------------------------------------- limits */

#define DEFAULT_LIMITS                                                                     \
    {                                                                                      \
        .max_bytes = REG_AVRO_DEFAULT_MAX_BYTES,                                           \
        .max_json_depth = REG_AVRO_DEFAULT_MAX_JSON_DEPTH,                                 \
        .max_depth = REG_AVRO_DEFAULT_MAX_DEPTH, .max_names = REG_AVRO_DEFAULT_MAX_NAMES,  \
        .max_branches = REG_AVRO_DEFAULT_MAX_BRANCHES,                                     \
        .max_symbols = REG_AVRO_DEFAULT_MAX_SYMBOLS, .max_fields = REG_AVRO_DEFAULT_MAX_FIELDS \
    }

static const struct reg_avro_limits default_limits = DEFAULT_LIMITS;

/* Written once at startup before any other thread exists, read-only after
 * (pthread_create orders the write before every reader). */
static struct reg_avro_limits limits = DEFAULT_LIMITS;

const struct reg_avro_limits *reg_avro_get_limits(void)
{
    return &limits;
}

void reg_avro_set_limits(const struct reg_avro_limits *l)
{
    limits = default_limits;
    if (!l)
        return;
    if (l->max_bytes)
        limits.max_bytes = l->max_bytes;
    if (l->max_json_depth)
        limits.max_json_depth = l->max_json_depth;
    if (l->max_depth)
        limits.max_depth = l->max_depth;
    if (l->max_names)
        limits.max_names = l->max_names;
    if (l->max_branches)
        limits.max_branches = l->max_branches;
    if (l->max_symbols)
        limits.max_symbols = l->max_symbols;
    if (l->max_fields)
        limits.max_fields = l->max_fields;
}

/* The message every limit failure carries: what, how many, which setting. */
static int fail_limit(struct fy_err *err, const char *what, size_t n, const char *setting,
                      size_t max)
{
    return fy_err_set(err, REG_E_INVALID_SCHEMA,
                      "Invalid schema: %s (%zu) exceeds the limit %s=%zu", what, n, setting, max);
}

static const char *const type_names[] = {
    [REG_AVRO_NULL] = "null",     [REG_AVRO_BOOLEAN] = "boolean", [REG_AVRO_INT] = "int",
    [REG_AVRO_LONG] = "long",     [REG_AVRO_FLOAT] = "float",     [REG_AVRO_DOUBLE] = "double",
    [REG_AVRO_BYTES] = "bytes",   [REG_AVRO_STRING] = "string",   [REG_AVRO_RECORD] = "record",
    [REG_AVRO_ENUM] = "enum",     [REG_AVRO_ARRAY] = "array",     [REG_AVRO_MAP] = "map",
    [REG_AVRO_UNION] = "union",   [REG_AVRO_FIXED] = "fixed",
};

const char *reg_avro_type_name(enum reg_avro_type type)
{
    if ((size_t)type < sizeof type_names / sizeof type_names[0] && type_names[type])
        return type_names[type];
    return "unknown";
}

/* Avro-Java Schema.PRIMITIVES: the names that always mean a primitive. */
static int primitive_of(const char *s)
{
    for (int t = REG_AVRO_NULL; t <= REG_AVRO_STRING; t++)
        if (strcmp(s, type_names[t]) == 0)
            return t;
    return -1;
}

static bool is_named(enum reg_avro_type t)
{
    return t == REG_AVRO_RECORD || t == REG_AVRO_ENUM || t == REG_AVRO_FIXED;
}

/* ---------------------------------------------------------------- names */

/* Java's Character.isLetter / isLetterOrDigit decide name validity, so
 * non-ASCII letters are legal ("Größe"). glibc's C.UTF-8 classes are close to
 * Java's (they also count non-Latin digits as alphabetic); without that locale
 * any non-ASCII BMP character is accepted rather than rejecting valid names. */
static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_locale_init(void)
{
    utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Decode one UTF-8 sequence at s; returns its length (0 = malformed). */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    if (n == 0)
        return 0;
    uint32_t c = s[0] & (0x7F >> n);
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    *cp = c;
    return n;
}

static bool name_char_ok(uint32_t cp, bool first)
{
    if (cp == '_')
        return true;
    if (cp < 0x80) {
        bool alpha = (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z');
        return alpha || (!first && cp >= '0' && cp <= '9');
    }
    /* Java checks UTF-16 units: a supplementary character is two surrogates,
     * neither of which is a letter */
    if (cp > 0xFFFF)
        return false;
    pthread_once(&utf8_once, utf8_locale_init);
    if (!utf8_locale)
        return true;
    return first ? iswalpha_l((wint_t)cp, utf8_locale) != 0
                 : iswalnum_l((wint_t)cp, utf8_locale) != 0;
}

/* Parse-call state: one per reg_avro_parser_parse. */
struct pctx {
    struct reg_avro_parser *p;
    struct fy_map pending;  /* names this call defined (committed on success) */
    const char *space;      /* enclosing namespace, NULL = none (borrowed) */
    bool validate;
    unsigned call;
    size_t n_names;         /* named types this call defined so far */
    struct fy_err *err;
};

/* Avro-Java Schema.validateName. */
static int validate_name(struct pctx *c, const char *name)
{
    if (!c->validate && !c->p->check_names)
        return 0;
    if (!name)
        return fy_err_set(c->err, REG_E_INVALID_SCHEMA, "Null name");
    if (!*name)
        return fy_err_set(c->err, REG_E_INVALID_SCHEMA, "Empty name");
    const unsigned char *s = (const unsigned char *)name;
    for (bool first = true; *s; first = false) {
        uint32_t cp = 0;
        size_t n = utf8_decode(s, &cp);
        if (n == 0 || !name_char_ok(cp, first))
            return fy_err_set(c->err, REG_E_INVALID_SCHEMA,
                              first ? "Illegal initial character: %.*s" : "Illegal character in: %.*s",
                              EXCERPT_MAX, name);
        s += n;
    }
    return 0;
}

/* Avro-Java Schema.Name: a dotted name carries its own namespace, "" means
 * none; only the last segment is validated. */
struct avro_name {
    char *name;
    char *space; /* NULL = none */
    char *full;
};

static void avro_name_destroy(struct avro_name *n)
{
    free(n->name);
    free(n->space);
    free(n->full);
    memset(n, 0, sizeof *n);
}

static int avro_name_make(struct pctx *c, const char *name, const char *space,
                          struct avro_name *out)
{
    memset(out, 0, sizeof *out);
    const char *dot = strrchr(name, '.');
    const char *simple = name;
    if (dot) {
        out->space = fy_strndup(name, (size_t)(dot - name));
        simple = dot + 1;
    } else if (space) {
        out->space = fy_strdup(space);
    }
    if (validate_name(c, simple) != 0) {
        avro_name_destroy(out);
        return -1;
    }
    if (out->space && !*out->space) {
        free(out->space);
        out->space = NULL;
    }
    out->name = fy_strdup(simple);
    out->full = out->space ? fy_strconcat(out->space, ".", out->name, (char *)NULL)
                           : fy_strdup(out->name);
    return 0;
}

/* The visible named type `fullname` for a parse on `p`: its own names, then
 * its parent's from calls before parent_limit. */
static struct reg_avro_node *visible_name(const struct reg_avro_parser *p, const char *fullname)
{
    struct reg_avro_node *n = fy_map_get(&p->names, fullname);
    if (n)
        return n;
    if (p->parent) {
        n = visible_name(p->parent, fullname);
        if (n && n->call < p->parent_limit)
            return n;
    }
    return NULL;
}

static struct reg_avro_node *names_find(struct pctx *c, const char *fullname)
{
    struct reg_avro_node *n = fy_map_get(&c->pending, fullname);
    return n ? n : visible_name(c->p, fullname);
}

/* Avro-Java Names.put: a name is defined once per parser. */
static int names_add(struct pctx *c, struct reg_avro_node *n)
{
    if (names_find(c, n->pub.fullname))
        return fy_err_set(c->err, REG_E_INVALID_SCHEMA, "Can't redefine: %s", n->pub.fullname);
    if (++c->n_names > limits.max_names)
        return fail_limit(c->err, "number of named types", c->n_names, "ferry.schema.max.names",
                          limits.max_names);
    fy_map_put(&c->pending, n->pub.fullname, n);
    return 0;
}

/* Avro-Java Names.get for a type written as a string: primitive, else the
 * name in the enclosing namespace, else the name as written. *out is NULL when
 * the name is undefined; -1 only for an invalid name. */
static int names_get(struct pctx *c, const char *text, struct reg_avro_node **out, int *primitive)
{
    *out = NULL;
    *primitive = primitive_of(text);
    if (*primitive >= 0)
        return 0;
    struct avro_name nm;
    if (avro_name_make(c, text, c->space, &nm) != 0)
        return -1;
    *out = names_find(c, nm.full);
    avro_name_destroy(&nm);
    if (!*out)
        *out = names_find(c, text);
    return 0;
}

/* ---------------------------------------------------------------- nodes */

static void field_destroy(struct reg_avro_field *f)
{
    free(f->name);
    free(f->doc);
    for (size_t i = 0; i < f->n_aliases; i++)
        free(f->aliases[i]);
    free(f->aliases);
    json_decref(f->default_value);
    json_decref(f->props);
}

static void node_free(struct reg_avro_node *n)
{
    struct reg_avro *s = &n->pub;
    free(s->fullname);
    free(s->name);
    free(s->namespace_);
    free(s->doc);
    for (size_t i = 0; i < s->n_aliases; i++)
        free(s->aliases[i]);
    free(s->aliases);
    for (size_t i = 0; i < s->n_fields; i++)
        field_destroy(&s->fields[i]);
    free(s->fields);
    for (size_t i = 0; i < s->n_symbols; i++)
        free(s->symbols[i]);
    free(s->symbols);
    free(s->enum_default);
    free(s->branches);
    json_decref(s->props);
    free(n);
}

/* Most types and fields have no custom property: they all share one empty
 * object, never changed (copy_props makes a node's own at its first key),
 * instead of two allocations each. jansson's refcounts are atomic. */
static json_t *shared_empty;
static pthread_once_t empty_once = PTHREAD_ONCE_INIT;

static void empty_init(void)
{
    shared_empty = json_object();
}

static json_t *empty_props(void)
{
    pthread_once(&empty_once, empty_init);
    return json_incref(shared_empty);
}

/* A new node owned by the parser (freed with it, or on a failed call). */
static struct reg_avro_node *node_new(struct pctx *c, enum reg_avro_type type)
{
    struct reg_avro_parser *p = c->p;
    struct reg_avro_node *n = fy_calloc(1, sizeof *n);
    n->pub.type = type;
    n->pub.props = empty_props();
    n->call = c->call;
    n->validated = c->validate;
    if (p->n_nodes == p->cap_nodes) {
        p->cap_nodes = p->cap_nodes ? p->cap_nodes * 2 : 32;
        p->nodes = fy_realloc(p->nodes, p->cap_nodes * sizeof *p->nodes);
    }
    p->nodes[p->n_nodes++] = n;
    return n;
}

/* ---------------------------------------------------------------- helpers */

/* Jackson's JsonNode.textValue(): the string, or NULL for any other kind. */
static const char *text_of(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* A name given as a JSON string with an embedded NUL: C strings would cut it
 * short and make it look valid, so it is illegal when validating. */
static int check_nul(struct pctx *c, const json_t *v)
{
    if ((c->validate || c->p->check_names) && json_is_string(v) &&
        strlen(json_string_value(v)) != json_string_length(v))
        return fy_err_set(c->err, REG_E_INVALID_SCHEMA, "Illegal character in: %.*s",
                          EXCERPT_MAX, json_string_value(v));
    return 0;
}

/* Compact JSON of `j` for messages, cut to EXCERPT_MAX bytes. **new**. */
static char *excerpt(const json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        return fy_strdup("?");
    if (strlen(s) > EXCERPT_MAX) {
        s[EXCERPT_MAX - 3] = '\0';
        char *t = fy_asprintf("%s...", s);
        free(s);
        return t;
    }
    return s;
}

static int fail_json(struct pctx *c, const char *what, const json_t *j)
{
    char *x = excerpt(j);
    fy_err_set(c->err, REG_E_INVALID_SCHEMA, "%s: %s", what, x);
    free(x);
    return -1;
}

/* Java's Double.valueOf grammar, which Avro-Java applies to string defaults
 * of float/double fields: trimmed, optional sign, NaN, Infinity, decimal with
 * optional exponent, or hex with a binary exponent; optional [fFdD] suffix. */
static bool java_parse_double(const char *text, double *out)
{
    const char *s = text;
    while (*s && (unsigned char)*s <= ' ')
        s++;
    size_t len = strlen(s);
    while (len && (unsigned char)s[len - 1] <= ' ')
        len--;
    char *t = fy_strndup(s, len);
    bool ok = false;
    const char *q = t;
    bool neg = false;
    if (*q == '+' || *q == '-')
        neg = *q++ == '-';
    if (strcmp(q, "NaN") == 0) {
        *out = NAN;
        ok = true;
        goto out;
    }
    if (strcmp(q, "Infinity") == 0) {
        *out = neg ? -INFINITY : INFINITY;
        ok = true;
        goto out;
    }
    const char *r = q;
    bool hex = r[0] == '0' && (r[1] == 'x' || r[1] == 'X');
    const char *digit_set = hex ? "0123456789abcdefABCDEF" : "0123456789";
    size_t digits = 0;
    if (hex)
        r += 2;
    while (*r && strchr(digit_set, *r))
        r++, digits++;
    if (*r == '.')
        for (r++; *r && strchr(digit_set, *r); r++)
            digits++;
    if (!digits)
        goto out;
    /* the exponent: optional "e" for decimal, mandatory "p" (binary) for hex */
    bool has_exp = hex ? (*r == 'p' || *r == 'P') : (*r == 'e' || *r == 'E');
    if (hex && !has_exp)
        goto out;
    if (has_exp) {
        r++;
        if (*r == '+' || *r == '-')
            r++;
        size_t ed = 0;
        while (*r >= '0' && *r <= '9')
            r++, ed++;
        if (!ed)
            goto out;
    }
    char *end = (char *)r;
    if (*r == 'f' || *r == 'F' || *r == 'd' || *r == 'D')
        r++;
    if (*r)
        goto out;
    *end = '\0';
    *out = strtod(t, NULL);
    ok = true;
out:
    free(t);
    return ok;
}

/* A float/double field's string default is always the parser's stand-in for
 * a converted NaN or Infinity (see parse_field). */
static bool is_nonfinite_marker(const struct reg_avro_field *f)
{
    return json_is_string(f->default_value) &&
           (f->type->type == REG_AVRO_FLOAT || f->type->type == REG_AVRO_DOUBLE);
}

/* Bounds on one isValidDefault walk. Defaults of references parsed without
 * validation may refer to each other in a cycle, on which Avro-Java overflows
 * its stack; here the walk gives up (invalid) instead, after at most
 * DEFAULT_MAX_STEPS calls so that a branching cycle cannot run for ages. */
#define DEFAULT_MAX_DEPTH 256
#define DEFAULT_MAX_STEPS 1000000L

/* Avro-Java Schema.isValidDefault. */
static bool valid_default(const struct reg_avro *s, const json_t *v, int depth, long *steps)
{
    if (!v || depth > DEFAULT_MAX_DEPTH || --*steps < 0)
        return false;
    switch (s->type) {
    case REG_AVRO_STRING:
    case REG_AVRO_BYTES:
    case REG_AVRO_ENUM:
    case REG_AVRO_FIXED:
        return json_is_string(v);
    case REG_AVRO_INT:
        return json_is_integer(v) && json_integer_value(v) >= INT32_MIN &&
               json_integer_value(v) <= INT32_MAX;
    case REG_AVRO_LONG:
        return json_is_integer(v);
    case REG_AVRO_FLOAT:
    case REG_AVRO_DOUBLE:
        return json_is_number(v);
    case REG_AVRO_BOOLEAN:
        return json_is_boolean(v);
    case REG_AVRO_NULL:
        return json_is_null(v);
    case REG_AVRO_ARRAY: {
        if (!json_is_array(v))
            return false;
        for (size_t i = 0; i < json_array_size(v); i++)
            if (!valid_default(s->items, json_array_get(v, i), depth + 1, steps))
                return false;
        return true;
    }
    case REG_AVRO_MAP: {
        if (!json_is_object(v))
            return false;
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)v, k, e)
        {
            if (!valid_default(s->items, e, depth + 1, steps))
                return false;
        }
        return true;
    }
    case REG_AVRO_UNION:
        return s->n_branches && valid_default(s->branches[0], v, depth + 1, steps);
    case REG_AVRO_RECORD:
        /* Avro-Java throws "Schema fields not set yet" for a record still
         * being parsed (a recursive default): invalid here too */
        if (!json_is_object(v) || !reg_avro_node_of(s)->fields_set)
            return false;
        for (size_t i = 0; i < s->n_fields; i++) {
            const struct reg_avro_field *f = &s->fields[i];
            const json_t *fv = json_object_get(v, f->name);
            if (!fv && is_nonfinite_marker(f))
                continue; /* a NaN/Infinity double: a number to Avro-Java */
            if (!valid_default(f->type, fv ? fv : f->default_value, depth + 1, steps))
                return false;
        }
        return true;
    }
    return false;
}

static bool default_ok(const struct reg_avro *s, const json_t *v)
{
    long steps = DEFAULT_MAX_STEPS;
    return valid_default(s, v, 0, &steps);
}

/* Avro-Java Schema.parseAliases: NULL list when absent; strings only; a set. */
static int parse_aliases(struct pctx *c, const json_t *obj, char ***out, size_t *n_out)
{
    *out = NULL;
    *n_out = 0;
    const json_t *a = json_object_get(obj, "aliases");
    if (!a)
        return 0;
    if (!json_is_array(a))
        return fail_json(c, "aliases not an array", obj);
    char **list = fy_calloc(json_array_size(a) + 1, sizeof *list);
    size_t n = 0;
    struct fy_map seen; /* a set: a linear check however many aliases */
    fy_map_init(&seen);
    for (size_t i = 0; i < json_array_size(a); i++) {
        const json_t *e = json_array_get(a, i);
        if (!json_is_string(e) || check_nul(c, e) != 0) {
            for (size_t k = 0; k < n; k++)
                free(list[k]);
            free(list);
            fy_map_destroy(&seen);
            return json_is_string(e) ? -1 : fail_json(c, "alias not a string", e);
        }
        if (!fy_map_put(&seen, json_string_value(e), (void *)e))
            list[n++] = fy_strdup(json_string_value(e));
    }
    fy_map_destroy(&seen);
    *out = list;
    *n_out = n;
    return 0;
}

/* Copy every key of `obj` that is not reserved into *props, input order;
 * the shared empty object is replaced by an own one first. */
static void copy_props(json_t **props, const json_t *obj, const char *const *reserved)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v)
    {
        bool skip = false;
        /* first letters before strcmp: every key of every type passes here */
        for (size_t i = 0; reserved[i] && !skip; i++)
            skip = k[0] == reserved[i][0] && strcmp(k, reserved[i]) == 0;
        if (skip)
            continue;
        if (*props == shared_empty) {
            json_decref(*props);
            *props = json_object();
        }
        json_object_set(*props, k, v);
    }
}

/* Avro-Java SCHEMA_RESERVED, ENUM_RESERVED (adds "default"), FIELD_RESERVED. */
static const char *const schema_reserved[] = {"doc",     "fields", "items", "name", "namespace",
                                              "size",    "symbols", "values", "type", "aliases",
                                              NULL};
static const char *const enum_reserved[] = {"doc",    "fields",  "items", "name",
                                            "namespace", "size", "symbols", "values",
                                            "type",   "aliases", "default", NULL};
static const char *const field_reserved[] = {"default", "doc",  "name",    "order",
                                             "type",    "aliases", NULL};

/* ---------------------------------------------------------------- parse */

static struct reg_avro_node *parse_schema(struct pctx *c, const json_t *j);

static int parse_field(struct pctx *c, const json_t *fj, struct reg_avro_field *f)
{
    const char *fname = text_of(fj, "name");
    if (!fname)
        return fail_json(c, "No field name", fj);
    if (check_nul(c, json_object_get(fj, "name")) != 0)
        return -1;
    const char *fdoc = text_of(fj, "doc");
    const json_t *tj = json_object_get(fj, "type");
    if (!tj)
        return fail_json(c, "No field type", fj);
    if (check_nul(c, tj) != 0)
        return -1;
    if (json_is_string(tj)) {
        struct reg_avro_node *found;
        int prim;
        if (names_get(c, json_string_value(tj), &found, &prim) != 0)
            return -1;
        if (!found && prim < 0)
            return fy_err_set(c->err, REG_E_INVALID_SCHEMA,
                              "\"%.*s\" is not a defined name. The type of the \"%.*s\" field must "
                              "be a defined name or a {\"type\": ...} expression.",
                              EXCERPT_MAX / 2, json_string_value(tj), EXCERPT_MAX / 2, fname);
    }
    struct reg_avro_node *ft = parse_schema(c, tj);
    if (!ft)
        return -1;
    f->name = fy_strdup(fname);
    f->type = &ft->pub;
    f->doc = fy_strdup(fdoc);
    f->order = REG_AVRO_ASCENDING;
    f->props = empty_props();
    const json_t *oj = json_object_get(fj, "order");
    if (oj) {
        /* Field.Order.valueOf(text.toUpperCase(Locale.ENGLISH)) */
        const char *o = json_string_value(oj);
        if (o && strcasecmp(o, "ascending") == 0)
            f->order = REG_AVRO_ASCENDING;
        else if (o && strcasecmp(o, "descending") == 0)
            f->order = REG_AVRO_DESCENDING;
        else if (o && strcasecmp(o, "ignore") == 0)
            f->order = REG_AVRO_IGNORE;
        else
            return fail_json(c, "Invalid field order (ascending, descending or ignore)", oj);
    }
    const json_t *dj = json_object_get(fj, "default");
    bool converted = false;
    if (dj && json_is_string(dj) &&
        (ft->pub.type == REG_AVRO_FLOAT || ft->pub.type == REG_AVRO_DOUBLE)) {
        /* Avro-Java turns a string default of a float/double field into a
         * number (Double.valueOf), with or without validation; non-finite
         * values are kept as the string Jackson would write for them */
        double d;
        if (!java_parse_double(json_string_value(dj), &d))
            return fy_err_set(c->err, REG_E_INVALID_SCHEMA,
                              "Invalid default for field %.*s: For input string: \"%.*s\"",
                              EXCERPT_MAX / 2, fname, EXCERPT_MAX / 2, json_string_value(dj));
        if (isnan(d))
            f->default_value = json_string("NaN");
        else if (isinf(d))
            f->default_value = json_string(d < 0 ? "-Infinity" : "Infinity");
        else
            f->default_value = json_real(d);
        converted = true;
    } else if (dj) {
        f->default_value = json_incref((json_t *)dj);
    }
    if (validate_name(c, fname) != 0)
        return -1;
    if (c->validate && f->default_value && !converted && !default_ok(&ft->pub, f->default_value)) {
        char *x = excerpt(f->default_value);
        const char *tn = is_named(ft->pub.type) ? ft->pub.fullname : reg_avro_type_name(ft->pub.type);
        fy_err_set(c->err, REG_E_INVALID_SCHEMA, "Invalid default for field %.*s: %s not a %.*s",
                   EXCERPT_MAX / 2, fname, x, EXCERPT_MAX / 2, tn);
        free(x);
        return -1;
    }
    copy_props(&f->props, fj, field_reserved);
    if (parse_aliases(c, fj, &f->aliases, &f->n_aliases) != 0)
        return -1;
    return 0;
}

static int parse_record(struct pctx *c, struct reg_avro_node *n, const json_t *j)
{
    const json_t *fields = json_object_get(j, "fields");
    if (!fields || !json_is_array(fields))
        return fail_json(c, "Record has no fields", j);
    struct reg_avro *s = &n->pub;
    if (json_array_size(fields) > limits.max_fields)
        return fail_limit(c->err, "number of record fields", json_array_size(fields),
                          "ferry.schema.max.fields", limits.max_fields);
    s->fields = fy_calloc(json_array_size(fields) + 1, sizeof *s->fields);
    for (size_t i = 0; i < json_array_size(fields); i++) {
        struct reg_avro_field *f = &s->fields[s->n_fields];
        /* count the field before parsing it so a failure frees what it got */
        s->n_fields++;
        f->position = (int)i;
        if (parse_field(c, json_array_get(fields, i), f) != 0)
            return -1;
    }
    /* Avro-Java RecordSchema.setFields (a map: schemas may be large) */
    struct fy_map seen;
    fy_map_init(&seen);
    int rc = 0;
    for (size_t i = 0; i < s->n_fields && rc == 0; i++)
        if (fy_map_put(&seen, s->fields[i].name, &s->fields[i]))
            rc = fy_err_set(c->err, REG_E_INVALID_SCHEMA, "Duplicate field %.*s in record %.*s",
                            EXCERPT_MAX / 2, s->fields[i].name, EXCERPT_MAX / 2, s->fullname);
    fy_map_destroy(&seen);
    n->fields_set = rc == 0;
    return rc;
}

static int parse_enum(struct pctx *c, struct reg_avro_node *n, const json_t *j)
{
    const json_t *syms = json_object_get(j, "symbols");
    if (!syms || !json_is_array(syms))
        return fail_json(c, "Enum has no symbols", j);
    struct reg_avro *s = &n->pub;
    if (json_array_size(syms) > limits.max_symbols)
        return fail_limit(c->err, "number of enum symbols", json_array_size(syms),
                          "ferry.schema.max.enum.symbols", limits.max_symbols);
    int rc = -1;
    struct fy_map seen; /* symbol -> itself (a set: enums may be large) */
    fy_map_init(&seen);
    s->symbols = fy_calloc(json_array_size(syms) + 1, sizeof *s->symbols);
    for (size_t i = 0; i < json_array_size(syms); i++) {
        const char *sym = json_string_value(json_array_get(syms, i));
        if (check_nul(c, json_array_get(syms, i)) != 0)
            goto out;
        /* a non-string symbol is Java's null: "Null name" when validating,
         * unusable either way */
        if (!sym) {
            fy_err_set(c->err, REG_E_INVALID_SCHEMA, "Null name");
            goto out;
        }
        if (validate_name(c, sym) != 0)
            goto out;
        if (fy_map_put(&seen, sym, (void *)sym)) {
            fy_err_set(c->err, REG_E_INVALID_SCHEMA, "Duplicate enum symbol: %.*s", EXCERPT_MAX,
                       sym);
            goto out;
        }
        s->symbols[s->n_symbols++] = fy_strdup(sym);
    }
    const char *def = text_of(j, "default");
    if (def) {
        if (!fy_map_get(&seen, def)) {
            char *x = excerpt(syms);
            fy_err_set(c->err, REG_E_INVALID_SCHEMA,
                       "The Enum Default: %.*s is not in the enum symbol set: %s", EXCERPT_MAX / 2,
                       def, x);
            free(x);
            goto out;
        }
        s->enum_default = fy_strdup(def);
    }
    rc = 0;
out:
    fy_map_destroy(&seen);
    return rc;
}

static int parse_fixed(struct pctx *c, struct reg_avro_node *n, const json_t *j)
{
    const json_t *size = json_object_get(j, "size");
    /* Jackson isInt(): an integer literal within int range */
    if (!size || !json_is_integer(size) || json_integer_value(size) < INT32_MIN ||
        json_integer_value(size) > INT32_MAX)
        return fail_json(c, "Invalid or no size", j);
    json_int_t v = json_integer_value(size);
    /* SystemLimitException.checkMaxBytesLength */
    if (v < 0)
        return fy_err_set(c->err, REG_E_INVALID_SCHEMA, "Malformed data. Length is negative: %lld",
                          (long long)v);
    if (v > INT32_MAX - 8)
        return fy_err_set(c->err, REG_E_INVALID_SCHEMA,
                          "Cannot read arrays longer than %d bytes in Java library", INT32_MAX - 8);
    n->pub.size = v;
    return 0;
}

/* The named part of a record/enum/fixed: name, namespace, doc. Sets the
 * enclosing namespace for what follows, as Avro-Java does before the body. */
static int parse_named_header(struct pctx *c, struct reg_avro_node *n, const json_t *j)
{
    const char *space = text_of(j, "namespace");
    if (!space)
        space = c->space;
    const char *name = text_of(j, "name");
    if (!name)
        return fail_json(c, "No name in schema", j);
    if (check_nul(c, json_object_get(j, "name")) != 0)
        return -1;
    struct avro_name nm;
    if (avro_name_make(c, name, space, &nm) != 0)
        return -1;
    struct reg_avro *s = &n->pub;
    s->name = nm.name;
    s->namespace_ = nm.space;
    s->fullname = nm.full;
    s->doc = fy_strdup(text_of(j, "doc"));
    if (primitive_of(s->fullname) >= 0)
        return fy_err_set(c->err, REG_E_INVALID_SCHEMA,
                          "Schemas may not be named after primitives: %s", s->fullname);
    c->space = s->namespace_;
    return 0;
}

static int parse_named_aliases(struct pctx *c, struct reg_avro_node *n, const json_t *j)
{
    char **list;
    size_t count;
    if (parse_aliases(c, j, &list, &count) != 0)
        return -1;
    if (!list)
        return 0;
    struct reg_avro *s = &n->pub;
    s->aliases = fy_calloc(count + 1, sizeof *s->aliases);
    int rc = 0;
    struct fy_map seen; /* a set of Names: the same full name twice is kept once */
    fy_map_init(&seen);
    for (size_t i = 0; i < count; i++) {
        struct avro_name an;
        if (rc == 0 && avro_name_make(c, list[i], s->namespace_, &an) == 0) {
            if (!fy_map_put(&seen, an.full, an.full)) {
                s->aliases[s->n_aliases++] = an.full;
                an.full = NULL;
            }
            avro_name_destroy(&an);
        } else {
            rc = -1;
        }
        free(list[i]);
    }
    free(list);
    fy_map_destroy(&seen);
    return rc;
}

static struct reg_avro_node *parse_object(struct pctx *c, const json_t *j)
{
    const char *type = text_of(j, "type");
    if (!type) {
        fail_json(c, "No type", j);
        return NULL;
    }
    const char *saved_space = c->space;
    bool is_error = strcmp(type, "error") == 0;
    bool is_record = is_error || strcmp(type, "record") == 0;
    int prim = primitive_of(type);
    struct reg_avro_node *n = NULL;
    if (prim >= 0) {
        n = node_new(c, (enum reg_avro_type)prim);
    } else if (is_record) {
        n = node_new(c, REG_AVRO_RECORD);
        n->pub.is_error = is_error;
        if (parse_named_header(c, n, j) != 0 || names_add(c, n) != 0 || parse_record(c, n, j) != 0)
            goto fail;
    } else if (strcmp(type, "enum") == 0) {
        n = node_new(c, REG_AVRO_ENUM);
        if (parse_named_header(c, n, j) != 0 || parse_enum(c, n, j) != 0 || names_add(c, n) != 0)
            goto fail;
    } else if (strcmp(type, "array") == 0 || strcmp(type, "map") == 0) {
        bool array = type[0] == 'a';
        const json_t *inner = json_object_get(j, array ? "items" : "values");
        if (!inner) {
            fail_json(c, array ? "Array has no items type" : "Map has no values type", j);
            return NULL;
        }
        struct reg_avro_node *in = parse_schema(c, inner);
        if (!in)
            return NULL;
        n = node_new(c, array ? REG_AVRO_ARRAY : REG_AVRO_MAP);
        n->pub.items = &in->pub;
    } else if (strcmp(type, "fixed") == 0) {
        n = node_new(c, REG_AVRO_FIXED);
        if (parse_named_header(c, n, j) != 0 || parse_fixed(c, n, j) != 0 || names_add(c, n) != 0)
            goto fail;
    } else {
        /* {"type":"SomeName"}: a defined name in the enclosing namespace (no
         * fallback to the null namespace here, unlike a bare string) */
        struct avro_name nm;
        if (avro_name_make(c, type, c->space, &nm) != 0)
            return NULL;
        struct reg_avro_node *found = names_find(c, nm.full);
        avro_name_destroy(&nm);
        if (!found)
            fy_err_set(c->err, REG_E_INVALID_SCHEMA, "Type not supported: %.*s", EXCERPT_MAX, type);
        return found;
    }
    copy_props(&n->pub.props, j, n->pub.type == REG_AVRO_ENUM ? enum_reserved : schema_reserved);
    c->space = saved_space;
    if (is_named(n->pub.type) && parse_named_aliases(c, n, j) != 0)
        return NULL;
    return n;
fail:
    c->space = saved_space;
    return NULL;
}

static struct reg_avro_node *parse_union(struct pctx *c, const json_t *j)
{
    size_t count = json_array_size(j);
    if (count > limits.max_branches) {
        fail_limit(c->err, "number of union branches", count, "ferry.schema.max.union.branches",
                   limits.max_branches);
        return NULL;
    }
    struct reg_avro **br = fy_calloc(count + 1, sizeof *br);
    struct fy_map seen; /* branch type names: a set, so the check is linear */
    fy_map_init(&seen);
    for (size_t i = 0; i < count; i++) {
        struct reg_avro_node *b = parse_schema(c, json_array_get(j, i));
        if (!b)
            goto fail;
        br[i] = &b->pub;
    }
    for (size_t i = 0; i < count; i++) {
        if (br[i]->type == REG_AVRO_UNION) {
            fail_json(c, "Nested union", j);
            goto fail;
        }
        /* Avro-Java UnionSchema: the first duplicate in branch order */
        const char *ni = is_named(br[i]->type) ? br[i]->fullname : reg_avro_type_name(br[i]->type);
        if (fy_map_put(&seen, ni, br[i])) {
            fy_err_set(c->err, REG_E_INVALID_SCHEMA, "Duplicate in union:%.*s", EXCERPT_MAX, ni);
            goto fail;
        }
    }
    fy_map_destroy(&seen);
    struct reg_avro_node *n = node_new(c, REG_AVRO_UNION);
    n->pub.branches = br;
    n->pub.n_branches = count;
    return n;
fail:
    fy_map_destroy(&seen);
    free(br);
    return NULL;
}

static struct reg_avro_node *parse_schema(struct pctx *c, const json_t *j)
{
    if (check_nul(c, j) != 0)
        return NULL;
    if (json_is_string(j)) {
        struct reg_avro_node *found;
        int prim;
        if (names_get(c, json_string_value(j), &found, &prim) != 0)
            return NULL;
        if (prim >= 0)
            return node_new(c, (enum reg_avro_type)prim);
        if (!found)
            fy_err_set(c->err, REG_E_INVALID_SCHEMA, "Undefined name: \"%.*s\"", EXCERPT_MAX,
                       json_string_value(j));
        return found;
    }
    if (json_is_object(j))
        return parse_object(c, j);
    if (json_is_array(j))
        return parse_union(c, j);
    fail_json(c, "Schema not yet supported", j);
    return NULL;
}

/* Avro-Java's parser enables Jackson's ALLOW_COMMENTS: blank out C and C++
 * comments outside strings so jansson sees the same document. Only up to the
 * end of the top-level value: Avro-Java rejects anything after it, comments
 * included ("dangling content after end of schema"). **new**. */
static char *strip_comments(const char *text)
{
    char *s = fy_strdup(text);
    bool in_str = false;
    int depth = 0;
    for (char *q = s; *q; q++) {
        if (in_str) {
            if (*q == '\\' && q[1]) {
                q++;
            } else if (*q == '"') {
                in_str = false;
                if (depth == 0)
                    break;
            }
        } else if (*q == '"') {
            in_str = true;
        } else if (*q == '{' || *q == '[') {
            depth++;
        } else if (*q == '}' || *q == ']') {
            if (--depth <= 0)
                break;
        } else if (q[0] == '/' && q[1] == '/') {
            while (*q && *q != '\n')
                *q++ = ' ';
            if (!*q)
                break;
        } else if (q[0] == '/' && q[1] == '*') {
            char *end = strstr(q + 2, "*/");
            if (!end)
                break; /* let jansson report the stray '/' */
            for (; q < end + 2; q++)
                if (*q != '\n')
                    *q = ' ';
            q--;
        }
    }
    return s;
}

/* ---------------------------------------------------------------- API */

struct reg_avro_parser *reg_avro_parser_new(void)
{
    struct reg_avro_parser *p = fy_calloc(1, sizeof *p);
    fy_map_init(&p->names);
    return p;
}

struct reg_avro_parser *reg_avro_parser_new_child(const struct reg_avro_parser *parent,
                                                  unsigned limit)
{
    struct reg_avro_parser *p = reg_avro_parser_new();
    p->parent = parent;
    p->parent_limit = limit;
    return p;
}

void reg_avro_parser_free(struct reg_avro_parser *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_nodes; i++)
        node_free(p->nodes[i]);
    free(p->nodes);
    free(p->roots);
    fy_map_destroy(&p->names);
    free(p);
}

void reg_avro_parser_check_names(struct reg_avro_parser *p)
{
    p->check_names = true;
}

void reg_avro_parser_mark_unvalidated(struct reg_avro_parser *p)
{
    for (size_t i = 0; i < p->n_nodes; i++)
        p->nodes[i]->validated = false;
}

/* Rough heap cost of a jansson value (a json_t plus malloc overhead; an
 * object's hashtable). Only feeds cache budgets. */
static size_t json_footprint(const json_t *j)
{
    if (!j)
        return 0;
    size_t n = 48;
    if (json_is_string(j)) {
        n += json_string_length(j);
    } else if (json_is_object(j)) {
        n += 160;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)j, k, v)
        {
            n += 48 + strlen(k) + json_footprint(v);
        }
    } else if (json_is_array(j)) {
        n += 8 * json_array_size(j);
        for (size_t i = 0; i < json_array_size(j); i++)
            n += json_footprint(json_array_get(j, i));
    }
    return n;
}

static size_t str_footprint(const char *s)
{
    return s ? strlen(s) + 17 : 0; /* + malloc header and rounding */
}

size_t reg_avro_parser_footprint(const struct reg_avro_parser *p)
{
    size_t n = sizeof *p + p->cap_nodes * sizeof *p->nodes + p->cap_roots * sizeof *p->roots +
               p->names.cap * sizeof(struct fy_map_slot);
    for (size_t i = 0; i < p->n_nodes; i++) {
        const struct reg_avro *s = &p->nodes[i]->pub;
        n += sizeof *p->nodes[i] + 16;
        n += str_footprint(s->fullname) + str_footprint(s->name) + str_footprint(s->namespace_) +
             str_footprint(s->doc) + str_footprint(s->enum_default);
        n += json_footprint(s->props);
        for (size_t a = 0; a < s->n_aliases; a++)
            n += sizeof *s->aliases + str_footprint(s->aliases[a]);
        for (size_t k = 0; k < s->n_symbols; k++)
            n += sizeof *s->symbols + str_footprint(s->symbols[k]);
        n += s->n_branches * sizeof *s->branches;
        for (size_t f = 0; f < s->n_fields; f++) {
            const struct reg_avro_field *fd = &s->fields[f];
            n += sizeof *fd + str_footprint(fd->name) + str_footprint(fd->doc);
            n += json_footprint(fd->props);
            /* a default keeps its part of the parsed document alive */
            n += json_footprint(fd->default_value);
            for (size_t a = 0; a < fd->n_aliases; a++)
                n += sizeof *fd->aliases + str_footprint(fd->aliases[a]);
        }
    }
    /* the names table's keys */
    size_t it = 0;
    const char *k;
    void *v;
    while (fy_map_next(&p->names, &it, &k, &v))
        n += str_footprint(k);
    return n;
}

int reg_avro_parser_parse(struct reg_avro_parser *p, const char *text, bool validate,
                          const struct reg_avro **out, struct fy_err *err)
{
    int rc = -1;
    json_error_t jerr;
    struct pctx c = {.p = p, .validate = validate, .call = (unsigned)p->n_roots + 1, .err = err};
    size_t first_node = p->n_nodes;
    fy_map_init(&c.pending);
    char *clean = NULL;
    json_t *j = NULL;
    /* bounded before anything reads the text recursively */
    size_t len = text ? strlen(text) : 0;
    if (len > limits.max_bytes) {
        fail_limit(err, "schema size in bytes", len, "ferry.schema.max.bytes", limits.max_bytes);
        goto out;
    }
    /* a comment needs a '/': most schemas have none and skip the copy */
    clean = text && strchr(text, '/') ? strip_comments(text) : NULL;
    const char *doc = clean ? clean : text ? text : "";
    unsigned nesting = reg_json_nesting(doc, limits.max_json_depth);
    if (nesting > limits.max_json_depth) {
        fy_err_set(err, REG_E_INVALID_SCHEMA,
                   "Invalid schema: JSON nesting depth exceeds the limit "
                   "ferry.schema.max.json.depth=%u",
                   limits.max_json_depth);
        goto out;
    }
    /* the fast reader builds jansson's tree; jansson itself decides (and
     * words the error) for whatever the fast reader leaves to it */
    j = reg_json_load(doc);
    if (!j)
        j = json_loads(doc, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!j) {
        fy_err_set(err, REG_E_INVALID_SCHEMA, "Invalid schema: %s at line %d column %d", jerr.text,
                   jerr.line, jerr.column);
        goto out;
    }
    struct reg_avro_node *root = parse_schema(&c, j);
    if (!root)
        goto out;
    /* every writer and walker of the model recurses along type nesting, which
     * names make independent of the JSON's: bound it once here */
    size_t depth = reg_avro_write_depth(p, &root->pub);
    if (depth > limits.max_depth) {
        fy_err_set(err, REG_E_INVALID_SCHEMA,
                   "Invalid schema: types nest deeper than the limit ferry.schema.max.depth=%u",
                   limits.max_depth);
        goto out;
    }
    /* commit: the names this call defined become visible to later calls */
    fy_map_reserve(&p->names, p->names.count + c.pending.count);
    size_t it = 0;
    const char *k;
    void *v;
    while (fy_map_next(&c.pending, &it, &k, &v))
        fy_map_put(&p->names, k, v);
    if (p->n_roots == p->cap_roots) {
        p->cap_roots = p->cap_roots ? p->cap_roots * 2 : 4;
        p->roots = fy_realloc(p->roots, p->cap_roots * sizeof *p->roots);
    }
    p->roots[p->n_roots++] = root;
    *out = &root->pub;
    rc = 0;
out:
    if (rc != 0) {
        /* leave the parser as it was: drop every node this call made */
        for (size_t i = first_node; i < p->n_nodes; i++)
            node_free(p->nodes[i]);
        p->n_nodes = first_node;
    }
    fy_map_destroy(&c.pending);
    json_decref(j);
    free(clean);
    return rc;
}

/* ---------------------------------------------------------------- logical types */

static bool prop_is_text(const struct reg_avro *s, const char *key)
{
    return json_is_string(json_object_get(s->props, key));
}

/* Decimal's getInt: the property must be a Jackson IntNode (int range). */
static bool prop_int(const struct reg_avro *s, const char *key, int *out)
{
    const json_t *v = json_object_get(s->props, key);
    if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN ||
        json_integer_value(v) > INT32_MAX)
        return false;
    *out = (int)json_integer_value(v);
    return true;
}

const char *reg_avro_logical_type(const struct reg_avro *s, int *precision, int *scale)
{
    const char *lt = json_string_value(json_object_get(s->props, "logicalType"));
    if (!lt)
        return NULL;
    /* LogicalType.validate: incompatible with Java class hints */
    if (prop_is_text(s, "avro.java.string") || prop_is_text(s, "java-class") ||
        prop_is_text(s, "java-key-class") || prop_is_text(s, "java-element-class"))
        return NULL;
    enum reg_avro_type t = s->type;
    if (strcmp(lt, "decimal") == 0) {
        int prec, sc = 0;
        if (!json_object_get(s->props, "precision") || !prop_int(s, "precision", &prec))
            return NULL;
        if (json_object_get(s->props, "scale") && !prop_int(s, "scale", &sc))
            return NULL;
        if (t != REG_AVRO_FIXED && t != REG_AVRO_BYTES)
            return NULL;
        long max = INT32_MAX;
        if (t == REG_AVRO_FIXED)
            max = (long)round(floor(log10(2) * (double)(8 * s->size - 1)));
        if (prec <= 0 || prec > max || sc < 0 || sc > prec)
            return NULL;
        *precision = prec;
        *scale = sc;
        return "decimal";
    }
    static const struct {
        const char *name;
        int type; /* -1 = any */
    } simple[] = {
        {"big-decimal", REG_AVRO_BYTES},
        {"uuid", -1},
        {"date", REG_AVRO_INT},
        {"time-millis", REG_AVRO_INT},
        {"time-micros", REG_AVRO_LONG},
        {"timestamp-millis", REG_AVRO_LONG},
        {"timestamp-micros", REG_AVRO_LONG},
        {"local-timestamp-millis", REG_AVRO_LONG},
        {"local-timestamp-micros", REG_AVRO_LONG},
    };
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++)
        if (strcmp(lt, simple[i].name) == 0)
            return simple[i].type < 0 || simple[i].type == (int)t ? simple[i].name : NULL;
    return NULL;
}
