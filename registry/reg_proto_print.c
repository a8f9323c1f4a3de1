/* SPDX-License-Identifier: Apache-2.0
 * reg_proto_print: Confluent's ProtobufSchemaUtils printer over the model:
 * toString (canonicalString), the ignore_extensions format, and
 * toNormalizedString (normalize) with its Context type resolution. Each
 * function mirrors the Java method of the same element; comments name the
 * Java behaviour copied. Java's appendIndented re-indents a nested element's
 * whole text at every level (quadratic in depth); here each line gets its
 * indent as it is written, which gives the same bytes (blank lines inside a
 * nested block get the block's indent too) in time linear in the output.
 * Recursion follows the model's nesting, bounded by the parse's max_depth.
 * Thread: any (state is per call). */
#include "registry/reg_proto_int.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "common/fy_map.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct ext_info {
    const struct reg_proto_field *field;
};

struct type_info {
    const struct reg_proto_type *type;
    bool is_map;
    const struct reg_proto_field *key, *value;
};

struct pr {
    struct fy_buf b;
    int indent;
    bool bol;
    bool ignore_ext, normalize;
    struct reg_proto_arena *scratch;
    /* normalize: Context */
    struct fy_map types;  /* full name -> struct type_info* */
    struct fy_map extend; /* full name -> struct ext_info* */
    const char *package;  /* "" for none */
    const char **scope;   /* fullName deque */
    size_t n_scope, cap_scope;
    bool known_base; /* the known files are looked up in `known`, not copied in */
    size_t steps;    /* option value comparisons so far (REG_PROTO_MAX_STEPS) */
    struct fy_err *err;
    bool failed;
};

/* The known files' types and extension fields, collected once: a call whose
 * references replace none of them looks names up here after its own tables
 * (the schema and its references override, as when collected after them). */
static struct {
    struct fy_map types, extend;
    struct reg_proto_arena *arena;
} known;
static pthread_once_t known_once = PTHREAD_ONCE_INIT;

static void *lookup(struct pr *p, struct fy_map *map, const char *key)
{
    void *v = fy_map_get(map, key);
    if (!v && p->known_base)
        v = fy_map_get(map == &p->types ? &known.types : &known.extend, key);
    return v;
}

/* ---- output ---- */

static void put(struct pr *p, const char *s, size_t n)
{
    while (n > 0) {
        if (p->bol) {
            for (int i = 0; i < p->indent; i++)
                fy_buf_append(&p->b, "  ", 2);
            p->bol = false;
        }
        const char *nl = memchr(s, '\n', n);
        size_t k = nl ? (size_t)(nl - s) + 1 : n;
        fy_buf_append(&p->b, s, k);
        if (nl)
            p->bol = true;
        s += k;
        n -= k;
    }
}

static void puts_(struct pr *p, const char *s)
{
    put(p, s, strlen(s));
}

static void putc_(struct pr *p, char c)
{
    put(p, &c, 1);
}

static int fail(struct pr *p, const char *fmt, const char *arg)
{
    if (!p->failed)
        fy_err_set(p->err, REG_E_INVALID_SCHEMA, fmt, arg);
    p->failed = true;
    return -1;
}

/* escapeChars */
static void put_escaped(struct pr *p, const struct reg_proto_str *s)
{
    size_t start = 0;
    for (size_t i = 0; i < s->n; i++) {
        const char *rep = NULL;
        switch (s->p[i]) {
        case 7: rep = "\\a"; break;
        case '\b': rep = "\\b"; break;
        case '\f': rep = "\\f"; break;
        case '\n': rep = "\\n"; break;
        case '\r': rep = "\\r"; break;
        case '\t': rep = "\\t"; break;
        case '\v': rep = "\\v"; break;
        case '\\': rep = "\\\\"; break;
        case '\'': rep = "\\'"; break;
        case '"': rep = "\\\""; break;
        default: break;
        }
        if (rep) {
            put(p, s->p + start, i - start);
            puts_(p, rep);
            start = i + 1;
        }
    }
    put(p, s->p + start, s->n - start);
}

/* ---- Context (normalize) ---- */

static void scope_push(struct pr *p, const char *name)
{
    if (p->n_scope == p->cap_scope) {
        p->cap_scope = p->cap_scope ? p->cap_scope * 2 : 16;
        p->scope = fy_realloc(p->scope, p->cap_scope * sizeof *p->scope);
    }
    p->scope[p->n_scope++] = name;
}

static void scope_pop(struct pr *p)
{
    p->n_scope--;
}

/* package + scope names joined with dots, "" when both are empty */
static char *scope_name(struct pr *p, size_t n_scope)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, p->package);
    for (size_t i = 0; i < n_scope; i++) {
        if (b.len)
            fy_buf_putc(&b, '.');
        fy_buf_puts(&b, p->scope[i]);
    }
    return fy_buf_steal(&b);
}

static void add_name(struct pr *p, struct fy_map *map, const char *simple, void *info)
{
    char *base = scope_name(p, p->n_scope);
    char *full = base[0] ? fy_asprintf("%s.%s", base, simple) : fy_strdup(simple);
    fy_map_put(map, full, info);
    free(full);
    free(base);
}

const struct reg_proto_field *reg_proto_find_field(const struct reg_proto_fields *f,
                                                   const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->v[i]->name, name) == 0)
            return f->v[i];
    return NULL;
}

bool reg_proto_is_map_entry(const struct reg_proto_type *t)
{
    if (t->is_enum)
        return false;
    const struct reg_proto_option *me = NULL;
    for (size_t i = 0; i < t->msg.options.n && !me; i++)
        if (strcmp(t->msg.options.v[i]->name, "map_entry") == 0)
            me = t->msg.options.v[i];
    /* Boolean.valueOf(o.getValue().toString()) */
    return me && me->value->kind != REG_PROTO_MAP && me->value->kind != REG_PROTO_LIST &&
           me->value->kind != REG_PROTO_OPTION && strcasecmp(me->value->str.p, "true") == 0;
}

static void collect_extends(struct pr *p, struct reg_proto_extend *const *ext, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < ext[i]->fields.n; j++) {
            struct ext_info *e = reg_proto_arena_alloc(p->scratch, sizeof *e);
            e->field = ext[i]->fields.v[j];
            add_name(p, &p->extend, e->field->name, e);
        }
    }
}

static void collect_types(struct pr *p, const struct reg_proto_types *types)
{
    for (size_t i = 0; i < types->n; i++) {
        const struct reg_proto_type *t = types->v[i];
        struct type_info *ti = reg_proto_arena_alloc(p->scratch, sizeof *ti);
        ti->type = t;
        scope_push(p, t->name);
        if (!t->is_enum) {
            collect_extends(p, t->msg.extends, t->msg.n_extends);
            if (reg_proto_is_map_entry(t)) {
                ti->is_map = true;
                ti->key = reg_proto_find_field(&t->msg.fields, "key");
                ti->value = reg_proto_find_field(&t->msg.fields, "value");
            }
        }
        /* addType with the scope including the type itself */
        char *full = scope_name(p, p->n_scope);
        fy_map_put(&p->types, full, ti);
        free(full);
        if (!t->is_enum)
            collect_types(p, &t->msg.nested);
        scope_pop(p);
    }
}

static void collect_file(struct pr *p, const struct reg_proto_file *f)
{
    p->package = f->package ? f->package : "";
    collect_extends(p, f->extends, f->n_extends);
    collect_types(p, &f->types);
}

/* Context.resolveFull: ".a.B" as it is; "B" from the innermost scope out,
 * the package counting as one scope per dotted part. */
