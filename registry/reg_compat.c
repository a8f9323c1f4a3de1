/* SPDX-License-Identifier: Apache-2.0
 * reg_compat: Avro reader/writer compatibility and Confluent's compatibility
 * levels (see reg_compat.h). The rules are a C rendering of Avro-Java's
 * SchemaCompatibility.ReaderWriterCompatibilityChecker (apache/avro main); the
 * message strings are Confluent's avro/Difference.java, SchemaValidatorBuilder
 * and KafkaSchemaRegistry.isCompatibleWithPrevious. reg_register.c calls it on
 * register and on POST /compatibility.
 * Thread: any; a check keeps all its state in locals. */
#include "registry/reg_compat.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "common/fy_map.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- levels ------------------------------------------------------------ */

static const char *const level_names[] = {
    [REG_COMPAT_NONE] = "NONE",
    [REG_COMPAT_BACKWARD] = "BACKWARD",
    [REG_COMPAT_BACKWARD_TRANSITIVE] = "BACKWARD_TRANSITIVE",
    [REG_COMPAT_FORWARD] = "FORWARD",
    [REG_COMPAT_FORWARD_TRANSITIVE] = "FORWARD_TRANSITIVE",
    [REG_COMPAT_FULL] = "FULL",
    [REG_COMPAT_FULL_TRANSITIVE] = "FULL_TRANSITIVE",
};

#define N_LEVELS (sizeof level_names / sizeof level_names[0])

const char *reg_compat_level_name(enum reg_compat_level level)
{
    if ((size_t)level >= N_LEVELS)
        return "NONE";
    return level_names[level];
}

/* Upper-case one character of `s` the way Java's String.toUpperCase() does,
 * as far as the level names can tell: ASCII letters, plus the two non-ASCII
 * letters whose upper case is an ASCII letter of a level name (U+0131 dotless
 * i -> 'I', U+017F long s -> 'S'; CompatibilityLevel.forName accepts
 * "full_transıtıve"). Returns the byte count consumed, 0 at the end. */
static size_t java_upper(const char *s, char *out)
{
    unsigned char c = (unsigned char)s[0];
    if (!c)
        return 0;
    if (c >= 'a' && c <= 'z') {
        *out = (char)(c - 'a' + 'A');
        return 1;
    }
    if (c == 0xC4 && (unsigned char)s[1] == 0xB1) {
        *out = 'I';
        return 2;
    }
    if (c == 0xC5 && (unsigned char)s[1] == 0xBF) {
        *out = 'S';
        return 2;
    }
    *out = (char)c;
    return 1;
}

int reg_compat_level_parse(const char *s, enum reg_compat_level *out)
{
    if (!s)
        return -1;
    for (size_t lv = 0; lv < N_LEVELS; lv++) {
        const char *name = level_names[lv];
        const char *p = s;
        size_t i = 0;
        char up;
        size_t step;
        while ((step = java_upper(p, &up)) != 0 && name[i] == up) {
            p += step;
            i++;
        }
        if (step == 0 && name[i] == '\0') {
            *out = (enum reg_compat_level)lv;
            return 0;
        }
    }
    return -1;
}

/* ---- messages ---------------------------------------------------------- */

void reg_compat_msgs_init(struct reg_compat_msgs *m)
{
    m->items = NULL;
    m->n = 0;
}

void reg_compat_msgs_destroy(struct reg_compat_msgs *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        free(m->items[i]);
    free(m->items);
    m->items = NULL;
    m->n = 0;
}

/* Append `s`, taking ownership of it (**steals**). */
static void msgs_take(struct reg_compat_msgs *m, char *s)
{
    /* capacity is max(4, the next power of two above n): grow when n is 0 or
     * a power of two from 4 on (the struct has no capacity field) */
    if (m->n == 0 || (m->n >= 4 && (m->n & (m->n - 1)) == 0))
        m->items = fy_realloc(m->items, (m->n ? m->n * 2 : 4) * sizeof *m->items);
    m->items[m->n++] = s;
}

void reg_compat_msgs_add(struct reg_compat_msgs *m, const char *s)
{
    msgs_take(m, fy_strdup(s));
}

/* Move every message of `src` to the end of `dst` (may be NULL: dropped). */
static void msgs_move(struct reg_compat_msgs *dst, struct reg_compat_msgs *src)
{
    for (size_t i = 0; i < src->n; i++) {
        if (dst)
            msgs_take(dst, src->items[i]);
        else
            free(src->items[i]);
    }
    free(src->items);
    reg_compat_msgs_init(src);
}

/* ---- the reader/writer checker ------------------------------------------ */

/* Avro-Java's SchemaIncompatibilityType, in its declaration order. */
enum incompat_type {
    INC_NAME_MISMATCH,
    INC_FIXED_SIZE_MISMATCH,
    INC_MISSING_ENUM_SYMBOLS,
    INC_READER_FIELD_MISSING_DEFAULT_VALUE,
    INC_TYPE_MISMATCH,
    INC_MISSING_UNION_BRANCH,
};

static const char *const incompat_names[] = {
    [INC_NAME_MISMATCH] = "NAME_MISMATCH",
    [INC_FIXED_SIZE_MISMATCH] = "FIXED_SIZE_MISMATCH",
    [INC_MISSING_ENUM_SYMBOLS] = "MISSING_ENUM_SYMBOLS",
    [INC_READER_FIELD_MISSING_DEFAULT_VALUE] = "READER_FIELD_MISSING_DEFAULT_VALUE",
    [INC_TYPE_MISMATCH] = "TYPE_MISMATCH",
    [INC_MISSING_UNION_BRANCH] = "MISSING_UNION_BRANCH",
};

/* One Avro Incompatibility: type, message (getMessage) and the JSON pointer
 * (getLocation) fixed when it was found. */
struct incompat {
    enum incompat_type type;
    char *message;
    char *location;
};

/* A SchemaCompatibilityResult: indexes into checker.found, in merge order.
 * Empty means COMPATIBLE; Avro never builds an INCOMPATIBLE result without an
 * Incompatibility, so "incompatible" and "n > 0" are the same thing. */
struct result {
    size_t *idx;
    size_t n, cap;
};

/* Memo value for one (reader, writer) node pair. */
struct memo_entry {
    bool in_progress;     /* RECURSION_IN_PROGRESS */
    struct result res;
    /* reader union against a non-union writer: how many reader branches
     * Avro-Java's loop has reached (the ones it would have checked and
     * memoised), whether or not this checker skipped them (reader_union) */
    size_t union_upto;
};

