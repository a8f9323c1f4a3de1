/* SPDX-License-Identifier: Apache-2.0
 * reg_proto_diff: Protobuf schema compatibility, a port of Confluent's
 * protobuf-provider diff/ (SchemaDiff, MessageSchemaDiff, FieldSchemaDiff,
 * EnumSchemaDiff, Context, Difference) over the reg_proto model: every
 * Difference.Type with its full path ("#/Message/3"), in Confluent's order
 * (its HashMap/HashSet iteration orders are reproduced, as of JDK 17), and
 * Difference.toString() as the registry reports it.
 * Bounded: the walk (which follows message-typed fields into their types)
 * stops past ferry.schema.max.depth levels and counts its steps against
 * ferry.compatibility.max.steps (reg_compat_limits); either answers 42201.
 * Thread: any (state is per call; the known files' table is built once). */
#ifndef REG_PROTO_DIFF_H
#define REG_PROTO_DIFF_H

#include "common/fy_err.h"
#include "registry/reg_compat.h"
#include "registry/reg_proto.h"

#include <stdbool.h>
#include <stddef.h>

/* Difference.Type, in Confluent's declaration order. */
enum reg_proto_diff_type {
    REG_PROTO_PACKAGE_CHANGED,
    REG_PROTO_MESSAGE_ADDED,
    REG_PROTO_MESSAGE_REMOVED,
    REG_PROTO_MESSAGE_MOVED,
    REG_PROTO_ENUM_ADDED,
    REG_PROTO_ENUM_REMOVED,
    REG_PROTO_ENUM_CONST_ADDED,
    REG_PROTO_ENUM_CONST_CHANGED,
    REG_PROTO_ENUM_CONST_REMOVED,
    REG_PROTO_FIELD_ADDED,
    REG_PROTO_FIELD_REMOVED,
    REG_PROTO_FIELD_NAME_CHANGED,
    REG_PROTO_FIELD_KIND_CHANGED,
    REG_PROTO_FIELD_SCALAR_KIND_CHANGED,
    REG_PROTO_FIELD_NAMED_TYPE_CHANGED,
    REG_PROTO_FIELD_NUMERIC_LABEL_CHANGED,
    REG_PROTO_FIELD_STRING_OR_BYTES_LABEL_CHANGED,
    REG_PROTO_REQUIRED_FIELD_ADDED,
    REG_PROTO_REQUIRED_FIELD_REMOVED,
    REG_PROTO_ONEOF_ADDED,
    REG_PROTO_ONEOF_REMOVED,
    REG_PROTO_ONEOF_FIELD_ADDED,
    REG_PROTO_ONEOF_FIELD_REMOVED,
    REG_PROTO_ONEOF_FIELD_MOVED_TO_TOP_LEVEL,
    REG_PROTO_MULTIPLE_FIELDS_MOVED_TO_ONEOF,
    REG_PROTO_FIELD_MOVED_TO_EXISTING_ONEOF,
};

/* "FIELD_KIND_CHANGED". Static string. */
const char *reg_proto_diff_type_name(enum reg_proto_diff_type t);
/* In SchemaDiff.COMPATIBLE_CHANGES? */
bool reg_proto_diff_compatible(enum reg_proto_diff_type t);

/* Where one of a schema's dependencies came from (Confluent's SchemaReference
 * of it, when the schema's own `references` name it). */
struct reg_proto_diff_ref {
    const char *subject;
    int version;
    bool direct; /* false: only a reference's reference (no SchemaReference) */
};

/* One schema: its file, its dependencies (all, transitively) and, for each
 * dependency (same index), where it came from (`refs` may be NULL: none
 * named by the schema). The known files are added as Confluent's
 * dependenciesWithLogicalTypes does. */
struct reg_proto_diff_side {
    const struct reg_proto_file *file;
    const struct reg_proto_dep *deps;
    const struct reg_proto_diff_ref *refs;
    size_t n_deps;
};

struct reg_proto_difference {
    enum reg_proto_diff_type type;
    char *path; /* "#/TestMessage/2" */
};

struct reg_proto_differences {
    struct reg_proto_difference *v;
    size_t n, cap;
};

void reg_proto_differences_free(struct reg_proto_differences *d);

/* SchemaDiff.compare(original, update): every difference appended to `out`
 * (start it zeroed) in Confluent's order. 0, or -1 with err->code 42201
 * when a limit ran out (`out` then holds what was found so far). */
int reg_proto_diff(const struct reg_proto_diff_side *original,
                   const struct reg_proto_diff_side *update, struct reg_proto_differences *out,
                   struct fy_err *err);

/* Difference.toString() formatted as SchemaValidatorBuilder does
 * (String.format(e, reader, writer)): {errorType:"T", description:"..."}.
 * **new** string. */
char *reg_proto_difference_message(const struct reg_proto_difference *d, const char *rw,
                                   const char *ww);

/* ProtobufSchema.isBackwardCompatible: the messages of the differences not
 * in COMPATIBLE_CHANGES appended to `out`; returns how many (0 =
 * compatible) or -1 with 42201 (nothing appended). `update` is the reader
 * (the schema checked), `original` the writer (the previous one). */
long reg_proto_diff_incompatible(const struct reg_proto_diff_side *original,
                                 const struct reg_proto_diff_side *update, const char *rw,
                                 const char *ww, struct reg_compat_msgs *out, struct fy_err *err);

#endif
