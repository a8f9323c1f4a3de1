/* SPDX-License-Identifier: Apache-2.0
 * reg_proto_desc: model <-> FileDescriptorProto with protobuf-c. The
 * conversion to a descriptor follows Confluent's ProtobufSchema.toDynamicSchema
 * (toDynamicMessage, toDynamicField, DynamicSchema and MessageDefinition):
 * nested types first, real oneofs' fields before the others, map fields as
 * nested "<Name>Entry" messages (Guava's LOWER_UNDERSCORE -> UPPER_CAMEL only
 * for names with '_', as toMapEntry), proto3 `optional` as a synthetic oneof,
 * type names as written with TYPE_MESSAGE/TYPE_ENUM where they resolve. The
 * conversion back follows toProtoFile(FileDescriptorProto): the known options
 * in Confluent's order, map entry messages kept as messages, oneofs without
 * fields dropped. Descriptor structs live in a scratch arena; unpacking is
 * protobuf-c's, after an iterative scan that bounds the nesting it recurses on.
 * Thread: any (state is per call). */
#include "registry/reg_proto_desc.h"

#include "common/fy_alloc.h"
#include "google/protobuf/descriptor.pb-c.h"
#include "registry/reg_proto_int.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef Google__Protobuf__FileDescriptorProto FileDP;
typedef Google__Protobuf__DescriptorProto MsgDP;
typedef Google__Protobuf__FieldDescriptorProto FieldDP;
typedef Google__Protobuf__EnumDescriptorProto EnumDP;
typedef Google__Protobuf__EnumValueDescriptorProto EnumValueDP;
typedef Google__Protobuf__OneofDescriptorProto OneofDP;
typedef Google__Protobuf__ServiceDescriptorProto ServiceDP;
typedef Google__Protobuf__MethodDescriptorProto MethodDP;

/* ---- base64 ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *reg_proto_base64(const uint8_t *buf, size_t len)
{
    char *out = fy_malloc((len + 2) / 3 * 4 + 1);
    size_t k = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)buf[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)buf[i + 1] << 8;
        if (i + 2 < len)
            v |= buf[i + 2];
        out[k++] = b64[(v >> 18) & 63];
        out[k++] = b64[(v >> 12) & 63];
        out[k++] = i + 1 < len ? b64[(v >> 6) & 63] : '=';
        out[k++] = i + 2 < len ? b64[v & 63] : '=';
    }
    out[k] = '\0';
    return out;
}

int reg_proto_unbase64(const char *s, size_t n, uint8_t **out, size_t *len)
{
    /* java.util.Base64.Decoder (basic): the alphabet only; '=' ends the data
     * and must complete a 4-character unit if present */
    uint8_t *o = fy_malloc(n / 4 * 3 + 3);
    size_t k = 0, q = 0;
    uint32_t acc = 0;
    size_t i = 0;
    for (; i < n && s[i] != '='; i++) {
        const char *c = memchr(b64, s[i], 64);
        if (!c || s[i] == '\0')
            goto bad;
        acc = acc << 6 | (uint32_t)(c - b64);
        if (++q == 4) {
            o[k++] = (uint8_t)(acc >> 16);
            o[k++] = (uint8_t)(acc >> 8);
            o[k++] = (uint8_t)acc;
            q = 0;
            acc = 0;
        }
    }
    if (q == 1)
        goto bad;
    size_t pad = n - i;
    if (pad && (pad > 2 || q + pad != 4))
        goto bad;
    for (; i < n; i++)
        if (s[i] != '=')
            goto bad;
    if (q == 2) {
        o[k++] = (uint8_t)(acc >> 4);
    } else if (q == 3) {
        o[k++] = (uint8_t)(acc >> 10);
        o[k++] = (uint8_t)(acc >> 2);
    }
    *out = o;
    *len = k;
    return 0;
bad:
    free(o);
    return -1;
}

/* ---- model -> descriptor ---- */

struct to {
    struct reg_proto_arena *a;
    struct reg_proto_ctx *ctx;
    enum reg_proto_syntax syntax;
};

static char *dup_(struct to *t, const char *s)
{
    return s ? reg_proto_arena_strndup(t->a, s, strlen(s)) : NULL;
}

static const struct reg_proto_option *opt_find(const struct reg_proto_options *o, const char *name)
{
    const struct reg_proto_option *r = NULL;
    for (size_t i = 0; i < o->n; i++)
        if (!o->v[i]->parenthesized && strcmp(o->v[i]->name, name) == 0)
            r = o->v[i]; /* mergeOptions: the last one wins for plain values */
    return r;
}

static bool opt_bool(const struct reg_proto_options *o, const char *name, protobuf_c_boolean *has,
                     protobuf_c_boolean *v)
{
    const struct reg_proto_option *x = opt_find(o, name);
    if (!x || !x->value->str.p)
        return false;
    *has = 1;
    *v = strcasecmp(x->value->str.p, "true") == 0; /* Boolean.parseBoolean */
    return true;
}

static char *opt_str(struct to *t, const struct reg_proto_options *o, const char *name)
{
    const struct reg_proto_option *x = opt_find(o, name);
    return x && x->value->str.p ? dup_(t, x->value->str.p) : NULL;
}

static bool opt_enum(const struct reg_proto_options *o, const char *name,
                     const ProtobufCEnumDescriptor *d, protobuf_c_boolean *has, int *v)
{
    const struct reg_proto_option *x = opt_find(o, name);
    if (!x || !x->value->str.p)
        return false;
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(d, x->value->str.p);
    if (!ev)
        return false;
    *has = 1;
    *v = ev->value;
    return true;
}

static const struct {
    const char *name;
    Google__Protobuf__FieldDescriptorProto__Type type;
} scalars[] = {
    {"double", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_DOUBLE},
    {"float", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FLOAT},
    {"int64", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT64},
    {"uint64", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_UINT64},
    {"int32", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_INT32},
    {"fixed64", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FIXED64},
    {"fixed32", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_FIXED32},
    {"bool", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_BOOL},
    {"string", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_STRING},
    {"group", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_GROUP},
    {"message", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE},
    {"bytes", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_BYTES},
    {"uint32", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_UINT32},
    {"enum", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_ENUM},
    {"sfixed32", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SFIXED32},
    {"sfixed64", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SFIXED64},
    {"sint32", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SINT32},
    {"sint64", GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_SINT64},
};

/* FieldDefinition.Builder.setType: a scalar, or the name as written with
 * TYPE_MESSAGE / TYPE_ENUM when it resolves. (The scalar table has no
 * "group", "message" or "enum" in Confluent; they are names there.) */
static void set_type(struct to *t, FieldDP *fd, const char *type)
{
    for (size_t i = 0; i < sizeof scalars / sizeof *scalars; i++) {
        if (strcmp(scalars[i].name, type) == 0 && strcmp(type, "group") && strcmp(type, "message") &&
            strcmp(type, "enum")) {
            fd->has_type = 1;
            fd->type = scalars[i].type;
            return;
        }
    }
    const struct reg_proto_type *rt = NULL;
    char *r = reg_proto_ctx_resolve(t->ctx, type, &rt);
    free(r);
    if (rt) {
        fd->has_type = 1;
        fd->type = rt->is_enum ? GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_ENUM
                               : GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE;
    }
    fd->type_name = dup_(t, type);
}

static FieldDP *new_field(struct to *t, const char *name, int32_t number, const char *type,
                          Google__Protobuf__FieldDescriptorProto__Label label)
{
    FieldDP *fd = reg_proto_arena_alloc(t->a, sizeof *fd);
    google__protobuf__field_descriptor_proto__init(fd);
    fd->name = dup_(t, name);
    fd->has_number = 1;
    fd->number = number;
    fd->has_label = 1;
    fd->label = label;
    set_type(t, fd, type);
    return fd;
}

