/* SPDX-License-Identifier: Apache-2.0
 * reg_proto: ferry's model of a .proto file, its parser and Confluent's
 * printers. The model is the one Square Wire's ProtoParser builds
 * (ProtoFileElement and its elements), because Confluent's ProtobufSchema
 * keeps exactly that and prints it with ProtobufSchemaUtils.toString
 * (canonicalString) and toNormalizedString (normalize). Every element of one
 * parse lives in the parse's arena and dies with reg_proto_file_free.
 * Data flow: schema text -> reg_proto_parse -> model -> canonical or
 * normalized text, or a FileDescriptorProto (reg_proto_desc.h).
 * Thread: a model is immutable after the parse; any thread may read it. */
#ifndef REG_PROTO_H
#define REG_PROTO_H

#include "common/fy_err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Wire's MAX_TAG_VALUE: "max" in a range; printed back as "max" from here up. */
#define REG_PROTO_MAX_TAG 536870911

/* A string with its length: quoted strings may hold NUL (from "\0"). */
struct reg_proto_str {
    const char *p; /* NUL-terminated as well */
    size_t n;
};

/* OptionElement.Kind. */
enum reg_proto_kind {
    REG_PROTO_STRING,
    REG_PROTO_BOOLEAN,
    REG_PROTO_NUMBER,
    REG_PROTO_ENUM,
    REG_PROTO_MAP,
    REG_PROTO_LIST,
    REG_PROTO_OPTION,
};

struct reg_proto_option;
struct reg_proto_entry;

/* An option's value, or an entry of an aggregate (map or list) value.
 * `primitive` marks Wire's OptionPrimitive (a boolean, enum or number inside
 * a map or list); a STRING inside a map or list is a bare string. */
struct reg_proto_value {
    enum reg_proto_kind kind;
    bool primitive;
    struct reg_proto_str str;               /* STRING, BOOLEAN, NUMBER, ENUM: the text */
    struct reg_proto_entry *entries;        /* MAP, in insertion order */
    size_t n_entries;
    struct reg_proto_value **items;         /* LIST */
    size_t n_items;
    const struct reg_proto_option *option;  /* OPTION: `(a).b = 1` is a, OPTION -> b = 1 */
};

struct reg_proto_entry {
    const char *key;                 /* "[pkg.ext]" for an extension field */
    struct reg_proto_value *value;
};

struct reg_proto_option {
    const char *name;
    bool parenthesized; /* a custom option: (name) */
    struct reg_proto_value *value; /* value->kind is the option's kind */
};

struct reg_proto_options {
    struct reg_proto_option **v;
    size_t n;
};

/* Field.Label; NONE is a proto3 field without one, a map, or a oneof member. */
enum reg_proto_label { REG_PROTO_LABEL_NONE, REG_PROTO_OPTIONAL, REG_PROTO_REQUIRED, REG_PROTO_REPEATED };

struct reg_proto_field {
    enum reg_proto_label label;
    const char *type;          /* as written; maps as "map<K, V>" */
    const char *name;
    int32_t tag;
    const char *default_value; /* NULL if none ([default = ...] is no option in Wire) */
    const char *json_name;     /* NULL if none */
    struct reg_proto_options options;
    int line, column;
};

struct reg_proto_fields {
    struct reg_proto_field **v;
    size_t n;
};

struct reg_proto_group {
    enum reg_proto_label label;
    const char *name;
    int32_t tag;
    struct reg_proto_fields fields;
};

struct reg_proto_groups {
    struct reg_proto_group **v;
    size_t n;
};

struct reg_proto_oneof {
    const char *name;
    struct reg_proto_fields fields;
    struct reg_proto_groups groups;
    struct reg_proto_options options;
};

/* One value of `reserved` or `extensions`: a tag, a range or (reserved only) a name. */
enum reg_proto_range_kind { REG_PROTO_TAG, REG_PROTO_RANGE, REG_PROTO_NAME };
struct reg_proto_range {
    enum reg_proto_range_kind kind;
    int32_t start, end;       /* TAG: start == end */
    struct reg_proto_str name; /* NAME */
};

struct reg_proto_ranges {
    struct reg_proto_range *v;
    size_t n;
    struct reg_proto_options options; /* extensions only: `extensions 100 to 200 [...]` */
};

struct reg_proto_extend {
    const char *name;
    struct reg_proto_fields fields;
};

struct reg_proto_enum_constant {
    const char *name;
    int32_t tag;
    struct reg_proto_options options;
};

struct reg_proto_type; /* a message or an enum */

struct reg_proto_types {
    struct reg_proto_type **v;
    size_t n;
};

