/* SPDX-License-Identifier: Apache-2.0
 * reg_schema_proto: Protobuf behind the schema-type seam (reg_schema_type.h),
 * Confluent's ProtobufSchema: the model is the parsed file (text, or a
 * base64 FileDescriptorProto) plus its references as `reg_proto_dep`s (the
 * import name -> file, every one transitively, as Confluent's
 * `dependencies`); the stored text is canonicalString(); validate() runs
 * normalize() (an unresolvable type is 42201); formats "serialized" and
 * "ignore_extensions"; compatibility is reg_proto_diff (SchemaDiff). */
#include "registry/reg_schema_type.h"

#include "common/fy_alloc.h"
#include "registry/reg_avro.h"
#include "registry/reg_proto.h"
#include "registry/reg_proto_desc.h"
#include "registry/reg_proto_diff.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct proto_sm {
    struct reg_sm base; /* first: a reg_sm * is a proto_sm * */
    struct reg_proto_file *file;
    char *canonical;    /* canonicalString(), made at parse (it can fail) */
    struct reg_proto_dep *deps;
    struct reg_proto_diff_ref *refs;   /* per dependency: where it came from */
    struct reg_proto_file **dep_files; /* owned */
    char **dep_names;                  /* owned */
    char **dep_subjects;               /* owned */
    size_t n_deps, cap_deps;
    size_t bytes;                      /* the texts' length, for the footprint */
    /* formattedString("serialized"), made by the first read that asks and kept:
     * a memo of an immutable model (set once with compare-and-swap, so any
     * thread may read the model while another fills it) */
    _Atomic(char *) serialized;
};

static struct proto_sm *pm(struct reg_sm *m)
{
    return (struct proto_sm *)m;
}

static const struct proto_sm *cpm(const struct reg_sm *m)
{
    return (const struct proto_sm *)m;
}

/* ferry.schema.max.depth / .max.bytes (kept in reg_avro's limits, which
 * `ferry serve` sets from those settings for every type). */
static struct reg_proto_limits limits(void)
{
    const struct reg_avro_limits *l = reg_avro_get_limits();
    return (struct reg_proto_limits){.max_depth = l->max_depth, .max_bytes = l->max_bytes};
}

static struct reg_sm *proto_new(void)
{
    struct proto_sm *p = fy_calloc(1, sizeof *p);
    p->base.type = &reg_schema_proto;
    return &p->base;
}

static void proto_free(struct reg_sm *m)
{
    if (!m)
        return;
    struct proto_sm *p = pm(m);
    reg_proto_file_free(p->file);
    for (size_t i = 0; i < p->n_deps; i++) {
        reg_proto_file_free(p->dep_files[i]);
        free(p->dep_names[i]);
        free(p->dep_subjects[i]);
    }
    free(p->deps);
    free(p->refs);
    free(p->dep_subjects);
    free(p->dep_files);
    free(p->dep_names);
    free(p->canonical);
    free(atomic_load(&p->serialized));
    free(p);
}

static int parse_text(const char *text, struct reg_proto_file **out, struct fy_err *err)
{
    struct reg_proto_limits l = limits();
    size_t len = strlen(text);
    if (len > l.max_bytes)
        return fy_err_set(err, REG_E_INVALID_SCHEMA,
                          "Schema text is %zu bytes, more than ferry.schema.max.bytes (%zu)",
                          len, l.max_bytes);
    return reg_proto_parse_schema(text, len, &l, out, err);
}

static int proto_add_reference(struct reg_sm *m, const struct reg_sm_ref *ref, const char *text,
                               struct fy_err *err)
{
    struct proto_sm *p = pm(m);
    struct reg_proto_file *f = NULL;
    if (parse_text(text, &f, err) != 0)
        return -1;
    if (p->n_deps == p->cap_deps) {
        p->cap_deps = p->cap_deps ? 2 * p->cap_deps : 4;
        p->deps = fy_realloc(p->deps, p->cap_deps * sizeof *p->deps);
        p->dep_files = fy_realloc(p->dep_files, p->cap_deps * sizeof *p->dep_files);
        p->dep_names = fy_realloc(p->dep_names, p->cap_deps * sizeof *p->dep_names);
        p->dep_subjects = fy_realloc(p->dep_subjects, p->cap_deps * sizeof *p->dep_subjects);
        p->refs = fy_realloc(p->refs, p->cap_deps * sizeof *p->refs);
    }
    size_t i = p->n_deps++;
    p->dep_files[i] = f;
    p->dep_names[i] = fy_strdup(ref->name);
    p->dep_subjects[i] = fy_strdup(ref->subject ? ref->subject : "");
    p->deps[i] = (struct reg_proto_dep){.name = p->dep_names[i], .file = f};
    p->refs[i] = (struct reg_proto_diff_ref){
        .subject = p->dep_subjects[i], .version = ref->version, .direct = ref->direct};
    p->bytes += strlen(text);
    return 0;
}

