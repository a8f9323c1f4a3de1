/* SPDX-License-Identifier: Apache-2.0
 * reg_jsonschema_int: the JSON Schema model shared by the loader
 * (reg_jsonschema.c), the canonical writer (reg_jsonschema_text.c) and the
 * diff (reg_jsonschema_diff.c). Only for registry/reg_jsonschema*.c.
 * Each node mirrors one everit Schema class; strings and JSON values are
 * borrowed from the jansson documents the schema owns. */
#ifndef REG_JSONSCHEMA_INT_H
#define REG_JSONSCHEMA_INT_H

#include "common/fy_map.h"
#include "registry/reg_jsonschema.h"

#include <jansson.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum js_kind {
    JS_EMPTY,     /* EmptySchema: {} or only annotations */
    JS_TRUE,      /* TrueSchema (extends EmptySchema): the boolean schema true */
    JS_FALSE,     /* FalseSchema */
    JS_BOOLEAN,   /* BooleanSchema */
    JS_NULL,      /* NullSchema */
    JS_STRING,    /* StringSchema */
    JS_NUMBER,    /* NumberSchema */
    JS_OBJECT,    /* ObjectSchema */
    JS_ARRAY,     /* ArraySchema */
    JS_ENUM,      /* EnumSchema */
    JS_CONST,     /* ConstSchema */
    JS_COMBINED,  /* CombinedSchema */
    JS_NOT,       /* NotSchema */
    JS_REF,       /* ReferenceSchema */
    JS_COND,      /* ConditionalSchema (if/then/else): compared only as a type */
};

enum js_crit { JS_ALL, JS_ANY, JS_ONE };

/* An optional number: the value and whether it is there. */
struct js_num {
    bool has;
    double v;
};

struct js_prop {
    const char *name;
    struct js_node *schema;
    bool required;        /* named in the object's "required" */
};

struct js_pattern {
    const char *pattern;
    regex_t re;
    bool compiled;
    struct js_node *schema;
};

/* A property name with its Java String.hashCode(), in the order
 * ObjectSchema.getPropertySchemas().keySet() iterates. */
struct js_okey {
    const char *name;
    uint32_t hash;
    struct js_prop *prop;
};

struct js_dep {           /* one "dependencies"/"dependentRequired"/"dependentSchemas" entry */
    const char *name;
    json_t *names;        /* property dependency: the array of names (borrowed), else NULL */
    struct js_node *schema; /* schema dependency, else NULL */
};

struct js_node {
    enum js_kind kind;
    json_t *raw;          /* the JSON this node was loaded from (borrowed) */
    const char *id, *title, *description;
    json_t *def;          /* "default" (borrowed), NULL when absent */
    const char *connect_type; /* unprocessed "connect.type" when a string */

    /* JS_STRING */
    struct js_num min_length, max_length;
    const char *pattern;

    /* JS_NUMBER */
    struct js_num minimum, maximum, excl_minimum, excl_maximum, multiple_of;
    const char *multiple_of_text; /* the literal, for exact remainders */
    bool requires_integer;

    /* JS_OBJECT */
    struct js_prop *props;
    size_t nprops;
    struct fy_map prop_index;     /* name -> struct js_prop * */
    json_t *required;             /* array of names (borrowed) or NULL */
    struct fy_map required_set;   /* name -> (void *)1 */
    struct js_num min_props, max_props;
    bool permits_additional;      /* additionalProperties is not false */
    struct js_node *additional;   /* schema of additionalProperties, or NULL */
    struct js_pattern *patterns;
    size_t npatterns;
    struct js_dep *deps;
    size_t ndeps;
    struct js_node *uneval;       /* unevaluatedProperties / unevaluatedItems (2019-09+) */

    /* JS_ARRAY */
    struct js_node *all_items;    /* items as one schema */
    struct js_node **items;       /* tuple items (items array, prefixItems) */
    size_t nitems;
    bool has_items_array;
    bool permits_additional_items;
    struct js_node *additional_items;
    struct js_num min_items, max_items, min_contains, max_contains;
    bool unique_items;
    struct js_node *contains;

    /* JS_ENUM: values array; JS_CONST: the value */
    json_t *values;

    /* JS_COMBINED */
    enum js_crit crit;
    bool synthetic;
    struct js_node **subs;
    size_t nsubs;

    /* JS_NOT: must_not; JS_REF: target (resolved after loading) */
    struct js_node *must_not;
    struct js_node *target;
    const char *ref;

    bool shared;                  /* a $ref target: comparisons of it are memoised */
    bool plain;                   /* raw holds no $ref, not or object/array default: two
                                   * plain nodes of one kind and equal raw JSON have no
                                   * differences at all (SchemaDiff would find none) */
    uint64_t hash;                /* of raw, when plain */
    const char *text;             /* raw as compact JSON (keys in order), when plain:
                                   * equal texts are equal subtrees (owned by the schema) */
    size_t text_len;
    struct js_okey *order;        /* JS_OBJECT: props in Java HashMap iteration order */

    struct js_node *next_alloc;   /* every node of a schema, for freeing */
};

struct reg_jsonschema {
    int draft;
    json_t *doc;            /* the root document */
    json_t **docs;          /* referenced documents loaded (owned) */
    size_t ndocs;
    struct js_node *root;
    struct js_node *nodes;  /* allocation list */
    _Atomic int prepared;   /* 0, 1 while reg_jsonschema_prepare runs, 2 when the
                             * nodes' hashes and texts are there */
    char **texts;           /* the plain nodes' texts (owned) */
    size_t ntexts;
    char *canonical;
    size_t canonical_len;
};

/* Java's String.hashCode() over the UTF-16 code units of UTF-8 `s`: what
 * orders a java.util.HashSet<String>, which SchemaDiff iterates. */
uint32_t reg_jsonschema_java_hash(const char *s, size_t len);

/* reg_jsonschema_canonical_text for a text already known to be JSON (the
 * parser has read it): no second validation. **New** or NULL with err. */
char *reg_jsonschema_write_text(const char *text, size_t len, bool normalize, struct fy_err *err);

/* The nodes' hashes and texts (what the diff skips equal subtrees by), made
 * on the first comparison rather than on every registration's parse: once per
 * schema, the first caller builds them and any other waits (C11 atomics; the
 * schema is otherwise read-only, so this is its only late write).
 * Thread: any. */
void reg_jsonschema_prepare(const struct reg_jsonschema *js);

/* Fill n->order for an object node (reg_jsonschema_diff.c, which owns the
 * Java iteration-order rules). */
void reg_jsonschema_order_props(struct js_node *n);

#endif
