/* SPDX-License-Identifier: Apache-2.0
 * reg_schema_type: the table of served schema types and the seam's generic
 * helpers (see reg_schema_type.h). */
#include "registry/reg_schema_type.h"

#include <pthread.h>
#include <string.h>

/* The served types, in the order /schemas/types lists them (Confluent's
 * documented answer is ["JSON","PROTOBUF","AVRO"]). A type plugs in with
 * one line here (docs/internals/schema-types.md). */
static const struct reg_schema_type *const types[] = {
    &reg_schema_json,
    &reg_schema_proto,
    &reg_schema_avro,
};

#define N_TYPES (sizeof types / sizeof types[0])

const struct reg_schema_type *reg_schema_type_find(const char *name)
{
    for (size_t i = 0; name && i < N_TYPES; i++)
        if (strcmp(types[i]->name, name) == 0)
            return types[i];
    return NULL;
}

size_t reg_schema_type_count(void)
{
    return N_TYPES;
}

const struct reg_schema_type *reg_schema_type_at(size_t i)
{
    return i < N_TYPES ? types[i] : NULL;
}

static char names[128];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

static void names_build(void)
{
    size_t o = 0;
    for (size_t i = 0; i < N_TYPES; i++) {
        size_t len = strlen(types[i]->name);
        if (o + len + 3 > sizeof names)
            break;
        if (i) {
            memcpy(names + o, ", ", 2);
            o += 2;
        }
        memcpy(names + o, types[i]->name, len);
        o += len;
    }
    names[o] = '\0';
}

const char *reg_schema_type_names(void)
{
    pthread_once(&names_once, names_build);
    return names;
}

void reg_sm_free(struct reg_sm *m)
{
    if (m)
        m->type->model_free(m);
}

long reg_sm_compat_direction(const void *reader, const void *writer, const char *rw,
                             const char *ww, struct reg_compat_msgs *out, struct fy_err *err)
{
    const struct reg_sm *r = reader, *w = writer;
    if (r->type != w->type) {
        /* every ParsedSchema.isBackwardCompatible starts so */
        reg_compat_msgs_add(out, "Incompatible because of different schema type");
        return 1;
    }
    return r->type->compat(r, w, rw, ww, out, err);
}

const struct reg_schema_format *reg_schema_type_format(const struct reg_schema_type *t,
                                                       const char *format)
{
    for (size_t i = 0; t && format && i < t->n_formats; i++)
        if (strcmp(t->formats[i].name, format) == 0)
            return &t->formats[i];
    return NULL;
}