/* The location stack (Avro's Deque<String>): a token is a literal ("fields",
 * "type", ...) or, when s is NULL, a decimal index. tok[0] is the root token
 * "", which getLocation() skips. */
struct loc_tok {
    const char *s;
    size_t index;
};

struct loc {
    struct loc_tok *tok;
    size_t n, cap;
};

/* A hash table from a pair of node pointers to a value, keys inline (the
 * memo holds one entry per pair visited: no allocation per entry). */
struct pair_slot {
    const void *a, *b; /* a == NULL: empty */
    void *v;
};

struct pair_map {
    struct pair_slot *slots;
    size_t cap, count; /* cap: a power of two, at most half full */
};

/* Memo entries come from blocks, freed together (their addresses stay put:
 * a union loop keeps its own entry while the table grows). */
#define ENTRY_BLOCK 1024

struct entry_block {
    struct entry_block *next;
    size_t n;
    struct memo_entry e[ENTRY_BLOCK];
};

struct checker {
    struct pair_map memo; /* (reader node, writer node) -> struct memo_entry * */
    struct entry_block *entries;
    struct incompat *found;
    size_t n_found, cap_found;
    /* Set when Avro-Java would have thrown (a reader field matching several
     * writer fields); Confluent then reports only this text. */
    char *exception;
    /* Reader unions met so far: (node, NULL) -> struct union_index *, and
     * each named reader branch -> struct branch_refs * (the unions holding it). */
    struct pair_map unions;
    struct pair_map branch_refs;
    /* The per-check budget (reg_compat_limits, max_depth of reg_avro): when
     * one runs out, `over` names it and the check stops, like `exception`. */
    unsigned depth;
    uint64_t steps;
    size_t bytes;
    const char *over;
};

/* Allocation-free accounting of the check's own memory: every structure the
 * check grows reports here; the walk stops once the budget is spent. */
static void spend_bytes(struct checker *c, size_t n)
{
    c->bytes += n;
    if (c->bytes > reg_compat_get_limits()->max_bytes && !c->over)
        c->over = "ferry.compatibility.max.bytes";
}

static void spend_steps(struct checker *c, uint64_t n)
{
    c->steps += n;
    if (c->steps > reg_compat_get_limits()->max_steps && !c->over)
        c->over = "ferry.compatibility.max.steps";
}

/* The walk stops at an Avro exception or a spent budget. */
static bool stopped(const struct checker *c)
{
    return c->exception || c->over;
}

static size_t pair_hash(const void *a, const void *b)
{
    uint64_t h = (uint64_t)(uintptr_t)a * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)b;
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return (size_t)h;
}

static void *pair_get(const struct pair_map *m, const void *a, const void *b)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = pair_hash(a, b) & mask;; i = (i + 1) & mask) {
        const struct pair_slot *s = &m->slots[i];
        if (!s->a)
            return NULL;
        if (s->a == a && s->b == b)
            return s->v;
    }
}

static void pair_insert(struct pair_slot *slots, size_t cap, const void *a, const void *b,
                        void *v)
{
    size_t mask = cap - 1;
    size_t i = pair_hash(a, b) & mask;
    while (slots[i].a)
        i = (i + 1) & mask;
    slots[i].a = a;
    slots[i].b = b;
    slots[i].v = v;
}


/* Add a pair that is not in `m` yet. */
static void pair_put(struct checker *c, struct pair_map *m, const void *a, const void *b,
                     void *v)
{
    if ((m->count + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        struct pair_slot *ns = fy_calloc(ncap, sizeof *ns);
        spend_bytes(c, ncap * sizeof *ns);
        for (size_t i = 0; i < m->cap; i++)
            if (m->slots[i].a)
                pair_insert(ns, ncap, m->slots[i].a, m->slots[i].b, m->slots[i].v);
        free(m->slots);
        m->slots = ns;
        m->cap = ncap;
    }
    pair_insert(m->slots, m->cap, a, b, v);
    m->count++;
}

static struct memo_entry *entry_new(struct checker *c)
{
    if (!c->entries || c->entries->n == ENTRY_BLOCK) {
        struct entry_block *blk = fy_calloc(1, sizeof *blk);
        spend_bytes(c, sizeof *blk);
        blk->next = c->entries;
        c->entries = blk;
    }
    return &c->entries->e[c->entries->n++];
}

static void result_add(struct result *r, size_t i)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 4;
        r->idx = fy_realloc(r->idx, r->cap * sizeof *r->idx);
    }
    r->idx[r->n++] = i;
}

/* mergedWith: append src's incompatibilities to dst, consuming src. */
static void result_merge(struct result *dst, struct result *src)
{
    for (size_t i = 0; i < src->n; i++)
        result_add(dst, src->idx[i]);
    free(src->idx);
    memset(src, 0, sizeof *src);
}

static struct result result_copy(const struct result *r)
{
    struct result out = {0};
    for (size_t i = 0; i < r->n; i++)
        result_add(&out, r->idx[i]);
    return out;
}

static void result_free(struct result *r)
{
    free(r->idx);
    memset(r, 0, sizeof *r);
}

static void loc_push(struct loc *l, const char *s, size_t index)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->tok = fy_realloc(l->tok, l->cap * sizeof *l->tok);
    }
    l->tok[l->n].s = s;
    l->tok[l->n].index = index;
    l->n++;
}

static void loc_pop(struct loc *l)
{
    l->n--;
}

/* Incompatibility.getLocation(): "/" then the tokens after the root joined
 * with '/', each JSON-pointer escaped (~ -> ~0, / -> ~1). **new** */
static char *loc_string(const struct loc *l)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_putc(&b, '/');
    for (size_t i = 1; i < l->n; i++) {
        if (i > 1)
            fy_buf_putc(&b, '/');
        if (!l->tok[i].s) {
            char digits[24];
            size_t n = sizeof digits, v = l->tok[i].index;
            do
                digits[--n] = (char)('0' + v % 10);
            while ((v /= 10) != 0);
            fy_buf_append(&b, digits + n, sizeof digits - n);
            continue;
        }
        for (const char *p = l->tok[i].s; *p; p++) {
            if (*p == '~')
                fy_buf_puts(&b, "~0");
            else if (*p == '/')
                fy_buf_puts(&b, "~1");
            else
                fy_buf_putc(&b, *p);
        }
    }
    return fy_buf_steal(&b);
}

