/* SPDX-License-Identifier: Apache-2.0
 * reg_proto_parse: .proto text -> model, the way Square Wire's ProtoParser,
 * SyntaxReader and OptionReader read it (Wire 6.4, which Confluent's
 * ProtobufSchema.toProtoFile uses): the same declarations accepted in the
 * same contexts, the same option value shapes (OptionPrimitive, merged map
 * keys, nested option chains), the same error texts and locations. Comments
 * are read and dropped (Confluent's printer never shows them), but their
 * syntax is checked as Wire does. Recursion is bounded by limits.max_depth;
 * map keys are found through one hash index, so the parse is linear.
 * Thread: any (no shared state). */
#include "registry/reg_proto_int.h"

#include "common/fy_alloc.h"
#include "common/fy_map.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena ---- */

struct arena_block {
    struct arena_block *next;
    size_t used, cap;
    _Alignas(max_align_t) unsigned char data[];
};

struct reg_proto_arena {
    struct arena_block *head;
    size_t bytes;
};

struct reg_proto_arena *reg_proto_arena_new(void)
{
    return fy_calloc(1, sizeof(struct reg_proto_arena));
}

void reg_proto_arena_free(struct reg_proto_arena *a)
{
    if (!a)
        return;
    struct arena_block *b = a->head;
    while (b) {
        struct arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(a);
}

void *reg_proto_arena_alloc(struct reg_proto_arena *a, size_t size)
{
    size_t need = (size + 15) & ~(size_t)15;
    if (need == 0)
        need = 16;
    struct arena_block *b = a->head;
    if (!b || b->cap - b->used < need) {
        size_t cap = need > 16384 ? need : 16384;
        b = fy_malloc(sizeof *b + cap);
        b->used = 0;
        b->cap = cap;
        /* a big block goes behind the current one, so the current keeps its free room */
        if (need > 16384 && a->head) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = b->data + b->used;
    b->used += need;
    a->bytes += need;
    memset(p, 0, need);
    return p;
}

char *reg_proto_arena_strndup(struct reg_proto_arena *a, const char *s, size_t n)
{
    char *p = reg_proto_arena_alloc(a, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

size_t reg_proto_arena_bytes(const struct reg_proto_arena *a)
{
    return a ? a->bytes : 0;
}

struct reg_proto_file *reg_proto_file_new(void)
{
    struct reg_proto_arena *a = reg_proto_arena_new();
    struct reg_proto_file *f = reg_proto_arena_alloc(a, sizeof *f);
    f->arena = a;
    return f;
}

void reg_proto_file_free(struct reg_proto_file *file)
{
    if (file)
        reg_proto_arena_free(file->arena);
}

/* ---- reader (SyntaxReader) ---- */

enum ctx { C_FILE, C_MESSAGE, C_ENUM, C_RPC, C_EXTEND, C_SERVICE };

struct loc {
    int line, column;
};

struct parser {
    const char *data;
    size_t size, pos;
    int line;          /* newlines seen */
    size_t line_start; /* index Wire's newline() recorded */
    struct reg_proto_arena *arena;
    struct reg_proto_file *file;
    size_t depth, max_depth;
    int declarations;
    struct fy_map map_keys;  /* (map value, key) -> entry index + 1 */
    struct fy_map top_types; /* name -> struct reg_proto_type* */
    struct fy_map top_services;
    struct fy_err *err;
    bool failed;
};

static struct loc here(const struct parser *p)
{
    return (struct loc){p->line + 1, (int)(p->pos - p->line_start) + 1};
}

/* Wire: IllegalStateException("Syntax error in $location: $message"), the
 * location being Confluent's DEFAULT_LOCATION ("") at line:column. */
__attribute__((format(printf, 3, 4))) static int fail_at(struct parser *p, struct loc l,
                                                         const char *fmt, ...)
{
    if (p->failed)
        return -1;
    p->failed = true;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fy_err_set(p->err, REG_E_INVALID_SCHEMA, "Syntax error in :%d:%d: %s", l.line, l.column,
                      msg);
}

#define FAIL(p, ...) fail_at((p), here(p), __VA_ARGS__)

/* A character for a message: Kotlin prints a Char as itself. */
static const char *show_char(char c, char buf[8])
{
    if ((unsigned char)c < 0x20 || (unsigned char)c >= 0x7f)
        snprintf(buf, 8, "\\x%02x", (unsigned char)c);
    else {
        buf[0] = c;
        buf[1] = '\0';
    }
    return buf;
}

static void newline(struct parser *p)
{
    p->line++;
    p->line_start = p->pos;
}

static int read_comment(struct parser *p)
{
    p->pos++; /* the '/' */
    int c = p->pos < p->size ? (unsigned char)p->data[p->pos++] : -1;
    if (c == '*') {
        bool start_of_line = true;
        while (p->pos + 1 < p->size) {
            char ch = p->data[p->pos];
            if (ch == '*' && p->data[p->pos + 1] == '/') {
                p->pos += 2;
                return 0;
            } else if (ch == '\n') {
                newline(p);
                start_of_line = true;
            } else if (!start_of_line) {
                /* text */
            } else if (ch == '*') {
                if (p->data[p->pos + 1] == ' ')
                    p->pos += 1;
                start_of_line = false;
            } else if (!isspace((unsigned char)ch)) {
                start_of_line = false;
            }
            p->pos++;
        }
        return FAIL(p, "unterminated comment");
    }
    if (c == '/') {
        while (p->pos < p->size) {
            char ch = p->data[p->pos++];
            if (ch == '\n') {
                newline(p);
                break;
            }
        }
        return 0;
    }
    return FAIL(p, "unexpected '/'");
}

static int skip_ws(struct parser *p, bool comments)
{
    while (p->pos < p->size) {
        char c = p->data[p->pos];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            p->pos++;
            if (c == '\n')
                newline(p);
        } else if (comments && c == '/') {
            if (read_comment(p) < 0)
                return -1;
        } else {
            return 0;
        }
    }
    return 0;
}

/* readDocumentation: whitespace and comments before a declaration. */
static int read_documentation(struct parser *p)
{
    for (;;) {
        if (skip_ws(p, false) < 0)
            return -1;
        if (p->pos == p->size || p->data[p->pos] != '/')
            return 0;
        if (read_comment(p) < 0)
            return -1;
    }
}

/* peekChar(): the next non-blank character, -1 after an error. */
static int peek(struct parser *p)
{
    if (skip_ws(p, true) < 0)
        return -1;
    if (p->pos >= p->size)
        return FAIL(p, "unexpected end of file");
    return (unsigned char)p->data[p->pos];
}

/* peekChar(c): consumes c if it is next. 1, 0, or -1 on error. */
static int peek_is(struct parser *p, char c)
{
    int got = peek(p);
    if (got < 0)
        return -1;
    if (got == (unsigned char)c) {
        p->pos++;
        return 1;
    }
    return 0;
}

static int read_char(struct parser *p)
{
    int c = peek(p);
    if (c >= 0)
        p->pos++;
    return c;
}

static int require(struct parser *p, char c)
{
    int got = read_char(p);
    if (got < 0)
        return -1;
    if (got != (unsigned char)c) {
        char b1[8], b2[8];
        return FAIL(p, "expected '%s' but was '%s'", show_char(c, b1), show_char((char)got, b2));
    }
    return 0;
}

static bool word_char(char c, bool dots)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || (dots && c == '.');
}

/* readWord: NULL on error; the word in the arena. */
static const char *read_word_opts(struct parser *p, bool leading_digit, bool dots, size_t *len)
{
    if (skip_ws(p, true) < 0)
        return NULL;
    size_t start = p->pos;
    while (p->pos < p->size && word_char(p->data[p->pos], dots))
        p->pos++;
    if (start == p->pos) {
        FAIL(p, "expected a word");
        return NULL;
    }
    if (!leading_digit && p->data[start] >= '0' && p->data[start] <= '9') {
        fail_at(p, (struct loc){p->line + 1, (int)(start - p->line_start)},
                "field and constant names cannot start with a digit");
        return NULL;
    }
    if (len)
        *len = p->pos - start;
    return reg_proto_arena_strndup(p->arena, p->data + start, p->pos - start);
}

static const char *read_word(struct parser *p)
{
    return read_word_opts(p, true, true, NULL);
}

/* Kotlin's String.toInt(radix): optional sign, digits, no overflow. */
static bool kotlin_to_int(const char *s, int radix, int32_t *out)
{
    bool neg = false;
    if (*s == '-' || *s == '+') {
        neg = *s == '-';
        s++;
    }
    if (!*s)
        return false;
    int64_t v = 0;
    for (; *s; s++) {
        int d;
        if (*s >= '0' && *s <= '9')
            d = *s - '0';
        else if (*s >= 'a' && *s <= 'z')
            d = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'Z')
            d = *s - 'A' + 10;
        else
            return false;
        if (d >= radix)
            return false;
        v = v * radix + d;
        if (v > (int64_t)INT32_MAX + 1)
            return false;
    }
    if (neg)
        v = -v;
    if (v > INT32_MAX || v < INT32_MIN)
        return false;
    *out = (int32_t)v;
    return true;
}

static int read_int(struct parser *p, int32_t *out)
{
    const char *tag = read_word(p);
    if (!tag)
        return -1;
    const char *digits = tag;
    int radix = 10;
    if (strncmp(tag, "0x", 2) == 0 || strncmp(tag, "0X", 2) == 0) {
        digits = tag + 2;
        radix = 16;
    }
    if (!kotlin_to_int(digits, radix, out))
        return FAIL(p, "expected an integer but was %s", digits);
    return 0;
}

/* A Java char (one UTF-16 unit below 0x800 here) as UTF-8. */
static void put_char(struct parser *p, char **buf, size_t *n, size_t *cap, unsigned v)
{
    if (*n + 3 >= *cap) {
        *cap = *cap * 2 + 16;
        *buf = fy_realloc(*buf, *cap);
    }
    (void)p;
    if (v < 0x80) {
        (*buf)[(*n)++] = (char)v;
    } else {
        (*buf)[(*n)++] = (char)(0xc0 | (v >> 6));
        (*buf)[(*n)++] = (char)(0x80 | (v & 0x3f));
    }
}

/* the value of a hex digit, -1 for any other character */
static int hex_digit(char c)
{
    static const char digits[] = "0123456789abcdef";
    const char *d = c ? strchr(digits, tolower((unsigned char)c)) : NULL;
    return d ? (int)(d - digits) : -1;
}

static int read_numeric_escape(struct parser *p, int radix, size_t len, unsigned *out)
{
    int value = -1;
    size_t end = p->pos + len < p->size ? p->pos + len : p->size;
    while (p->pos < end) {
        int d = hex_digit(p->data[p->pos]);
        if (d == -1 || d >= radix)
            break;
        value = value < 0 ? d : value * radix + d;
        p->pos++;
    }
    if (value < 0)
        return FAIL(p, "expected a digit after \\x or \\X");
    *out = (unsigned)value;
    return 0;
}

/* readQuotedString: adjacent strings concatenated, C escapes decoded. */
static int read_quoted(struct parser *p, struct reg_proto_str *out)
{
    int q = read_char(p);
    if (q < 0)
        return -1;
    if (q != '"' && q != '\'')
        return FAIL(p, "expected quoted string");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    while (p->pos < p->size) {
        /* plain bytes are copied as they are (UTF-8 passes through) */
        unsigned char c = (unsigned char)p->data[p->pos++];
        if (c == q) {
            int nx = peek(p);
            if (nx < 0)
                goto out;
            if (nx == '"' || nx == '\'') {
                q = read_char(p);
                continue;
            }
            /* Java keeps a NUL in a string; ferry's texts are C strings, so
             * such a schema is refused rather than cut short (a deliberate
             * difference, docs/internals/protobuf.md) */
            if (buf && memchr(buf, '\0', n)) {
                FAIL(p, "NUL characters in strings are not supported");
                goto out;
            }
            out->p = reg_proto_arena_strndup(p->arena, buf ? buf : "", n);
            out->n = n;
            rc = 0;
            goto out;
        }
        unsigned v = c;
        if (c == '\\') {
            if (p->pos >= p->size) {
                FAIL(p, "unexpected end of file");
                goto out;
            }
            c = (unsigned char)p->data[p->pos++];
            v = c;
            switch (c) {
            case 'a': v = 7; break;
            case 'b': v = '\b'; break;
            case 'f': v = '\f'; break;
            case 'n': v = '\n'; break;
            case 'r': v = '\r'; break;
            case 't': v = '\t'; break;
            case 'v': v = '\v'; break;
            case 'x':
            case 'X':
                if (read_numeric_escape(p, 16, 2, &v) < 0)
                    goto out;
                break;
            case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
                p->pos--;
                if (read_numeric_escape(p, 8, 3, &v) < 0)
                    goto out;
                break;
            default:
                break;
            }
            put_char(p, &buf, &n, &cap, v);
        } else {
            if (n + 1 >= cap) {
                cap = cap * 2 + 16;
                buf = fy_realloc(buf, cap);
            }
            buf[n++] = (char)c;
        }
        if (v == '\n')
            newline(p);
    }
    FAIL(p, "unterminated string");
out:
    free(buf);
    return rc;
}

/* readString: a quoted string or a word. */
static int read_string(struct parser *p, struct reg_proto_str *out)
{
    int c = peek(p);
    if (c < 0)
        return -1;
    if (c == '"' || c == '\'')
        return read_quoted(p, out);
    size_t n = 0;
    const char *w = read_word_opts(p, true, true, &n);
    if (!w)
        return -1;
    out->p = w;
    out->n = n;
    return 0;
}

/* readName: (wrapped), [wrapped] or a bare name. */
static const char *read_name(struct parser *p, bool leading_digit, bool retain_wrap, bool dots)
{
    int c = peek(p);
    if (c < 0)
        return NULL;
    if (c == '(' || c == '[') {
        char close = c == '(' ? ')' : ']';
        p->pos++;
        const char *w = read_word_opts(p, leading_digit, true, NULL);
        if (!w)
            return NULL;
        int got = read_char(p);
        if (got < 0)
            return NULL;
        if (got != close) {
            FAIL(p, close == ')' ? "expected ')'" : "expected ']'");
            return NULL;
        }
        if (!retain_wrap)
            return w;
        size_t n = strlen(w);
        char *r = reg_proto_arena_alloc(p->arena, n + 3);
        r[0] = (char)c;
        memcpy(r + 1, w, n);
        r[n + 1] = close;
        return r;
    }
    return read_word_opts(p, leading_digit, dots, NULL);
}

static const char *read_data_type_after(struct parser *p, const char *name);

/* Wire's expect(readChar() == c) { msg }: 0, or -1 with `msg` */
static int next_is(struct parser *p, char c, const char *msg)
{
    int got = read_char(p);
    if (got < 0)
        return -1;
    return got == (unsigned char)c ? 0 : FAIL(p, "%s", msg);
}

static const char *read_data_type(struct parser *p)
{
    const char *name = read_word(p);
    return name ? read_data_type_after(p, name) : NULL;
}

/* readDataType(name): "map<K, V>" or a dotted name. Map types nest only as
 * deep as the depth bound allows. */
static const char *read_data_type_after(struct parser *p, const char *name)
{
    if (strcmp(name, "map") == 0) {
        if (++p->depth > p->max_depth) {
            FAIL(p, "nesting deeper than %zu (ferry.schema.max.depth)", p->max_depth);
            return NULL;
        }
        if (next_is(p, '<', "expected '<'") < 0)
            return NULL;
        const char *k = read_data_type(p);
        if (!k || next_is(p, ',', "expected ','") < 0)
            return NULL;
        const char *v = read_data_type(p);
        if (!v || next_is(p, '>', "expected '>'") < 0)
            return NULL;
        p->depth--;
        size_t kn = strlen(k), vn = strlen(v);
        char *r = reg_proto_arena_alloc(p->arena, kn + vn + 8);
        memcpy(r, "map<", 4);
        memcpy(r + 4, k, kn);
        memcpy(r + 4 + kn, ", ", 2);
        memcpy(r + 6 + kn, v, vn);
        r[6 + kn + vn] = '>';
        return r;
    }
    /* name ( '.' word )* */
    const char *acc = name;
    for (;;) {
        int c = peek(p);
        if (c < 0)
            return NULL;
        if (c != '.')
            return acc;
        p->pos++;
        const char *w = read_word(p);
        if (!w)
            return NULL;
        size_t an = strlen(acc), wn = strlen(w);
        char *r = reg_proto_arena_alloc(p->arena, an + wn + 2);
        memcpy(r, acc, an);
        r[an] = '.';
        memcpy(r + an + 1, w, wn);
        acc = r;
    }
}

/* tryAppendTrailingDocumentation: a comment on the rest of the line, checked
 * as Wire does ("no syntax may follow trailing comment"). */
static int trailing_documentation(struct parser *p)
{
    while (p->pos < p->size) {
        char c = p->data[p->pos];
        if (c == ' ' || c == '\t') {
            p->pos++;
        } else if (c == '/') {
            p->pos++;
            break;
        } else {
            return 0;
        }
    }
    if (!(p->pos < p->size && (p->data[p->pos] == '/' || p->data[p->pos] == '*'))) {
        p->pos--;
        return FAIL(p, "expected '//' or '/*'");
    }
    bool star = p->data[p->pos] == '*';
    p->pos++;
    if (star) {
        for (;;) {
            if (p->pos >= p->size)
                return FAIL(p, "trailing comment must be closed");
            if (p->data[p->pos] == '*' && p->pos + 1 < p->size && p->data[p->pos + 1] == '/') {
                p->pos += 2;
                break;
            }
            p->pos++;
        }
        while (p->pos < p->size) {
            char c = p->data[p->pos++];
            if (c == '\n') {
                newline(p);
                break;
            }
            if (!(c == ' ' || c == '\t' || c == '\r'))
                return FAIL(p, "no syntax may follow trailing comment");
        }
    } else {
        while (p->pos < p->size) {
            if (p->data[p->pos++] == '\n') {
                newline(p);
                break;
            }
        }
    }
    return 0;
}

/* ---- options (OptionReader) ---- */

static int enter(struct parser *p)
{
    if (++p->depth > p->max_depth)
        return FAIL(p, "nesting deeper than %zu (ferry.schema.max.depth)", p->max_depth);
    return 0;
}

static struct reg_proto_value *new_value(struct parser *p, enum reg_proto_kind kind)
{
    struct reg_proto_value *v = reg_proto_arena_alloc(p->arena, sizeof *v);
    v->kind = kind;
    return v;
}

static struct reg_proto_option *read_option(struct parser *p, char sep);
static struct reg_proto_value *read_kind_and_value(struct parser *p);

static struct reg_proto_entry *map_find(struct parser *p, struct reg_proto_value *m,
                                        const char *key)
{
    size_t kn = strlen(key);
    char stack[256];
    char *k = kn + sizeof m <= sizeof stack ? stack : fy_malloc(kn + sizeof m);
    memcpy(k, &m, sizeof m);
    memcpy(k + sizeof m, key, kn);
    uintptr_t idx = (uintptr_t)fy_map_getn(&p->map_keys, k, kn + sizeof m);
    if (k != stack)
        free(k);
    return idx ? &m->entries[idx - 1] : NULL;
}

/* map[key] = value, replacing in place (LinkedHashMap.put). */
static void map_put(struct parser *p, struct reg_proto_value *m, const char *key,
                    struct reg_proto_value *value)
{
    struct reg_proto_entry *e = map_find(p, m, key);
    if (e) {
        e->value = value;
        return;
    }
    struct reg_proto_entry ne = {key, value};
    REG_PROTO_PUSH(p->arena, m->entries, m->n_entries, ne);
    size_t kn = strlen(key);
    char *k = fy_malloc(kn + sizeof m);
    memcpy(k, &m, sizeof m);
    memcpy(k + sizeof m, key, kn);
    fy_map_putn(&p->map_keys, k, kn + sizeof m, (void *)(uintptr_t)m->n_entries);
    free(k);
}

/* Values inside maps and lists: booleans, enums and numbers become OptionPrimitive. */
static struct reg_proto_value *as_entry_value(struct reg_proto_value *v)
{
    if (v->kind == REG_PROTO_BOOLEAN || v->kind == REG_PROTO_ENUM || v->kind == REG_PROTO_NUMBER)
        v->primitive = true;
    return v;
}

static void add_to_list(struct parser *p, struct reg_proto_value *list, struct reg_proto_value *v)
{
    if (v->kind == REG_PROTO_LIST && !v->primitive) {
        for (size_t i = 0; i < v->n_items; i++)
            REG_PROTO_PUSH(p->arena, list->items, list->n_items, v->items[i]);
    } else {
        REG_PROTO_PUSH(p->arena, list->items, list->n_items, v);
    }
}

static struct reg_proto_value *read_map(struct parser *p)
{
    if (enter(p) < 0)
        return NULL;
    p->pos++; /* '{', peeked by the caller */
    struct reg_proto_value *m = new_value(p, REG_PROTO_MAP);
    for (;;) {
        int r = peek_is(p, '}');
        if (r < 0)
            return NULL;
        if (r)
            break;
        struct reg_proto_option *o = read_option(p, ':');
        if (!o)
            return NULL;
        struct reg_proto_value *value = as_entry_value(o->value);
        if (value->kind == REG_PROTO_OPTION) {
            /* `(a).b: 1` nests b under a; its value is the bare value of b */
            struct reg_proto_entry *prev = map_find(p, m, o->name);
            struct reg_proto_value *nested = prev && prev->value->kind == REG_PROTO_MAP &&
                                                     !prev->value->primitive
                                                 ? prev->value
                                                 : NULL;
            if (!nested) {
                nested = new_value(p, REG_PROTO_MAP);
                map_put(p, m, o->name, nested);
            }
            const struct reg_proto_option *inner = value->option;
            struct reg_proto_value *iv = inner->value;
            if (iv->kind != REG_PROTO_MAP && iv->kind != REG_PROTO_LIST &&
                iv->kind != REG_PROTO_OPTION) {
                /* Wire stores the raw value (a String), not an OptionPrimitive */
                struct reg_proto_value *s = new_value(p, REG_PROTO_STRING);
                s->str = iv->str;
                iv = s;
            }
            map_put(p, nested, inner->name, iv);
        } else {
            struct reg_proto_entry *prev = map_find(p, m, o->name);
            if (!prev) {
                map_put(p, m, o->name, value);
            } else if (prev->value->kind == REG_PROTO_LIST) {
                add_to_list(p, prev->value, value);
            } else {
                struct reg_proto_value *list = new_value(p, REG_PROTO_LIST);
                REG_PROTO_PUSH(p->arena, list->items, list->n_items, prev->value);
                add_to_list(p, list, value);
                prev->value = list;
            }
        }
        if ((r = peek_is(p, ',')) < 0)
            return NULL;
        if (!r && peek_is(p, ';') < 0)
            return NULL;
    }
    p->depth--;
    return m;
}

static struct reg_proto_value *read_list(struct parser *p)
{
    if (enter(p) < 0)
        return NULL;
    p->pos++; /* '[' */
    struct reg_proto_value *l = new_value(p, REG_PROTO_LIST);
    for (;;) {
        int r = peek_is(p, ']');
        if (r < 0)
            return NULL;
        if (r)
            break;
        struct reg_proto_value *v = read_kind_and_value(p);
        if (!v)
            return NULL;
        REG_PROTO_PUSH(p->arena, l->items, l->n_items, as_entry_value(v));
        if ((r = peek_is(p, ',')) < 0)
            return NULL;
        if (r)
            continue;
        if ((r = peek(p)) < 0)
            return NULL;
        if (r != ']') {
            FAIL(p, "expected ',' or ']'");
            return NULL;
        }
    }
    p->depth--;
    return l;
}

static struct reg_proto_value *read_kind_and_value(struct parser *p)
{
    int c = peek(p);
    if (c < 0)
        return NULL;
    if (c == '{')
        return read_map(p);
    if (c == '[')
        return read_list(p);
    struct reg_proto_value *v;
    if (c == '"' || c == '\'') {
        v = new_value(p, REG_PROTO_STRING);
        return read_string(p, &v->str) < 0 ? NULL : v;
    }
    size_t n = 0;
    const char *w = read_word_opts(p, true, true, &n);
    if (!w)
        return NULL;
    if ((c >= '0' && c <= '9') || c == '-')
        v = new_value(p, REG_PROTO_NUMBER);
    else if (strcmp(w, "true") == 0 || strcmp(w, "false") == 0)
        v = new_value(p, REG_PROTO_BOOLEAN);
    else
        v = new_value(p, REG_PROTO_ENUM);
    v->str.p = w;
    v->str.n = n;
    return v;
}

/* readOption: name, '=' (or ':'), value; `(a).b.c = 1` becomes a -> b -> c = 1. */
static struct reg_proto_option *read_option(struct parser *p, char sep)
{
    int c = peek(p);
    if (c < 0)
        return NULL;
    bool is_extension = c == '[';
    bool paren = c == '(';
    const char *name = read_name(p, true, false, true);
    if (!name)
        return NULL;
    if (is_extension) {
        size_t n = strlen(name);
        char *r = reg_proto_arena_alloc(p->arena, n + 3);
        r[0] = '[';
        memcpy(r + 1, name, n);
        r[n + 1] = ']';
        name = r;
    }
    const char **subs = NULL;
    size_t n_subs = 0;
    for (;;) {
        if ((c = read_char(p)) < 0)
            return NULL;
        if (c != '.')
            break;
        if (n_subs >= p->max_depth) {
            FAIL(p, "nesting deeper than %zu (ferry.schema.max.depth)", p->max_depth);
            return NULL;
        }
        const char *sub = read_name(p, true, true, false);
        if (!sub)
            return NULL;
        REG_PROTO_PUSH(p->arena, subs, n_subs, sub);
    }
    if (sep == ':' && c == '{') {
        p->pos--; /* text format: a map value may omit the ':' */
    } else if (c != sep) {
        FAIL(p, "expected '%c' in option", sep);
        return NULL;
    }
    struct reg_proto_value *value = read_kind_and_value(p);
    if (!value)
        return NULL;
    for (size_t i = n_subs; i-- > 0;) {
        struct reg_proto_option *o = reg_proto_arena_alloc(p->arena, sizeof *o);
        const char *sn = subs[i];
        if (sn[0] == '(') {
            o->name = reg_proto_arena_strndup(p->arena, sn + 1, strlen(sn) - 2);
            o->parenthesized = true;
        } else {
            o->name = sn;
        }
        o->value = value;
        value = new_value(p, REG_PROTO_OPTION);
        value->option = o;
    }
    struct reg_proto_option *o = reg_proto_arena_alloc(p->arena, sizeof *o);
    o->name = name;
    o->parenthesized = paren;
    o->value = value;
    return o;
}

/* readOptions: `[a = 1, b = 2]` or nothing. */
static int read_options(struct parser *p, struct reg_proto_options *out)
{
    int r = peek_is(p, '[');
    if (r <= 0)
        return r;
    for (;;) {
        struct reg_proto_option *o = read_option(p, '=');
        if (!o)
            return -1;
        REG_PROTO_PUSH(p->arena, out->v, out->n, o);
        if ((r = peek_is(p, ']')) < 0)
            return -1;
        if (r)
            return 0;
        if ((r = peek_is(p, ',')) < 0)
            return -1;
        if (!r)
            return FAIL(p, "Expected ',' or ']");
    }
}

/* ---- declarations (ProtoParser) ---- */

enum decl_kind {
    D_NONE, D_TYPE, D_SERVICE, D_OPTION, D_EXTEND, D_FIELD, D_GROUP, D_ONEOF, D_EXTENSIONS,
    D_RESERVED, D_RPC, D_CONSTANT
};

struct decl {
    enum decl_kind kind;
    void *ptr;
};

static int read_declaration(struct parser *p, enum ctx ctx, struct decl *out);

/* Inside a { } block: 1 if a declaration follows (its documentation read),
 * 0 once the closing '}' is consumed, -1 on error. */
static int block_next(struct parser *p)
{
    if (read_documentation(p) < 0)
        return -1;
    int r = peek_is(p, '}');
    return r < 0 ? -1 : !r;
}

/* Wire's Kotlin toString of an option value, which is what a field's
 * [default = ...] and [json_name = ...] keep (element.value.toString()). */
static void value_to_string(struct parser *p, const struct reg_proto_value *v, char **buf,
                            size_t *n, size_t *cap, size_t depth);

static void sb_add(char **buf, size_t *n, size_t *cap, const char *s, size_t len)
{
    if (*n + len + 1 > *cap) {
        *cap = (*n + len + 1) * 2;
        *buf = fy_realloc(*buf, *cap);
    }
    memcpy(*buf + *n, s, len);
    *n += len;
    (*buf)[*n] = '\0';
}

static const char *kind_name(enum reg_proto_kind k)
{
    static const char *names[] = {"STRING", "BOOLEAN", "NUMBER", "ENUM", "MAP", "LIST", "OPTION"};
    return names[k];
}

static void option_to_string(struct parser *p, const struct reg_proto_option *o, char **buf,
                             size_t *n, size_t *cap, size_t depth)
{
    sb_add(buf, n, cap, "OptionElement(name=", 19);
    sb_add(buf, n, cap, o->name, strlen(o->name));
    sb_add(buf, n, cap, ", kind=", 7);
    const char *k = kind_name(o->value->kind);
    sb_add(buf, n, cap, k, strlen(k));
    sb_add(buf, n, cap, ", value=", 8);
    value_to_string(p, o->value, buf, n, cap, depth + 1);
    const char *tail = o->parenthesized ? ", isParenthesized=true)" : ", isParenthesized=false)";
    sb_add(buf, n, cap, tail, strlen(tail));
}

static void value_to_string(struct parser *p, const struct reg_proto_value *v, char **buf,
                            size_t *n, size_t *cap, size_t depth)
{
    if (v->primitive) {
        sb_add(buf, n, cap, "OptionPrimitive(kind=", 21);
        const char *k = kind_name(v->kind);
        sb_add(buf, n, cap, k, strlen(k));
        sb_add(buf, n, cap, ", value=", 8);
        sb_add(buf, n, cap, v->str.p, v->str.n);
        sb_add(buf, n, cap, ")", 1);
        return;
    }
    switch (v->kind) {
    case REG_PROTO_MAP:
        sb_add(buf, n, cap, "{", 1);
        for (size_t i = 0; i < v->n_entries; i++) {
            if (i)
                sb_add(buf, n, cap, ", ", 2);
            sb_add(buf, n, cap, v->entries[i].key, strlen(v->entries[i].key));
            sb_add(buf, n, cap, "=", 1);
            value_to_string(p, v->entries[i].value, buf, n, cap, depth + 1);
        }
        sb_add(buf, n, cap, "}", 1);
        break;
    case REG_PROTO_LIST:
        sb_add(buf, n, cap, "[", 1);
        for (size_t i = 0; i < v->n_items; i++) {
            if (i)
                sb_add(buf, n, cap, ", ", 2);
            value_to_string(p, v->items[i], buf, n, cap, depth + 1);
        }
        sb_add(buf, n, cap, "]", 1);
        break;
    case REG_PROTO_OPTION:
        option_to_string(p, v->option, buf, n, cap, depth + 1);
        break;
    default:
        sb_add(buf, n, cap, v->str.p, v->str.n);
        break;
    }
}

/* stripValue: remove every option called `name`; the last one's value as a string. */
static const char *strip_value(struct parser *p, struct reg_proto_options *opts, const char *name)
{
    const char *result = NULL;
    size_t w = 0;
    for (size_t i = 0; i < opts->n; i++) {
        struct reg_proto_option *o = opts->v[i];
        if (strcmp(o->name, name) == 0) {
            char *buf = NULL;
            size_t n = 0, cap = 0;
            sb_add(&buf, &n, &cap, "", 0);
            value_to_string(p, o->value, &buf, &n, &cap, 0);
            result = reg_proto_arena_strndup(p->arena, buf, n);
            free(buf);
        } else {
            opts->v[w++] = o;
        }
    }
    opts->n = w;
    return result;
}

static struct reg_proto_field *read_field_rest(struct parser *p, struct loc l,
                                               enum reg_proto_label label, const char *type)
{
    struct reg_proto_field *f = reg_proto_arena_alloc(p->arena, sizeof *f);
    f->label = label;
    f->type = type;
    f->line = l.line;
    f->column = l.column;
    if (!(f->name = read_name(p, false, false, true)))
        return NULL;
    if (require(p, '=') < 0 || read_int(p, &f->tag) < 0)
        return NULL;
    if (read_options(p, &f->options) < 0)
        return NULL;
    f->default_value = strip_value(p, &f->options, "default");
    f->json_name = strip_value(p, &f->options, "json_name");
    if (require(p, ';') < 0 || trailing_documentation(p) < 0)
        return NULL;
    return f;
}

static struct reg_proto_group *read_group(struct parser *p, enum reg_proto_label label);

/* readField(documentation, location, word): a field or a group. */
static int read_field(struct parser *p, struct loc l, const char *word, struct decl *out)
{
    enum reg_proto_label label;
    const char *type;
    if (strcmp(word, "required") == 0) {
        if (p->file->syntax == REG_PROTO_SYNTAX_3)
            return fail_at(p, l, "'required' label forbidden in proto3 field declarations");
        label = REG_PROTO_REQUIRED;
        type = read_data_type(p);
    } else if (strcmp(word, "optional") == 0) {
        label = REG_PROTO_OPTIONAL;
        type = read_data_type(p);
    } else if (strcmp(word, "repeated") == 0) {
        label = REG_PROTO_REPEATED;
        type = read_data_type(p);
    } else {
        bool ok = p->file->syntax == REG_PROTO_SYNTAX_3;
        if (!ok && strcmp(word, "map") == 0) {
            int c = peek(p);
            if (c < 0)
                return -1;
            ok = c == '<';
        }
        if (!ok)
            return fail_at(p, l, "unexpected label: %s", word);
        label = REG_PROTO_LABEL_NONE;
        type = read_data_type_after(p, word);
    }
    if (!type)
        return -1;
    if (strncmp(type, "map<", 4) == 0 && label != REG_PROTO_LABEL_NONE)
        return fail_at(p, l, "'map' type cannot have label");
    if (strcmp(type, "group") == 0) {
        out->kind = D_GROUP;
        out->ptr = read_group(p, label);
    } else {
        out->kind = D_FIELD;
        out->ptr = read_field_rest(p, l, label, type);
    }
    return out->ptr ? 0 : -1;
}

static struct reg_proto_group *read_group(struct parser *p, enum reg_proto_label label)
{
    if (enter(p) < 0)
        return NULL;
    struct reg_proto_group *g = reg_proto_arena_alloc(p->arena, sizeof *g);
    g->label = label;
    if (!(g->name = read_word(p)) || require(p, '=') < 0 || read_int(p, &g->tag) < 0 ||
        require(p, '{') < 0)
        return NULL;
    for (;;) {
        int r = block_next(p);
        if (r < 0)
            return NULL;
        if (r == 0)
            break;
        struct loc fl = here(p);
        const char *word = read_word(p);
        if (!word)
            return NULL;
        struct decl d = {0};
        if (read_field(p, fl, word, &d) < 0)
            return NULL;
        if (d.kind != D_FIELD) {
            FAIL(p, "expected field declaration, was GroupElement");
            return NULL;
        }
        REG_PROTO_PUSH(p->arena, g->fields.v, g->fields.n, (struct reg_proto_field *)d.ptr);
    }
    p->depth--;
    return g;
}

static struct reg_proto_oneof *read_oneof(struct parser *p)
{
    if (enter(p) < 0)
        return NULL;
    struct reg_proto_oneof *o = reg_proto_arena_alloc(p->arena, sizeof *o);
    if (!(o->name = read_name(p, true, false, true)) || require(p, '{') < 0)
        return NULL;
    for (;;) {
        int r = block_next(p);
        if (r < 0)
            return NULL;
        if (r == 0)
            break;
        if (skip_ws(p, true) < 0)
            return NULL;
        struct loc l = here(p);
        const char *type = read_data_type(p);
        if (!type)
            return NULL;
        if (strcmp(type, "group") == 0) {
            struct reg_proto_group *g = read_group(p, REG_PROTO_LABEL_NONE);
            if (!g)
                return NULL;
            REG_PROTO_PUSH(p->arena, o->groups.v, o->groups.n, g);
        } else if (strcmp(type, "option") == 0) {
            struct reg_proto_option *opt = read_option(p, '=');
            if (!opt || require(p, ';') < 0)
                return NULL;
            REG_PROTO_PUSH(p->arena, o->options.v, o->options.n, opt);
        } else {
            struct reg_proto_field *f = read_field_rest(p, l, REG_PROTO_LABEL_NONE, type);
            if (!f)
                return NULL;
            REG_PROTO_PUSH(p->arena, o->fields.v, o->fields.n, f);
        }
    }
    p->depth--;
    return o;
}

static int read_range_end(struct parser *p, struct loc l, int32_t *end)
{
    const char *to = read_word(p);
    if (!to)
        return -1;
    if (strcmp(to, "to") != 0)
        return -2;
    const char *s = read_word(p);
    if (!s)
        return -1;
    if (strcmp(s, "max") == 0) {
        *end = REG_PROTO_MAX_TAG;
        return 0;
    }
    if (!kotlin_to_int(s, 10, end))
        return fail_at(p, l, "expected an integer but was %s", s);
    return 0;
}

static struct reg_proto_ranges *read_reserved(struct parser *p, struct loc l)
{
    struct reg_proto_ranges *r = reg_proto_arena_alloc(p->arena, sizeof *r);
    for (;;) {
        int c = peek(p);
        if (c < 0)
            return NULL;
        struct reg_proto_range v = {0};
        if (c == '"' || c == '\'') {
            v.kind = REG_PROTO_NAME;
            if (read_quoted(p, &v.name) < 0)
                return NULL;
        } else {
            if (read_int(p, &v.start) < 0)
                return NULL;
            if ((c = peek(p)) < 0)
                return NULL;
            if (c == ',' || c == ';') {
                v.kind = REG_PROTO_TAG;
                v.end = v.start;
            } else {
                int rc = read_range_end(p, l, &v.end);
                if (rc == -2) {
                    fail_at(p, l, "expected ',', ';', or 'to'");
                    return NULL;
                }
                if (rc < 0)
                    return NULL;
                v.kind = REG_PROTO_RANGE;
            }
        }
        REG_PROTO_PUSH(p->arena, r->v, r->n, v);
        if ((c = read_char(p)) < 0)
            return NULL;
        if (c == ';')
            break;
        if (c != ',') {
            FAIL(p, "expected ',' or ';'");
            return NULL;
        }
    }
    if (trailing_documentation(p) < 0)
        return NULL;
    return r;
}

static struct reg_proto_ranges *read_extensions(struct parser *p, struct loc l)
{
    struct reg_proto_ranges *r = reg_proto_arena_alloc(p->arena, sizeof *r);
    for (;;) {
        struct reg_proto_range v = {.kind = REG_PROTO_TAG};
        if (read_int(p, &v.start) < 0)
            return NULL;
        v.end = v.start;
        int c = peek(p);
        if (c < 0)
            return NULL;
        if (c != ',' && c != ';' && c != '[') {
            int rc = read_range_end(p, l, &v.end);
            if (rc == -2) {
                fail_at(p, l, "expected ',', ';', '[' or 'to'");
                return NULL;
            }
            if (rc < 0)
                return NULL;
            v.kind = REG_PROTO_RANGE;
        }
        REG_PROTO_PUSH(p->arena, r->v, r->n, v);
        if ((c = peek(p)) < 0)
            return NULL;
        if (c == '[') {
            if (read_options(p, &r->options) < 0 || require(p, ';') < 0)
                return NULL;
            break;
        }
        if ((c = read_char(p)) < 0)
            return NULL;
        if (c == ';')
            break;
        if (c != ',') {
            FAIL(p, "expected ',' or ';'");
            return NULL;
        }
    }
    return r;
}

/* A named block: `name { declarations }` in context `ctx`, each declaration
 * handed to `add` with the element being built. NULL name on error. */
typedef void reg_proto_add_fn(struct parser *p, void *owner, const struct decl *d);

static const char *read_block(struct parser *p, enum ctx ctx, reg_proto_add_fn *add, void *owner)
{
    if (enter(p) < 0)
        return NULL;
    const char *name = read_name(p, true, false, true);
    if (!name || require(p, '{') < 0)
        return NULL;
    for (;;) {
        int r = block_next(p);
        if (r < 0)
            return NULL;
        if (r == 0)
            break;
        struct decl d = {0};
        if (read_declaration(p, ctx, &d) < 0)
            return NULL;
        add(p, owner, &d);
    }
    p->depth--;
    return name;
}

static void add_to_message(struct parser *p, void *owner, const struct decl *d)
{
    struct reg_proto_message *m = owner;
    switch (d->kind) {
    case D_FIELD: REG_PROTO_PUSH(p->arena, m->fields.v, m->fields.n, (struct reg_proto_field *)d->ptr); break;
    case D_ONEOF: REG_PROTO_PUSH(p->arena, m->oneofs, m->n_oneofs, (struct reg_proto_oneof *)d->ptr); break;
    case D_GROUP: REG_PROTO_PUSH(p->arena, m->groups.v, m->groups.n, (struct reg_proto_group *)d->ptr); break;
    case D_TYPE: REG_PROTO_PUSH(p->arena, m->nested.v, m->nested.n, (struct reg_proto_type *)d->ptr); break;
    case D_EXTENSIONS: REG_PROTO_PUSH(p->arena, m->extensions, m->n_extensions, (struct reg_proto_ranges *)d->ptr); break;
    case D_OPTION: REG_PROTO_PUSH(p->arena, m->options.v, m->options.n, (struct reg_proto_option *)d->ptr); break;
    case D_EXTEND: REG_PROTO_PUSH(p->arena, m->extends, m->n_extends, (struct reg_proto_extend *)d->ptr); break;
    case D_RESERVED: REG_PROTO_PUSH(p->arena, m->reserved, m->n_reserved, (struct reg_proto_ranges *)d->ptr); break;
    default: break;
    }
}

static void add_to_extend(struct parser *p, void *owner, const struct decl *d)
{
    struct reg_proto_extend *e = owner;
    if (d->kind == D_FIELD) /* Wire drops anything else here */
        REG_PROTO_PUSH(p->arena, e->fields.v, e->fields.n, (struct reg_proto_field *)d->ptr);
}

static void add_to_service(struct parser *p, void *owner, const struct decl *d)
{
    struct reg_proto_service *s = owner;
    if (d->kind == D_RPC)
        REG_PROTO_PUSH(p->arena, s->rpcs, s->n_rpcs, (struct reg_proto_rpc *)d->ptr);
    else if (d->kind == D_OPTION)
        REG_PROTO_PUSH(p->arena, s->options.v, s->options.n, (struct reg_proto_option *)d->ptr);
}

static void add_to_enum(struct parser *p, void *owner, const struct decl *d)
{
    struct reg_proto_enum *e = owner;
    if (d->kind == D_CONSTANT)
        REG_PROTO_PUSH(p->arena, e->constants, e->n_constants, (struct reg_proto_enum_constant *)d->ptr);
    else if (d->kind == D_OPTION)
        REG_PROTO_PUSH(p->arena, e->options.v, e->options.n, (struct reg_proto_option *)d->ptr);
    else if (d->kind == D_RESERVED)
        REG_PROTO_PUSH(p->arena, e->reserved, e->n_reserved, (struct reg_proto_ranges *)d->ptr);
}

static struct reg_proto_type *read_type(struct parser *p, struct loc l, bool is_enum)
{
    struct reg_proto_type *t = reg_proto_arena_alloc(p->arena, sizeof *t);
    t->is_enum = is_enum;
    t->line = l.line;
    t->column = l.column;
    t->name = is_enum ? read_block(p, C_ENUM, add_to_enum, &t->en)
                      : read_block(p, C_MESSAGE, add_to_message, &t->msg);
    return t->name ? t : NULL;
}

static struct reg_proto_extend *read_extend(struct parser *p)
{
    struct reg_proto_extend *e = reg_proto_arena_alloc(p->arena, sizeof *e);
    e->name = read_block(p, C_EXTEND, add_to_extend, e);
    return e->name ? e : NULL;
}

static struct reg_proto_service *read_service(struct parser *p)
{
    struct reg_proto_service *s = reg_proto_arena_alloc(p->arena, sizeof *s);
    s->name = read_block(p, C_SERVICE, add_to_service, s);
    return s->name ? s : NULL;
}

static int read_rpc_type(struct parser *p, const char **type, bool *streaming)
{
    if (require(p, '(') < 0)
        return -1;
    const char *word = read_word(p);
    if (!word)
        return -1;
    if (strcmp(word, "stream") == 0) {
        *streaming = true;
        *type = read_data_type(p);
    } else {
        *type = read_data_type_after(p, word);
    }
    if (!*type)
        return -1;
    return require(p, ')');
}

static struct reg_proto_rpc *read_rpc(struct parser *p, struct loc l)
{
    if (enter(p) < 0)
        return NULL;
    struct reg_proto_rpc *r = reg_proto_arena_alloc(p->arena, sizeof *r);
    if (!(r->name = read_name(p, true, false, true)))
        return NULL;
    if (read_rpc_type(p, &r->request_type, &r->request_streaming) < 0)
        return NULL;
    const char *ret = read_word(p);
    if (!ret)
        return NULL;
    if (strcmp(ret, "returns") != 0) {
        fail_at(p, l, "expected 'returns'");
        return NULL;
    }
    if (read_rpc_type(p, &r->response_type, &r->response_streaming) < 0)
        return NULL;
    int c = peek_is(p, '{');
    if (c < 0)
        return NULL;
    if (c) {
        for (;;) {
            int e = block_next(p);
            if (e < 0)
                return NULL;
            if (e == 0)
                break;
            struct decl d = {0};
            if (read_declaration(p, C_RPC, &d) < 0)
                return NULL;
            if (d.kind == D_OPTION)
                REG_PROTO_PUSH(p->arena, r->options.v, r->options.n, (struct reg_proto_option *)d.ptr);
        }
    } else if (require(p, ';') < 0) {
        return NULL;
    }
    p->depth--;
    return r;
}

static struct reg_proto_enum_constant *read_enum_constant(struct parser *p, const char *label)
{
    struct reg_proto_enum_constant *c = reg_proto_arena_alloc(p->arena, sizeof *c);
    c->name = label;
    if (require(p, '=') < 0 || read_int(p, &c->tag) < 0 || read_options(p, &c->options) < 0 ||
        require(p, ';') < 0 || trailing_documentation(p) < 0)
        return NULL;
    return c;
}

static int add_import(struct parser *p, struct reg_proto_strs *list);

static int read_declaration(struct parser *p, enum ctx ctx, struct decl *out)
{
    int index = p->declarations++;
    out->kind = D_NONE;
    out->ptr = NULL;
    int r = peek_is(p, ';');
    if (r)
        return r < 0 ? -1 : 0;
    struct loc l = here(p);
    const char *label = read_word_opts(p, ctx != C_ENUM, true, NULL);
    if (!label)
        return -1;
#define IS(w) (strcmp(label, (w)) == 0)
    if (IS("package") && ctx == C_FILE) {
        if (!(p->file->package = read_name(p, true, false, true)))
            return -1;
        return require(p, ';');
    }
    if (IS("import") && ctx == C_FILE) {
        int c = peek(p);
        if (c < 0)
            return -1;
        struct reg_proto_strs *list = &p->file->imports;
        if (c != '"' && c != '\'') {
            struct reg_proto_str w;
            if (read_string(p, &w) < 0)
                return -1;
            if (strcmp(w.p, "weak") == 0)
                list = &p->file->weak_imports;
            else if (strcmp(w.p, "public") == 0)
                list = &p->file->public_imports;
            else
                return fail_at(p, l, "expected quoted string");
        }
        if (add_import(p, list) < 0)
            return -1;
        return require(p, ';');
    }
    if (IS("syntax") && ctx == C_FILE) {
        if (p->file->syntax != REG_PROTO_SYNTAX_NONE)
            return fail_at(p, l, "too many syntax definitions");
        if (require(p, '=') < 0)
            return -1;
        if (index != 0)
            return fail_at(p, l, "'syntax' element must be the first declaration in a file");
        struct reg_proto_str s;
        if (read_quoted(p, &s) < 0)
            return -1;
        if (strcmp(s.p, "proto2") == 0 && s.n == 6)
            p->file->syntax = REG_PROTO_SYNTAX_2;
        else if (strcmp(s.p, "proto3") == 0 && s.n == 6)
            p->file->syntax = REG_PROTO_SYNTAX_3;
        else
            return fail_at(p, l, "unexpected syntax: %s", s.p);
        return require(p, ';');
    }
    if (IS("option")) {
        struct reg_proto_option *o = read_option(p, '=');
        if (!o || require(p, ';') < 0)
            return -1;
        out->kind = D_OPTION;
        out->ptr = o;
        return 0;
    }
    if (IS("reserved")) {
        out->kind = D_RESERVED;
        return (out->ptr = read_reserved(p, l)) ? 0 : -1;
    }
    if (IS("message") && (ctx == C_FILE || ctx == C_MESSAGE)) {
        out->kind = D_TYPE;
        return (out->ptr = read_type(p, l, false)) ? 0 : -1;
    }
    if (IS("enum") && (ctx == C_FILE || ctx == C_MESSAGE)) {
        out->kind = D_TYPE;
        return (out->ptr = read_type(p, l, true)) ? 0 : -1;
    }
    if (IS("service") && ctx == C_FILE) {
        out->kind = D_SERVICE;
        return (out->ptr = read_service(p)) ? 0 : -1;
    }
    if (IS("extend") && (ctx == C_FILE || ctx == C_MESSAGE)) {
        out->kind = D_EXTEND;
        return (out->ptr = read_extend(p)) ? 0 : -1;
    }
    if (IS("rpc") && ctx == C_SERVICE) {
        out->kind = D_RPC;
        return (out->ptr = read_rpc(p, l)) ? 0 : -1;
    }
    if (IS("oneof") && ctx == C_MESSAGE) {
        out->kind = D_ONEOF;
        return (out->ptr = read_oneof(p)) ? 0 : -1;
    }
    if (IS("extensions") && ctx == C_MESSAGE) {
        out->kind = D_EXTENSIONS;
        return (out->ptr = read_extensions(p, l)) ? 0 : -1;
    }
    if (ctx == C_MESSAGE || ctx == C_EXTEND)
        return read_field(p, l, label, out);
    if (ctx == C_ENUM) {
        out->kind = D_CONSTANT;
        return (out->ptr = read_enum_constant(p, label)) ? 0 : -1;
    }
    if (IS("edition") && ctx == C_FILE)
        return FAIL(p, "edition is not currently supported");
#undef IS
    return fail_at(p, l, "unexpected label: %s", label);
}

/* Imports go through okio's String.toPath() (normalize = false) and Wire's
 * withUnixSlashes(): '/' and '\\' both separate, empty and "." parts go,
 * ".." stays except right after a root, leading separators become one "/"
 * (two or more backslashes: a UNC "//"), nothing left is ".". */
static int add_import(struct parser *p, struct reg_proto_strs *list)
{
    struct reg_proto_str s;
    if (read_quoted(p, &s) < 0)
        return -1;
    char *out = reg_proto_arena_alloc(p->arena, s.n + 3);
    size_t n = 0, i = 0, lead = 0;
    while (i < s.n && (s.p[i] == '/' || s.p[i] == '\\')) {
        i++;
        lead++;
    }
    if (lead >= 2 && s.p[0] == '\\')
        out[n++] = '/';
    if (lead)
        out[n++] = '/';
    size_t root = n, parts = 0;
    while (i < s.n) {
        size_t start = i;
        while (i < s.n && s.p[i] != '/' && s.p[i] != '\\')
            i++;
        size_t len = i - start;
        bool dot = len == 1 && s.p[start] == '.';
        bool dotdot = len == 2 && s.p[start] == '.' && s.p[start + 1] == '.';
        if (len > 0 && !dot && !(dotdot && root > 0 && parts == 0)) {
            if (parts++)
                out[n++] = '/';
            memcpy(out + n, s.p + start, len);
            n += len;
        }
        if (i < s.n)
            i++;
    }
    if (n == 0)
        out[n++] = '.';
    out[n] = '\0';
    REG_PROTO_PUSH(p->arena, list->v, list->n, out);
    return 0;
}

static int read_file(struct parser *p)
{
    for (;;) {
        if (read_documentation(p) < 0)
            return -1;
        if (p->pos == p->size)
            return 0;
        struct decl d = {0};
        if (read_declaration(p, C_FILE, &d) < 0)
            return -1;
        struct reg_proto_file *f = p->file;
        if (d.kind == D_TYPE) {
            struct reg_proto_type *t = d.ptr;
            struct reg_proto_type *dup = fy_map_put(&p->top_types, t->name, t);
            if (dup)
                return fy_err_set(p->err, REG_E_INVALID_SCHEMA,
                                  "%s (:%d:%d) is already defined at :%d:%d", t->name, t->line,
                                  t->column, dup->line, dup->column);
            REG_PROTO_PUSH(p->arena, f->types.v, f->types.n, t);
        } else if (d.kind == D_SERVICE) {
            struct reg_proto_service *s = d.ptr;
            if (fy_map_put(&p->top_services, s->name, s))
                return fy_err_set(p->err, REG_E_INVALID_SCHEMA, "%s is already defined", s->name);
            REG_PROTO_PUSH(p->arena, f->services, f->n_services, s);
        } else if (d.kind == D_OPTION) {
            REG_PROTO_PUSH(p->arena, f->options.v, f->options.n, (struct reg_proto_option *)d.ptr);
        } else if (d.kind == D_EXTEND) {
            REG_PROTO_PUSH(p->arena, f->extends, f->n_extends, (struct reg_proto_extend *)d.ptr);
        }
    }
}

int reg_proto_parse(const char *text, size_t len, const struct reg_proto_limits *limits,
                    struct reg_proto_file **out, struct fy_err *err)
{
    size_t max_bytes = limits && limits->max_bytes ? limits->max_bytes : REG_PROTO_DEFAULT_BYTES;
    if (len > max_bytes)
        return fy_err_set(err, REG_E_INVALID_SCHEMA,
                          "Schema is %zu bytes, more than ferry.schema.max.bytes (%zu)", len,
                          max_bytes);
    struct parser p = {
        .data = text,
        .size = len,
        .max_depth = limits && limits->max_depth ? limits->max_depth : REG_PROTO_DEFAULT_DEPTH,
        .err = err,
    };
    p.file = reg_proto_file_new();
    p.arena = p.file->arena;
    fy_map_init(&p.map_keys);
    fy_map_init(&p.top_types);
    fy_map_init(&p.top_services);
    int rc = read_file(&p);
    fy_map_destroy(&p.map_keys);
    fy_map_destroy(&p.top_types);
    fy_map_destroy(&p.top_services);
    if (rc < 0) {
        reg_proto_file_free(p.file);
        return -1;
    }
    *out = p.file;
    return 0;
}