struct reg_proto_message {
    struct reg_proto_fields fields;
    struct reg_proto_oneof **oneofs;
    size_t n_oneofs;
    struct reg_proto_groups groups;
    struct reg_proto_types nested;
    struct reg_proto_ranges **extensions; /* one per `extensions` statement */
    size_t n_extensions;
    struct reg_proto_ranges **reserved;   /* one per `reserved` statement */
    size_t n_reserved;
    struct reg_proto_extend **extends;
    size_t n_extends;
    struct reg_proto_options options;
};

struct reg_proto_enum {
    struct reg_proto_enum_constant **constants;
    size_t n_constants;
    struct reg_proto_ranges **reserved;
    size_t n_reserved;
    struct reg_proto_options options;
};

struct reg_proto_type {
    bool is_enum;
    const char *name;
    int line, column;
    struct reg_proto_message msg; /* !is_enum */
    struct reg_proto_enum en;     /* is_enum */
};

struct reg_proto_rpc {
    const char *name;
    const char *request_type, *response_type;
    bool request_streaming, response_streaming;
    struct reg_proto_options options;
};

struct reg_proto_service {
    const char *name;
    struct reg_proto_rpc **rpcs;
    size_t n_rpcs;
    struct reg_proto_options options;
};

enum reg_proto_syntax { REG_PROTO_SYNTAX_NONE, REG_PROTO_SYNTAX_2, REG_PROTO_SYNTAX_3 };

struct reg_proto_strs {
    const char **v;
    size_t n;
};

struct reg_proto_arena;

struct reg_proto_file {
    enum reg_proto_syntax syntax;
    const char *package;                 /* NULL if none */
    struct reg_proto_strs imports, public_imports, weak_imports;
    struct reg_proto_types types;
    struct reg_proto_service **services;
    size_t n_services;
    struct reg_proto_extend **extends;
    size_t n_extends;
    struct reg_proto_options options;
    struct reg_proto_arena *arena;       /* owns everything above */
};

/* Bounds of one parse (docs/internals/schema-limits.md, the ferry.schema.max.* settings):
 * max_depth bounds the nesting of messages, groups, oneofs, option values and
 * any other block, the parser's and the printers' recursion (0 = 1000);
 * max_bytes the text (0 = 16 MiB). */
struct reg_proto_limits {
    size_t max_depth;
    size_t max_bytes;
};

/* Parse .proto text (`len` bytes; it may hold NUL) as Wire's ProtoParser
 * does (proto2, proto3; "edition" is refused as in Wire: "edition is not
 * currently supported"). 0 and a **new** *out (reg_proto_file_free), or -1
 * with err->code 42201 and a message naming the line and column
 * ("Syntax error in 1:5: expected ';' but was '}'"). `limits` may be NULL.
 * Linear in `len`; memory a small multiple of it. Thread: any. */
int reg_proto_parse(const char *text, size_t len, const struct reg_proto_limits *limits,
                    struct reg_proto_file **out, struct fy_err *err);

/* Free a model and everything in it; NULL is a no-op. */
void reg_proto_file_free(struct reg_proto_file *file);

/* One file another imports: its import name (the reference's name) and model. */
struct reg_proto_dep {
    const char *name;
    const struct reg_proto_file *file; /* borrowed */
};

/* Confluent's canonicalString(): ProtobufSchemaUtils.toString of the model.
 * 0 and a **new** *out (free()), or -1 with 42201 where Confluent's printer
 * throws (Wire's ProtoType.get: "map key must be non-byte, non-floating
 * point scalar: double"). Linear in the output. Thread: any. */
int reg_proto_canonical(const struct reg_proto_file *file, char **out, struct fy_err *err);

/* Confluent's formattedString("ignore_extensions"): the canonical text
 * without custom options (except confluent.*), extension ranges and extend
 * blocks. As reg_proto_canonical. */
int reg_proto_canonical_no_extensions(const struct reg_proto_file *file, char **out,
                                      struct fy_err *err);

/* Confluent's normalize().canonicalString() (ProtobufSchemaUtils.toNormalizedString):
 * imports sorted, fields by tag, oneofs by their first tag, reserved and
 * extension ranges split and sorted, enum constants by tag, options sorted
 * by name and custom ones merged, option maps sorted, numbers in
 * DecimalFormat's form, type names resolved to ".full.Name" through this
 * file and `deps` (the files it imports, transitively, as Confluent's
 * dependencies; may be NULL when n_deps is 0). 0 and a **new** *out, or -1
 * with 42201 "Could not resolve type: X" as Confluent. Thread: any. */
int reg_proto_normalize(const struct reg_proto_file *file, const struct reg_proto_dep *deps,
                        size_t n_deps, char **out, struct fy_err *err);

#endif
