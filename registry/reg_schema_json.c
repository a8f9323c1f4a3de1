/* SPDX-License-Identifier: Apache-2.0
 * reg_schema_json: JSON Schema behind the schema-type seam (reg_schema_type.h):
 * the references' stored texts collected by name (what a `$ref` names:
 * Confluent's JsonSchema resolvedReferences), then reg_jsonschema's parse,
 * canonicalString()/normalize() texts and SchemaDiff compatibility
 * (CompatibilityPolicy.STRICT, what the registry's levels use). */
#include "registry/reg_schema_type.h"

#include "common/fy_alloc.h"
#include "registry/reg_jsonschema.h"

#include <stdlib.h>
#include <string.h>

struct json_sm {
    struct reg_sm base; /* first: a reg_sm * is a json_sm * */
    struct reg_jsonschema_ref *refs; /* names and texts owned */
    size_t nrefs, arefs;
    struct reg_jsonschema *js;
};

static struct json_sm *jsm(struct reg_sm *m)
{
    return (struct json_sm *)m;
}

static const struct json_sm *cjsm(const struct reg_sm *m)
{
    return (const struct json_sm *)m;
}

static struct reg_sm *json_new(void)
{
    struct json_sm *j = fy_calloc(1, sizeof *j);
    j->base.type = &reg_schema_json;
    return &j->base;
}

static void json_free(struct reg_sm *m)
{
    if (!m)
        return;
    struct json_sm *j = jsm(m);
    for (size_t i = 0; i < j->nrefs; i++) {
        free((char *)j->refs[i].name);
        free((char *)j->refs[i].text);
    }
    free(j->refs);
    reg_jsonschema_free(j->js);
    free(j);
}

static int json_add_reference(struct reg_sm *m, const struct reg_sm_ref *ref, const char *text,
                              struct fy_err *err)
{
    (void)err; /* read when a $ref names it, as Confluent's loader does */
    struct json_sm *j = jsm(m);
    if (j->nrefs == j->arefs) {
        j->arefs = j->arefs ? j->arefs * 2 : 4;
        j->refs = fy_realloc(j->refs, j->arefs * sizeof *j->refs);
    }
    j->refs[j->nrefs].name = fy_strdup(ref->name);
    j->refs[j->nrefs].text = fy_strdup(text);
    j->nrefs++;
    return 0;
}

static int json_parse(struct reg_sm *m, const char *text, unsigned flags, struct fy_err *err)
{
    (void)flags; /* the loader's checks are the same in every mode */
    struct json_sm *j = jsm(m);
    return reg_jsonschema_parse(text, strlen(text), j->refs, j->nrefs, &j->js, err);
}

static char *json_canonical(const struct reg_sm *m)
{
    return fy_strdup(reg_jsonschema_canonical(cjsm(m)->js));
}

static int json_normalize(const struct reg_sm *m, char **out, struct fy_err *err)
{
    char *n = reg_jsonschema_normalized(cjsm(m)->js);
    if (!n)
        return fy_err_set(err, REG_E_INVALID_SCHEMA, "Invalid JSON");
    *out = n;
    return 0;
}

static char *json_format(const struct reg_sm *m, const char *format, struct fy_err *err)
{
    (void)format;
    (void)err;
    return json_canonical(m);
}

static long json_compat(const struct reg_sm *reader, const struct reg_sm *writer, const char *rw,
                        const char *ww, struct reg_compat_msgs *out, struct fy_err *err)
{
    char **msgs = NULL;
    int bad = reg_jsonschema_compat(cjsm(reader)->js, cjsm(writer)->js, false, rw, ww,
                                    out ? &msgs : NULL, err);
    if (bad < 0)
        return -1;
    for (char **p = msgs; p && *p; p++)
        reg_compat_msgs_add(out, *p);
    reg_jsonschema_messages_free(msgs);
    return bad;
}

static bool json_has_top_level_field(const struct reg_sm *m, const char *name, size_t len)
{
    return reg_jsonschema_has_top_level_field(cjsm(m)->js, name, len);
}

static size_t json_footprint(const struct reg_sm *m)
{
    const struct json_sm *j = cjsm(m);
    size_t n = sizeof *j + (j->js ? reg_jsonschema_footprint(j->js) : 0);
    for (size_t i = 0; i < j->nrefs; i++)
        n += strlen(j->refs[i].name) + strlen(j->refs[i].text) + 2;
    return n;
}

const struct reg_schema_type reg_schema_json = {
    .name = "JSON",
    .model_new = json_new,
    .model_free = json_free,
    .add_reference = json_add_reference,
    .parse = json_parse,
    .canonical = json_canonical,
    .normalize = json_normalize,
    .formats = NULL,
    .n_formats = 0,
    .format = json_format,
    .compat = json_compat,
    .has_top_level_field = json_has_top_level_field,
    .footprint = json_footprint,
    .mark_stored = NULL,
};
