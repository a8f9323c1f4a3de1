/* SPDX-License-Identifier: Apache-2.0
 * reg_avro: ferry's own Avro 1.11 schema model on jansson. Parses schema text
 * into a graph of nodes (named types referenced by name share one node, so
 * recursive types are cycles), validates it the way Avro-Java's Schema.Parser
 * does (names, duplicate fields/symbols, defaults against their types), and
 * writes the two text forms Confluent stores: the canonical form (Avro-Java
 * Schema.toString(), sr-api §5.3) and the normalized form (normalize=true).
 * avro-c drops aliases, doc, defaults, logicalType and custom properties, so it
 * is only a test oracle; this module keeps everything.
 * Thread: a parser and its nodes belong to one thread at a time; finished
 * nodes are immutable and may be read from any thread. */
#ifndef REG_AVRO_H
#define REG_AVRO_H

#include "common/fy_err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum reg_avro_type {
    REG_AVRO_NULL,
    REG_AVRO_BOOLEAN,
    REG_AVRO_INT,
    REG_AVRO_LONG,
    REG_AVRO_FLOAT,
    REG_AVRO_DOUBLE,
    REG_AVRO_BYTES,
    REG_AVRO_STRING,
    REG_AVRO_RECORD,
    REG_AVRO_ENUM,
    REG_AVRO_ARRAY,
    REG_AVRO_MAP,
    REG_AVRO_UNION,
    REG_AVRO_FIXED,
};

enum reg_avro_order { REG_AVRO_ASCENDING, REG_AVRO_DESCENDING, REG_AVRO_IGNORE };

struct reg_avro;

struct reg_avro_field {
    char *name;
    struct reg_avro *type;     /* borrowed from the parser */
    json_t *default_value;     /* NULL when the field has no default; JSON null is json_null() */
    char *doc;                 /* NULL when absent */
    enum reg_avro_order order;
    char **aliases;            /* as written, each once (field aliases are simple names) */
    size_t n_aliases;
    json_t *props;             /* custom properties in input order (as for the type) */
    int position;              /* index in the record, 0-based */
};

struct reg_avro {
    enum reg_avro_type type;
    /* named types (record, enum, fixed) */
    char *fullname;            /* "ns.Name" or "Name" */
    char *name;                /* simple name */
    char *namespace_;          /* NULL or "" when none */
    char *doc;
    char **aliases;            /* fully qualified */
    size_t n_aliases;
    /* record */
    struct reg_avro_field *fields;
    size_t n_fields;
    bool is_error;             /* "type":"error" */
    /* enum */
    char **symbols;
    size_t n_symbols;
    char *enum_default;        /* NULL when absent */
    /* fixed */
    int64_t size;
    /* array items / map values */
    struct reg_avro *items;
    /* union */
    struct reg_avro **branches;
    size_t n_branches;
    /* every type: custom properties in input order, logicalType included (object, never NULL;
     * read-only: every type or field without one shares one empty object) */
    json_t *props;
};

/* What one schema text may hold, checked before and while parsing so that no
 * client-sized input can exhaust the stack, the heap or the CPU (sqlite's
 * sqlite3_limit). A text over any of them is refused with 42201 and a message
 * naming the setting. `ferry serve` sets them from its .properties file
 * (ferry.schema.max.*); the defaults pass every real schema by far. */
struct reg_avro_limits {
    size_t max_bytes;          /* ferry.schema.max.bytes: text length */
    unsigned max_json_depth;   /* ferry.schema.max.json.depth: nesting of [ and { */
    unsigned max_depth;        /* ferry.schema.max.depth: type nesting, through names
                                * (what every recursive walk of the model descends) */
    size_t max_names;          /* ferry.schema.max.names: named types one text defines */
    size_t max_branches;       /* ferry.schema.max.union.branches: per union */
    size_t max_symbols;        /* ferry.schema.max.enum.symbols: per enum */
    size_t max_fields;         /* ferry.schema.max.fields: per record */
};

#define REG_AVRO_DEFAULT_MAX_BYTES ((size_t)16 << 20)
#define REG_AVRO_DEFAULT_MAX_JSON_DEPTH 1000 /* Jackson's StreamReadConstraints default */
#define REG_AVRO_DEFAULT_MAX_DEPTH 1000
#define REG_AVRO_DEFAULT_MAX_NAMES 100000
#define REG_AVRO_DEFAULT_MAX_BRANCHES 100000
#define REG_AVRO_DEFAULT_MAX_SYMBOLS 100000
#define REG_AVRO_DEFAULT_MAX_FIELDS 100000