static char *resolve_in(struct pr *p, struct fy_map *map, const char *name, void **found)
{
    if (p->types.count == 0 && !p->known_base)
        return NULL;
    if (name[0] == '.') {
        void *v = lookup(p, map, name + 1);
        if (v) {
            if (found)
                *found = v;
            return fy_strdup(name + 1);
        }
        return NULL;
    }
    char *full = scope_name(p, p->n_scope);
    size_t len = strlen(full);
    size_t nlen = strlen(name);
    char *cand = fy_malloc(len + nlen + 2);
    char *result = NULL;
    /* prefixes: the whole scope, then without its last part, ... */
    while (len > 0) {
        memcpy(cand, full, len);
        cand[len] = '.';
        memcpy(cand + len + 1, name, nlen + 1);
        void *v = lookup(p, map, cand);
        if (v) {
            if (found)
                *found = v;
            result = fy_strdup(cand);
            goto out;
        }
        while (len > 0 && full[len - 1] != '.')
            len--;
        if (len > 0)
            len--; /* the dot */
    }
    void *v = lookup(p, map, name);
    if (v) {
        if (found)
            *found = v;
        result = fy_strdup(name);
    }
out:
    free(cand);
    free(full);
    return result;
}

/* ProtobufSchemaUtils.resolve: "." + the full name, or "Could not resolve type". */
static char *resolve_type(struct pr *p, const char *name)
{
    char *r = resolve_in(p, &p->types, name, NULL);
    if (!r) {
        fail(p, "Could not resolve type: %s", name);
        return NULL;
    }
    char *d = fy_asprintf(".%s", r);
    free(r);
    return d;
}

static const struct type_info *get_type(struct pr *p, const char *name)
{
    void *v = NULL;
    char *r = resolve_in(p, &p->types, name, &v);
    free(r);
    return v;
}

static char *arena_copy(struct pr *p, char *heap)
{
    if (!heap)
        return NULL;
    char *s = reg_proto_arena_strndup(p->scratch, heap, strlen(heap));
    free(heap);
    return s;
}

/* ---- numbers (normalize): NumberUtils.createNumber, then DecimalFormat ---- */

static bool all_digits(const char *s, int base)
{
    if (!*s)
        return false;
    for (; *s; s++) {
        int c = (unsigned char)*s;
        bool ok = base == 16 ? isxdigit(c) : (c >= '0' && c < '0' + base);
        if (!ok)
            return false;
    }
    return true;
}

/* The DecimalFormat text of `s`, or NULL to print it as it is (Java's
 * NumberFormatException path: -inf, nan, and whatever createNumber refuses). */
static char *format_number_plain(const char *s, char suffix);

static char *format_number(const char *s)
{
    /* createNumber's type suffixes: 10f, 1.5d, 7L */
    size_t n = strlen(s);
    if (n > 1 && strchr("fFdDlL", s[n - 1]) && !(s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))) {
        char *c = fy_strndup(s, n - 1);
        char *r = format_number_plain(c, s[n - 1]);
        free(c);
        return r;
    }
    return format_number_plain(s, 0);
}

static char *format_number_plain(const char *s, char suffix)
{
    if (suffix == 'l' || suffix == 'L') {
        const char *u = s[0] == '-' ? s + 1 : s;
        if (!all_digits(u, 10))
            return NULL;
    }
    if (suffix && strchr("fFdD", suffix)) {
        char *end = NULL;
        double d = strtod(s, &end);
        if (end == s || *end || isnan(d) || isinf(d))
            return NULL;
        if (suffix == 'f' || suffix == 'F')
            d = (double)(float)d;
        char buf[512];
        snprintf(buf, sizeof buf, "%.3f", d);
        size_t k = strlen(buf);
        while (k > 0 && buf[k - 1] == '0')
            buf[--k] = '\0';
        if (k > 0 && buf[k - 1] == '.')
            buf[--k] = '\0';
        return fy_strdup(buf);
    }
    bool neg = s[0] == '-';
    const char *u = neg || s[0] == '+' ? s + 1 : s;
    if (!*u)
        return NULL;
    if (u[0] == '0' && (u[1] == 'x' || u[1] == 'X')) {
        if (!all_digits(u + 2, 16) || strlen(u + 2) > 15)
            return NULL;
        long long v = strtoll(u + 2, NULL, 16);
        return fy_asprintf("%lld", neg ? -v : v);
    }
    if (all_digits(u, 10)) {
        if (u[0] == '0' && u[1]) { /* Integer.decode: octal */
            if (!all_digits(u + 1, 8) || strlen(u) > 20)
                return NULL;
            long long v = strtoll(u + 1, NULL, 8);
            return fy_asprintf("%lld", neg ? -v : v);
        }
        /* long or BigInteger: the digits, without leading zeros */
        while (u[0] == '0' && u[1])
            u++;
        if (neg && strcmp(u, "0") == 0)
            return fy_strdup("0");
        return fy_asprintf("%s%s", neg ? "-" : "", u);
    }
    /* a decimal: float if at most 7 digits follow the point, else double */
    char *end = NULL;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end || isnan(d) || isinf(d))
        return NULL;
    const char *dot = strchr(s, '.');
    size_t frac = 0;
    if (dot)
        for (const char *c = dot + 1; *c >= '0' && *c <= '9'; c++)
            frac++;
    if (frac <= 7) {
        float f = (float)d;
        if (!isinf(f))
            d = (double)f;
    }
    char buf[512];
    snprintf(buf, sizeof buf, "%.3f", d);
    size_t n = strlen(buf);
    while (n > 0 && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '.')
        buf[--n] = '\0';
    return fy_strdup(buf);
}

static void put_number(struct pr *p, const struct reg_proto_str *s)
{
    if (p->normalize) {
        char *f = format_number(s->p);
        if (f) {
            puts_(p, f);
            free(f);
            return;
        }
    }
    put(p, s->p, s->n);
}

/* ---- options ---- */

static void put_option(struct pr *p, const struct reg_proto_option *o);
static void put_map(struct pr *p, const struct reg_proto_value *m);

/* formatOptionMapOrListValue */
static void put_value(struct pr *p, const struct reg_proto_value *v)
{
    if (v->kind == REG_PROTO_OPTION) {
        put_option(p, v->option);
    } else if (v->kind == REG_PROTO_MAP) {
        puts_(p, "{\n");
        put_map(p, v);
        putc_(p, '}');
    } else if (v->kind == REG_PROTO_LIST) {
        if (p->normalize && v->n_items == 1) {
            put_value(p, v->items[0]);
            return;
        }
        puts_(p, "[\n");
        p->indent++;
        for (size_t i = 0; i < v->n_items; i++) {
            put_value(p, v->items[i]);
            puts_(p, i + 1 < v->n_items ? ",\n" : "\n");
        }
        p->indent--;
        putc_(p, ']');
    } else if (v->primitive && (v->kind == REG_PROTO_BOOLEAN || v->kind == REG_PROTO_ENUM)) {
        put(p, v->str.p, v->str.n);
    } else if (v->primitive && v->kind == REG_PROTO_NUMBER) {
        put_number(p, &v->str);
    } else {
        /* a bare String */
        putc_(p, '"');
        put_escaped(p, &v->str);
        putc_(p, '"');
    }
}

static int cmp_entry_key(const void *a, const void *b)
{
    const struct reg_proto_entry *x = a, *y = b;
    return strcmp(x->key, y->key);
}