/* SchemaCompatibilityResult.incompatible(...) merged into `r`; **steals** msg. */
static void incompatible(struct checker *c, struct result *r, enum incompat_type type, char *msg,
                         const struct loc *l)
{
    if (c->n_found == c->cap_found) {
        c->cap_found = c->cap_found ? c->cap_found * 2 : 8;
        c->found = fy_realloc(c->found, c->cap_found * sizeof *c->found);
    }
    struct incompat *inc = &c->found[c->n_found];
    inc->type = type;
    inc->message = msg;
    inc->location = loc_string(l);
    spend_bytes(c, sizeof *inc + strlen(msg) + strlen(inc->location) + 2 * 16 + sizeof(size_t));
    result_add(r, c->n_found++);
}

/* Schema.Type.toString(): the upper-case enum constant name. */
static const char *java_type_name(enum reg_avro_type t)
{
    static const char *const names[] = {
        [REG_AVRO_NULL] = "NULL",     [REG_AVRO_BOOLEAN] = "BOOLEAN", [REG_AVRO_INT] = "INT",
        [REG_AVRO_LONG] = "LONG",     [REG_AVRO_FLOAT] = "FLOAT",     [REG_AVRO_DOUBLE] = "DOUBLE",
        [REG_AVRO_BYTES] = "BYTES",   [REG_AVRO_STRING] = "STRING",   [REG_AVRO_RECORD] = "RECORD",
        [REG_AVRO_ENUM] = "ENUM",     [REG_AVRO_ARRAY] = "ARRAY",     [REG_AVRO_MAP] = "MAP",
        [REG_AVRO_UNION] = "UNION",   [REG_AVRO_FIXED] = "FIXED",
    };
    if ((size_t)t >= sizeof names / sizeof names[0] || !names[t])
        return "NULL";
    return names[t];
}

static struct result calculate(struct checker *c, const struct reg_avro *reader,
                               const struct reg_avro *writer, struct loc *l,
                               struct memo_entry *self);

/* getCompatibility(referenceToken, reader, writer, location): push the token,
 * answer from the memo (a pair still in progress counts as compatible: that is
 * what ends recursion through recursive types), else calculate and memoise.
 * As in Avro, a memoised result is replayed with the locations recorded when it
 * was first calculated. Returns a **new** result. */
static struct memo_entry *memo_get(const struct checker *c, const struct reg_avro *reader,
                                   const struct reg_avro *writer)
{
    return pair_get(&c->memo, reader, writer);
}

static bool skipped_in_union(struct checker *c, const struct reg_avro *reader,
                             const struct reg_avro *writer);

/* A pair not in the memo: mark it in progress, calculate at location `l`,
 * memoise. Returns a **new** result. */
static struct result memo_calculate(struct checker *c, const struct reg_avro *reader,
                                    const struct reg_avro *writer, struct loc *l)
{
    struct memo_entry *e = entry_new(c);
    e->in_progress = true;
    pair_put(c, &c->memo, reader, writer, e);
    struct result res = calculate(c, reader, writer, l, e);
    e->res = result_copy(&res);
    spend_bytes(c, res.n * sizeof *res.idx);
    e->in_progress = false;
    return res;
}

static struct result get_compat(struct checker *c, const char *token, size_t index,
                                const struct reg_avro *reader, const struct reg_avro *writer,
                                struct loc *l)
{
    struct result res = {0};
    if (stopped(c))
        return res;
    /* the walk recurses once per level of type nesting of the pair, which
     * recursive types can make far deeper than either schema: bounded */
    if (c->depth >= reg_avro_get_limits()->max_depth) {
        c->over = "ferry.schema.max.depth";
        return res;
    }
    spend_steps(c, 1);
    c->depth++;
    loc_push(l, token, index);
    struct memo_entry *e = memo_get(c, reader, writer);
    if (e) {
        if (!e->in_progress)
            res = result_copy(&e->res);
    } else if (skipped_in_union(c, reader, writer)) {
        /* Avro-Java checked this pair in a union loop this checker cut
         * short: calculate it now as it was then (root-relative), so what
         * is replayed here and later matches the memo Avro-Java holds */
        struct loc fresh = {0};
        loc_push(&fresh, "", 0);
        res = memo_calculate(c, reader, writer, &fresh);
        free(fresh.tok);
    } else {
        res = memo_calculate(c, reader, writer, l);
    }
    loc_pop(l);
    c->depth--;
    return res;
}

/* Avro's public two-argument getCompatibility(reader, writer), which the
 * union rules call: same memo, but a fresh location stack rooted at "". Its
 * incompatibilities are only looked at for emptiness by those callers, yet they
 * stay in the memo with these root-relative locations. */
static struct result get_compat_fresh(struct checker *c, const struct reg_avro *reader,
                                      const struct reg_avro *writer)
{
    if (stopped(c))
        return (struct result){0};
    struct loc fresh = {0};
    struct result res = get_compat(c, "", 0, reader, writer, &fresh);
    free(fresh.tok);
    return res;
}

/* schemaNameEquals: unqualified names equal, or the reader's (fully qualified)
 * aliases contain the writer's full name. The writer's aliases are not used. */
static bool names_match(const struct reg_avro *reader, const struct reg_avro *writer)
{
    if (reader->name && writer->name && strcmp(reader->name, writer->name) == 0)
        return true;
    if (!writer->fullname)
        return false;
    for (size_t i = 0; i < reader->n_aliases; i++)
        if (reader->aliases[i] && strcmp(reader->aliases[i], writer->fullname) == 0)
            return true;
    return false;
}

static void check_names(struct checker *c, struct result *res, const struct reg_avro *reader,
                        const struct reg_avro *writer, struct loc *l)
{
    loc_push(l, "name", 0);
    if (!names_match(reader, writer))
        incompatible(c, res, INC_NAME_MISMATCH,
                     fy_strconcat("expected: ", writer->fullname ? writer->fullname : "",
                                  (char *)NULL),
                     l);
    loc_pop(l);
}

