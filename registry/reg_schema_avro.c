/* SPDX-License-Identifier: Apache-2.0
 * reg_schema_avro: Avro behind the schema-type seam (reg_schema_type.h):
 * one reg_avro parser per model, the references parsed into it first (so
 * their named types are known by name, as Confluent's AvroSchema gets its
 * resolvedReferences), reg_avro's canonical and normalized texts, reg_compat's
 * reader/writer check, format "resolved" (every named type inline). */
#include "registry/reg_schema_type.h"

#include "common/fy_alloc.h"
#include "registry/reg_avro.h"

#include <stdlib.h>
#include <string.h>

struct avro_sm {
    struct reg_sm base; /* first: a reg_sm * is an avro_sm * */
    struct reg_avro_parser *parser;
    const struct reg_avro *root;
};

static struct avro_sm *avro(struct reg_sm *m)
{
    return (struct avro_sm *)m;
}

static const struct avro_sm *cavro(const struct reg_sm *m)
{
    return (const struct avro_sm *)m;
}

static struct reg_sm *avro_new(void)
{
    struct avro_sm *a = fy_calloc(1, sizeof *a);
    a->base.type = &reg_schema_avro;
    a->parser = reg_avro_parser_new();
    return &a->base;
}

static void avro_free(struct reg_sm *m)
{
    if (!m)
        return;
    reg_avro_parser_free(avro(m)->parser);
    free(m);
}

static int avro_add_reference(struct reg_sm *m, const struct reg_sm_ref *ref, const char *text,
                              struct fy_err *err)
{
    (void)ref; /* Avro resolves by the named types the text defines */
    const struct reg_avro *ignored;
    return reg_avro_parser_parse(avro(m)->parser, text, false, &ignored, err);
}

static int avro_parse(struct reg_sm *m, const char *text, unsigned flags, struct fy_err *err)
{
    struct avro_sm *a = avro(m);
    /* names are checked in every mode (IMPORT and lookups included); the
     * references are stored schemas and are read as they are */
    if (flags & REG_SM_REQUEST)
        reg_avro_parser_check_names(a->parser);
    if (reg_avro_parser_parse(a->parser, text, (flags & REG_SM_VALIDATE) != 0, &a->root, err) !=
        0) {
        if (err && err->code != REG_E_INVALID_SCHEMA)
            err->code = REG_E_INVALID_SCHEMA;
        return -1;
    }
    return 0;
}

static char *avro_canonical(const struct reg_sm *m)
{
    return reg_avro_canonical(cavro(m)->parser, cavro(m)->root);
}

static int avro_normalize(const struct reg_sm *m, char **out, struct fy_err *err)
{
    return reg_avro_normalize(cavro(m)->parser, cavro(m)->root, out, err);
}

static const struct reg_schema_format avro_formats[] = {
    /* AvroSchema.formattedString("resolved"): references inlined */
    {.name = "resolved", .needs_references = true},
};

static char *avro_format(const struct reg_sm *m, const char *format, struct fy_err *err)
{
    (void)err;
    if (strcmp(format, "resolved") != 0)
        return avro_canonical(m);
    /* a parser that knows no names writes every named type inline */
    struct reg_avro_parser *empty = reg_avro_parser_new();
    char *text = reg_avro_canonical(empty, cavro(m)->root);
    reg_avro_parser_free(empty);
    return text;
}

static long avro_compat(const struct reg_sm *reader, const struct reg_sm *writer, const char *rw,
                        const char *ww, struct reg_compat_msgs *out, struct fy_err *err)
{
    return reg_compat_avro_direction(cavro(reader)->root, cavro(writer)->root, rw, ww, out, err);
}

/* AvroSchema.hasTopLevelField: a field of the record at the root */
static bool avro_has_top_level_field(const struct reg_sm *m, const char *name, size_t len)
{
    const struct reg_avro *root = cavro(m)->root;
    if (!root || root->type != REG_AVRO_RECORD)
        return false;
    for (size_t i = 0; i < root->n_fields; i++)
        if (strlen(root->fields[i].name) == len && memcmp(root->fields[i].name, name, len) == 0)
            return true;
    return false;
}

static size_t avro_footprint(const struct reg_sm *m)
{
    return reg_avro_parser_footprint(cavro(m)->parser);
}

static void avro_mark_stored(struct reg_sm *m)
{
    reg_avro_parser_mark_unvalidated(avro(m)->parser);
}

const struct reg_schema_type reg_schema_avro = {
    .name = "AVRO",
    .model_new = avro_new,
    .model_free = avro_free,
    .add_reference = avro_add_reference,
    .parse = avro_parse,
    .canonical = avro_canonical,
    .normalize = avro_normalize,
    .formats = avro_formats,
    .n_formats = sizeof avro_formats / sizeof avro_formats[0],
    .format = avro_format,
    .compat = avro_compat,
    .has_top_level_field = avro_has_top_level_field,
    .footprint = avro_footprint,
    .mark_stored = avro_mark_stored,
};

const struct reg_avro *reg_schema_avro_root(const struct reg_sm *m)
{
    return m && m->type == &reg_schema_avro ? cavro(m)->root : NULL;
}