/* formatOptionMap; normalize drops empty lists, qualifies [extension] keys and sorts. */
static void put_map(struct pr *p, const struct reg_proto_value *m)
{
    const struct reg_proto_entry *e = m->entries;
    size_t n = m->n_entries;
    if (p->normalize) {
        struct reg_proto_entry *ne = reg_proto_arena_alloc(p->scratch, (n ? n : 1) * sizeof *ne);
        size_t k = 0;
        struct fy_map seen;
        fy_map_init(&seen);
        for (size_t i = 0; i < n; i++) {
            const struct reg_proto_value *v = e[i].value;
            if (v->kind == REG_PROTO_LIST && v->n_items == 0)
                continue;
            const char *key = e[i].key;
            size_t kl = strlen(key);
            if (kl >= 2 && key[0] == '[' && key[kl - 1] == ']') {
                char *inner = fy_strndup(key + 1, kl - 2);
                char *r = resolve_in(p, &p->extend, inner, NULL);
                free(inner);
                if (r) {
                    key = arena_copy(p, fy_asprintf("[%s]", r));
                    free(r);
                }
            }
            /* Collectors.toMap(..., (e1, e2) -> e1, TreeMap::new): the first wins */
            if (fy_map_get(&seen, key))
                continue;
            fy_map_put(&seen, key, (void *)1);
            ne[k].key = key;
            ne[k].value = e[i].value;
            k++;
        }
        fy_map_destroy(&seen);
        qsort(ne, k, sizeof *ne, cmp_entry_key);
        e = ne;
        n = k;
    }
    p->indent++;
    for (size_t i = 0; i < n; i++) {
        puts_(p, e[i].key);
        puts_(p, ": ");
        put_value(p, e[i].value);
        puts_(p, i + 1 < n ? ",\n" : "\n");
    }
    p->indent--;
}

/* appendOptions: [one] or a list of lines */
static void put_option_list(struct pr *p, struct reg_proto_value *const *items, size_t n)
{
    if (n == 1) {
        putc_(p, '[');
        put_value(p, items[0]);
        putc_(p, ']');
        return;
    }
    puts_(p, "[\n");
    p->indent++;
    for (size_t i = 0; i < n; i++) {
        put_value(p, items[i]);
        puts_(p, i + 1 < n ? ",\n" : "\n");
    }
    p->indent--;
    putc_(p, ']');
}

/* toString(ctx, OptionElement) */
static void put_option(struct pr *p, const struct reg_proto_option *o)
{
    if (o->parenthesized) {
        putc_(p, '(');
        puts_(p, o->name);
        putc_(p, ')');
    } else {
        puts_(p, o->name);
    }
    const struct reg_proto_value *v = o->value;
    switch (v->kind) {
    case REG_PROTO_STRING:
        puts_(p, " = \"");
        put_escaped(p, &v->str);
        putc_(p, '"');
        break;
    case REG_PROTO_BOOLEAN:
    case REG_PROTO_ENUM:
        puts_(p, " = ");
        put(p, v->str.p, v->str.n);
        break;
    case REG_PROTO_NUMBER:
        puts_(p, " = ");
        put_number(p, &v->str);
        break;
    case REG_PROTO_OPTION:
        putc_(p, '.');
        put_option(p, v->option);
        break;
    case REG_PROTO_MAP:
        puts_(p, " = {\n");
        put_map(p, v);
        putc_(p, '}');
        break;
    case REG_PROTO_LIST:
        puts_(p, " = ");
        put_option_list(p, v->items, v->n_items);
        break;
    }
}

/* ---- normalize: options (filterOptions, transform, mergeOption) ---- */

static struct reg_proto_value *new_value(struct pr *p, enum reg_proto_kind kind)
{
    struct reg_proto_value *v = reg_proto_arena_alloc(p->scratch, sizeof *v);
    v->kind = kind;
    return v;
}

/* ProtobufSchema.transformOptionMap: a -> b -> c = 1 becomes {b: {c: 1}} */
static struct reg_proto_value *transform_map(struct pr *p, const struct reg_proto_option *o)
{
    const struct reg_proto_option *inner = o->value->option;
    const struct reg_proto_value *iv = inner->value;
    struct reg_proto_value *mv;
    if (iv->kind == REG_PROTO_BOOLEAN || iv->kind == REG_PROTO_ENUM || iv->kind == REG_PROTO_NUMBER) {
        mv = new_value(p, iv->kind);
        mv->str = iv->str;
        mv->primitive = true;
    } else if (iv->kind == REG_PROTO_OPTION) {
        mv = transform_map(p, inner);
    } else if (iv->kind == REG_PROTO_STRING) {
        mv = new_value(p, REG_PROTO_STRING);
        mv->str = iv->str;
    } else {
        mv = (struct reg_proto_value *)iv;
    }
    struct reg_proto_value *m = new_value(p, REG_PROTO_MAP);
    struct reg_proto_entry e = {inner->name, mv};
    REG_PROTO_PUSH(p->scratch, m->entries, m->n_entries, e);
    return m;
}

static const struct reg_proto_option *transform(struct pr *p, const struct reg_proto_option *o)
{
    if (o->value->kind != REG_PROTO_OPTION)
        return o;
    struct reg_proto_option *t = reg_proto_arena_alloc(p->scratch, sizeof *t);
    t->name = o->name;
    t->parenthesized = o->parenthesized;
    t->value = transform_map(p, o);
    return t;
}

/* Java equals of option values (String, OptionPrimitive, Map, List, OptionElement). */
/* Java's LinkedHashSet hashes; here pairs are compared, so every comparison
 * counts against a budget (the `steps` of one print) and the print fails
 * with 42201 past it, as ferry.compatibility.max.steps bounds a check. */
#define REG_PROTO_MAX_STEPS 2000000

static bool value_equal(const struct reg_proto_value *a, const struct reg_proto_value *b,
                        size_t *steps);

static bool option_equal(const struct reg_proto_option *a, const struct reg_proto_option *b,
                         size_t *steps)
{
    return strcmp(a->name, b->name) == 0 && a->parenthesized == b->parenthesized &&
           a->value->kind == b->value->kind && value_equal(a->value, b->value, steps);
}

static bool value_equal(const struct reg_proto_value *a, const struct reg_proto_value *b,
                        size_t *steps)
{
    if (++*steps > REG_PROTO_MAX_STEPS)
        return false;
    if (a->kind != b->kind || a->primitive != b->primitive)
        return false;
    switch (a->kind) {
    case REG_PROTO_MAP:
        if (a->n_entries != b->n_entries)
            return false;
        for (size_t i = 0; i < a->n_entries; i++) {
            size_t j = 0;
            while (j < b->n_entries && strcmp(a->entries[i].key, b->entries[j].key) != 0) {
                j++;
                if (++*steps > REG_PROTO_MAX_STEPS)
                    return false;
            }
            if (j == b->n_entries || !value_equal(a->entries[i].value, b->entries[j].value, steps))
                return false;
        }
        return true;
    case REG_PROTO_LIST:
        if (a->n_items != b->n_items)
            return false;
        for (size_t i = 0; i < a->n_items; i++)
            if (!value_equal(a->items[i], b->items[i], steps))
                return false;
        return true;
    case REG_PROTO_OPTION:
        return option_equal(a->option, b->option, steps);
    default:
        return a->str.n == b->str.n && memcmp(a->str.p, b->str.p, a->str.n) == 0;
    }
}

static const struct reg_proto_type *resolve_message_type(struct pr *p,
                                                         const struct reg_proto_field *f)
{
    if (!f)
        return NULL;
    const struct type_info *ti = get_type(p, f->type);
    return ti && !ti->type->is_enum ? ti->type : NULL;
}