static Google__Protobuf__FieldDescriptorProto__Label label_of(enum reg_proto_label l)
{
    switch (l) {
    case REG_PROTO_REQUIRED: return GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REQUIRED;
    case REG_PROTO_REPEATED: return GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED;
    default: return GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_OPTIONAL;
    }
}

/* ---- confluent.*_meta (extension 1088 of each options message) ---- */

#define META_FIELD 1088

struct wbuf {
    uint8_t *p;
    size_t n, cap;
};

static void w_bytes(struct wbuf *w, const void *d, size_t n)
{
    if (n == 0)
        return; /* an empty sub-message has no bytes (and maybe no buffer) */
    if (w->n + n > w->cap) {
        w->cap = (w->n + n) * 2 + 64;
        w->p = fy_realloc(w->p, w->cap);
    }
    memcpy(w->p + w->n, d, n);
    w->n += n;
}

static void w_varint(struct wbuf *w, uint64_t v)
{
    uint8_t b[10];
    size_t k = 0;
    do {
        b[k] = v & 0x7f;
        v >>= 7;
        if (v)
            b[k] |= 0x80;
        k++;
    } while (v);
    w_bytes(w, b, k);
}

static void w_len_field(struct wbuf *w, unsigned field, const void *d, size_t n)
{
    w_varint(w, (uint64_t)field << 3 | 2);
    w_varint(w, n);
    w_bytes(w, d, n);
}

static void w_str_field(struct wbuf *w, unsigned field, const struct reg_proto_str *s)
{
    w_len_field(w, field, s->p, s->n);
}

static const struct reg_proto_value *entry_get(const struct reg_proto_value *m, const char *key);

/* the text of a map entry, "" if none */
static const char *entry_get_from(const struct reg_proto_value *m, const char *key)
{
    const struct reg_proto_value *v = entry_get(m, key);
    return v && v->str.p ? v->str.p : "";
}

static const struct reg_proto_value *entry_get(const struct reg_proto_value *m, const char *key)
{
    if (!m || m->kind != REG_PROTO_MAP)
        return NULL;
    for (size_t i = 0; i < m->n_entries; i++)
        if (strcmp(m->entries[i].key, key) == 0)
            return m->entries[i].value;
    return NULL;
}

static bool is_text(const struct reg_proto_value *v)
{
    return v && v->kind != REG_PROTO_MAP && v->kind != REG_PROTO_LIST &&
           v->kind != REG_PROTO_OPTION && v->str.p;
}

/* the items of a value that is one item or a list of them */
static size_t items_of(const struct reg_proto_value *v, const struct reg_proto_value *const **out,
                       const struct reg_proto_value **one)
{
    if (!v)
        return 0;
    if (v->kind == REG_PROTO_LIST) {
        *out = (const struct reg_proto_value *const *)v->items;
        return v->n_items;
    }
    *one = v;
    *out = one;
    return 1;
}

/* One meta option's value as a map: (x).doc = "d" chains become {doc: "d"}
 * (ProtobufSchema.transform). Returns NULL when it is no aggregate. */
static const struct reg_proto_value *meta_map(struct to *t, const struct reg_proto_option *o)
{
    const struct reg_proto_value *v = o->value;
    if (v->kind == REG_PROTO_MAP)
        return v;
    if (v->kind != REG_PROTO_OPTION)
        return NULL;
    /* build {name: inner} from the innermost out */
    const struct reg_proto_option *chain[64];
    size_t n = 0;
    while (v->kind == REG_PROTO_OPTION && n < 64) {
        chain[n++] = v->option;
        v = v->option->value;
    }
    struct reg_proto_value *cur = (struct reg_proto_value *)v;
    for (size_t i = n; i-- > 0;) {
        struct reg_proto_value *m = reg_proto_arena_alloc(t->a, sizeof *m);
        m->kind = REG_PROTO_MAP;
        struct reg_proto_entry e = {chain[i]->name, cur};
        REG_PROTO_PUSH(t->a, m->entries, m->n_entries, e);
        cur = m;
    }
    return cur;
}

/* ProtobufSchema.findMeta over mergeOptions: every (confluent.X_meta)
 * option, in order; doc is the last one, params, tags and rules add up. */
static void set_meta(struct to *t, const struct reg_proto_options *opts, const char *name,
                     ProtobufCMessage *target)
{
    struct wbuf w = {0};
    const struct reg_proto_str *doc = NULL;
    struct wbuf rest = {0};
    bool found = false;
    for (size_t i = 0; i < opts->n; i++) {
        const struct reg_proto_option *o = opts->v[i];
        const char *on = o->name[0] == '.' ? o->name + 1 : o->name;
        if (!o->parenthesized || strcmp(on, name) != 0)
            continue;
        const struct reg_proto_value *m = meta_map(t, o);
        if (!m)
            continue;
        found = true;
        const struct reg_proto_value *d = entry_get(m, "doc");
        if (is_text(d))
            doc = &d->str;
        const struct reg_proto_value *const *items;
        const struct reg_proto_value *one;
        size_t n = items_of(entry_get(m, "params"), &items, &one);
        for (size_t j = 0; j < n; j++) {
            const struct reg_proto_value *k = entry_get(items[j], "key");
            const struct reg_proto_value *v = entry_get(items[j], "value");
            struct wbuf e = {0};
            if (is_text(k))
                w_str_field(&e, 1, &k->str);
            if (is_text(v))
                w_str_field(&e, 2, &v->str);
            w_len_field(&rest, 2, e.p, e.n);
            free(e.p);
        }
        n = items_of(entry_get(m, "tags"), &items, &one);
        for (size_t j = 0; j < n; j++)
            if (is_text(items[j]))
                w_str_field(&rest, 3, &items[j]->str);
        n = items_of(entry_get(m, "rules"), &items, &one);
        for (size_t j = 0; j < n; j++) {
            static const char *const rf[] = {"name", "doc", "expr", "sql"};
            struct wbuf e = {0};
            for (unsigned k = 0; k < 4; k++) {
                const struct reg_proto_value *v = entry_get(items[j], rf[k]);
                if (is_text(v))
                    w_str_field(&e, k + 1, &v->str);
            }
            w_len_field(&rest, 4, e.p, e.n);
            free(e.p);
        }
    }
    if (found) {
        if (doc)
            w_str_field(&w, 1, doc);
        if (rest.n)
            w_bytes(&w, rest.p, rest.n);
        /* protobuf-c keeps a length-delimited unknown field's length prefix in its data */
        struct wbuf framed = {0};
        w_varint(&framed, w.n);
        if (w.n)
            w_bytes(&framed, w.p, w.n);
        ProtobufCMessageUnknownField *u = reg_proto_arena_alloc(t->a, sizeof *u);
        u->tag = META_FIELD;
        u->wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
        u->len = framed.n;
        u->data = reg_proto_arena_alloc(t->a, framed.n);
        memcpy(u->data, framed.p, framed.n);
        free(framed.p);
        target->n_unknown_fields = 1;
        target->unknown_fields = u;
    }
    free(w.p);
    free(rest.p);
}

static bool has_meta(const struct reg_proto_options *opts, const char *name)
{
    for (size_t i = 0; i < opts->n; i++) {
        const char *on = opts->v[i]->name[0] == '.' ? opts->v[i]->name + 1 : opts->v[i]->name;
        if (opts->v[i]->parenthesized && strcmp(on, name) == 0)
            return true;
    }
    return false;
}

