/* SPDX-License-Identifier: Apache-2.0
 * reg_jsonschema: JSON Schema (schemaType "JSON") as Confluent's
 * json-schema-provider reads it: the text parsed once into ferry's own model
 * of the schema (the shape everit-json-schema's loader gives JsonSchema.rawSchema():
 * object, array, string, number, enum, const, combined, not, $ref), checked as
 * the loader checks it (keyword types, known types, resolvable $ref), the
 * stored text and identity (JsonSchema.canonicalString(), normalize()), and
 * the compatibility check (SchemaDiff, reg_jsonschema_diff.c).
 * Drafts 4, 6, 7, 2019-09 and 2020-12 ($schema; none means draft 7, as
 * JsonSchema.rawSchema() defaults). Bounded by the schema limits of reg_avro
 * (ferry.schema.max.bytes, .max.json.depth, .max.depth).
 * Thread: any (a parsed schema is immutable and may be shared read-only). */
#ifndef REG_JSONSCHEMA_H
#define REG_JSONSCHEMA_H

#include "common/fy_err.h"

#include <stdbool.h>
#include <stddef.h>

struct reg_jsonschema;

/* One entry of a registration's `references` array, resolved: `name` is what
 * a `$ref` names (Confluent's SchemaReference.name, a file name or URL) and
 * `text` the referenced version's schema text. Both borrowed. */
struct reg_jsonschema_ref {
    const char *name;
    const char *text;
};

/* Parse and validate `text` (`len` bytes, NUL-terminated), resolving `$ref`s
 * to other documents through `refs` (transitively: a referenced text's own
 * `$ref`s are looked up in the same array, so a caller passes the whole
 * closure). 0 and a **new** *out, or -1 with err->code 42201 and a message
 * naming the problem and its JSON pointer. Thread: any. */
int reg_jsonschema_parse(const char *text, size_t len, const struct reg_jsonschema_ref *refs,
                         size_t nrefs, struct reg_jsonschema **out, struct fy_err *err);

void reg_jsonschema_free(struct reg_jsonschema *js);

/* JsonSchema.canonicalString(): the text as Jackson writes the JsonNode it
 * read (compact, key order kept, a duplicate key's last value in its first
 * place, reals as BigDecimal.toString() of the literal). Borrowed: valid
 * while `js` lives. */
const char *reg_jsonschema_canonical(const struct reg_jsonschema *js);

/* JsonSchema.normalize().canonicalString(): the canonical text with every
 * object's keys sorted (Jackson's TreeMap node factory). **New**. */
char *reg_jsonschema_normalized(const struct reg_jsonschema *js);

/* JsonSchema.hasTopLevelField: a property `name` (len bytes) of the root
 * object schema. */
bool reg_jsonschema_has_top_level_field(const struct reg_jsonschema *js, const char *name,
                                        size_t len);

/* Estimated heap bytes of the parsed schema (the parsed cache's budget). */
size_t reg_jsonschema_footprint(const struct reg_jsonschema *js);

/* The draft the text declares: 4, 6, 7, 201909 or 202012. */
int reg_jsonschema_draft(const struct reg_jsonschema *js);

/* The canonical text of `text` without validating it as a schema (only as
 * JSON): **new**, or NULL with err 42201. For callers that must store a text
 * byte for byte as Confluent does. normalize: sorted keys. */
char *reg_jsonschema_canonical_text(const char *text, size_t len, bool normalize,
                                    struct fy_err *err);

/* Compatibility of `reader` (the new schema) with `writer` (a previous one),
 * JsonSchema.isBackwardCompatible(policy, previous): SchemaDiff.compare(writer, reader)
 * and the differences not in the policy's compatible set. Returns the number
 * of incompatible differences (0 = compatible), or -1 with err (42201 when a
 * budget, ferry.compatibility.max.steps or ferry.schema.max.depth, runs out).
 * When `messages` is not NULL it receives a **new** NULL-terminated array of
 * **new** strings, one per incompatible difference, Difference.toString() with
 * the template's two %s filled by `first` and `second` (what
 * SchemaValidatorBuilder.formatErrorMessages passes: "new", "old" when the new
 * schema reads); free with reg_jsonschema_messages_free.
 * lenient: CompatibilityPolicy.LENIENT. */
int reg_jsonschema_compat(const struct reg_jsonschema *reader, const struct reg_jsonschema *writer,
                          bool lenient, const char *first, const char *second, char ***messages,
                          struct fy_err *err);

void reg_jsonschema_messages_free(char **messages);

/* Every difference SchemaDiff.compare(original, update) reports, in its
 * order, as "TYPE #/path" lines into a **new** NULL-terminated array
 * (Confluent's diff test resources' "changes" form). -1 with err on a budget. */
int reg_jsonschema_diff(const struct reg_jsonschema *original, const struct reg_jsonschema *update,
                        char ***changes, struct fy_err *err);

/* Is a difference type (its Difference.Type name) compatible under the
 * policy (SchemaDiff.COMPATIBLE_CHANGES_STRICT / _LENIENT)? false for an
 * unknown name. */
bool reg_jsonschema_change_compatible(const char *type_name, bool lenient);

#endif
