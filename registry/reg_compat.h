/* SPDX-License-Identifier: Apache-2.0
 * reg_compat: Avro reader/writer schema compatibility, the complete rules of
 * Avro-Java's SchemaCompatibility (sr-api §6.2), reporting every
 * incompatibility in Confluent's message format, plus the compatibility
 * levels of sr-api §6.1 over a list of prior versions.
 * Thread: any (pure functions over immutable nodes). */
#ifndef REG_COMPAT_H
#define REG_COMPAT_H

#include "common/fy_err.h"
#include "registry/reg_avro.h"

#include <stdbool.h>
#include <stddef.h>

enum reg_compat_level {
    REG_COMPAT_NONE,
    REG_COMPAT_BACKWARD,
    REG_COMPAT_BACKWARD_TRANSITIVE,
    REG_COMPAT_FORWARD,
    REG_COMPAT_FORWARD_TRANSITIVE,
    REG_COMPAT_FULL,
    REG_COMPAT_FULL_TRANSITIVE,
};

/* Upper-case name ("BACKWARD_TRANSITIVE"). Static string. */
const char *reg_compat_level_name(enum reg_compat_level level);
/* Parse a level name case-insensitively: 0, or -1 when unknown. */
int reg_compat_level_parse(const char *s, enum reg_compat_level *out);

/* Messages, one string each, in Confluent's format, e.g.
 * {errorType:'READER_FIELD_MISSING_DEFAULT_VALUE', description:'The field 'b' at path
 * '/fields/1' in the new schema has no default value and is missing in the old schema',
 * additionalInfo:'b'} */
struct reg_compat_msgs {
    char **items;
    size_t n;
};
void reg_compat_msgs_init(struct reg_compat_msgs *m);
void reg_compat_msgs_destroy(struct reg_compat_msgs *m);
/* Append a copy of `s`. */
void reg_compat_msgs_add(struct reg_compat_msgs *m, const char *s);

/* Can data written with `writer` be read with `reader`? true when compatible;
 * otherwise false with every incompatibility appended to `msgs` (may be NULL).
 * "new" in the descriptions means the reader, "old" the writer (as Confluent).
 * Notes (all as Avro-Java 1.12 / apache/avro main, which Confluent wraps):
 * - a memoised (reader, writer) pair is replayed with the locations of its
 *   first calculation, so a named type used twice can repeat a message with
 *   the first path, and pairs first met inside a union carry paths relative
 *   to that union member;
 * - a writer-union branch is located by its index ("/fields/0/type/1");
 *   Avro 1.11.x (Confluent 7.x) reported the union's own path there;
 * - a reader field matching two writer fields (by name and alias) is an
 *   exception in Avro; the only message is then Confluent's
 *   "Unexpected exception during compatibility check: Reader record field ...". */
bool reg_compat_reader_writer(const struct reg_avro *reader, const struct reg_avro *writer,
                              struct reg_compat_msgs *msgs);

/* The budget of one reader/writer check, so that no pair of schemas can
 * take the CPU or the heap (sqlite3_limit): `max_steps` counts the units of
 * work (pairs visited, fields, symbols and branches looked at), `max_bytes`
 * the memory the check itself allocates (memo, messages, indexes). The walk
 * also stops at reg_avro's max_depth levels of type nesting. `ferry serve`
 * sets them from ferry.compatibility.max.steps / .max.bytes. */
struct reg_compat_limits {
    uint64_t max_steps;
    size_t max_bytes;
};

#define REG_COMPAT_DEFAULT_MAX_STEPS 2000000ULL
#define REG_COMPAT_DEFAULT_MAX_BYTES ((size_t)64 << 20)

/* The budget in force (the defaults until reg_compat_set_limits). */
const struct reg_compat_limits *reg_compat_get_limits(void);
/* Replace it; zero members keep their default. Thread: main, at startup. */
void reg_compat_set_limits(const struct reg_compat_limits *l);

/* reg_compat_reader_writer within the budget: 1 compatible, 0 incompatible
 * (messages appended to `msgs`, may be NULL), or -1 with err->code 42201
 * and a message naming the limit that ran out (nothing appended). The bool
 * form above reports that message as its only incompatibility. */