/* toDynamicField */
static FieldDP *to_field(struct to *t, const struct reg_proto_field *f, const char *type,
                         Google__Protobuf__FieldDescriptorProto__Label label, const char *extendee)
{
    FieldDP *fd = new_field(t, f->name, f->tag, type, label);
    if (f->default_value)
        fd->default_value = dup_(t, f->default_value);
    if (f->json_name)
        fd->json_name = dup_(t, f->json_name);
    if (extendee)
        fd->extendee = dup_(t, extendee);
    Google__Protobuf__FieldOptions o;
    google__protobuf__field_options__init(&o);
    bool any = false;
    int e = 0;
    any |= opt_bool(&f->options, "packed", &o.has_packed, &o.packed);
    any |= opt_bool(&f->options, "deprecated", &o.has_deprecated, &o.deprecated);
    any |= opt_bool(&f->options, "lazy", &o.has_lazy, &o.lazy);
    any |= opt_bool(&f->options, "weak", &o.has_weak, &o.weak);
    if (opt_enum(&f->options, "ctype", &google__protobuf__field_options__ctype__descriptor,
                 &o.has_ctype, &e)) {
        o.ctype = e;
        any = true;
    }
    if (opt_enum(&f->options, "jstype", &google__protobuf__field_options__jstype__descriptor,
                 &o.has_jstype, &e)) {
        o.jstype = e;
        any = true;
    }
    if (any || has_meta(&f->options, "confluent.field_meta")) {
        fd->options = reg_proto_arena_alloc(t->a, sizeof o);
        *fd->options = o;
        set_meta(t, &f->options, "confluent.field_meta", &fd->options->base);
    }
    return fd;
}

/* ProtobufSchema.toMapEntry: Guava LOWER_UNDERSCORE -> UPPER_CAMEL when the
 * name has an underscore, then "Entry". */
static char *map_entry_name(struct to *t, const char *field)
{
    size_t n = strlen(field);
    char *r = reg_proto_arena_alloc(t->a, n + 6);
    size_t k = 0;
    if (!strchr(field, '_')) {
        memcpy(r, field, n);
        k = n;
    } else {
        bool up = true;
        for (size_t i = 0; i < n; i++) {
            if (field[i] == '_') {
                up = true;
                continue;
            }
            r[k++] = up ? (char)toupper((unsigned char)field[i]) : (char)tolower((unsigned char)field[i]);
            up = false;
        }
    }
    memcpy(r + k, "Entry", 6);
    return r;
}

static EnumDP *to_enum(struct to *t, const struct reg_proto_type *ty);

/* The reserved names of `rs` go to *names; the tags and ranges are returned
 * in order (*nums, in the arena) for the caller's own range type. */
static size_t split_reserved(struct to *t, struct reg_proto_ranges *const *rs, size_t n,
                             char ***names, size_t *n_names, const struct reg_proto_range ***nums)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < rs[i]->n; j++) {
            const struct reg_proto_range *r = &rs[i]->v[j];
            if (r->kind == REG_PROTO_NAME) {
                char *nm = reg_proto_arena_strndup(t->a, r->name.p, r->name.n);
                REG_PROTO_PUSH(t->a, *names, *n_names, nm);
            } else {
                REG_PROTO_PUSH(t->a, *nums, k, r);
            }
        }
    }
    return k;
}

static OneofDP *new_oneof(struct to *t, const char *name)
{
    OneofDP *od = reg_proto_arena_alloc(t->a, sizeof *od);
    google__protobuf__oneof_descriptor_proto__init(od);
    od->name = dup_(t, name);
    return od;
}

static void split_map(const char *type, char **k, char **v)
{
    const char *comma = strchr(type, ',');
    const char *ks = type + 4, *ke = comma;
    while (*ks == ' ')
        ks++;
    while (ke > ks && ke[-1] == ' ')
        ke--;
    const char *vs = comma + 1, *ve = type + strlen(type) - 1;
    while (*vs == ' ')
        vs++;
    while (ve > vs && ve[-1] == ' ')
        ve--;
    *k = fy_strndup(ks, (size_t)(ke - ks));
    *v = fy_strndup(vs, (size_t)(ve - vs));
}

static int32_t end_exclusive(int32_t end)
{
    return end >= REG_PROTO_MAX_TAG ? REG_PROTO_MAX_TAG + 1 : end + 1;
}

/* toDynamicMessage */
static MsgDP *to_message(struct to *t, const struct reg_proto_type *ty)
{
    const struct reg_proto_message *m = &ty->msg;
    MsgDP *md = reg_proto_arena_alloc(t->a, sizeof *md);
    google__protobuf__descriptor_proto__init(md);
    md->name = dup_(t, ty->name);
    for (size_t i = 0; i < m->nested.n; i++) {
        const struct reg_proto_type *n = m->nested.v[i];
        reg_proto_ctx_enter(t->ctx, n->name);
        if (n->is_enum) {
            EnumDP *e = to_enum(t, n);
            REG_PROTO_PUSH(t->a, md->enum_type, md->n_enum_type, e);
        } else {
            MsgDP *nm = to_message(t, n);
            REG_PROTO_PUSH(t->a, md->nested_type, md->n_nested_type, nm);
        }
        reg_proto_ctx_leave(t->ctx);
    }
    for (size_t i = 0; i < m->n_oneofs; i++) {
        const struct reg_proto_oneof *o = m->oneofs[i];
        int32_t idx = (int32_t)md->n_oneof_decl;
        OneofDP *od = new_oneof(t, o->name);
        REG_PROTO_PUSH(t->a, md->oneof_decl, md->n_oneof_decl, od);
        for (size_t j = 0; j < o->fields.n; j++) {
            FieldDP *fd = to_field(t, o->fields.v[j], o->fields.v[j]->type,
                                   GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_OPTIONAL,
                                   NULL);
            fd->has_oneof_index = 1;
            fd->oneof_index = idx;
            REG_PROTO_PUSH(t->a, md->field, md->n_field, fd);
        }
    }
    for (size_t i = 0; i < m->fields.n; i++) {
        const struct reg_proto_field *f = m->fields.v[i];
        const char *type = f->type;
        Google__Protobuf__FieldDescriptorProto__Label label = label_of(f->label);
        bool p3_optional = f->label == REG_PROTO_OPTIONAL && t->syntax == REG_PROTO_SYNTAX_3;
        size_t tn = strlen(type);
        if (tn > 5 && strncmp(type, "map<", 4) == 0 && type[tn - 1] == '>' && strchr(type, ',')) {
            char *k = NULL, *v = NULL;
            split_map(type, &k, &v);
            label = GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED;
            type = map_entry_name(t, f->name);
            MsgDP *entry = reg_proto_arena_alloc(t->a, sizeof *entry);
            google__protobuf__descriptor_proto__init(entry);
            entry->name = dup_(t, type);
            entry->options = reg_proto_arena_alloc(t->a, sizeof *entry->options);
            google__protobuf__message_options__init(entry->options);
            entry->options->has_map_entry = 1;
            entry->options->map_entry = 1;
            FieldDP *kf = new_field(t, "key", 1, k, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_OPTIONAL);
            FieldDP *vf = new_field(t, "value", 2, v, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_OPTIONAL);
            REG_PROTO_PUSH(t->a, entry->field, entry->n_field, kf);
            REG_PROTO_PUSH(t->a, entry->field, entry->n_field, vf);
            REG_PROTO_PUSH(t->a, md->nested_type, md->n_nested_type, entry);
            free(k);
            free(v);
        }
        FieldDP *fd = to_field(t, f, type, label, NULL);
        if (p3_optional) {
            /* a synthetic oneof, after the real ones */
            char *oname = reg_proto_arena_alloc(t->a, strlen(f->name) + 2);
            oname[0] = '_';
            memcpy(oname + 1, f->name, strlen(f->name) + 1);
            fd->has_oneof_index = 1;
            fd->oneof_index = (int32_t)md->n_oneof_decl;
            fd->has_proto3_optional = 1;
            fd->proto3_optional = 1;
            OneofDP *od = new_oneof(t, oname);
            REG_PROTO_PUSH(t->a, md->oneof_decl, md->n_oneof_decl, od);
        }
        REG_PROTO_PUSH(t->a, md->field, md->n_field, fd);
    }
    const struct reg_proto_range **nums = NULL;
    size_t n_nums = split_reserved(t, m->reserved, m->n_reserved, &md->reserved_name,
                                   &md->n_reserved_name, &nums);
    for (size_t i = 0; i < n_nums; i++) {
        {
            const struct reg_proto_range *r = nums[i];
            Google__Protobuf__DescriptorProto__ReservedRange *rr =
                reg_proto_arena_alloc(t->a, sizeof *rr);
            google__protobuf__descriptor_proto__reserved_range__init(rr);
            rr->has_start = rr->has_end = 1;
            rr->start = r->start;
            rr->end = r->kind == REG_PROTO_TAG ? r->start + 1 : end_exclusive(r->end);
            REG_PROTO_PUSH(t->a, md->reserved_range, md->n_reserved_range, rr);
        }
    }
    for (size_t i = 0; i < m->n_extensions; i++) {
        for (size_t j = 0; j < m->extensions[i]->n; j++) {
            const struct reg_proto_range *r = &m->extensions[i]->v[j];
            Google__Protobuf__DescriptorProto__ExtensionRange *er =
                reg_proto_arena_alloc(t->a, sizeof *er);
            google__protobuf__descriptor_proto__extension_range__init(er);
            er->has_start = er->has_end = 1;
            er->start = r->start;
            er->end = r->kind == REG_PROTO_TAG ? r->start + 1 : end_exclusive(r->end);
            REG_PROTO_PUSH(t->a, md->extension_range, md->n_extension_range, er);
        }
    }
    for (size_t i = 0; i < m->n_extends; i++) {
        const struct reg_proto_extend *e = m->extends[i];
        for (size_t j = 0; j < e->fields.n; j++) {
            FieldDP *fd = to_field(t, e->fields.v[j], e->fields.v[j]->type,
                                   label_of(e->fields.v[j]->label), e->name);
            REG_PROTO_PUSH(t->a, md->extension, md->n_extension, fd);
        }
    }
    Google__Protobuf__MessageOptions mo;
    google__protobuf__message_options__init(&mo);
    bool any = false;
    any |= opt_bool(&m->options, "no_standard_descriptor_accessor",
                    &mo.has_no_standard_descriptor_accessor, &mo.no_standard_descriptor_accessor);
    any |= opt_bool(&m->options, "deprecated", &mo.has_deprecated, &mo.deprecated);
    any |= opt_bool(&m->options, "map_entry", &mo.has_map_entry, &mo.map_entry);
    if (any || has_meta(&m->options, "confluent.message_meta")) {
        md->options = reg_proto_arena_alloc(t->a, sizeof mo);
        *md->options = mo;
        set_meta(t, &m->options, "confluent.message_meta", &md->options->base);
    }
    return md;
}

