/* SPDX-License-Identifier: Apache-2.0
 * reg_avro_int: what reg_avro.c (parser) and reg_avro_write.c (canonical and
 * normalized writers) share and nothing else may use: the private node
 * wrapper, the parser's name tables, and the logical-type rules the
 * normalized form needs. Thread: as reg_avro.h. */
#ifndef REG_AVRO_INT_H
#define REG_AVRO_INT_H

#include "common/fy_map.h"
#include "registry/reg_avro.h"

/* Every node the parser hands out is one of these; `pub` is first so the two
 * pointer types convert both ways. */
struct reg_avro_node {
    struct reg_avro pub;
    unsigned call;     /* the parse call (1-based) that created it */
    bool validated;    /* that call validated names and defaults */
    bool fields_set;   /* record: fields complete (Avro-Java "Schema fields not set yet") */
};

struct reg_avro_parser {
    struct fy_map names;            /* full name -> struct reg_avro_node * (borrowed from nodes) */
    struct reg_avro_node **nodes;   /* every node, owned */
    size_t n_nodes, cap_nodes;
    struct reg_avro_node **roots;   /* roots[i] = root of successful call i+1 */
    size_t n_roots, cap_roots;
    /* A scratch parser re-reading the normalized text sees its parent's
     * names from calls before `parent_limit` (the schema's references). */
    const struct reg_avro_parser *parent;
    unsigned parent_limit;
    bool check_names;               /* names validated even when validate=false */
};

static inline const struct reg_avro_node *reg_avro_node_of(const struct reg_avro *s)
{
    return (const struct reg_avro_node *)s;
}

/* Parse with a parent scope: like reg_avro_parser_parse on a fresh parser
 * that also sees `parent`'s types from calls before `limit`. */
struct reg_avro_parser *reg_avro_parser_new_child(const struct reg_avro_parser *parent,
                                                  unsigned limit);

/* How deep the canonical writer's recursion goes on `root` (one level per
 * type it visits), the larger of a write seeded with the references (as
 * reg_avro_canonical) and one seeded with nothing (a stored model written
 * on its own). Computed without recursion, in time linear in the nodes
 * visited; the parser refuses a root deeper than max_depth, so the writers'
 * own depth guards never cut a parsed root's text short. */
size_t reg_avro_write_depth(const struct reg_avro_parser *p, const struct reg_avro *root);

/* Avro-Java LogicalTypes.fromSchemaIgnoreInvalid: the valid logical type
 * name of `s` ("decimal", "date", ...) or NULL, and for decimal its
 * precision and scale. */
const char *reg_avro_logical_type(const struct reg_avro *s, int *precision, int *scale);

#endif