static void check_fixed_size(struct checker *c, struct result *res, const struct reg_avro *reader,
                             const struct reg_avro *writer, struct loc *l)
{
    loc_push(l, "size", 0);
    if (reader->size != writer->size)
        incompatible(c, res, INC_FIXED_SIZE_MISMATCH,
                     fy_asprintf("expected: %" PRId64 ", found: %" PRId64, writer->size,
                                 reader->size),
                     l);
    loc_pop(l);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An enum's symbols as a set: a scan for small enums, a hash table for
 * large ones, so comparing two enums is linear in their symbols. */
struct symbol_set {
    const struct reg_avro *e;
    struct fy_map map; /* used when e->n_symbols > SYMBOL_SCAN_MAX */
};

#define SYMBOL_SCAN_MAX 8

static void symbol_set_init(struct symbol_set *set, const struct reg_avro *e)
{
    set->e = e;
    fy_map_init(&set->map);
    if (e->n_symbols > SYMBOL_SCAN_MAX)
        for (size_t i = 0; i < e->n_symbols; i++)
            fy_map_put(&set->map, e->symbols[i], e->symbols[i]);
}

static bool has_symbol(const struct symbol_set *set, const char *sym)
{
    const struct reg_avro *e = set->e;
    if (e->n_symbols > SYMBOL_SCAN_MAX)
        return fy_map_get(&set->map, sym) != NULL;
    for (size_t i = 0; i < e->n_symbols; i++)
        if (strcmp(e->symbols[i], sym) == 0)
            return true;
    return false;
}

/* checkReaderEnumContainsAllWriterEnumSymbols: the writer symbols missing from
 * the reader, as a sorted set printed like Java's TreeSet ("[A, B]"), unless the
 * reader has a default that is one of its symbols (Avro >= 1.9). */
static void check_enum_symbols(struct checker *c, struct result *res,
                               const struct reg_avro *reader, const struct reg_avro *writer,
                               struct loc *l)
{
    loc_push(l, "symbols", 0);
    spend_steps(c, reader->n_symbols + writer->n_symbols);
    spend_bytes(c, (reader->n_symbols + writer->n_symbols) * 2 * sizeof(void *));
    struct symbol_set rs;
    symbol_set_init(&rs, reader);
    const char **missing = fy_calloc(writer->n_symbols + 1, sizeof *missing);
    size_t n = 0;
    for (size_t i = 0; i < writer->n_symbols; i++)
        if (!has_symbol(&rs, writer->symbols[i]))
            missing[n++] = writer->symbols[i];
    if (n && !(reader->enum_default && has_symbol(&rs, reader->enum_default))) {
        qsort(missing, n, sizeof *missing, cmp_str);
        struct fy_buf b;
        fy_buf_init(&b, 0);
        fy_buf_putc(&b, '[');
        for (size_t i = 0; i < n; i++) {
            if (i && strcmp(missing[i], missing[i - 1]) == 0)
                continue; /* a set */
            if (i)
                fy_buf_puts(&b, ", ");
            fy_buf_puts(&b, missing[i]);
        }
        fy_buf_putc(&b, ']');
        incompatible(c, res, INC_MISSING_ENUM_SYMBOLS, fy_buf_steal(&b), l);
    }
    fy_map_destroy(&rs.map);
    free(missing);
    loc_pop(l);
}

/* Writer records with more fields than this are looked up through a hash
 * table (Avro's Schema.getField is a map lookup); smaller ones by a scan. */
#define FIELD_SCAN_MAX 8

/* Writer fields by name, for one check_record_fields call. */
struct field_index {
    const struct reg_avro *writer;
    struct fy_map by_name; /* used when writer->n_fields > FIELD_SCAN_MAX */
};

static void field_index_init(struct field_index *fi, const struct reg_avro *writer)
{
    fi->writer = writer;
    fy_map_init(&fi->by_name);
    if (writer->n_fields > FIELD_SCAN_MAX)
        for (size_t i = 0; i < writer->n_fields; i++)
            fy_map_put(&fi->by_name, writer->fields[i].name, &writer->fields[i]);
}

static const struct reg_avro_field *writer_field(const struct field_index *fi, const char *name)
{
    const struct reg_avro *writer = fi->writer;
    if (writer->n_fields > FIELD_SCAN_MAX)
        return fy_map_get(&fi->by_name, name);
    for (size_t i = 0; i < writer->n_fields; i++)
        if (strcmp(writer->fields[i].name, name) == 0)
            return &writer->fields[i];
    return NULL;
}

/* Avro's AvroRuntimeException text for a reader field that lookupWriterField
 * finds more than once: Field.toString() is "name type:TYPE pos:N" and the
 * writer record is printed with Schema.toString(). **new** */
static char *multiple_match_text(const struct reg_avro_field *rf, const struct reg_avro *writer)
{
    /* a parser that knows no references makes the canonical writer inline
     * every named type, as Schema.toString() does */
    struct reg_avro_parser *none = reg_avro_parser_new();
    char *writer_text = reg_avro_canonical(none, writer);
    reg_avro_parser_free(none);
    char *s = fy_asprintf("Reader record field %s type:%s pos:%d matches multiple fields in "
                          "writer record schema %s",
                          rf->name, java_type_name(rf->type->type), rf->position,
                          writer_text ? writer_text : "");
    free(writer_text);
    return s;
}

/* checkReaderWriterRecordFields: every reader field must be filled from the
 * writer, found by name, else by one of the reader field's aliases. */
static void check_record_fields(struct checker *c, struct result *res,
                                const struct reg_avro *reader, const struct reg_avro *writer,
                                struct loc *l)
{
    struct field_index fi;
    spend_steps(c, reader->n_fields + writer->n_fields);
    spend_bytes(c, writer->n_fields * 2 * sizeof(struct fy_map_slot));
    field_index_init(&fi, writer);
    loc_push(l, "fields", 0);
    for (size_t i = 0; i < reader->n_fields && !stopped(c); i++) {
        const struct reg_avro_field *rf = &reader->fields[i];
        loc_push(l, NULL, (size_t)rf->position);
        /* lookupWriterField: the direct match plus one per matching alias;
         * more than one (even the same field twice) is an exception */
        const struct reg_avro_field *wf = writer_field(&fi, rf->name);
        size_t matches = wf ? 1 : 0;
        /* Field.aliases() is a set: the parser keeps each alias once */
        spend_steps(c, rf->n_aliases);
        for (size_t a = 0; a < rf->n_aliases; a++) {
            const struct reg_avro_field *af = writer_field(&fi, rf->aliases[a]);
            if (af) {
                wf = af;
                matches++;
            }
        }
        if (matches > 1) {
            c->exception = multiple_match_text(rf, writer);
        } else if (!wf) {
            if (!rf->default_value) {
                if (rf->type->type == REG_AVRO_ENUM && rf->type->enum_default) {
                    /* Avro compares the reader field's enum with the writer
                     * *record* here, which can only be a TYPE_MISMATCH unless
                     * memoised; kept as is for identical output. */
                    struct result sub = get_compat(c, "type", 0, rf->type, writer, l);
                    result_merge(res, &sub);
                } else {
                    incompatible(c, res, INC_READER_FIELD_MISSING_DEFAULT_VALUE,
                                 fy_strdup(rf->name), l);
                }
            }
        } else {
            struct result sub = get_compat(c, "type", 0, rf->type, wf->type, l);
            result_merge(res, &sub);
        }
        loc_pop(l);
    }
    loc_pop(l);
    fy_map_destroy(&fi.by_name);
}

static void type_mismatch(struct checker *c, struct result *res, const struct reg_avro *reader,
                          const struct reg_avro *writer, const struct loc *l)
{
    incompatible(c, res, INC_TYPE_MISMATCH,
                 fy_strconcat("reader type: ", java_type_name(reader->type),
                              " not compatible with writer type: ", java_type_name(writer->type),
                              (char *)NULL),
                 l);
}

/* Reader type `r` can take a writer of type `w` by promotion (Avro spec
 * "Schema Resolution"): int->long,float,double; long->float,double;
 * float->double; string<->bytes. */
static bool promotes(enum reg_avro_type r, enum reg_avro_type w)
{
    switch (r) {
    case REG_AVRO_LONG:
        return w == REG_AVRO_INT;
    case REG_AVRO_FLOAT:
        return w == REG_AVRO_INT || w == REG_AVRO_LONG;
    case REG_AVRO_DOUBLE:
        return w == REG_AVRO_INT || w == REG_AVRO_LONG || w == REG_AVRO_FLOAT;
    case REG_AVRO_BYTES:
        return w == REG_AVRO_STRING;
    case REG_AVRO_STRING:
        return w == REG_AVRO_BYTES;
    default:
        return false;
    }
}

/* ---- reader unions ------------------------------------------------------ */

/* Avro-Java reads a writer type with a reader union by checking the reader's
 * branches in order until one reads it, memoising every pair: quadratic in
 * the branches for a union against a union. Only a few branches can read a
 * given writer type at all: one of the same unnamed type or one it promotes
 * to, or a named type of the same kind whose name matches (schemaNameEquals:
 * same simple name, or an alias equal to the writer's full name). Every other
 * pair is a TYPE_MISMATCH or NAME_MISMATCH, so the answer is the same when
 * only the candidates are checked. What the skipped pairs would have left in
 * Avro's memo only shows when one of them is met again outside the union
 * (then get_compat calculates it the way the loop would have: see
 * skipped_in_union). */

struct idx_list {
    size_t *v;
    size_t n, cap;
};

static void idx_add(struct checker *c, struct idx_list *li, size_t i)
{
    if (li->n == li->cap) {
        li->cap = li->cap ? li->cap * 2 : 2;
        li->v = fy_realloc(li->v, li->cap * sizeof *li->v);
        spend_bytes(c, li->cap / 2 * sizeof *li->v + 16);
    }
    li->v[li->n++] = i;
}

struct union_index {
    size_t by_type[REG_AVRO_FIXED + 1]; /* unnamed branch of that type: index + 1, or 0 */
    struct fy_map named;                /* kind, 'n' + simple name or 'a' + alias -> idx_list */
};

/* A reader union's named branches hold it: which unions, at which index. */
struct branch_ref {
    const struct reg_avro *u;
    size_t index;
};

struct branch_refs {
    struct branch_ref *v;
    size_t n, cap;
};

static void named_key(struct fy_buf *b, enum reg_avro_type kind, char what, const char *name)
{
    fy_buf_reset(b);
    fy_buf_putc(b, (char)('A' + kind));
    fy_buf_putc(b, what);
    fy_buf_puts(b, name ? name : "");
}

static void named_add(struct checker *c, struct union_index *ui, struct fy_buf *key, size_t i)
{
    struct idx_list *li = fy_map_getn(&ui->named, key->data, key->len);
    if (!li) {
        li = fy_calloc(1, sizeof *li);
        fy_map_putn(&ui->named, key->data, key->len, li);
        spend_bytes(c, sizeof *li + key->len + 64);
    }
    /* a branch with an alias equal to its name is listed once */
    if (!li->n || li->v[li->n - 1] != i)
        idx_add(c, li, i);
}

static struct union_index *union_index_of(struct checker *c, const struct reg_avro *u)
{
    struct union_index *ui = pair_get(&c->unions, u, NULL);
    if (ui)
        return ui;
    ui = fy_calloc(1, sizeof *ui);
    fy_map_init(&ui->named);
    pair_put(c, &c->unions, u, NULL, ui);
    spend_steps(c, u->n_branches);
    spend_bytes(c, sizeof *ui + u->n_branches * (sizeof(struct branch_ref) + 128));
    struct fy_buf key;
    fy_buf_init(&key, 0);
    for (size_t i = 0; i < u->n_branches; i++) {
        const struct reg_avro *b = u->branches[i];
        bool named = b->type == REG_AVRO_RECORD || b->type == REG_AVRO_ENUM ||
                     b->type == REG_AVRO_FIXED;
        if (!named) {
            if ((size_t)b->type < sizeof ui->by_type / sizeof ui->by_type[0] &&
                !ui->by_type[b->type])
                ui->by_type[b->type] = i + 1;
            continue;
        }
        named_key(&key, b->type, 'n', b->name);
        named_add(c, ui, &key, i);
        spend_steps(c, b->n_aliases);
        for (size_t a = 0; a < b->n_aliases; a++) {
            named_key(&key, b->type, 'a', b->aliases[a]);
            named_add(c, ui, &key, i);
        }
        struct branch_refs *br = pair_get(&c->branch_refs, b, NULL);
        if (!br) {
            br = fy_calloc(1, sizeof *br);
            pair_put(c, &c->branch_refs, b, NULL, br);
        }
        if (br->n == br->cap) {
            br->cap = br->cap ? br->cap * 2 : 2;
            br->v = fy_realloc(br->v, br->cap * sizeof *br->v);
        }
        br->v[br->n].u = u;
        br->v[br->n].index = i;
        br->n++;
    }
    fy_buf_destroy(&key);
    return ui;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* The branches of reader union `u` that could read `writer` (a non-union),
 * ascending and each once, into *out (**new** array, *n entries). */
static size_t *union_candidates(struct checker *c, const struct reg_avro *u,
                                const struct reg_avro *writer, size_t *n)
{
    struct union_index *ui = union_index_of(c, u);
    *n = 0;
    enum reg_avro_type w = writer->type;
    if (w != REG_AVRO_RECORD && w != REG_AVRO_ENUM && w != REG_AVRO_FIXED) {
        size_t *out = fy_calloc(REG_AVRO_FIXED + 1, sizeof *out);
        for (size_t t = 0; t <= REG_AVRO_FIXED; t++)
            if (ui->by_type[t] && (t == (size_t)w || promotes((enum reg_avro_type)t, w)))
                out[(*n)++] = ui->by_type[t] - 1;
        qsort(out, *n, sizeof *out, cmp_size);
        return out;
    }
    struct fy_buf key;
    fy_buf_init(&key, 0);
    named_key(&key, w, 'n', writer->name);
    const struct idx_list *by_name = fy_map_getn(&ui->named, key.data, key.len);
    named_key(&key, w, 'a', writer->fullname);
    const struct idx_list *by_alias = fy_map_getn(&ui->named, key.data, key.len);
    fy_buf_destroy(&key);
    size_t na = by_name ? by_name->n : 0, nb = by_alias ? by_alias->n : 0;
    size_t *out = fy_calloc(na + nb + 1, sizeof *out);
    spend_steps(c, na + nb);
    spend_bytes(c, (na + nb) * sizeof *out);
    /* merge two ascending lists */
    size_t i = 0, k = 0;
    while (i < na || k < nb) {
        size_t next;
        if (k >= nb || (i < na && by_name->v[i] <= by_alias->v[k]))
            next = by_name->v[i++];
        else
            next = by_alias->v[k++];
        if (!*n || out[*n - 1] != next)
            out[(*n)++] = next;
    }
    return out;
}

/* Did Avro-Java's loop over a reader union check (reader, writer) already,
 * where this checker skipped it? Only a named reader can be met both in a
 * union and outside one (an unnamed node has one parent). */
static bool skipped_in_union(struct checker *c, const struct reg_avro *reader,
                             const struct reg_avro *writer)
{
    if (reader->type != REG_AVRO_RECORD && reader->type != REG_AVRO_ENUM &&
        reader->type != REG_AVRO_FIXED)
        return false;
    const struct branch_refs *br = pair_get(&c->branch_refs, reader, NULL);
    if (!br)
        return false;
    spend_steps(c, br->n);
    for (size_t i = 0; i < br->n; i++) {
        const struct memo_entry *e = memo_get(c, br->v[i].u, writer);
        if (e && br->v[i].index < e->union_upto)
            return true;
    }
    return false;
}

static void union_index_free(void *v)
{
    struct union_index *ui = v;
    size_t it = 0;
    const char *k;
    void *li;
    while (fy_map_next(&ui->named, &it, &k, &li)) {
        free(((struct idx_list *)li)->v);
        free(li);
    }
    fy_map_destroy(&ui->named);
    free(ui);
}

/* A reader union's MISSING_UNION_BRANCH message. **new** */
static char *lacking_text(const struct reg_avro *writer)
{
    return fy_strconcat("reader union lacking writer type: ", java_type_name(writer->type),
                        (char *)NULL);
}

/* calculateCompatibility. Returns a **new** result. */
static struct result calculate(struct checker *c, const struct reg_avro *reader,
                               const struct reg_avro *writer, struct loc *l,
                               struct memo_entry *self)
{
    struct result res = {0};
    if (reader->type == writer->type) {
        switch (reader->type) {
        case REG_AVRO_ARRAY:
            return get_compat(c, "items", 0, reader->items, writer->items, l);
        case REG_AVRO_MAP:
            return get_compat(c, "values", 0, reader->items, writer->items, l);
        case REG_AVRO_FIXED:
            check_names(c, &res, reader, writer, l);
            check_fixed_size(c, &res, reader, writer, l);
            return res;
        case REG_AVRO_ENUM:
            check_names(c, &res, reader, writer, l);
            check_enum_symbols(c, &res, reader, writer, l);
            return res;
        case REG_AVRO_RECORD:
            check_names(c, &res, reader, writer, l);
            check_record_fields(c, &res, reader, writer, l);
            return res;
        case REG_AVRO_UNION:
            /* every writer branch must be readable by the reader union */
            spend_steps(c, writer->n_branches);
            for (size_t i = 0; i < writer->n_branches && !stopped(c); i++) {
                loc_push(l, NULL, i);
                struct result sub = get_compat_fresh(c, reader, writer->branches[i]);
                if (sub.n)
                    incompatible(c, &res, INC_MISSING_UNION_BRANCH,
                                 lacking_text(writer->branches[i]),
                                 l);
                result_free(&sub);
                loc_pop(l);
            }
            return res;
        default: /* the primitives */
            return res;
        }
    }

    /* a writer union: the reader must read every branch */
    if (writer->type == REG_AVRO_UNION) {
        spend_steps(c, writer->n_branches);
        for (size_t i = 0; i < writer->n_branches && !stopped(c); i++) {
            struct result sub = get_compat(c, NULL, i, reader, writer->branches[i], l);
            result_merge(&res, &sub);
        }
        return res;
    }

    if (reader->type == REG_AVRO_UNION) {
        /* a reader union: some branch must read the writer; only the
         * candidates can (see union_candidates) */
        size_t n_cand;
        size_t *cand = union_candidates(c, reader, writer, &n_cand);
        for (size_t k = 0; k < n_cand; k++) {
            self->union_upto = cand[k]; /* Avro's loop is at this branch */
            struct result sub = get_compat_fresh(c, reader->branches[cand[k]], writer);
            bool ok = sub.n == 0;
            result_free(&sub);
            if (ok || stopped(c)) {
                self->union_upto = cand[k] + 1;
                free(cand);
                return res;
            }
        }
        free(cand);
        self->union_upto = reader->n_branches;
        incompatible(c, &res, INC_MISSING_UNION_BRANCH,
                     lacking_text(writer),
                     l);
        return res;
    }

    if (!promotes(reader->type, writer->type))
        type_mismatch(c, &res, reader, writer, l);
    return res;
}

/* Confluent's Difference.error() with String.format(e, readerWord, writerWord)
 * applied as SchemaValidatorBuilder.formatErrorMessages does: the first "%s"
 * of a description names the reader schema, the second the writer. **new** */
static void put_all(struct fy_buf *b, const char *const *parts)
{
    for (size_t i = 0; parts[i]; i++)
        fy_buf_puts(b, parts[i]);
}

static char *difference_text(const struct incompat *inc, const char *rw, const char *ww)
{
    /* appended, not formatted: a check may write one per writer branch (40,000s) */
    const char *path = inc->location;
    struct fy_buf b;
    fy_buf_init(&b, 0);
    put_all(&b, (const char *const[]){"{errorType:'", incompat_names[inc->type],
                                      "', description:'", NULL});
    switch (inc->type) {
    case INC_FIXED_SIZE_MISMATCH:
        put_all(&b, (const char *const[]){"The size of FIXED type field at path '", path,
                                          "' in the ", rw, " schema does not match with the ",
                                          ww, " schema", NULL});
        break;
    case INC_TYPE_MISMATCH:
        put_all(&b, (const char *const[]){"The type (path '", path, "') of a field in the ", rw,
                                          " schema does not match with the ", ww, " schema",
                                          NULL});
        break;
    case INC_NAME_MISMATCH:
        put_all(&b, (const char *const[]){"The name of the schema has changed (path '", path,
                                          "')", NULL});
        break;
    case INC_MISSING_ENUM_SYMBOLS:
        put_all(&b, (const char *const[]){"The ", rw, " schema is missing enum symbols '",
                                          inc->message, "' at path '", path, "' in the ", ww,
                                          " schema", NULL});
        break;
    case INC_MISSING_UNION_BRANCH:
        put_all(&b, (const char *const[]){"The ", rw, " schema is missing a type inside a union "
                                          "field at path '", path, "' in the ", ww, " schema",
                                          NULL});
        break;
    case INC_READER_FIELD_MISSING_DEFAULT_VALUE:
        put_all(&b, (const char *const[]){"The field '", inc->message, "' at path '", path,
                                          "' in the ", rw, " schema has no default value and is "
                                          "missing in the ", ww, " schema", NULL});
        break;
    default:
        break;
    }
    put_all(&b, (const char *const[]){"', additionalInfo:'", inc->message, "'}", NULL});
    return fy_buf_steal(&b);
}

/* AvroSchema.isBackwardCompatible(previous) with `reader` as `this`, each
 * message formatted with the reader's and the writer's word ("new"/"old").
 * Appends to `out`; returns how many messages were added. */
static long check_direction(const struct reg_avro *reader, const struct reg_avro *writer,
                            const char *rw, const char *ww, struct reg_compat_msgs *out,
                            struct fy_err *err)
{
    struct checker c;
    memset(&c, 0, sizeof c);
    struct loc l = {0};
    struct result res = get_compat(&c, "", 0, reader, writer, &l);
    size_t before = out->n;
    if (c.over) {
        fy_err_set(err, REG_E_INVALID_SCHEMA,
                   "Schema too complex to check compatibility: the check exceeds the limit %s",
                   c.over);
    } else if (c.exception) {
        /* AvroSchema.isBackwardCompatible catches it and reports its message */
        msgs_take(out, fy_asprintf("Unexpected exception during compatibility check: %s",
                                   c.exception));
    } else {
        for (size_t i = 0; i < res.n; i++)
            msgs_take(out, difference_text(&c.found[res.idx[i]], rw, ww));
    }
    result_free(&res);
    free(l.tok);
    while (c.entries) {
        struct entry_block *blk = c.entries;
        c.entries = blk->next;
        for (size_t i = 0; i < blk->n; i++)
            result_free(&blk->e[i].res);
        free(blk);
    }
    free(c.memo.slots);
    for (size_t i = 0; i < c.unions.cap; i++)
        if (c.unions.slots[i].a)
            union_index_free(c.unions.slots[i].v);
    free(c.unions.slots);
    for (size_t i = 0; i < c.branch_refs.cap; i++)
        if (c.branch_refs.slots[i].a) {
            struct branch_refs *br = c.branch_refs.slots[i].v;
            free(br->v);
            free(br);
        }
    free(c.branch_refs.slots);
    for (size_t i = 0; i < c.n_found; i++) {
        free(c.found[i].message);
        free(c.found[i].location);
    }
    free(c.found);
    free(c.exception);
    if (c.over)
        return -1;
    return (long)(out->n - before);
}

long reg_compat_avro_direction(const void *reader, const void *writer, const char *rw,
                               const char *ww, struct reg_compat_msgs *out, struct fy_err *err)
{
    return check_direction(reader, writer, rw, ww, out, err);
}

int reg_compat_reader_writer_bounded(const struct reg_avro *reader, const struct reg_avro *writer,
                                     struct reg_compat_msgs *msgs, struct fy_err *err)
{
    struct reg_compat_msgs tmp;
    reg_compat_msgs_init(&tmp);
    long n = check_direction(reader, writer, "new", "old", &tmp, err);
    if (n < 0) {
        reg_compat_msgs_destroy(&tmp);
        return -1;
    }
    msgs_move(msgs, &tmp);
    return n == 0;
}

bool reg_compat_reader_writer(const struct reg_avro *reader, const struct reg_avro *writer,
                              struct reg_compat_msgs *msgs)
{
    struct fy_err err = {0};
    int rc = reg_compat_reader_writer_bounded(reader, writer, msgs, &err);
    if (rc < 0 && msgs)
        reg_compat_msgs_add(msgs, err.msg);
    fy_err_destroy(&err);
    return rc == 1;
}

/* ---- levels over prior versions ----------------------------------------- */

/* SchemaValidatorBuilder.MAX_SCHEMA_SIZE_FOR_LOGGING, in Java chars (UTF-16
 * code units) of the old schema's canonical string. */
#define MAX_SCHEMA_SIZE_FOR_LOGGING (10 * 1024)

/* Byte length of the longest prefix of UTF-8 `s` that is at most `max_units`
 * UTF-16 code units long; *total gets the string's whole length in units.
 * A supplementary character that would straddle the limit is left out (Java's
 * substring would split its surrogate pair). */
static size_t utf16_prefix(const char *s, size_t max_units, size_t *total)
{
    size_t units = 0, cut = 0;
    bool cut_set = false;
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (p[i]) {
        size_t len = 1, w = 1;
        if (p[i] >= 0xF0) {
            len = 4;
            w = 2;
        } else if (p[i] >= 0xE0) {
            len = 3;
        } else if (p[i] >= 0xC0) {
            len = 2;
        }
        for (size_t j = 1; j < len; j++)
            if (!p[i + j]) {
                len = j; /* truncated sequence: count what is there */
                break;
            }
        if (!cut_set && units + w > max_units) {
            cut = i;
            cut_set = true;
        }
        units += w;
        i += len;
    }
    *total = units;
    return cut_set ? cut : i;
}

/* formatErrorMessages' trailer: {oldSchemaVersion: n} and {oldSchema: '...'}. */
static void add_old_schema(struct reg_compat_msgs *out, const struct reg_compat_prior *p)
{
    msgs_take(out, fy_asprintf("{oldSchemaVersion: %d}", p->version));
    const char *text = p->canonical ? p->canonical : "";
    size_t units;
    size_t cut = utf16_prefix(text, MAX_SCHEMA_SIZE_FOR_LOGGING, &units);
    if (units <= MAX_SCHEMA_SIZE_FOR_LOGGING)
        msgs_take(out, fy_asprintf("{oldSchema: '%s'}", text));
    else
        msgs_take(out, fy_asprintf("{oldSchema: <truncated> '%.*s...'}", (int)cut, text));
}

enum strategy { CAN_READ, CAN_BE_READ, MUTUAL_READ };

/* One SchemaValidationStrategy.validate(candidate, existing): the number of
 * messages added, or -1 with err when a check ran out of budget. */
static long validate_one(enum strategy st, reg_compat_direction_fn dir, const void *candidate,
                         const struct reg_compat_prior *p, struct reg_compat_msgs *out,
                         struct fy_err *err)
{
    size_t before = out->n;
    long n = 0;
    switch (st) {
    case CAN_READ:
        n = dir(candidate, p->schema, "new", "old", out, err);
        break;
    case CAN_BE_READ:
        n = dir(p->schema, candidate, "old", "new", out, err);
        break;
    case MUTUAL_READ:
        /* old-reads-new first, without the trailer; the trailer comes only
         * after new-reads-old messages, so a FULL failure in the forward
         * direction alone carries no {oldSchemaVersion}/{oldSchema} */
        if (dir(p->schema, candidate, "old", "new", out, err) < 0)
            return -1;
        n = dir(candidate, p->schema, "new", "old", out, err);
        break;
    }
    if (n < 0)
        return -1;
    if (n > 0)
        add_old_schema(out, p);
    return (long)(out->n - before);
}

void reg_compat_msgs_add_trailer(struct reg_compat_msgs *m, enum reg_compat_level level,
                                  bool validate_fields)
{
    msgs_take(m, fy_asprintf("{validateFields: '%s', compatibility: '%s'}",
                             validate_fields ? "true" : "false", reg_compat_level_name(level)));
}

int reg_compat_check_bounded(enum reg_compat_level level, const struct reg_avro *candidate,
                             const struct reg_compat_prior *prior, size_t n_prior,
                             struct reg_compat_msgs *msgs, struct fy_err *err)
{
    return reg_compat_check_fields(level, false, candidate, prior, n_prior, msgs, err);
}

int reg_compat_check_fields(enum reg_compat_level level, bool validate_fields,
                            const struct reg_avro *candidate,
                            const struct reg_compat_prior *prior, size_t n_prior,
                            struct reg_compat_msgs *msgs, struct fy_err *err)
{
    return reg_compat_check_levels(level, validate_fields, reg_compat_avro_direction, candidate,
                                   prior, n_prior, msgs, err);
}

int reg_compat_check_levels(enum reg_compat_level level, bool validate_fields,
                            reg_compat_direction_fn dir, const void *candidate,
                            const struct reg_compat_prior *prior, size_t n_prior,
                            struct reg_compat_msgs *msgs, struct fy_err *err)
{
    enum strategy st;
    bool transitive = false;
    switch (level) {
    case REG_COMPAT_BACKWARD_TRANSITIVE:
        transitive = true;
        /* fall through */
    case REG_COMPAT_BACKWARD:
        st = CAN_READ;
        break;
    case REG_COMPAT_FORWARD_TRANSITIVE:
        transitive = true;
        /* fall through */
    case REG_COMPAT_FORWARD:
        st = CAN_BE_READ;
        break;
    case REG_COMPAT_FULL_TRANSITIVE:
        transitive = true;
        /* fall through */
    case REG_COMPAT_FULL:
        st = MUTUAL_READ;
        break;
    default:
        return 1;
    }
    if (n_prior == 0)
        return 1;
    /* CompatibilityChecker reverses the list: validateLatest takes the newest,
     * validateAll walks newest -> oldest and stops at the first failure */
    size_t last = transitive ? 0 : n_prior - 1;
    for (size_t i = n_prior; i-- > last;) {
        struct reg_compat_msgs tmp;
        reg_compat_msgs_init(&tmp);
        long n = validate_one(st, dir, candidate, &prior[i], &tmp, err);
        if (n < 0) {
            reg_compat_msgs_destroy(&tmp);
            return -1;
        }
        if (n) {
            reg_compat_msgs_add_trailer(&tmp, level, validate_fields);
            msgs_move(msgs, &tmp);
            return 0;
        }
        reg_compat_msgs_destroy(&tmp);
    }
    return 1;
}

bool reg_compat_check(enum reg_compat_level level, const struct reg_avro *candidate,
                      const struct reg_compat_prior *prior, size_t n_prior,
                      struct reg_compat_msgs *msgs)
{
    struct fy_err err = {0};
    int rc = reg_compat_check_bounded(level, candidate, prior, n_prior, msgs, &err);
    if (rc < 0 && msgs)
        reg_compat_msgs_add(msgs, err.msg);
    fy_err_destroy(&err);
    return rc == 1;
}

/* ---- limits ------------------------------------------------------------- */

static const struct reg_compat_limits default_limits = {
    .max_steps = REG_COMPAT_DEFAULT_MAX_STEPS,
    .max_bytes = REG_COMPAT_DEFAULT_MAX_BYTES,
};

/* Written once at startup before other threads exist, read-only after. */
static struct reg_compat_limits limits = {
    .max_steps = REG_COMPAT_DEFAULT_MAX_STEPS,
    .max_bytes = REG_COMPAT_DEFAULT_MAX_BYTES,
};

const struct reg_compat_limits *reg_compat_get_limits(void)
{
    return &limits;
}

void reg_compat_set_limits(const struct reg_compat_limits *l)
{
    limits = default_limits;
    if (l && l->max_steps)
        limits.max_steps = l->max_steps;
    if (l && l->max_bytes)
        limits.max_bytes = l->max_bytes;
}