static EnumDP *to_enum(struct to *t, const struct reg_proto_type *ty)
{
    const struct reg_proto_enum *e = &ty->en;
    EnumDP *ed = reg_proto_arena_alloc(t->a, sizeof *ed);
    google__protobuf__enum_descriptor_proto__init(ed);
    ed->name = dup_(t, ty->name);
    for (size_t i = 0; i < e->n_constants; i++) {
        EnumValueDP *v = reg_proto_arena_alloc(t->a, sizeof *v);
        google__protobuf__enum_value_descriptor_proto__init(v);
        v->name = dup_(t, e->constants[i]->name);
        v->has_number = 1;
        v->number = e->constants[i]->tag;
        Google__Protobuf__EnumValueOptions vo;
        google__protobuf__enum_value_options__init(&vo);
        bool any = opt_bool(&e->constants[i]->options, "deprecated", &vo.has_deprecated,
                            &vo.deprecated);
        if (any || has_meta(&e->constants[i]->options, "confluent.enum_value_meta")) {
            v->options = reg_proto_arena_alloc(t->a, sizeof vo);
            *v->options = vo;
            set_meta(t, &e->constants[i]->options, "confluent.enum_value_meta", &v->options->base);
        }
        REG_PROTO_PUSH(t->a, ed->value, ed->n_value, v);
    }
    const struct reg_proto_range **nums = NULL;
    size_t n_nums = split_reserved(t, e->reserved, e->n_reserved, &ed->reserved_name,
                                   &ed->n_reserved_name, &nums);
    for (size_t i = 0; i < n_nums; i++) {
        {
            const struct reg_proto_range *r = nums[i];
            Google__Protobuf__EnumDescriptorProto__EnumReservedRange *rr =
                reg_proto_arena_alloc(t->a, sizeof *rr);
            google__protobuf__enum_descriptor_proto__enum_reserved_range__init(rr);
            rr->has_start = rr->has_end = 1;
            rr->start = r->start;
            rr->end = r->end; /* inclusive in enums */
            REG_PROTO_PUSH(t->a, ed->reserved_range, ed->n_reserved_range, rr);
        }
    }
    Google__Protobuf__EnumOptions eo;
    google__protobuf__enum_options__init(&eo);
    bool any = false;
    any |= opt_bool(&e->options, "allow_alias", &eo.has_allow_alias, &eo.allow_alias);
    any |= opt_bool(&e->options, "deprecated", &eo.has_deprecated, &eo.deprecated);
    if (any || has_meta(&e->options, "confluent.enum_meta")) {
        ed->options = reg_proto_arena_alloc(t->a, sizeof eo);
        *ed->options = eo;
        set_meta(t, &e->options, "confluent.enum_meta", &ed->options->base);
    }
    return ed;
}

static ServiceDP *to_service(struct to *t, const struct reg_proto_service *s)
{
    ServiceDP *sd = reg_proto_arena_alloc(t->a, sizeof *sd);
    google__protobuf__service_descriptor_proto__init(sd);
    sd->name = dup_(t, s->name);
    for (size_t i = 0; i < s->n_rpcs; i++) {
        const struct reg_proto_rpc *r = s->rpcs[i];
        MethodDP *m = reg_proto_arena_alloc(t->a, sizeof *m);
        google__protobuf__method_descriptor_proto__init(m);
        m->name = dup_(t, r->name);
        m->input_type = dup_(t, r->request_type);
        m->output_type = dup_(t, r->response_type);
        if (r->request_streaming) {
            m->has_client_streaming = 1;
            m->client_streaming = 1;
        }
        if (r->response_streaming) {
            m->has_server_streaming = 1;
            m->server_streaming = 1;
        }
        Google__Protobuf__MethodOptions mo;
        google__protobuf__method_options__init(&mo);
        bool any = opt_bool(&r->options, "deprecated", &mo.has_deprecated, &mo.deprecated);
        int e = 0;
        if (opt_enum(&r->options, "idempotency_level",
                     &google__protobuf__method_options__idempotency_level__descriptor,
                     &mo.has_idempotency_level, &e)) {
            mo.idempotency_level = e;
            any = true;
        }
        if (any) {
            m->options = reg_proto_arena_alloc(t->a, sizeof mo);
            *m->options = mo;
        }
        REG_PROTO_PUSH(t->a, sd->method, sd->n_method, m);
    }
    Google__Protobuf__ServiceOptions so;
    google__protobuf__service_options__init(&so);
    if (opt_bool(&s->options, "deprecated", &so.has_deprecated, &so.deprecated)) {
        sd->options = reg_proto_arena_alloc(t->a, sizeof so);
        *sd->options = so;
    }
    return sd;
}

static void file_options(struct to *t, const struct reg_proto_options *o, FileDP *fd)
{
    Google__Protobuf__FileOptions fo;
    google__protobuf__file_options__init(&fo);
    bool any = false;
    int e = 0;
#define STR(field) if ((fo.field = opt_str(t, o, #field))) any = true
#define BOOL(field) any |= opt_bool(o, #field, &fo.has_##field, &fo.field)
    STR(java_package);
    STR(java_outer_classname);
    BOOL(java_multiple_files);
    BOOL(java_string_check_utf8);
    if (opt_enum(o, "optimize_for", &google__protobuf__file_options__optimize_mode__descriptor,
                 &fo.has_optimize_for, &e)) {
        fo.optimize_for = e;
        any = true;
    }
    STR(go_package);
    BOOL(cc_generic_services);
    BOOL(java_generic_services);
    BOOL(py_generic_services);
    BOOL(deprecated);
    BOOL(cc_enable_arenas);
    STR(objc_class_prefix);
    STR(csharp_namespace);
    STR(swift_prefix);
    STR(php_class_prefix);
    STR(php_namespace);
    STR(php_metadata_namespace);
    STR(ruby_package);
#undef STR
#undef BOOL
    if (any || has_meta(o, "confluent.file_meta")) {
        fd->options = reg_proto_arena_alloc(t->a, sizeof fo);
        *fd->options = fo;
        set_meta(t, o, "confluent.file_meta", &fd->options->base);
    }
}