static const struct reg_proto_field *find_msg_field(const struct reg_proto_type *t, const char *name)
{
    const struct reg_proto_field *f = reg_proto_find_field(&t->msg.fields, name);
    for (size_t i = 0; !f && i < t->msg.n_oneofs; i++)
        f = reg_proto_find_field(&t->msg.oneofs[i]->fields, name);
    return f;
}

static struct reg_proto_value *merge_maps(struct pr *p, const struct reg_proto_field *field,
                                          const struct reg_proto_value *a,
                                          const struct reg_proto_value *b, size_t depth);

static void list_add_unique(struct pr *p, struct reg_proto_value *l, struct reg_proto_value *v)
{
    for (size_t i = 0; i < l->n_items; i++)
        if (value_equal(l->items[i], v, &p->steps))
            return;
    REG_PROTO_PUSH(p->scratch, l->items, l->n_items, v);
}

/* mergeOptionValues */
static struct reg_proto_value *merge_values(struct pr *p, const struct reg_proto_field *field,
                                            struct reg_proto_value *v1, struct reg_proto_value *v2,
                                            size_t depth)
{
    bool singular = field && field->label != REG_PROTO_REPEATED;
    if (singular && v1->kind == REG_PROTO_MAP && v2->kind == REG_PROTO_MAP &&
        resolve_message_type(p, field))
        return merge_maps(p, field, v1, v2, depth + 1);
    if (singular)
        return v2;
    struct reg_proto_value *l = new_value(p, REG_PROTO_LIST);
    struct reg_proto_value *both[2] = {v1, v2};
    for (int k = 0; k < 2; k++) {
        if (both[k]->kind == REG_PROTO_LIST)
            for (size_t i = 0; i < both[k]->n_items; i++)
                list_add_unique(p, l, both[k]->items[i]);
        else
            list_add_unique(p, l, both[k]);
    }
    return l;
}

/* mergeOptionMaps */
static struct reg_proto_value *merge_maps(struct pr *p, const struct reg_proto_field *field,
                                          const struct reg_proto_value *a,
                                          const struct reg_proto_value *b, size_t depth)
{
    if (depth > REG_PROTO_DEFAULT_DEPTH)
        return (struct reg_proto_value *)b;
    const struct reg_proto_type *container = resolve_message_type(p, field);
    struct reg_proto_value *m = new_value(p, REG_PROTO_MAP);
    for (size_t i = 0; i < a->n_entries; i++)
        REG_PROTO_PUSH(p->scratch, m->entries, m->n_entries, a->entries[i]);
    for (size_t i = 0; i < b->n_entries; i++) {
        const char *key = b->entries[i].key;
        const struct reg_proto_field *nested = container ? find_msg_field(container, key) : NULL;
        size_t j = 0;
        while (j < m->n_entries && strcmp(m->entries[j].key, key) != 0 &&
               ++p->steps <= REG_PROTO_MAX_STEPS)
            j++;
        if (j == m->n_entries) {
            struct reg_proto_entry e = {key, b->entries[i].value};
            REG_PROTO_PUSH(p->scratch, m->entries, m->n_entries, e);
        } else {
            m->entries[j].value = merge_values(p, nested, m->entries[j].value,
                                               b->entries[i].value, depth);
        }
    }
    return m;
}

static const struct reg_proto_option *merge_option(struct pr *p, const struct reg_proto_field *f,
                                                   const struct reg_proto_option *existing,
                                                   const struct reg_proto_option *replacement)
{
    replacement = transform(p, replacement);
    if (existing->value->kind == REG_PROTO_MAP && replacement->value->kind == REG_PROTO_MAP) {
        struct reg_proto_option *o = reg_proto_arena_alloc(p->scratch, sizeof *o);
        o->name = replacement->name;
        o->parenthesized = replacement->parenthesized;
        o->value = merge_maps(p, f, existing->value, replacement->value, 0);
        return o;
    }
    return replacement;
}

static int cmp_option_name(const void *a, const void *b)
{
    const struct reg_proto_option *const *x = a, *const *y = b;
    int c = strcmp((*x)->name, (*y)->name);
    if (c)
        return c;
    return *x < *y ? -1 : *x > *y; /* stable: the arena copy keeps the input order */
}

/* FormatContext.filterOptions */
static struct reg_proto_options filter_options(struct pr *p, const struct reg_proto_options *in)
{
    struct reg_proto_options out = {0};
    for (size_t i = 0; i < in->n; i++) {
        const struct reg_proto_option *o = in->v[i];
        if (p->ignore_ext && o->parenthesized && strncmp(o->name, "confluent.", 10) != 0)
            continue;
        REG_PROTO_PUSH(p->scratch, out.v, out.n, (struct reg_proto_option *)o);
    }
    if (!p->normalize || out.n == 0)
        return out;
    /* qualify names (and OPTION -> MAP) */
    const struct reg_proto_option **q = reg_proto_arena_alloc(p->scratch, out.n * sizeof *q);
    for (size_t i = 0; i < out.n; i++) {
        const struct reg_proto_option *o = out.v[i];
        if (o->parenthesized) {
            char *r = resolve_in(p, &p->extend, o->name, NULL);
            if (r) {
                struct reg_proto_option *c = reg_proto_arena_alloc(p->scratch, sizeof *c);
                c->name = arena_copy(p, r);
                c->parenthesized = true;
                c->value = o->value;
                o = transform(p, c);
            }
        }
        q[i] = o;
    }
    /* sorted by name (stable; the array is in input order in memory order) */
    const struct reg_proto_option **sorted = reg_proto_arena_alloc(p->scratch, out.n * sizeof *q);
    memcpy(sorted, q, out.n * sizeof *q);
    /* a stable sort by name: indexes decide ties */
    struct keyed {
        const struct reg_proto_option *o;
        size_t i;
    } *k = reg_proto_arena_alloc(p->scratch, out.n * sizeof *k);
    for (size_t i = 0; i < out.n; i++)
        k[i] = (struct keyed){sorted[i], i};
    for (size_t w = 1; w < out.n; w *= 2) { /* bottom-up merge sort, stable */
        struct keyed *tmp = reg_proto_arena_alloc(p->scratch, out.n * sizeof *tmp);
        for (size_t lo = 0; lo < out.n; lo += 2 * w) {
            size_t mid = lo + w < out.n ? lo + w : out.n;
            size_t hi = lo + 2 * w < out.n ? lo + 2 * w : out.n;
            size_t a = lo, b = mid, t = lo;
            while (a < mid && b < hi)
                tmp[t++] = strcmp(k[b].o->name, k[a].o->name) < 0 ? k[b++] : k[a++];
            while (a < mid)
                tmp[t++] = k[a++];
            while (b < hi)
                tmp[t++] = k[b++];
        }
        k = tmp;
    }
    (void)cmp_option_name;
    struct reg_proto_options res = {0};
    for (size_t i = 0; i < out.n;) {
        size_t j = i;
        while (j < out.n && strcmp(k[j].o->name, k[i].o->name) == 0)
            j++;
        void *fi = lookup(p, &p->extend, k[i].o->name[0] == '.' ? k[i].o->name + 1 : k[i].o->name);
        const struct ext_info *info = fi;
        if (info && info->field->label != REG_PROTO_REPEATED) {
            const struct reg_proto_option *acc = k[i].o;
            for (size_t m = i + 1; m < j; m++)
                acc = merge_option(p, info->field, acc, k[m].o);
            REG_PROTO_PUSH(p->scratch, res.v, res.n, (struct reg_proto_option *)acc);
        } else {
            for (size_t m = i; m < j; m++)
                REG_PROTO_PUSH(p->scratch, res.v, res.n, (struct reg_proto_option *)k[m].o);
        }
        i = j;
    }
    return res;
}

