/* SPDX-License-Identifier: Apache-2.0
 * reg_schema_type: the seam between the registry and the schema types
 * (Confluent's SchemaProvider + ParsedSchema). Registration, lookup, dedupe,
 * compatibility, references, formats, IMPORT and the link reach the schema
 * code of "AVRO", "JSON", "PROTOBUF" only through a provider found here;
 * docs/internals/schema-types.md says how a type plugs in and what each
 * hook must guarantee.
 *
 * A provider is a static table of hooks. A parsed schema is a `struct
 * reg_sm` (schema model) that the provider embeds as the first member of
 * its own struct; every hook gets the model it made. A model is built in
 * two steps, as Confluent's provider gets the resolved references and then
 * the text: the references (depth-first, each name once, dependencies
 * before what uses them), then the schema itself. Once parsed, a model is
 * immutable and may be read from any thread (the parsed cache shares it).
 * Thread: the table is read-only; hooks as said for each. */
#ifndef REG_SCHEMA_TYPE_H
#define REG_SCHEMA_TYPE_H

#include "common/fy_err.h"
#include "registry/reg_compat.h"

#include <stdbool.h>
#include <stddef.h>

struct reg_schema_type;

/* One parsed schema with its references; the provider's struct starts with it. */
struct reg_sm {
    const struct reg_schema_type *type;
};

/* parse flags */
enum {
    /* Confluent's validate(): a new schema of a client (not in IMPORT) */
    REG_SM_VALIDATE = 1u << 0,
    /* the text comes from a request (lookups and IMPORT included), not from
     * the store: checks Confluent makes in every mode (Avro: names) */
    REG_SM_REQUEST = 1u << 1,
};

/* One reference of a schema, as add_reference gets it. */
struct reg_sm_ref {
    const char *name;    /* the name the referrer uses (import path, $ref URL) */
    const char *subject; /* as the referencing schema names it */
    int version;         /* the version it resolved to */
    bool direct;         /* in the schema's own `references` (else a reference's) */
};

/* A `?format=` the type answers with its own text (GET /schemas/ids/{id}). */
struct reg_schema_format {
    const char *name;       /* "resolved", "serialized", ... */
    bool needs_references;  /* only a schema with references reads differently */
};

struct reg_schema_type {
    const char *name; /* the schemaType: "AVRO", "JSON", "PROTOBUF" */

    /* A new model with no references and no schema yet. Never NULL. */
    struct reg_sm *(*model_new)(void);
    /* Free the model and everything it holds. NULL is a no-op. */
    void (*model_free)(struct reg_sm *m);

    /* Add the reference `ref` whose stored text is `text` (all of a
     * schema's references, transitively: Confluent's resolved dependencies);
     * called before `parse`, depth-first (a reference's own references
     * first), each name once. A stored text is read as stored (no
     * validation). 0, or -1 with err (any message; the registry words the
     * 42201 around it). `ref`'s strings are borrowed for the call only. */
    int (*add_reference)(struct reg_sm *m, const struct reg_sm_ref *ref, const char *text,
                         struct fy_err *err);
    /* Parse the schema text (REG_SM_* flags) next to the references added.
     * 0, or -1 with err->code 42201 and Confluent's message. Called once. */
    int (*parse)(struct reg_sm *m, const char *text, unsigned flags, struct fy_err *err);

    /* The text Confluent stores (canonicalString()). **new**, never NULL. */
    char *(*canonical)(const struct reg_sm *m);
    /* normalize().canonicalString(): 0 and a **new** *out, or -1 with 42201
     * (Confluent then refuses the schema). */
    int (*normalize)(const struct reg_sm *m, char **out, struct fy_err *err);

    /* The formats `format` answers (others give the stored text). */
    const struct reg_schema_format *formats;
    size_t n_formats;
    /* formattedString(format) of a stored schema's model, for one of
     * `formats`: **new** text, or NULL with err. */
    char *(*format)(const struct reg_sm *m, const char *format, struct fy_err *err);

    /* reg_compat_direction_fn over two models of this type (the seam's
     * reg_sm_compat_direction calls it only when both are of this type). */
    long (*compat)(const struct reg_sm *reader, const struct reg_sm *writer, const char *rw,
                   const char *ww, struct reg_compat_msgs *out, struct fy_err *err);

    /* Does the schema have a top-level field `name` (len bytes)?
     * (ParsedSchema.hasTopLevelField, for confluent:reserved) */
    bool (*has_top_level_field)(const struct reg_sm *m, const char *name, size_t len);

    /* Estimated heap bytes of the model (parsed cache budget). */
    size_t (*footprint)(const struct reg_sm *m);
    /* The model now stands for the stored text, which is re-read without
     * validation: make it what that re-read would give (Avro: nodes marked
     * unvalidated). May be NULL (nothing to do). Before any sharing. */
    void (*mark_stored)(struct reg_sm *m);
};

/* The provider of `name` (exact, upper case), or NULL when this registry
 * does not serve that type. */
const struct reg_schema_type *reg_schema_type_find(const char *name);
/* The served types, in /schemas/types order; `i` < reg_schema_type_count(). */
size_t reg_schema_type_count(void);
const struct reg_schema_type *reg_schema_type_at(size_t i);
/* The served type names, comma-separated ("AVRO, PROTOBUF"): static string. */
const char *reg_schema_type_names(void);

/* The model's free, through its type. NULL is a no-op. */
void reg_sm_free(struct reg_sm *m);

/* reg_compat_direction_fn over two `struct reg_sm`: Confluent's
 * "Incompatible because of different schema type" when the types differ,
 * else the type's compat hook. */
long reg_sm_compat_direction(const void *reader, const void *writer, const char *rw,
                             const char *ww, struct reg_compat_msgs *out, struct fy_err *err);

/* Is `format` one of `t`'s formats? Its entry, or NULL. */
const struct reg_schema_format *reg_schema_type_format(const struct reg_schema_type *t,
                                                       const char *format);

/* The Avro provider (registry/reg_schema_avro.c) and its model's parts, for
 * tests and Avro-only callers. */
extern const struct reg_schema_type reg_schema_avro;
/* The JSON Schema provider (registry/reg_schema_json.c). */
extern const struct reg_schema_type reg_schema_json;
const struct reg_avro *reg_schema_avro_root(const struct reg_sm *m);

/* The Protobuf provider (registry/reg_schema_proto.c). */
extern const struct reg_schema_type reg_schema_proto;

#endif