static bool dep_known(const char *name, const struct reg_proto_dep *deps, size_t n_deps)
{
    for (size_t i = 0; i < n_deps; i++)
        if (strcmp(deps[i].name, name) == 0)
            return true;
    size_t n = 0;
    const struct reg_proto_dep *k = reg_proto_known_deps(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(k[i].name, name) == 0)
            return true;
    return false;
}

int reg_proto_to_descriptor(const struct reg_proto_file *file, const char *name,
                            const struct reg_proto_dep *deps, size_t n_deps, uint8_t **out,
                            size_t *len, struct fy_err *err)
{
    (void)err;
    struct to t = {.a = reg_proto_arena_new(), .syntax = file->syntax};
    t.ctx = reg_proto_ctx_new(file, deps, n_deps);
    FileDP fd;
    google__protobuf__file_descriptor_proto__init(&fd);
    fd.name = dup_(&t, name);
    fd.package = dup_(&t, file->package);
    if (file->syntax == REG_PROTO_SYNTAX_3)
        fd.syntax = dup_(&t, "proto3");
    else if (file->syntax == REG_PROTO_SYNTAX_2)
        fd.syntax = dup_(&t, "proto2");
    for (size_t i = 0; i < file->types.n; i++) {
        const struct reg_proto_type *ty = file->types.v[i];
        reg_proto_ctx_enter(t.ctx, ty->name);
        if (ty->is_enum) {
            EnumDP *e = to_enum(&t, ty);
            REG_PROTO_PUSH(t.a, fd.enum_type, fd.n_enum_type, e);
        } else {
            MsgDP *m = to_message(&t, ty);
            REG_PROTO_PUSH(t.a, fd.message_type, fd.n_message_type, m);
        }
        reg_proto_ctx_leave(t.ctx);
    }
    for (size_t i = 0; i < file->n_services; i++) {
        ServiceDP *s = to_service(&t, file->services[i]);
        REG_PROTO_PUSH(t.a, fd.service, fd.n_service, s);
    }
    for (size_t i = 0; i < file->n_extends; i++) {
        const struct reg_proto_extend *e = file->extends[i];
        for (size_t j = 0; j < e->fields.n; j++) {
            FieldDP *f = to_field(&t, e->fields.v[j], e->fields.v[j]->type,
                                  label_of(e->fields.v[j]->label), e->name);
            REG_PROTO_PUSH(t.a, fd.extension, fd.n_extension, f);
        }
    }
    for (size_t i = 0; i < file->imports.n; i++) {
        if (!dep_known(file->imports.v[i], deps, n_deps))
            continue;
        char *d = dup_(&t, file->imports.v[i]);
        REG_PROTO_PUSH(t.a, fd.dependency, fd.n_dependency, d);
    }
    for (size_t i = 0; i < file->public_imports.n; i++) {
        if (!dep_known(file->public_imports.v[i], deps, n_deps))
            continue;
        int32_t idx = (int32_t)fd.n_dependency;
        char *d = dup_(&t, file->public_imports.v[i]);
        REG_PROTO_PUSH(t.a, fd.dependency, fd.n_dependency, d);
        REG_PROTO_PUSH(t.a, fd.public_dependency, fd.n_public_dependency, idx);
    }
    file_options(&t, &file->options, &fd);
    *len = google__protobuf__file_descriptor_proto__get_packed_size(&fd);
    *out = fy_malloc(*len ? *len : 1);
    google__protobuf__file_descriptor_proto__pack(&fd, *out);
    reg_proto_ctx_free(t.ctx);
    reg_proto_arena_free(t.a);
    return 0;
}

int reg_proto_serialized(const struct reg_proto_file *file, const struct reg_proto_dep *deps,
                         size_t n_deps, char **out, struct fy_err *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    if (reg_proto_to_descriptor(file, "default", deps, n_deps, &buf, &len, err) != 0)
        return -1;
    *out = reg_proto_base64(buf, len);
    free(buf);
    return 0;
}

/* ---- descriptor -> model ---- */

/* Wire-format scan before protobuf-c unpacks (it recurses per nested
 * message): the nesting of DescriptorProto.nested_type (3) under
 * FileDescriptorProto.message_type (4) must stay within max_depth. Other
 * sub-messages of descriptor.proto do not nest into themselves. */
static int varint(const uint8_t *b, size_t n, size_t *pos, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pos >= n)
            return -1;
        uint8_t c = b[(*pos)++];
        *v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return 0;
    }
    return -1;
}

static int check_nesting(const uint8_t *b, size_t n, size_t max_depth)
{
    struct frame {
        size_t end;
        bool is_message; /* a DescriptorProto (else the file) */
    };
    struct frame *st = fy_malloc((max_depth + 2) * sizeof *st);
    size_t depth = 0, pos = 0;
    int rc = -1;
    st[0] = (struct frame){n, false};
    while (true) {
        if (pos == st[depth].end) {
            if (depth == 0) {
                rc = 0;
                break;
            }
            depth--;
            continue;
        }
        uint64_t key, v;
        if (varint(b, st[depth].end, &pos, &key) < 0)
            break;
        unsigned wt = key & 7;
        uint64_t field = key >> 3;
        if (wt == 0) {
            if (varint(b, st[depth].end, &pos, &v) < 0)
                break;
        } else if (wt == 1 || wt == 5) {
            size_t w = wt == 1 ? 8 : 4;
            if (st[depth].end - pos < w)
                break;
            pos += w;
        } else if (wt == 2) {
            if (varint(b, st[depth].end, &pos, &v) < 0 || v > st[depth].end - pos)
                break;
            bool sub = st[depth].is_message ? field == 3 : field == 4;
            if (sub) {
                if (depth + 1 > max_depth) {
                    rc = -2;
                    break;
                }
                st[++depth] = (struct frame){pos + (size_t)v, true};
            } else {
                pos += (size_t)v;
            }
        } else {
            break; /* groups (3, 4) do not occur in descriptors */
        }
    }
    free(st);
    return rc;
}

struct from {
    struct reg_proto_arena *a;
    const FileDP *file;
    bool proto3;
};

static const char *fdup(struct from *f, const char *s)
{
    return s ? reg_proto_arena_strndup(f->a, s, strlen(s)) : NULL;
}

static void add_opt(struct from *f, struct reg_proto_options *o, const char *name,
                    enum reg_proto_kind kind, const char *text)
{
    struct reg_proto_option *op = reg_proto_arena_alloc(f->a, sizeof *op);
    op->name = name;
    op->value = reg_proto_arena_alloc(f->a, sizeof *op->value);
    op->value->kind = kind;
    op->value->str.p = fdup(f, text);
    op->value->str.n = strlen(text);
    REG_PROTO_PUSH(f->a, o->v, o->n, op);
}

static void add_bool(struct from *f, struct reg_proto_options *o, const char *name,
                     protobuf_c_boolean has, protobuf_c_boolean v)
{
    if (has)
        add_opt(f, o, name, REG_PROTO_BOOLEAN, v ? "true" : "false");
}

static void add_str(struct from *f, struct reg_proto_options *o, const char *name, const char *v)
{
    if (v)
        add_opt(f, o, name, REG_PROTO_STRING, v);
}