static void put_option_lines(struct pr *p, const struct reg_proto_options *opts)
{
    p->indent++;
    for (size_t i = 0; i < opts->n; i++) {
        puts_(p, "option ");
        put_option(p, opts->v[i]);
        puts_(p, ";\n");
    }
    p->indent--;
}

/* appendOptions for inline options: each is a value of kind OPTION */
static void put_inline_options(struct pr *p, const struct reg_proto_options *opts)
{
    struct reg_proto_value **items = reg_proto_arena_alloc(p->scratch, opts->n * sizeof *items);
    for (size_t i = 0; i < opts->n; i++) {
        items[i] = new_value(p, REG_PROTO_OPTION);
        items[i]->option = opts->v[i];
    }
    put_option_list(p, items, opts->n);
}

/* ---- elements ---- */

static bool is_scalar(const char *t)
{
    static const char *const s[] = {"bool",    "bytes",   "double",   "float",    "fixed32",
                                    "fixed64", "int32",   "int64",    "sfixed32", "sfixed64",
                                    "sint32",  "sint64",  "string",   "uint32",   "uint64"};
    for (size_t i = 0; i < sizeof s / sizeof *s; i++)
        if (strcmp(t, s[i]) == 0)
            return true;
    return false;
}

/* Wire's ProtoType.get for a map: key and value, checked as Wire checks them. */
static int split_map(struct pr *p, const char *type, char **key, char **value)
{
    const char *comma = strchr(type, ',');
    if (!comma)
        return fail(p, "expected ',' in map type: %s", type);
    const char *ks = type + 4, *ke = comma;
    while (ks < ke && *ks == ' ')
        ks++;
    while (ke > ks && ke[-1] == ' ')
        ke--;
    const char *vs = comma + 1, *ve = type + strlen(type) - 1;
    while (vs < ve && *vs == ' ')
        vs++;
    while (ve > vs && ve[-1] == ' ')
        ve--;
    *key = fy_strndup(ks, (size_t)(ke - ks));
    *value = fy_strndup(vs, (size_t)(ve - vs));
    if (!is_scalar(*key) || strcmp(*key, "bytes") == 0 || strcmp(*key, "double") == 0 ||
        strcmp(*key, "float") == 0) {
        fail(p, "map key must be non-byte, non-floating point scalar: %s", *key);
        free(*key);
        free(*value);
        return -1;
    }
    return 0;
}

static bool is_map_type(const char *t)
{
    size_t n = strlen(t);
    return n >= 5 && strncmp(t, "map<", 4) == 0 && t[n - 1] == '>';
}

/* toKind(ProtoType) by the simple name */
static enum reg_proto_kind default_kind(const char *type)
{
    const char *dot = strrchr(type, '.');
    const char *s = dot ? dot + 1 : type;
    if (strcmp(s, "bool") == 0)
        return REG_PROTO_BOOLEAN;
    if (strcmp(s, "string") == 0)
        return REG_PROTO_STRING;
    if (is_scalar(s))
        return REG_PROTO_NUMBER;
    return REG_PROTO_ENUM;
}

static const char *label_word(enum reg_proto_label l)
{
    switch (l) {
    case REG_PROTO_OPTIONAL: return "optional";
    case REG_PROTO_REQUIRED: return "required";
    case REG_PROTO_REPEATED: return "repeated";
    default: return NULL;
    }
}

static struct reg_proto_option *special_option(struct pr *p, const char *name,
                                               enum reg_proto_kind kind, const char *text)
{
    struct reg_proto_option *o = reg_proto_arena_alloc(p->scratch, sizeof *o);
    o->name = name;
    o->value = new_value(p, kind);
    o->value->str.p = text;
    o->value->str.n = strlen(text);
    return o;
}

/* toString(ctx, FieldElement) */
static int put_field(struct pr *p, const struct reg_proto_field *f)
{
    enum reg_proto_label label = f->label;
    const char *type = f->type;
    char *k = NULL, *v = NULL;
    int rc = -1;
    if (is_map_type(type) && split_map(p, type, &k, &v) < 0)
        return -1;
    if (p->normalize) {
        if (!is_scalar(type) && !is_map_type(type)) {
            char *r = resolve_type(p, type);
            if (!r)
                goto out;
            const struct type_info *ti = lookup(p, &p->types, r + 1);
            if (ti && ti->is_map && ti->key && ti->value) {
                type = arena_copy(p, fy_asprintf("map<%s, %s>", ti->key->type, ti->value->type));
                free(r);
                free(k);
                free(v);
                k = v = NULL;
                if (split_map(p, type, &k, &v) < 0)
                    goto out;
            } else {
                type = arena_copy(p, r);
            }
        }
        if (is_map_type(type)) {
            char *rv = resolve_in(p, &p->types, v, NULL);
            if (rv) {
                type = arena_copy(p, fy_asprintf("map<%s, .%s>", k, rv));
                free(rv);
            }
            label = REG_PROTO_LABEL_NONE;
        }
    }
    const char *lw = label_word(label);
    if (lw) {
        puts_(p, lw);
        putc_(p, ' ');
    }
    puts_(p, type);
    putc_(p, ' ');
    puts_(p, f->name);
    char tag[16];
    snprintf(tag, sizeof tag, " = %" PRId32, f->tag);
    puts_(p, tag);
    struct reg_proto_options opts = {0};
    for (size_t i = 0; i < f->options.n; i++)
        REG_PROTO_PUSH(p->scratch, opts.v, opts.n, f->options.v[i]);
    if (f->default_value)
        REG_PROTO_PUSH(p->scratch, opts.v, opts.n,
                       special_option(p, "default", is_map_type(type) ? REG_PROTO_ENUM
                                                                      : default_kind(type),
                                      f->default_value));
    if (f->json_name)
        REG_PROTO_PUSH(p->scratch, opts.v, opts.n,
                       special_option(p, "json_name", REG_PROTO_STRING, f->json_name));
    opts = filter_options(p, &opts);
    if (opts.n) {
        putc_(p, ' ');
        put_inline_options(p, &opts);
    }
    puts_(p, ";\n");
    rc = p->failed ? -1 : 0;
out:
    free(k);
    free(v);
    return rc;
}

static int cmp_field_tag(const void *a, const void *b)
{
    const struct reg_proto_field *const *x = a, *const *y = b;
    if ((*x)->tag != (*y)->tag)
        return (*x)->tag < (*y)->tag ? -1 : 1;
    return *x < *y ? -1 : *x > *y;
}

/* Comparator.comparing(getTag) is stable: equal tags keep their order, which the
 * pointer tiebreak gives only for arena-ordered arrays; so sort indexes instead. */
struct tagged {
    int64_t key;
    size_t i;
    const void *ptr;
    const char *name;
};