static int proto_parse(struct reg_sm *m, const char *text, unsigned flags, struct fy_err *err)
{
    struct proto_sm *p = pm(m);
    if (parse_text(text, &p->file, err) != 0)
        return -1;
    p->bytes += strlen(text);
    if (reg_proto_canonical(p->file, &p->canonical, err) != 0)
        return -1;
    if (flags & REG_SM_VALIDATE) {
        /* ProtobufSchema.validate: "Normalization will try to resolve types" */
        char *norm = NULL;
        int rc = reg_proto_normalize(p->file, p->deps, p->n_deps, &norm, err);
        free(norm);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static char *proto_canonical(const struct reg_sm *m)
{
    return fy_strdup(cpm(m)->canonical);
}

static int proto_normalize(const struct reg_sm *m, char **out, struct fy_err *err)
{
    const struct proto_sm *p = cpm(m);
    return reg_proto_normalize(p->file, p->deps, p->n_deps, out, err);
}

static const struct reg_schema_format proto_formats[] = {
    /* ProtobufSchema.Format: SERIALIZED (the Python deserializer asks for it) */
    {.name = "serialized", .needs_references = false},
    {.name = "ignore_extensions", .needs_references = false},
};

static char *proto_format(const struct reg_sm *m, const char *format, struct fy_err *err)
{
    const struct proto_sm *p = cpm(m);
    char *out = NULL;
    int rc;
    if (strcmp(format, "serialized") == 0) {
        char *have = atomic_load_explicit(&((struct proto_sm *)p)->serialized,
                                          memory_order_acquire);
        if (have)
            return fy_strdup(have);
        rc = reg_proto_serialized(p->file, p->deps, p->n_deps, &out, err);
        if (rc == 0) {
            char *expected = NULL;
            char *mine = fy_strdup(out);
            if (!atomic_compare_exchange_strong_explicit(&((struct proto_sm *)p)->serialized,
                                                         &expected, mine, memory_order_acq_rel,
                                                         memory_order_acquire))
                free(mine); /* another reader filled it first: the same text */
        }
    } else if (strcmp(format, "ignore_extensions") == 0)
        rc = reg_proto_canonical_no_extensions(p->file, &out, err);
    else
        return proto_canonical(m);
    return rc == 0 ? out : NULL;
}

static long proto_compat(const struct reg_sm *reader, const struct reg_sm *writer, const char *rw,
                         const char *ww, struct reg_compat_msgs *out, struct fy_err *err)
{
    const struct proto_sm *r = cpm(reader), *w = cpm(writer);
    /* isBackwardCompatible(previous): SchemaDiff.compare(previous, this) */
    struct reg_proto_diff_side original = {
        .file = w->file, .deps = w->deps, .refs = w->refs, .n_deps = w->n_deps};
    struct reg_proto_diff_side update = {
        .file = r->file, .deps = r->deps, .refs = r->refs, .n_deps = r->n_deps};
    return reg_proto_diff_incompatible(&original, &update, rw, ww, out, err);
}

/* ProtobufSchema.hasTopLevelField: a field of any top-level message */
static bool proto_has_top_level_field(const struct reg_sm *m, const char *name, size_t len)
{
    const struct reg_proto_file *f = cpm(m)->file;
    for (size_t i = 0; i < f->types.n; i++) {
        const struct reg_proto_type *t = f->types.v[i];
        if (t->is_enum)
            continue;
        for (size_t k = 0; k < t->msg.fields.n; k++) {
            const char *fname = t->msg.fields.v[k]->name;
            if (strlen(fname) == len && memcmp(fname, name, len) == 0)
                return true;
        }
    }
    return false;
}

static size_t proto_footprint(const struct reg_sm *m)
{
    /* a model is a small multiple of its text (reg_proto.h) */
    const struct proto_sm *p = cpm(m);
    return sizeof *p + 8 * p->bytes + strlen(p->canonical);
}

const struct reg_schema_type reg_schema_proto = {
    .name = "PROTOBUF",
    .model_new = proto_new,
    .model_free = proto_free,
    .add_reference = proto_add_reference,
    .parse = proto_parse,
    .canonical = proto_canonical,
    .normalize = proto_normalize,
    .formats = proto_formats,
    .n_formats = sizeof proto_formats / sizeof proto_formats[0],
    .format = proto_format,
    .compat = proto_compat,
    .has_top_level_field = proto_has_top_level_field,
    .footprint = proto_footprint,
    .mark_stored = NULL,
};