static void add_enum(struct from *f, struct reg_proto_options *o, const char *name,
                     protobuf_c_boolean has, const ProtobufCEnumDescriptor *d, int v)
{
    if (!has)
        return;
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(d, v);
    if (ev)
        add_opt(f, o, name, REG_PROTO_ENUM, ev->name);
}

/* toOption(name, Meta): the meta of an options message's unknown field 1088
 * as Confluent shows it; params of "precision" and "scale" put the value first. */
static int r_varint(const uint8_t *b, size_t n, size_t *pos, uint64_t *v)
{
    return varint(b, n, pos, v);
}

static bool r_len(const uint8_t *b, size_t n, size_t *pos, const uint8_t **d, size_t *dl)
{
    uint64_t l;
    if (r_varint(b, n, pos, &l) < 0 || l > n - *pos)
        return false;
    *d = b + *pos;
    *dl = (size_t)l;
    *pos += (size_t)l;
    return true;
}

/* skip a field of wire type `wt`; false when malformed */
static bool r_skip(const uint8_t *b, size_t n, size_t *pos, unsigned wt)
{
    uint64_t v;
    const uint8_t *d;
    size_t dl;
    switch (wt) {
    case 0: return r_varint(b, n, pos, &v) == 0;
    case 1: if (n - *pos < 8) return false; *pos += 8; return true;
    case 5: if (n - *pos < 4) return false; *pos += 4; return true;
    case 2: return r_len(b, n, pos, &d, &dl);
    default: return false;
    }
}

static struct reg_proto_value *text_value(struct from *f, const uint8_t *d, size_t n)
{
    struct reg_proto_value *v = reg_proto_arena_alloc(f->a, sizeof *v);
    v->kind = REG_PROTO_STRING;
    v->str.p = reg_proto_arena_strndup(f->a, (const char *)d, n);
    v->str.n = n;
    return v;
}

static struct reg_proto_value *new_map(struct from *f)
{
    struct reg_proto_value *v = reg_proto_arena_alloc(f->a, sizeof *v);
    v->kind = REG_PROTO_MAP;
    return v;
}

static void map_add(struct from *f, struct reg_proto_value *m, const char *key,
                    struct reg_proto_value *v)
{
    struct reg_proto_entry e = {key, v};
    REG_PROTO_PUSH(f->a, m->entries, m->n_entries, e);
}

/* a {k1: "..", k2: ".."} map of a message made of string fields 1..n */
static struct reg_proto_value *string_fields(struct from *f, const uint8_t *b, size_t n,
                                             const char *const *names, unsigned count,
                                             const char **vals, size_t *lens)
{
    size_t pos = 0;
    for (unsigned i = 0; i < count; i++)
        vals[i] = NULL;
    while (pos < n) {
        uint64_t key;
        if (r_varint(b, n, &pos, &key) < 0)
            return NULL;
        unsigned fld = (unsigned)(key >> 3), wt = key & 7;
        if (wt == 2 && fld >= 1 && fld <= count) {
            const uint8_t *d;
            size_t dl;
            if (!r_len(b, n, &pos, &d, &dl))
                return NULL;
            vals[fld - 1] = (const char *)d;
            lens[fld - 1] = dl;
        } else if (!r_skip(b, n, &pos, wt)) {
            return NULL;
        }
    }
    (void)names;
    return new_map(f);
}

static void add_meta(struct from *f, const ProtobufCMessage *opts, const char *name,
                     struct reg_proto_options *out)
{
    if (!opts)
        return;
    const ProtobufCMessageUnknownField *u = NULL;
    for (unsigned i = 0; i < opts->n_unknown_fields; i++)
        if (opts->unknown_fields[i].tag == META_FIELD &&
            opts->unknown_fields[i].wire_type == PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED)
            u = &opts->unknown_fields[i]; /* the last occurrence, as a parser merging */
    if (!u)
        return;
    /* the data starts with its own length prefix (protobuf-c) */
    const uint8_t *b = NULL;
    size_t n = 0, pos = 0;
    if (!r_len(u->data, u->len, &pos, &b, &n))
        return;
    pos = 0;
    struct reg_proto_value *doc = NULL;
    struct reg_proto_value *params = NULL, *tags = NULL, *rules = NULL;
    while (pos < n) {
        uint64_t key;
        if (r_varint(b, n, &pos, &key) < 0)
            return;
        unsigned fld = (unsigned)(key >> 3), wt = key & 7;
        if (wt != 2 || fld < 1 || fld > 4) {
            if (!r_skip(b, n, &pos, wt))
                return;
            continue;
        }
        const uint8_t *d;
        size_t dl;
        if (!r_len(b, n, &pos, &d, &dl))
            return;
        if (fld == 1) {
            doc = dl ? text_value(f, d, dl) : NULL;
        } else if (fld == 3) {
            if (!tags) {
                tags = reg_proto_arena_alloc(f->a, sizeof *tags);
                tags->kind = REG_PROTO_LIST;
            }
            struct reg_proto_value *tv = text_value(f, d, dl);
            REG_PROTO_PUSH(f->a, tags->items, tags->n_items, tv);
        } else {
            static const char *const pnames[] = {"key", "value"};
            static const char *const rnames[] = {"name", "doc", "expr", "sql"};
            const char *vals[4];
            size_t lens[4] = {0};
            unsigned count = fld == 2 ? 2 : 4;
            struct reg_proto_value *m =
                string_fields(f, d, dl, fld == 2 ? pnames : rnames, count, vals, lens);
            if (!m)
                return;
            if (fld == 2) {
                struct reg_proto_value *k = text_value(f, (const uint8_t *)(vals[0] ? vals[0] : ""), vals[0] ? lens[0] : 0);
                struct reg_proto_value *v = text_value(f, (const uint8_t *)(vals[1] ? vals[1] : ""), vals[1] ? lens[1] : 0);
                bool value_first = strcmp(k->str.p, "precision") == 0 || strcmp(k->str.p, "scale") == 0;
                if (value_first) {
                    map_add(f, m, "value", v);
                    map_add(f, m, "key", k);
                } else {
                    map_add(f, m, "key", k);
                    map_add(f, m, "value", v);
                }
                if (!params) {
                    params = reg_proto_arena_alloc(f->a, sizeof *params);
                    params->kind = REG_PROTO_LIST;
                }
                /* a map: a later entry of the same key replaces the earlier */
                size_t j = 0;
                while (j < params->n_items &&
                       strcmp(entry_get_from(params->items[j], "key"), k->str.p) != 0)
                    j++;
                if (j < params->n_items)
                    params->items[j] = m;
                else
                    REG_PROTO_PUSH(f->a, params->items, params->n_items, m);
            } else {
                for (unsigned k = 0; k < 4; k++)
                    if (vals[k] && lens[k])
                        map_add(f, m, rnames[k], text_value(f, (const uint8_t *)vals[k], lens[k]));
                if (m->n_entries) {
                    if (!rules) {
                        rules = reg_proto_arena_alloc(f->a, sizeof *rules);
                        rules->kind = REG_PROTO_LIST;
                    }
                    REG_PROTO_PUSH(f->a, rules->items, rules->n_items, m);
                }
            }
        }
    }
    struct reg_proto_value *map = new_map(f);
    if (doc)
        map_add(f, map, "doc", doc);
    if (params)
        map_add(f, map, "params", params);
    if (tags)
        map_add(f, map, "tags", tags);
    if (rules)
        map_add(f, map, "rules", rules);
    if (!map->n_entries)
        return;
    struct reg_proto_option *op = reg_proto_arena_alloc(f->a, sizeof *op);
    op->name = name;
    op->parenthesized = true;
    op->value = map;
    REG_PROTO_PUSH(f->a, out->v, out->n, op);
}

static const char *type_word(struct from *f, const FieldDP *fd)
{
    if (fd->type_name)
        return fdup(f, fd->type_name);
    for (size_t i = 0; i < sizeof scalars / sizeof *scalars; i++)
        if (fd->has_type && scalars[i].type == fd->type)
            return scalars[i].name;
    return "int32";
}