static int cmp_tagged(const void *a, const void *b)
{
    const struct tagged *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static struct reg_proto_fields sorted_fields(struct pr *p, const struct reg_proto_fields *in)
{
    if (!p->normalize || in->n < 2)
        return *in;
    struct tagged *t = fy_malloc(in->n * sizeof *t);
    for (size_t i = 0; i < in->n; i++)
        t[i] = (struct tagged){in->v[i]->tag, i, in->v[i], NULL};
    qsort(t, in->n, sizeof *t, cmp_tagged);
    struct reg_proto_fields out = {reg_proto_arena_alloc(p->scratch, in->n * sizeof *out.v), in->n};
    for (size_t i = 0; i < in->n; i++)
        out.v[i] = (struct reg_proto_field *)t[i].ptr;
    free(t);
    (void)cmp_field_tag;
    return out;
}

static int put_fields(struct pr *p, const struct reg_proto_fields *fields)
{
    struct reg_proto_fields f = sorted_fields(p, fields);
    p->indent++;
    for (size_t i = 0; i < f.n; i++)
        if (put_field(p, f.v[i]) < 0)
            return -1;
    p->indent--;
    return 0;
}

static int put_group(struct pr *p, const struct reg_proto_group *g)
{
    const char *lw = label_word(g->label);
    if (lw) {
        puts_(p, lw);
        putc_(p, ' ');
    }
    char tag[16];
    snprintf(tag, sizeof tag, " = %" PRId32, g->tag);
    puts_(p, "group ");
    puts_(p, g->name);
    puts_(p, tag);
    puts_(p, " {");
    if (g->fields.n) {
        putc_(p, '\n');
        if (put_fields(p, &g->fields) < 0)
            return -1;
    }
    puts_(p, "}\n");
    return 0;
}

static int put_groups(struct pr *p, const struct reg_proto_groups *groups)
{
    struct reg_proto_group **v = groups->v;
    if (p->normalize && groups->n > 1) {
        struct tagged *t = fy_malloc(groups->n * sizeof *t);
        for (size_t i = 0; i < groups->n; i++)
            t[i] = (struct tagged){groups->v[i]->tag, i, groups->v[i], NULL};
        qsort(t, groups->n, sizeof *t, cmp_tagged);
        v = reg_proto_arena_alloc(p->scratch, groups->n * sizeof *v);
        for (size_t i = 0; i < groups->n; i++)
            v[i] = (struct reg_proto_group *)t[i].ptr;
        free(t);
    }
    p->indent++;
    for (size_t i = 0; i < groups->n; i++)
        if (put_group(p, v[i]) < 0)
            return -1;
    p->indent--;
    return 0;
}

static void put_range_value(struct pr *p, const struct reg_proto_range *r)
{
    char buf[48];
    if (r->kind == REG_PROTO_NAME) {
        putc_(p, '"');
        put(p, r->name.p, r->name.n);
        putc_(p, '"');
    } else if (r->kind == REG_PROTO_TAG || (p->normalize && r->start == r->end)) {
        snprintf(buf, sizeof buf, "%" PRId32, r->start);
        puts_(p, buf);
    } else if (r->end < REG_PROTO_MAX_TAG) {
        snprintf(buf, sizeof buf, "%" PRId32 " to %" PRId32, r->start, r->end);
        puts_(p, buf);
    } else {
        snprintf(buf, sizeof buf, "%" PRId32 " to max", r->start);
        puts_(p, buf);
    }
}

/* reserved/extensions statements; normalize splits them into one value each, sorted */
static void put_ranges(struct pr *p, const char *word, struct reg_proto_ranges *const *rs,
                       size_t n, bool names_last)
{
    p->indent++;
    if (!p->normalize) {
        for (size_t i = 0; i < n; i++) {
            puts_(p, word);
            for (size_t j = 0; j < rs[i]->n; j++) {
                if (j)
                    puts_(p, ", ");
                put_range_value(p, &rs[i]->v[j]);
            }
            struct reg_proto_options o = filter_options(p, &rs[i]->options);
            if (o.n) {
                putc_(p, ' ');
                put_inline_options(p, &o);
            }
            puts_(p, ";\n");
        }
        p->indent--;
        return;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += rs[i]->n;
    struct tagged *t = fy_malloc((total ? total : 1) * sizeof *t);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < rs[i]->n; j++) {
            const struct reg_proto_range *r = &rs[i]->v[j];
            t[k] = (struct tagged){r->kind == REG_PROTO_NAME ? INT32_MAX : r->start, k, r,
                                   (const char *)rs[i]};
            k++;
        }
    }
    qsort(t, total, sizeof *t, cmp_tagged);
    /* then (reserved only) by toString: names among themselves; tags with equal
     * starts by "a" vs "a..b" (IntRange.toString) -- kept in input order here */
    if (names_last) {
        for (size_t i = 0; i < total;) {
            size_t j = i;
            while (j < total && t[j].key == t[i].key)
                j++;
            /* insertion sort of the equal run by the text of the value */
            for (size_t a = i + 1; a < j; a++) {
                struct tagged x = t[a];
                const struct reg_proto_range *rx = x.ptr;
                size_t b = a;
                while (b > i) {
                    const struct reg_proto_range *rb = t[b - 1].ptr;
                    if (rx->kind != REG_PROTO_NAME || rb->kind != REG_PROTO_NAME)
                        break;
                    if (strcmp(rb->name.p, rx->name.p) <= 0)
                        break;
                    t[b] = t[b - 1];
                    b--;
                }
                t[b] = x;
            }
            i = j;
        }
    }
    for (size_t i = 0; i < total; i++) {
        const struct reg_proto_ranges *owner = (const struct reg_proto_ranges *)t[i].name;
        puts_(p, word);
        put_range_value(p, t[i].ptr);
        struct reg_proto_options o = filter_options(p, &owner->options);
        if (o.n) {
            putc_(p, ' ');
            put_inline_options(p, &o);
        }
        puts_(p, ";\n");
    }
    free(t);
    p->indent--;
}

static int put_oneof(struct pr *p, const struct reg_proto_oneof *o, const struct reg_proto_fields *fields)
{
    puts_(p, "oneof ");
    puts_(p, o->name);
    puts_(p, " {");
    struct reg_proto_options opts = filter_options(p, &o->options);
    if (opts.n) {
        putc_(p, '\n');
        put_option_lines(p, &opts);
    }
    if (fields->n) {
        putc_(p, '\n');
        p->indent++;
        for (size_t i = 0; i < fields->n; i++)
            if (put_field(p, fields->v[i]) < 0)
                return -1;
        p->indent--;
    }
    if (o->groups.n) {
        putc_(p, '\n');
        if (put_groups(p, &o->groups) < 0)
            return -1;
    }
    puts_(p, "}\n");
    return 0;
}

static int put_oneofs(struct pr *p, struct reg_proto_oneof *const *oneofs, size_t n)
{
    p->indent++;
    if (!p->normalize) {
        for (size_t i = 0; i < n; i++)
            if (put_oneof(p, oneofs[i], &oneofs[i]->fields) < 0)
                return -1;
        p->indent--;
        return 0;
    }
    struct tagged *t = fy_malloc((n ? n : 1) * sizeof *t);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (oneofs[i]->fields.n == 0)
            continue;
        struct reg_proto_fields *sf = reg_proto_arena_alloc(p->scratch, sizeof *sf);
        *sf = sorted_fields(p, &oneofs[i]->fields);
        t[k] = (struct tagged){sf->v[0]->tag, k, oneofs[i], (const char *)sf};
        k++;
    }
    qsort(t, k, sizeof *t, cmp_tagged);
    int rc = 0;
    for (size_t i = 0; i < k && rc == 0; i++)
        rc = put_oneof(p, t[i].ptr, (const struct reg_proto_fields *)t[i].name);
    free(t);
    p->indent--;
    return rc;
}

/* toString(ctx, ExtendElement) */
static int put_extend(struct pr *p, const struct reg_proto_extend *e)
{
    puts_(p, "extend ");
    puts_(p, e->name);
    puts_(p, " {");
    if (e->fields.n) {
        putc_(p, '\n');
        if (put_fields(p, &e->fields) < 0)
            return -1;
    }
    puts_(p, "}\n");
    return 0;
}