/* The limits in force (the defaults until reg_avro_set_limits). Never NULL. */
const struct reg_avro_limits *reg_avro_get_limits(void);
/* Replace the limits in force; a zero member keeps its default. Call at
 * startup, before any thread parses (config is read-only afterwards).
 * Thread: main, before the registry opens. */
void reg_avro_set_limits(const struct reg_avro_limits *l);

struct reg_avro_parser;

/* New empty parser (no known names). Never NULL. */
struct reg_avro_parser *reg_avro_parser_new(void);
/* Free the parser and every node parsed through it. NULL is a no-op. */
void reg_avro_parser_free(struct reg_avro_parser *p);

/* Parse one schema text. Named types defined by earlier successful calls on the
 * same parser (the schema's references, parsed first, depth-first) can be used
 * by name; the types this call defines become visible to later calls.
 * `validate` = Avro-Java's validation (names, default values against their
 * types); IMPORT mode parses with validate=false and, for request schemas,
 * reg_avro_parser_check_names (Confluent validates names in every mode).
 * Duplicate field names, duplicate enum symbols, unknown types, unresolved
 * names and string defaults of float/double fields that are no number are
 * always errors. Like Avro-Java, comments are allowed before the end of the
 * schema, and a float/double field's string default ("NaN", "1.5") becomes a
 * number (a non-finite one is kept as the string "NaN"/"Infinity"/"-Infinity",
 * which is what the canonical text shows).
 * Returns 0 and a borrowed *out (valid until the parser is freed), or -1 with
 * err->code 42201 and a message saying what is wrong and where. On failure the
 * parser is unchanged. */
int reg_avro_parser_parse(struct reg_avro_parser *p, const char *text, bool validate,
                          const struct reg_avro **out, struct fy_err *err);

/* From now on, validate names (Avro-Java Schema.validateName, NUL bytes) in
 * every parse on `p`, also those with validate=false: Confluent's Avro parser
 * checks names in IMPORT mode and in lookups too, where only default values
 * go unchecked (AvroSchema's parser sets validateDefaults(isNew) alone).
 * Stored schemas are re-read without it. */
void reg_avro_parser_check_names(struct reg_avro_parser *p);

/* Make every node of `p` read as if parsed with validate=false. A successful
 * validating parse builds the same nodes as a non-validating one of the same
 * text except for that mark (validation only ever adds errors), and the mark
 * only matters to reg_avro_normalize's re-parse. The registry uses this to
 * keep a registered schema's model as the model of its stored text, which is
 * always re-read without validation. Not for nodes other threads may read. */
void reg_avro_parser_mark_unvalidated(struct reg_avro_parser *p);

/* Estimated heap bytes held by `p` and its nodes (for cache budgets; not exact). */
size_t reg_avro_parser_footprint(const struct reg_avro_parser *p);

/* The canonical text Confluent stores for `root` (Avro-Java Schema.toString():
 * compact JSON, fixed key order, namespace only where it differs from the
 * enclosing one, named types after their first appearance written as names).
 * The schemas of the parse calls before the one that returned `root` are its
 * references (Confluent: toString(referencedSchemas)): their top-level named
 * types are written as names. A type nested inside a reference is written in
 * full at its first use, exactly as Confluent does. **new** string. */
char *reg_avro_canonical(const struct reg_avro_parser *p, const struct reg_avro *root);

/* Confluent's normalized form (AvroSchemaUtils.toNormalizedString, sr-api
 * §5.3): full names, sorted aliases and custom properties. What is returned is
 * what Confluent stores for normalize=true: that text re-parsed next to the
 * same references and written canonically (AvroSchema.normalize()
 * .canonicalString()). **new** string, never NULL: in the rare case where the
 * re-parse fails (Confluent then rejects the schema, see reg_avro_normalize)
 * it falls back to reg_avro_canonical(). */
char *reg_avro_normalized(const struct reg_avro_parser *p, const struct reg_avro *root);

/* Added: reg_avro_normalized with the failure reported. 0 and a **new** *out,
 * or -1 with err->code 42201 when the normalized text does not parse again
 * (as in Confluent: e.g. a type nested inside a reference used by the schema
 * is inlined and then redefined, or a namespace-less type inside a namespaced
 * record is renamed into a clash). */
int reg_avro_normalize(const struct reg_avro_parser *p, const struct reg_avro *root, char **out,
                       struct fy_err *err);

/* Lower-case Avro name of a type kind ("record", "int", ...). Static string. */
const char *reg_avro_type_name(enum reg_avro_type type);

#endif