/* toField */
static struct reg_proto_field *from_field(struct from *f, const FieldDP *fd, bool in_oneof)
{
    struct reg_proto_field *x = reg_proto_arena_alloc(f->a, sizeof *x);
    x->name = fdup(f, fd->name ? fd->name : "");
    x->tag = fd->number;
    x->type = type_word(f, fd);
    if (!in_oneof) {
        if (fd->proto3_optional)
            x->label = REG_PROTO_OPTIONAL;
        else if (fd->label == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED)
            x->label = REG_PROTO_REPEATED;
        else if (!f->proto3)
            x->label = fd->label == GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REQUIRED
                           ? REG_PROTO_REQUIRED
                           : REG_PROTO_OPTIONAL;
    }
    if (fd->json_name)
        x->json_name = fdup(f, fd->json_name);
    if (!f->proto3 && fd->default_value)
        x->default_value = fdup(f, fd->default_value);
    const Google__Protobuf__FieldOptions *o = fd->options;
    if (o) {
        add_enum(f, &x->options, "ctype", o->has_ctype,
                 &google__protobuf__field_options__ctype__descriptor, o->ctype);
        add_bool(f, &x->options, "packed", o->has_packed, o->packed);
        add_enum(f, &x->options, "jstype", o->has_jstype,
                 &google__protobuf__field_options__jstype__descriptor, o->jstype);
        add_bool(f, &x->options, "deprecated", o->has_deprecated, o->deprecated);
        add_meta(f, &o->base, "confluent.field_meta", &x->options);
    }
    return x;
}

static void from_extends(struct from *f, FieldDP *const *ext, size_t n,
                         struct reg_proto_extend ***out, size_t *n_out)
{
    for (size_t i = 0; i < n; i++) {
        const char *extendee = ext[i]->extendee ? ext[i]->extendee : "";
        struct reg_proto_extend *e = NULL;
        for (size_t j = 0; j < *n_out && !e; j++)
            if (strcmp((*out)[j]->name, extendee) == 0)
                e = (*out)[j];
        if (!e) {
            e = reg_proto_arena_alloc(f->a, sizeof *e);
            e->name = fdup(f, extendee);
            REG_PROTO_PUSH(f->a, *out, *n_out, e);
        }
        struct reg_proto_field *x = from_field(f, ext[i], false);
        REG_PROTO_PUSH(f->a, e->fields.v, e->fields.n, x);
    }
}

static struct reg_proto_ranges *one_range(struct from *f, enum reg_proto_range_kind kind,
                                          int32_t start, int32_t end, const char *name)
{
    struct reg_proto_ranges *r = reg_proto_arena_alloc(f->a, sizeof *r);
    struct reg_proto_range v = {.kind = kind, .start = start, .end = end};
    if (kind == REG_PROTO_NAME) {
        v.name.p = fdup(f, name);
        v.name.n = strlen(name);
    } else if (start == end) {
        v.kind = REG_PROTO_TAG;
    }
    REG_PROTO_PUSH(f->a, r->v, r->n, v);
    return r;
}

static struct reg_proto_type *from_enum(struct from *f, const EnumDP *ed)
{
    struct reg_proto_type *t = reg_proto_arena_alloc(f->a, sizeof *t);
    t->is_enum = true;
    t->name = fdup(f, ed->name ? ed->name : "");
    struct reg_proto_enum *e = &t->en;
    for (size_t i = 0; i < ed->n_value; i++) {
        struct reg_proto_enum_constant *c = reg_proto_arena_alloc(f->a, sizeof *c);
        c->name = fdup(f, ed->value[i]->name ? ed->value[i]->name : "");
        c->tag = ed->value[i]->number;
        if (ed->value[i]->options) {
            add_bool(f, &c->options, "deprecated", ed->value[i]->options->has_deprecated,
                     ed->value[i]->options->deprecated);
            add_meta(f, &ed->value[i]->options->base, "confluent.enum_value_meta", &c->options);
        }
        REG_PROTO_PUSH(f->a, e->constants, e->n_constants, c);
    }
    for (size_t i = 0; i < ed->n_reserved_range; i++) {
        struct reg_proto_ranges *r = one_range(f, REG_PROTO_RANGE, ed->reserved_range[i]->start,
                                               ed->reserved_range[i]->end, NULL);
        REG_PROTO_PUSH(f->a, e->reserved, e->n_reserved, r);
    }
    for (size_t i = 0; i < ed->n_reserved_name; i++) {
        struct reg_proto_ranges *r = one_range(f, REG_PROTO_NAME, 0, 0, ed->reserved_name[i]);
        REG_PROTO_PUSH(f->a, e->reserved, e->n_reserved, r);
    }
    if (ed->options) {
        add_bool(f, &e->options, "allow_alias", ed->options->has_allow_alias,
                 ed->options->allow_alias);
        add_bool(f, &e->options, "deprecated", ed->options->has_deprecated, ed->options->deprecated);
        add_meta(f, &ed->options->base, "confluent.enum_meta", &e->options);
    }
    return t;
}

/* toMessage; recursion bounded by check_nesting */
static struct reg_proto_type *from_message(struct from *f, const MsgDP *md)
{
    struct reg_proto_type *t = reg_proto_arena_alloc(f->a, sizeof *t);
    t->name = fdup(f, md->name ? md->name : "");
    struct reg_proto_message *m = &t->msg;
    struct reg_proto_oneof **oneofs = NULL;
    size_t n_oneofs = 0;
    for (size_t i = 0; i < md->n_oneof_decl; i++) {
        struct reg_proto_oneof *o = reg_proto_arena_alloc(f->a, sizeof *o);
        o->name = fdup(f, md->oneof_decl[i]->name ? md->oneof_decl[i]->name : "");
        REG_PROTO_PUSH(f->a, oneofs, n_oneofs, o);
    }
    for (size_t i = 0; i < md->n_field; i++) {
        const FieldDP *fd = md->field[i];
        if (fd->has_oneof_index && !fd->proto3_optional && fd->oneof_index >= 0 &&
            (size_t)fd->oneof_index < n_oneofs) {
            struct reg_proto_oneof *o = oneofs[fd->oneof_index];
            struct reg_proto_field *x = from_field(f, fd, true);
            REG_PROTO_PUSH(f->a, o->fields.v, o->fields.n, x);
        } else {
            struct reg_proto_field *x = from_field(f, fd, false);
            REG_PROTO_PUSH(f->a, m->fields.v, m->fields.n, x);
        }
    }
    for (size_t i = 0; i < md->n_nested_type; i++) {
        struct reg_proto_type *n = from_message(f, md->nested_type[i]);
        REG_PROTO_PUSH(f->a, m->nested.v, m->nested.n, n);
    }
    for (size_t i = 0; i < md->n_enum_type; i++) {
        struct reg_proto_type *n = from_enum(f, md->enum_type[i]);
        REG_PROTO_PUSH(f->a, m->nested.v, m->nested.n, n);
    }
    for (size_t i = 0; i < md->n_reserved_range; i++) {
        struct reg_proto_ranges *r = one_range(f, REG_PROTO_RANGE, md->reserved_range[i]->start,
                                               md->reserved_range[i]->end - 1, NULL);
        REG_PROTO_PUSH(f->a, m->reserved, m->n_reserved, r);
    }
    for (size_t i = 0; i < md->n_reserved_name; i++) {
        struct reg_proto_ranges *r = one_range(f, REG_PROTO_NAME, 0, 0, md->reserved_name[i]);
        REG_PROTO_PUSH(f->a, m->reserved, m->n_reserved, r);
    }
    for (size_t i = 0; i < md->n_extension_range; i++) {
        struct reg_proto_ranges *r = one_range(f, REG_PROTO_RANGE, md->extension_range[i]->start,
                                               md->extension_range[i]->end - 1, NULL);
        REG_PROTO_PUSH(f->a, m->extensions, m->n_extensions, r);
    }
    if (md->options) {
        add_bool(f, &m->options, "no_standard_descriptor_accessor",
                 md->options->has_no_standard_descriptor_accessor,
                 md->options->no_standard_descriptor_accessor);
        add_bool(f, &m->options, "deprecated", md->options->has_deprecated,
                 md->options->deprecated);
        add_bool(f, &m->options, "map_entry", md->options->has_map_entry, md->options->map_entry);
        add_meta(f, &md->options->base, "confluent.message_meta", &m->options);
    }
    from_extends(f, md->extension, md->n_extension, &m->extends, &m->n_extends);
    for (size_t i = 0; i < n_oneofs; i++)
        if (oneofs[i]->fields.n)
            REG_PROTO_PUSH(f->a, m->oneofs, m->n_oneofs, oneofs[i]);
    return t;
}