/* normalize: extend blocks grouped by their resolved name, first-seen order */
static int put_extends(struct pr *p, struct reg_proto_extend *const *ext, size_t n)
{
    if (!p->normalize) {
        for (size_t i = 0; i < n; i++)
            if (put_extend(p, ext[i]) < 0)
                return -1;
        return 0;
    }
    struct reg_proto_extend **groups = NULL;
    size_t n_groups = 0;
    struct fy_map by_name;
    fy_map_init(&by_name);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        for (size_t j = 0; j < ext[i]->fields.n; j++) {
            char *r = resolve_type(p, ext[i]->name);
            if (!r) {
                rc = -1;
                break;
            }
            struct reg_proto_extend *g = fy_map_get(&by_name, r);
            if (!g) {
                g = reg_proto_arena_alloc(p->scratch, sizeof *g);
                g->name = reg_proto_arena_strndup(p->scratch, r, strlen(r));
                fy_map_put(&by_name, r, g);
                REG_PROTO_PUSH(p->scratch, groups, n_groups, g);
            }
            free(r);
            REG_PROTO_PUSH(p->scratch, g->fields.v, g->fields.n, ext[i]->fields.v[j]);
        }
    }
    fy_map_destroy(&by_name);
    if (rc < 0)
        return -1;
    for (size_t i = 0; i < n_groups; i++)
        if (put_extend(p, groups[i]) < 0)
            return -1;
    return 0;
}

static int put_type(struct pr *p, const struct reg_proto_type *t);

/* filterTypes + messages first, then enums (message indexes follow this order) */
static int put_types(struct pr *p, const struct reg_proto_types *types)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < types->n; i++) {
            const struct reg_proto_type *t = types->v[i];
            if (t->is_enum != (pass == 1))
                continue;
            if (p->normalize && !t->is_enum) {
                const struct type_info *ti = get_type(p, t->name);
                if (ti && ti->is_map)
                    continue; /* no synthetic map entry message */
            }
            scope_push(p, t->name);
            int rc = put_type(p, t);
            scope_pop(p);
            if (rc < 0)
                return -1;
        }
    }
    return 0;
}

static bool types_left(struct pr *p, const struct reg_proto_types *types)
{
    if (!p->normalize)
        return types->n > 0;
    for (size_t i = 0; i < types->n; i++) {
        const struct reg_proto_type *t = types->v[i];
        if (t->is_enum)
            return true;
        const struct type_info *ti = get_type(p, t->name);
        if (!(ti && ti->is_map))
            return true;
    }
    return false;
}

static int put_enum(struct pr *p, const struct reg_proto_type *t)
{
    const struct reg_proto_enum *e = &t->en;
    puts_(p, "enum ");
    puts_(p, t->name);
    puts_(p, " {");
    if (e->n_reserved) {
        putc_(p, '\n');
        put_ranges(p, "reserved ", e->reserved, e->n_reserved, true);
    }
    /* Java checks the unfiltered lists here */
    if (e->n_reserved == 0 && (e->options.n || e->n_constants))
        putc_(p, '\n');
    struct reg_proto_options opts = filter_options(p, &e->options);
    put_option_lines(p, &opts);
    struct reg_proto_enum_constant *const *c = e->constants;
    struct reg_proto_enum_constant **sorted = NULL;
    if (p->normalize && e->n_constants > 1) {
        struct tagged *tg = fy_malloc(e->n_constants * sizeof *tg);
        for (size_t i = 0; i < e->n_constants; i++)
            tg[i] = (struct tagged){c[i]->tag, i, c[i], c[i]->name};
        qsort(tg, e->n_constants, sizeof *tg, cmp_tagged);
        /* then by name within equal tags */
        for (size_t i = 1; i < e->n_constants; i++) {
            struct tagged x = tg[i];
            size_t b = i;
            while (b > 0 && tg[b - 1].key == x.key && strcmp(tg[b - 1].name, x.name) > 0) {
                tg[b] = tg[b - 1];
                b--;
            }
            tg[b] = x;
        }
        sorted = reg_proto_arena_alloc(p->scratch, e->n_constants * sizeof *sorted);
        for (size_t i = 0; i < e->n_constants; i++)
            sorted[i] = (struct reg_proto_enum_constant *)tg[i].ptr;
        free(tg);
        c = sorted;
    }
    p->indent++;
    for (size_t i = 0; i < e->n_constants; i++) {
        char buf[32];
        puts_(p, c[i]->name);
        snprintf(buf, sizeof buf, " = %" PRId32, c[i]->tag);
        puts_(p, buf);
        struct reg_proto_options co = filter_options(p, &c[i]->options);
        if (co.n) {
            putc_(p, ' ');
            put_inline_options(p, &co);
        }
        puts_(p, ";\n");
    }
    p->indent--;
    puts_(p, "}\n");
    return 0;
}

static int put_message(struct pr *p, const struct reg_proto_type *t)
{
    const struct reg_proto_message *m = &t->msg;
    puts_(p, "message ");
    puts_(p, t->name);
    puts_(p, " {");
    if (m->n_reserved) {
        putc_(p, '\n');
        put_ranges(p, "reserved ", m->reserved, m->n_reserved, true);
    }
    struct reg_proto_options opts = filter_options(p, &m->options);
    if (opts.n) {
        putc_(p, '\n');
        put_option_lines(p, &opts);
    }
    if (m->fields.n) {
        putc_(p, '\n');
        if (put_fields(p, &m->fields) < 0)
            return -1;
    }
    if (m->n_oneofs) {
        putc_(p, '\n');
        if (put_oneofs(p, m->oneofs, m->n_oneofs) < 0)
            return -1;
    }
    if (m->groups.n) {
        putc_(p, '\n');
        if (put_groups(p, &m->groups) < 0)
            return -1;
    }
    if (!p->ignore_ext && m->n_extensions) {
        putc_(p, '\n');
        put_ranges(p, "extensions ", m->extensions, m->n_extensions, false);
    }
    if (!p->ignore_ext && m->n_extends) {
        putc_(p, '\n');
        p->indent++;
        int rc = put_extends(p, m->extends, m->n_extends);
        p->indent--;
        if (rc < 0)
            return -1;
    }
    if (types_left(p, &m->nested)) {
        putc_(p, '\n');
        p->indent++;
        int rc = put_types(p, &m->nested);
        p->indent--;
        if (rc < 0)
            return -1;
    }
    puts_(p, "}\n");
    return 0;
}

static int put_type(struct pr *p, const struct reg_proto_type *t)
{
    return t->is_enum ? put_enum(p, t) : put_message(p, t);
}

static void put_rpc_type(struct pr *p, const char *type, bool streaming, bool *ok)
{
    if (streaming)
        puts_(p, "stream ");
    if (p->normalize) {
        char *r = resolve_type(p, type);
        if (!r) {
            *ok = false;
            return;
        }
        puts_(p, r);
        free(r);
    } else {
        puts_(p, type);
    }
}