int reg_compat_reader_writer_bounded(const struct reg_avro *reader, const struct reg_avro *writer,
                                     struct reg_compat_msgs *msgs, struct fy_err *err);

/* One prior (live) version of the subject, oldest first in the array.
 * `schema` is what the direction function reads: a `struct reg_avro` for
 * the Avro calls below, a `struct reg_sm` for reg_compat_check_levels with
 * reg_sm_compat_direction (registry/reg_schema_type.h). */
struct reg_compat_prior {
    const void *schema;
    int version;
    const char *canonical; /* its stored text, quoted in messages */
};

/* Can `reader` read what `writer` wrote? (ParsedSchema.isBackwardCompatible
 * of reader against writer.) Appends every incompatibility to `out` in the
 * schema type's message format, the reader called `rw` and the writer `ww`
 * ("new"/"old") where the format names them; returns how many it added (0 =
 * compatible), or -1 with err->code 42201 when the check ran out of budget
 * (nothing appended). */
typedef long (*reg_compat_direction_fn)(const void *reader, const void *writer, const char *rw,
                                        const char *ww, struct reg_compat_msgs *out,
                                        struct fy_err *err);

/* reg_compat_direction_fn for Avro models (`struct reg_avro`), within the
 * budget (reg_compat_limits). */
long reg_compat_avro_direction(const void *reader, const void *writer, const char *rw,
                               const char *ww, struct reg_compat_msgs *out, struct fy_err *err);

/* The level driver of every schema type (Confluent's CompatibilityChecker
 * and SchemaValidatorBuilder, which do not depend on the type): what
 * reg_compat_check_fields below says, each pair compared through `dir`. */
int reg_compat_check_levels(enum reg_compat_level level, bool validate_fields,
                            reg_compat_direction_fn dir, const void *candidate,
                            const struct reg_compat_prior *prior, size_t n_prior,
                            struct reg_compat_msgs *msgs, struct fy_err *err);

/* Check `candidate` against `prior` (ascending versions) at `level`, as
 * Confluent's CompatibilityChecker: non-transitive levels compare with the
 * latest only; transitive ones newest→oldest, stopping at the first failing
 * version. On failure returns false and appends that version's messages,
 * then {oldSchemaVersion: n}, {oldSchema: '<text>'} and
 * {validateFields: 'false', compatibility: '<LEVEL>'}. Empty prior → true.
 * `msgs` may be NULL. As SchemaValidatorBuilder: FORWARD* words the old
 * schema as the reader ("in the old schema ... missing in the new schema");
 * FULL* lists old-reads-new messages first and adds {oldSchemaVersion}/
 * {oldSchema} only after new-reads-old messages, so a FULL failure in the
 * forward direction alone has neither; {oldSchema} quotes at most 10240
 * UTF-16 units of `canonical`, else "{oldSchema: <truncated> '<prefix>...'}". */
bool reg_compat_check(enum reg_compat_level level, const struct reg_avro *candidate,
                      const struct reg_compat_prior *prior, size_t n_prior,
                      struct reg_compat_msgs *msgs);

/* reg_compat_check within the budget (reg_compat_limits): 1 compatible,
 * 0 incompatible with the messages above, -1 with err->code 42201 when a
 * check ran out of budget (nothing appended to `msgs`). */
int reg_compat_check_bounded(enum reg_compat_level level, const struct reg_avro *candidate,
                             const struct reg_compat_prior *prior, size_t n_prior,
                             struct reg_compat_msgs *msgs, struct fy_err *err);

/* reg_compat_check_bounded, the trailer saying validateFields: '<validate_fields>'
 * (the config's validateFields, as isCompatibleWithPrevious writes it). */
int reg_compat_check_fields(enum reg_compat_level level, bool validate_fields,
                            const struct reg_avro *candidate,
                            const struct reg_compat_prior *prior, size_t n_prior,
                            struct reg_compat_msgs *msgs, struct fy_err *err);

/* Append {validateFields: '<true|false>', compatibility: '<LEVEL>'}: the last
 * message of every failed check (isCompatibleWithPrevious). */
void reg_compat_msgs_add_trailer(struct reg_compat_msgs *m, enum reg_compat_level level,
                                 bool validate_fields);

#endif