static struct reg_proto_service *from_service(struct from *f, const ServiceDP *sd)
{
    struct reg_proto_service *s = reg_proto_arena_alloc(f->a, sizeof *s);
    s->name = fdup(f, sd->name ? sd->name : "");
    for (size_t i = 0; i < sd->n_method; i++) {
        const MethodDP *md = sd->method[i];
        struct reg_proto_rpc *r = reg_proto_arena_alloc(f->a, sizeof *r);
        r->name = fdup(f, md->name ? md->name : "");
        r->request_type = fdup(f, md->input_type ? md->input_type : "");
        r->response_type = fdup(f, md->output_type ? md->output_type : "");
        r->request_streaming = md->client_streaming;
        r->response_streaming = md->server_streaming;
        if (md->options) {
            add_bool(f, &r->options, "deprecated", md->options->has_deprecated,
                     md->options->deprecated);
            add_enum(f, &r->options, "idempotency_level", md->options->has_idempotency_level,
                     &google__protobuf__method_options__idempotency_level__descriptor,
                     md->options->idempotency_level);
        }
        REG_PROTO_PUSH(f->a, s->rpcs, s->n_rpcs, r);
    }
    if (sd->options)
        add_bool(f, &s->options, "deprecated", sd->options->has_deprecated, sd->options->deprecated);
    return s;
}

static void from_file_options(struct from *f, const Google__Protobuf__FileOptions *o,
                              struct reg_proto_options *out)
{
    if (!o)
        return;
    /* ProtobufSchema.toProtoFile's order */
    add_str(f, out, "java_package", o->java_package);
    add_str(f, out, "java_outer_classname", o->java_outer_classname);
    add_bool(f, out, "java_multiple_files", o->has_java_multiple_files, o->java_multiple_files);
    add_bool(f, out, "java_string_check_utf8", o->has_java_string_check_utf8,
             o->java_string_check_utf8);
    add_enum(f, out, "optimize_for", o->has_optimize_for,
             &google__protobuf__file_options__optimize_mode__descriptor, o->optimize_for);
    add_str(f, out, "go_package", o->go_package);
    add_bool(f, out, "cc_generic_services", o->has_cc_generic_services, o->cc_generic_services);
    add_bool(f, out, "java_generic_services", o->has_java_generic_services,
             o->java_generic_services);
    add_bool(f, out, "py_generic_services", o->has_py_generic_services, o->py_generic_services);
    add_bool(f, out, "deprecated", o->has_deprecated, o->deprecated);
    add_bool(f, out, "cc_enable_arenas", o->has_cc_enable_arenas, o->cc_enable_arenas);
    add_str(f, out, "objc_class_prefix", o->objc_class_prefix);
    add_str(f, out, "csharp_namespace", o->csharp_namespace);
    add_str(f, out, "swift_prefix", o->swift_prefix);
    add_str(f, out, "php_class_prefix", o->php_class_prefix);
    add_str(f, out, "php_namespace", o->php_namespace);
    add_str(f, out, "php_metadata_namespace", o->php_metadata_namespace);
    add_str(f, out, "ruby_package", o->ruby_package);
    add_meta(f, &o->base, "confluent.file_meta", out);
}

int reg_proto_from_descriptor(const uint8_t *buf, size_t len, const struct reg_proto_limits *limits,
                              struct reg_proto_file **out, struct fy_err *err)
{
    size_t max_depth = limits && limits->max_depth ? limits->max_depth : REG_PROTO_DEFAULT_DEPTH;
    int c = check_nesting(buf, len, max_depth);
    if (c == -2)
        return fy_err_set(err, REG_E_INVALID_SCHEMA,
                          "descriptor nests messages deeper than %zu (ferry.schema.max.depth)",
                          max_depth);
    if (c < 0)
        return fy_err_set(err, REG_E_INVALID_SCHEMA, "Invalid FileDescriptorProto");
    FileDP *fd = google__protobuf__file_descriptor_proto__unpack(NULL, len, buf);
    if (!fd)
        return fy_err_set(err, REG_E_INVALID_SCHEMA, "Invalid FileDescriptorProto");
    struct reg_proto_file *file = reg_proto_file_new();
    struct from f = {.a = file->arena, .file = fd,
                     .proto3 = fd->syntax && strcmp(fd->syntax, "proto3") == 0};
    if (fd->package && fd->package[0])
        file->package = fdup(&f, fd->package);
    if (fd->syntax && strcmp(fd->syntax, "proto2") == 0)
        file->syntax = REG_PROTO_SYNTAX_2;
    else if (f.proto3)
        file->syntax = REG_PROTO_SYNTAX_3;
    for (size_t i = 0; i < fd->n_message_type; i++) {
        struct reg_proto_type *t = from_message(&f, fd->message_type[i]);
        REG_PROTO_PUSH(f.a, file->types.v, file->types.n, t);
    }
    for (size_t i = 0; i < fd->n_enum_type; i++) {
        struct reg_proto_type *t = from_enum(&f, fd->enum_type[i]);
        REG_PROTO_PUSH(f.a, file->types.v, file->types.n, t);
    }
    for (size_t i = 0; i < fd->n_service; i++) {
        struct reg_proto_service *s = from_service(&f, fd->service[i]);
        REG_PROTO_PUSH(f.a, file->services, file->n_services, s);
    }
    for (size_t i = 0; i < fd->n_dependency; i++) {
        bool pub = false, weak = false;
        for (size_t j = 0; j < fd->n_public_dependency; j++)
            pub |= fd->public_dependency[j] == (int32_t)i;
        for (size_t j = 0; j < fd->n_weak_dependency; j++)
            weak |= fd->weak_dependency[j] == (int32_t)i;
        const char *d = fdup(&f, fd->dependency[i]);
        struct reg_proto_strs *list = pub    ? &file->public_imports
                                      : weak ? &file->weak_imports
                                             : &file->imports;
        REG_PROTO_PUSH(f.a, list->v, list->n, d);
    }
    from_file_options(&f, fd->options, &file->options);
    from_extends(&f, fd->extension, fd->n_extension, &file->extends, &file->n_extends);
    google__protobuf__file_descriptor_proto__free_unpacked(fd, NULL);
    *out = file;
    return 0;
}

int reg_proto_parse_schema(const char *text, size_t len, const struct reg_proto_limits *limits,
                           struct reg_proto_file **out, struct fy_err *err)
{
    struct fy_err perr = {0};
    if (reg_proto_parse(text, len, limits, out, &perr) == 0)
        return 0;
    uint8_t *bytes = NULL;
    size_t n = 0;
    int rc = -1;
    if (reg_proto_unbase64(text, len, &bytes, &n) == 0 &&
        reg_proto_from_descriptor(bytes, n, limits, out, NULL) == 0)
        rc = 0;
    else
        fy_err_set(err, REG_E_INVALID_SCHEMA, "Could not parse Protobuf - %s", perr.msg);
    free(bytes);
    fy_err_destroy(&perr);
    return rc;
}