static int put_service(struct pr *p, const struct reg_proto_service *s)
{
    puts_(p, "service ");
    puts_(p, s->name);
    puts_(p, " {");
    struct reg_proto_options opts = filter_options(p, &s->options);
    if (opts.n) {
        putc_(p, '\n');
        put_option_lines(p, &opts);
    }
    if (s->n_rpcs) {
        putc_(p, '\n');
        p->indent++;
        for (size_t i = 0; i < s->n_rpcs; i++) {
            const struct reg_proto_rpc *r = s->rpcs[i];
            bool ok = true;
            puts_(p, "rpc ");
            puts_(p, r->name);
            puts_(p, " (");
            put_rpc_type(p, r->request_type, r->request_streaming, &ok);
            puts_(p, ") returns (");
            put_rpc_type(p, r->response_type, r->response_streaming, &ok);
            putc_(p, ')');
            if (!ok)
                return -1;
            struct reg_proto_options ro = filter_options(p, &r->options);
            if (ro.n) {
                puts_(p, " {\n");
                put_option_lines(p, &ro);
                putc_(p, '}');
            }
            puts_(p, ";\n");
        }
        p->indent--;
    }
    puts_(p, "}\n");
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void put_imports(struct pr *p, const struct reg_proto_strs *list, const char *word)
{
    const char **v = list->v;
    size_t n = list->n;
    if (p->normalize && n) {
        const char **s = fy_malloc(n * sizeof *s);
        memcpy(s, v, n * sizeof *s);
        qsort(s, n, sizeof *s, cmp_str);
        size_t w = 0;
        for (size_t i = 0; i < n; i++)
            if (w == 0 || strcmp(s[w - 1], s[i]) != 0)
                s[w++] = s[i];
        for (size_t i = 0; i < w; i++) {
            puts_(p, word);
            puts_(p, s[i]);
            puts_(p, "\";\n");
        }
        free(s);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        puts_(p, word);
        puts_(p, v[i]);
        puts_(p, "\";\n");
    }
}

/* toString(ctx, ProtoFileElement) */
static int put_file(struct pr *p, const struct reg_proto_file *f)
{
    if (f->syntax != REG_PROTO_SYNTAX_NONE && (!p->normalize || f->syntax == REG_PROTO_SYNTAX_3))
        puts_(p, f->syntax == REG_PROTO_SYNTAX_3 ? "syntax = \"proto3\";\n"
                                                  : "syntax = \"proto2\";\n");
    if (f->package) {
        puts_(p, "package ");
        puts_(p, f->package);
        puts_(p, ";\n");
    }
    if (f->imports.n || f->public_imports.n) {
        putc_(p, '\n');
        put_imports(p, &f->imports, "import \"");
        put_imports(p, &f->public_imports, "import public \"");
    }
    struct reg_proto_options opts = filter_options(p, &f->options);
    if (opts.n) {
        putc_(p, '\n');
        p->indent--;
        put_option_lines(p, &opts);
        p->indent++;
    }
    if (types_left(p, &f->types)) {
        putc_(p, '\n');
        if (put_types(p, &f->types) < 0)
            return -1;
    }
    if (!p->ignore_ext && f->n_extends) {
        putc_(p, '\n');
        if (put_extends(p, f->extends, f->n_extends) < 0)
            return -1;
    }
    if (f->n_services) {
        putc_(p, '\n');
        for (size_t i = 0; i < f->n_services; i++)
            if (put_service(p, f->services[i]) < 0)
                return -1;
    }
    return p->failed ? -1 : 0;
}

static void known_release(void)
{
    fy_map_destroy(&known.types);
    fy_map_destroy(&known.extend);
    reg_proto_arena_free(known.arena);
}

static void known_build(void)
{
    struct pr p = {0};
    p.scratch = reg_proto_arena_new();
    fy_map_init(&p.types);
    fy_map_init(&p.extend);
    size_t n = 0;
    const struct reg_proto_dep *k = reg_proto_known_deps(&n);
    for (size_t i = 0; i < n; i++)
        collect_file(&p, k[i].file);
    free(p.scope);
    known.types = p.types;
    known.extend = p.extend;
    known.arena = p.scratch;
    atexit(known_release);
}

/* Context.collectTypeInfo over dependenciesWithLogicalTypes: the references,
 * then the known files none of them replaces (looked up in the prebuilt
 * tables unless a reference replaces one), the schema itself last (its
 * package is the one resolution starts from). */
static void collect_all(struct pr *p, const struct reg_proto_file *f,
                        const struct reg_proto_dep *deps, size_t n_deps)
{
    size_t n_known = 0;
    const struct reg_proto_dep *kd = reg_proto_known_deps(&n_known);
    bool replaced = false;
    for (size_t i = 0; i < n_known && !replaced; i++)
        for (size_t j = 0; j < n_deps && !replaced; j++)
            replaced = strcmp(deps[j].name, kd[i].name) == 0;
    for (size_t i = 0; i < n_deps; i++)
        collect_file(p, deps[i].file);
    if (!replaced) {
        pthread_once(&known_once, known_build);
        p->known_base = true;
    } else {
        for (size_t i = 0; i < n_known; i++) {
            bool given = false;
            for (size_t j = 0; j < n_deps && !given; j++)
                given = strcmp(deps[j].name, kd[i].name) == 0;
            if (!given)
                collect_file(p, kd[i].file);
        }
    }
    collect_file(p, f);
}

static int print(const struct reg_proto_file *f, bool ignore_ext, bool normalize,
                 const struct reg_proto_dep *deps, size_t n_deps, char **out, struct fy_err *err)
{
    struct pr p = {.ignore_ext = ignore_ext, .normalize = normalize, .err = err, .bol = true};
    fy_buf_init(&p.b, 0);
    p.scratch = reg_proto_arena_new();
    fy_map_init(&p.types);
    fy_map_init(&p.extend);
    p.package = f->package ? f->package : "";
    if (normalize)
        collect_all(&p, f, deps, n_deps);
    int rc = put_file(&p, f);
    if (rc == 0 && p.steps > REG_PROTO_MAX_STEPS)
        rc = fail(&p, "%s", "Merging option values took more than 2000000 steps");
    if (rc == 0)
        *out = fy_buf_steal(&p.b);
    fy_buf_destroy(&p.b);
    fy_map_destroy(&p.types);
    fy_map_destroy(&p.extend);
    free(p.scope);
    reg_proto_arena_free(p.scratch);
    return rc;
}

int reg_proto_canonical(const struct reg_proto_file *file, char **out, struct fy_err *err)
{
    return print(file, false, false, NULL, 0, out, err);
}

int reg_proto_canonical_no_extensions(const struct reg_proto_file *file, char **out,
                                      struct fy_err *err)
{
    return print(file, true, false, NULL, 0, out, err);
}

int reg_proto_normalize(const struct reg_proto_file *file, const struct reg_proto_dep *deps,
                        size_t n_deps, char **out, struct fy_err *err)
{
    return print(file, false, true, deps, n_deps, out, err);
}

/* ---- the Context for other modules (reg_proto_desc.c) ---- */

struct reg_proto_ctx {
    struct pr p;
};

struct reg_proto_ctx *reg_proto_ctx_new(const struct reg_proto_file *file,
                                        const struct reg_proto_dep *deps, size_t n_deps)
{
    struct reg_proto_ctx *c = fy_calloc(1, sizeof *c);
    c->p.scratch = reg_proto_arena_new();
    fy_map_init(&c->p.types);
    fy_map_init(&c->p.extend);
    collect_all(&c->p, file, deps, n_deps);
    return c;
}

void reg_proto_ctx_free(struct reg_proto_ctx *c)
{
    if (!c)
        return;
    fy_map_destroy(&c->p.types);
    fy_map_destroy(&c->p.extend);
    free(c->p.scope);
    reg_proto_arena_free(c->p.scratch);
    free(c);
}

void reg_proto_ctx_enter(struct reg_proto_ctx *c, const char *name)
{
    scope_push(&c->p, name);
}

void reg_proto_ctx_leave(struct reg_proto_ctx *c)
{
    scope_pop(&c->p);
}

char *reg_proto_ctx_resolve(struct reg_proto_ctx *c, const char *name,
                            const struct reg_proto_type **type)
{
    void *v = NULL;
    char *r = resolve_in(&c->p, &c->p.types, name, &v);
    if (type)
        *type = r ? ((const struct type_info *)v)->type : NULL;
    return r;
}
