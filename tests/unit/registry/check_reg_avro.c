/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for registry/reg_avro.c and reg_avro_write.c: the Avro parser,
 * the canonical text (Avro-Java Schema.toString) and the normalized text
 * (Confluent AvroSchemaUtils.toNormalizedString). The byte-exact expectations
 * come from tests/unit/registry/data/avro_vectors.txt, produced by Avro-Java
 * 1.11.4 itself; the other cases check the node model and the rules around it.
 * Run from the repository root (make test does). */
#include "registry/reg_avro.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "registry/reg_avro_int.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VECTORS "tests/unit/registry/data/avro_vectors.txt"
#define VECTORS_RANDOM "tests/unit/registry/data/avro_vectors_random.txt"

/* ---------------------------------------------------------------- helpers */

/* Parse `text` on a fresh parser (validating) and return its canonical text
 * (**new**), or NULL with *err filled. */
static char *canonical_of(const char *text, struct fy_err *err)
{
    struct reg_avro_parser *p = reg_avro_parser_new();
    const struct reg_avro *root = NULL;
    char *out = NULL;
    if (reg_avro_parser_parse(p, text, true, &root, err) == 0)
        out = reg_avro_canonical(p, root);
    reg_avro_parser_free(p);
    return out;
}

static char *normalized_of(const char *text)
{
    struct reg_avro_parser *p = reg_avro_parser_new();
    const struct reg_avro *root = NULL;
    struct fy_err err = {0};
    char *out = NULL;
    if (reg_avro_parser_parse(p, text, true, &root, &err) == 0)
        out = reg_avro_normalized(p, root);
    fy_err_destroy(&err);
    reg_avro_parser_free(p);
    return out;
}

static void assert_canonical(const char *in, const char *expected)
{
    struct fy_err err = {0};
    char *got = canonical_of(in, &err);
    ck_assert_msg(got != NULL, "parse failed: %s (input %s)", err.msg, in);
    ck_assert_str_eq(got, expected);
    free(got);
    fy_err_destroy(&err);
}

/* The schema must be rejected with 42201 and a message containing `needle`. */
static void assert_rejected(const char *in, bool validate, const char *needle)
{
    struct reg_avro_parser *p = reg_avro_parser_new();
    const struct reg_avro *root = NULL;
    struct fy_err err = {0};
    int rc = reg_avro_parser_parse(p, in, validate, &root, &err);
    ck_assert_msg(rc == -1, "accepted: %s", in);
    ck_assert_int_eq(err.code, REG_E_INVALID_SCHEMA);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'", err.msg, needle);
    fy_err_destroy(&err);
    reg_avro_parser_free(p);
}

/* ---------------------------------------------------------------- vectors */

struct group {
    int line;
    char *refs[8];
    size_t n_refs;
    bool novalidate;
    char *in;
    char *canonical;      /* expected text, or NULL */
    bool canonical_error; /* Avro-Java rejects the schema */
    char *normalized;
    bool normalized_error;
};

static void group_reset(struct group *g)
{
    for (size_t i = 0; i < g->n_refs; i++)
        free(g->refs[i]);
    free(g->in);
    free(g->canonical);
    free(g->normalized);
    memset(g, 0, sizeof *g);
}

/* Check one group; returns the number of mismatches (each printed). */
static int group_run(const struct group *g)
{
    int bad = 0;
    struct reg_avro_parser *p = reg_avro_parser_new();
    struct fy_err err = {0};
    const struct reg_avro *root = NULL;
    for (size_t i = 0; i < g->n_refs; i++) {
        if (reg_avro_parser_parse(p, g->refs[i], !g->novalidate, &root, &err) != 0) {
            if (!g->canonical_error) {
                fprintf(stderr, "vector at line %d: reference rejected: %s\n", g->line, err.msg);
                bad++;
            }
            goto out;
        }
    }
    int rc = reg_avro_parser_parse(p, g->in, !g->novalidate, &root, &err);
    if (g->canonical_error) {
        if (rc == 0) {
            char *got = reg_avro_canonical(p, root);
            fprintf(stderr, "vector at line %d: Avro-Java rejects this, we accepted it as %s\n",
                    g->line, got);
            free(got);
            bad++;
        } else if (err.code != REG_E_INVALID_SCHEMA) {
            fprintf(stderr, "vector at line %d: rejected with code %d\n", g->line, err.code);
            bad++;
        }
        goto out;
    }
    if (rc != 0) {
        fprintf(stderr, "vector at line %d: rejected: %s\n", g->line, err.msg);
        bad++;
        goto out;
    }
    char *got = reg_avro_canonical(p, root);
    if (g->canonical && strcmp(got, g->canonical) != 0) {
        fprintf(stderr, "vector at line %d: canonical\n  want %s\n  got  %s\n", g->line,
                g->canonical, got);
        bad++;
    }
    free(got);
    if (g->normalized || g->normalized_error) {
        char *norm = NULL;
        struct fy_err nerr = {0};
        int nrc = reg_avro_normalize(p, root, &norm, &nerr);
        if (g->normalized_error && nrc == 0) {
            fprintf(stderr, "vector at line %d: normalize should fail, got %s\n", g->line, norm);
            bad++;
        } else if (g->normalized && nrc != 0) {
            fprintf(stderr, "vector at line %d: normalize failed: %s\n", g->line, nerr.msg);
            bad++;
        } else if (g->normalized && strcmp(norm, g->normalized) != 0) {
            fprintf(stderr, "vector at line %d: normalized\n  want %s\n  got  %s\n", g->line,
                    g->normalized, norm);
            bad++;
        }
        free(norm);
        fy_err_destroy(&nerr);
    }
out:
    fy_err_destroy(&err);
    reg_avro_parser_free(p);
    return bad;
}

static char *dup_rest(const char *line, size_t skip)
{
    char *s = strdup(line + skip);
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

/* Run every group of the vector file at `path`; returns the number of groups
 * (and adds mismatches to *bad). */
static int run_vector_file(const char *path, int *bad)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", path);
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, groups = 0;
    struct group g = {0};
    for (;;) {
        ssize_t n = getline(&line, &cap, f);
        lineno++;
        bool end = n < 0 || line[0] == '\n';
        if (end) {
            if (g.in) {
                groups++;
                *bad += group_run(&g);
            }
            group_reset(&g);
            if (n < 0)
                break;
            continue;
        }
        if (strncmp(line, "ref ", 4) == 0 && g.n_refs < 8)
            g.refs[g.n_refs++] = dup_rest(line, 4);
        else if (strncmp(line, "opt novalidate", 14) == 0)
            g.novalidate = true;
        else if (strncmp(line, "in ", 3) == 0) {
            g.in = dup_rest(line, 3);
            g.line = lineno;
        } else if (strncmp(line, "canonical-error", 15) == 0)
            g.canonical_error = true;
        else if (strncmp(line, "canonical ", 10) == 0)
            g.canonical = dup_rest(line, 10);
        else if (strncmp(line, "normalized-error", 16) == 0)
            g.normalized_error = true;
        else if (strncmp(line, "normalized ", 11) == 0)
            g.normalized = dup_rest(line, 11);
    }
    free(line);
    fclose(f);
    return groups;
}

START_TEST(test_vectors_match_avro_java)
{
    /* AVRO_VECTORS: check another file of the same format instead (used when
     * regenerating vectors with the Avro-Java oracle) */
    const char *path = getenv("AVRO_VECTORS") ? getenv("AVRO_VECTORS") : VECTORS;
    int bad = 0;
    int groups = run_vector_file(path, &bad);
    if (!getenv("AVRO_VECTORS"))
        ck_assert_int_gt(groups, 150);
    ck_assert_msg(bad == 0, "%d of %d vector groups differ from Avro-Java (see stderr)", bad,
                  groups);
}
END_TEST

START_TEST(test_random_vectors_match_avro_java)
{
    int bad = 0;
    int groups = run_vector_file(VECTORS_RANDOM, &bad);
    ck_assert_int_ge(groups, 150);
    ck_assert_msg(bad == 0, "%d of %d random vector groups differ from Avro-Java (see stderr)",
                  bad, groups);
}
END_TEST

/* Deep equality of two models (named types compared once: a pair already
 * under comparison counts as equal, which is what ends recursive types). */
struct pair_seen {
    const struct reg_avro *a[256], *b[256];
    size_t n;
};

static bool str_eq(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool model_equal(const struct reg_avro *a, const struct reg_avro *b, struct pair_seen *seen)
{
    if (a == NULL || b == NULL)
        return a == b;
    for (size_t i = 0; i < seen->n; i++)
        if (seen->a[i] == a && seen->b[i] == b)
            return true;
    if (seen->n < 256) {
        seen->a[seen->n] = a;
        seen->b[seen->n++] = b;
    }
    const struct reg_avro_node *na = reg_avro_node_of(a), *nb = reg_avro_node_of(b);
    if (a->type != b->type || !str_eq(a->fullname, b->fullname) || !str_eq(a->name, b->name) ||
        !str_eq(a->namespace_, b->namespace_) || !str_eq(a->doc, b->doc) ||
        a->n_aliases != b->n_aliases || a->n_fields != b->n_fields || a->is_error != b->is_error ||
        a->n_symbols != b->n_symbols || !str_eq(a->enum_default, b->enum_default) ||
        a->size != b->size || a->n_branches != b->n_branches || !json_equal(a->props, b->props) ||
        na->validated != nb->validated || na->call != nb->call || na->fields_set != nb->fields_set)
        return false;
    for (size_t i = 0; i < a->n_aliases; i++)
        if (!str_eq(a->aliases[i], b->aliases[i]))
            return false;
    for (size_t i = 0; i < a->n_symbols; i++)
        if (!str_eq(a->symbols[i], b->symbols[i]))
            return false;
    for (size_t i = 0; i < a->n_fields; i++) {
        const struct reg_avro_field *fa = &a->fields[i], *fb = &b->fields[i];
        if (!str_eq(fa->name, fb->name) || !str_eq(fa->doc, fb->doc) || fa->order != fb->order ||
            fa->position != fb->position || fa->n_aliases != fb->n_aliases ||
            !json_equal(fa->props, fb->props) ||
            (fa->default_value == NULL) != (fb->default_value == NULL) ||
            (fa->default_value && !json_equal(fa->default_value, fb->default_value)))
            return false;
        for (size_t k = 0; k < fa->n_aliases; k++)
            if (!str_eq(fa->aliases[k], fb->aliases[k]))
                return false;
        if (!model_equal(fa->type, fb->type, seen))
            return false;
    }
    for (size_t i = 0; i < a->n_branches; i++)
        if (!model_equal(a->branches[i], b->branches[i], seen))
            return false;
    return model_equal(a->items, b->items, seen);
}

/* What reg_register.c relies on when it keeps a registered schema's model as
 * the model of its stored text: a validating parse that succeeds, marked
 * unvalidated, is the model a non-validating parse of the same text builds. */
static int unvalidated_equal_run(const char *path)
{
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char *line = NULL;
    size_t cap = 0;
    int compared = 0;
    while (getline(&line, &cap, f) >= 0) {
        if (strncmp(line, "in ", 3) != 0)
            continue;
        char *text = dup_rest(line, 3);
        struct reg_avro_parser *pv = reg_avro_parser_new(), *pn = reg_avro_parser_new();
        const struct reg_avro *rv, *rn;
        if (reg_avro_parser_parse(pv, text, true, &rv, NULL) == 0) {
            ck_assert_int_eq(reg_avro_parser_parse(pn, text, false, &rn, NULL), 0);
            reg_avro_parser_mark_unvalidated(pv);
            struct pair_seen seen = {.n = 0};
            ck_assert_msg(model_equal(rv, rn, &seen), "models differ for %s", text);
            ck_assert_uint_gt(reg_avro_parser_footprint(pv), 0);
            compared++;
        }
        reg_avro_parser_free(pv);
        reg_avro_parser_free(pn);
        free(text);
    }
    free(line);
    fclose(f);
    return compared;
}

START_TEST(test_validated_parse_marked_unvalidated_is_the_unvalidated_model)
{
    ck_assert_int_gt(unvalidated_equal_run(VECTORS), 80);
    ck_assert_int_gt(unvalidated_equal_run(VECTORS_RANDOM), 100);
}
END_TEST

/* ---------------------------------------------------------------- canonical */

START_TEST(test_canonical_is_compact_in_avro_java_key_order)
{
    assert_canonical("{ \"fields\" : [ {\"order\":\"ignore\", \"x\":1, \"aliases\":[\"o\"], "
                     "\"default\":2, \"doc\":\"d\", \"type\":\"int\", \"name\":\"f\"} ], "
                     "\"aliases\":[\"A\"], \"p\":true, \"doc\":\"D\", \"namespace\":\"n\", "
                     "\"name\":\"R\", \"type\":\"record\" }",
                     "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\",\"doc\":\"D\","
                     "\"fields\":[{\"name\":\"f\",\"type\":\"int\",\"doc\":\"d\",\"default\":2,"
                     "\"order\":\"ignore\",\"aliases\":[\"o\"],\"x\":1}],\"p\":true,"
                     "\"aliases\":[\"A\"]}");
    assert_canonical("{\"p\":1,\"symbols\":[\"A\"],\"default\":\"A\",\"name\":\"E\","
                     "\"type\":\"enum\",\"aliases\":[\"F\"],\"doc\":\"x\"}",
                     "{\"type\":\"enum\",\"name\":\"E\",\"doc\":\"x\",\"symbols\":[\"A\"],"
                     "\"default\":\"A\",\"p\":1,\"aliases\":[\"F\"]}");
    assert_canonical("{\"size\":4,\"p\":[1],\"name\":\"F\",\"type\":\"fixed\"}",
                     "{\"type\":\"fixed\",\"name\":\"F\",\"size\":4,\"p\":[1]}");
}
END_TEST

START_TEST(test_canonical_primitive_is_a_string_unless_it_has_props)
{
    assert_canonical("{\"type\":\"int\"}", "\"int\"");
    assert_canonical("{\"type\":\"int\",\"doc\":\"reserved keys are dropped\"}", "\"int\"");
    assert_canonical("{\"type\":\"string\",\"avro.java.string\":\"String\"}",
                     "{\"type\":\"string\",\"avro.java.string\":\"String\"}");
}
END_TEST

START_TEST(test_canonical_numbers_and_strings_as_jackson_writes_them)
{
    assert_canonical("{\"type\":\"int\",\"a\":1e10,\"b\":0.0001,\"c\":-0.0,\"d\":100,\"e\":1.50,"
                     "\"f\":12345678.9,\"g\":\"\\u0001\\u001f\\/\\u00e9\\t\"}",
                     "{\"type\":\"int\",\"a\":1.0E10,\"b\":1.0E-4,\"c\":-0.0,\"d\":100,\"e\":1.5,"
                     "\"f\":1.23456789E7,\"g\":\"\\u0001\\u001F/\xc3\xa9\\t\"}");
}
END_TEST

/* ---------------------------------------------------------------- namespaces */

START_TEST(test_namespace_is_inherited_and_written_only_where_it_changes)
{
    struct reg_avro_parser *p = reg_avro_parser_new();
    const struct reg_avro *r = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(
        reg_avro_parser_parse(p,
                              "{\"type\":\"record\",\"name\":\"Outer\",\"namespace\":\"a.b\","
                              "\"fields\":[{\"name\":\"i\",\"type\":{\"type\":\"record\","
                              "\"name\":\"Inner\",\"fields\":[]}},{\"name\":\"o\",\"type\":{"
                              "\"type\":\"enum\",\"name\":\"x.E\",\"symbols\":[\"A\"]}},"
                              "{\"name\":\"n\",\"type\":{\"type\":\"fixed\",\"name\":\"N\","
                              "\"namespace\":\"\",\"size\":1}}]}",
                              true, &r, &err),
        0);
    ck_assert_str_eq(r->fullname, "a.b.Outer");
    ck_assert_str_eq(r->name, "Outer");
    ck_assert_str_eq(r->namespace_, "a.b");
    const struct reg_avro *inner = r->fields[0].type;
    ck_assert_str_eq(inner->fullname, "a.b.Inner");
    ck_assert_str_eq(inner->namespace_, "a.b");
    const struct reg_avro *e = r->fields[1].type;
    ck_assert_str_eq(e->fullname, "x.E");
    ck_assert_str_eq(e->name, "E");
    ck_assert_str_eq(e->namespace_, "x");
    const struct reg_avro *n = r->fields[2].type;
    ck_assert_str_eq(n->fullname, "N");
    ck_assert_ptr_null(n->namespace_);
    char *c = reg_avro_canonical(p, r);
    ck_assert_str_eq(c, "{\"type\":\"record\",\"name\":\"Outer\",\"namespace\":\"a.b\",\"fields\":["
                        "{\"name\":\"i\",\"type\":{\"type\":\"record\",\"name\":\"Inner\","
                        "\"fields\":[]}},{\"name\":\"o\",\"type\":{\"type\":\"enum\",\"name\":"
                        "\"E\",\"namespace\":\"x\",\"symbols\":[\"A\"]}},{\"name\":\"n\",\"type\":"
                        "{\"type\":\"fixed\",\"name\":\"N\",\"namespace\":\"\",\"size\":1}}]}");
    free(c);
    reg_avro_parser_free(p);
}
END_TEST

START_TEST(test_names_resolve_in_enclosing_then_null_namespace)
{
    /* "Inner" from inside ns resolves to ns.Inner; "Top" (no namespace)
     * resolves through the fallback to the null namespace */
    assert_canonical("{\"type\":\"record\",\"name\":\"Top\",\"fields\":[{\"name\":\"a\",\"type\":"
                     "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"ns\",\"fields\":["
                     "{\"name\":\"b\",\"type\":{\"type\":\"enum\",\"name\":\"Inner\","
                     "\"symbols\":[\"X\"]}},{\"name\":\"c\",\"type\":\"Inner\"},"
                     "{\"name\":\"d\",\"type\":\"Top\"}]}}]}",
                     "{\"type\":\"record\",\"name\":\"Top\",\"fields\":[{\"name\":\"a\",\"type\":"
                     "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"ns\",\"fields\":["
                     "{\"name\":\"b\",\"type\":{\"type\":\"enum\",\"name\":\"Inner\","
                     "\"symbols\":[\"X\"]}},{\"name\":\"c\",\"type\":\"Inner\"},"
                     "{\"name\":\"d\",\"type\":\"Top\"}]}}]}");
}
END_TEST

START_TEST(test_aliases_are_qualified_in_nodes_and_relative_in_text)
{
    struct reg_avro_parser *p = reg_avro_parser_new();
    const struct reg_avro *r = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_avro_parser_parse(p,
                                           "{\"type\":\"record\",\"name\":\"R\",\"namespace\":"
                                           "\"a\",\"aliases\":[\"Old\",\"b.Other\",\"Old\"],"
                                           "\"fields\":[{\"name\":\"f\",\"type\":\"int\","
                                           "\"aliases\":[\"g\",\"g\"]}]}",
                                           true, &r, &err),
                     0);
    ck_assert_uint_eq(r->n_aliases, 2);
    ck_assert_str_eq(r->aliases[0], "a.Old");
    ck_assert_str_eq(r->aliases[1], "b.Other");
    ck_assert_uint_eq(r->fields[0].n_aliases, 1);
    ck_assert_str_eq(r->fields[0].aliases[0], "g");
    char *c = reg_avro_canonical(p, r);
    ck_assert_str_eq(c, "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a\",\"fields\":["
                        "{\"name\":\"f\",\"type\":\"int\",\"aliases\":[\"g\"]}],"
                        "\"aliases\":[\"Old\",\"b.Other\"]}");
    free(c);
    reg_avro_parser_free(p);
}
END_TEST

/* ---------------------------------------------------------------- named types */

START_TEST(test_named_type_is_one_node_written_once_then_by_name)
{
    struct reg_avro_parser *p = reg_avro_parser_new();
    const struct reg_avro *r = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_avro_parser_parse(p,
                                           "{\"type\":\"record\",\"name\":\"Node\",\"fields\":["
                                           "{\"name\":\"v\",\"type\":{\"type\":\"fixed\",\"name\":"
                                           "\"F\",\"size\":2}},{\"name\":\"w\",\"type\":\"F\"},"
                                           "{\"name\":\"next\",\"type\":[\"null\",\"Node\"],"
                                           "\"default\":null}]}",
                                           true, &r, &err),
                     0);
    ck_assert_ptr_eq(r->fields[0].type, r->fields[1].type);
    ck_assert_int_eq(r->fields[0].type->size, 2);
    /* a recursive type is a cycle in the graph */
    const struct reg_avro *u = r->fields[2].type;
    ck_assert_int_eq(u->type, REG_AVRO_UNION);
    ck_assert_uint_eq(u->n_branches, 2);
    ck_assert_int_eq(u->branches[0]->type, REG_AVRO_NULL);
    ck_assert_ptr_eq(u->branches[1], r);
    ck_assert(json_is_null(r->fields[2].default_value));
    ck_assert_ptr_null(r->fields[0].default_value);
    ck_assert_int_eq(r->fields[2].position, 2);
    char *c = reg_avro_canonical(p, r);
    ck_assert_str_eq(c, "{\"type\":\"record\",\"name\":\"Node\",\"fields\":[{\"name\":\"v\","
                        "\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":2}},{\"name\":\"w\","
                        "\"type\":\"F\"},{\"name\":\"next\",\"type\":[\"null\",\"Node\"],"
                        "\"default\":null}]}");
    free(c);
    reg_avro_parser_free(p);
}
END_TEST

START_TEST(test_model_keeps_enum_fixed_error_order_and_doc)
{
    struct reg_avro_parser *p = reg_avro_parser_new();
    const struct reg_avro *r = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_avro_parser_parse(p,
                                           "{\"type\":\"error\",\"name\":\"Oops\",\"doc\":\"d\","
                                           "\"fields\":[{\"name\":\"e\",\"doc\":\"fd\","
                                           "\"order\":\"DESCENDING\",\"type\":{\"type\":\"enum\","
                                           "\"name\":\"E\",\"symbols\":[\"A\",\"B\"],\"default\":"
                                           "\"B\"},\"default\":\"A\",\"p\":1},{\"name\":\"m\","
                                           "\"type\":{\"type\":\"map\",\"values\":\"long\"},"
                                           "\"order\":\"ignore\"}]}",
                                           true, &r, &err),
                     0);
    ck_assert(r->is_error);
    ck_assert_str_eq(r->doc, "d");
    const struct reg_avro_field *f = &r->fields[0];
    ck_assert_str_eq(f->doc, "fd");
    ck_assert_int_eq(f->order, REG_AVRO_DESCENDING);
    ck_assert_str_eq(json_string_value(f->default_value), "A");
    ck_assert_int_eq(json_integer_value(json_object_get(f->props, "p")), 1);
    ck_assert_uint_eq(f->type->n_symbols, 2);
    ck_assert_str_eq(f->type->symbols[1], "B");
    ck_assert_str_eq(f->type->enum_default, "B");
    ck_assert_int_eq(r->fields[1].order, REG_AVRO_IGNORE);
    ck_assert_int_eq(r->fields[1].type->type, REG_AVRO_MAP);
    ck_assert_int_eq(r->fields[1].type->items->type, REG_AVRO_LONG);
    ck_assert_str_eq(reg_avro_type_name(REG_AVRO_FIXED), "fixed");
    ck_assert_str_eq(reg_avro_type_name(REG_AVRO_UNION), "union");
    reg_avro_parser_free(p);
}
END_TEST

/* ---------------------------------------------------------------- logical types, props */

START_TEST(test_logical_types_and_custom_props_are_kept_in_input_order)
{
    struct reg_avro_parser *p = reg_avro_parser_new();
    const struct reg_avro *r = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_avro_parser_parse(p,
                                           "{\"type\":\"bytes\",\"scale\":2,\"connect.name\":"
                                           "\"x\",\"logicalType\":\"decimal\",\"precision\":9}",
                                           true, &r, &err),
                     0);
    const char *keys[] = {"scale", "connect.name", "logicalType", "precision"};
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(r->props, k, v)
    {
        ck_assert_uint_lt(i, 4);
        ck_assert_str_eq(k, keys[i++]);
    }
    ck_assert_uint_eq(i, 4);
    char *c = reg_avro_canonical(p, r);
    ck_assert_str_eq(c, "{\"type\":\"bytes\",\"scale\":2,\"connect.name\":\"x\","
                        "\"logicalType\":\"decimal\",\"precision\":9}");
    free(c);
    /* normalized: a valid logical type first, then the rest sorted */
    char *n = reg_avro_normalized(p, r);
    ck_assert_str_eq(n, "{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":9,"
                        "\"scale\":2,\"connect.name\":\"x\"}");
    free(n);
    reg_avro_parser_free(p);
}
END_TEST

/* ---------------------------------------------------------------- defaults */

START_TEST(test_defaults_are_validated_like_avro_java)
{
    static const struct {
        const char *type;
        const char *def;
        bool ok;
    } cases[] = {
        {"\"int\"", "2147483647", true},
        {"\"int\"", "2147483648", false},
        {"\"int\"", "1.0", false},
        {"\"long\"", "-9223372036854775808", true},
        {"\"long\"", "1e3", false},
        {"\"float\"", "1", true},
        {"\"double\"", "1.5e300", true},
        {"\"double\"", "\"NaN\"", true},
        {"\"double\"", "true", false},
        {"\"boolean\"", "false", true},
        {"\"boolean\"", "0", false},
        {"\"null\"", "null", true},
        {"\"string\"", "null", false},
        {"\"bytes\"", "\"\\u00ff\"", true},
        {"{\"type\":\"fixed\",\"name\":\"F\",\"size\":1}", "\"toolong is fine\"", true},
        {"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}", "\"ANY_STRING\"", true},
        {"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}", "0", false},
        {"{\"type\":\"array\",\"items\":\"int\"}", "[1,2]", true},
        {"{\"type\":\"array\",\"items\":\"int\"}", "[1,\"2\"]", false},
        {"{\"type\":\"map\",\"values\":\"string\"}", "{\"a\":\"b\"}", true},
        {"{\"type\":\"map\",\"values\":\"string\"}", "{\"a\":1}", false},
        {"[\"null\",\"int\"]", "null", true},
        {"[\"null\",\"int\"]", "1", false},
        {"[\"int\",\"null\"]", "1", true},
        {"{\"type\":\"record\",\"name\":\"In\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"},"
         "{\"name\":\"y\",\"type\":\"int\",\"default\":0}]}",
         "{\"x\":1}", true},
        {"{\"type\":\"record\",\"name\":\"In\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}",
         "{}", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"f\",\"type\":%s,"
                 "\"default\":%s}]}",
                 cases[i].type, cases[i].def);
        struct reg_avro_parser *p = reg_avro_parser_new();
        const struct reg_avro *r = NULL;
        struct fy_err err = {0};
        int rc = reg_avro_parser_parse(p, text, true, &r, &err);
        ck_assert_msg((rc == 0) == cases[i].ok, "%s default %s: rc %d (%s)", cases[i].type,
                      cases[i].def, rc, err.msg);
        if (!cases[i].ok) {
            ck_assert_int_eq(err.code, REG_E_INVALID_SCHEMA);
            ck_assert_ptr_nonnull(strstr(err.msg, "Invalid default for field f"));
        }
        /* without validation (IMPORT) every one of them is accepted (a string
         * that is no number for a float/double field fails either way) */
        struct reg_avro_parser *q = reg_avro_parser_new();
        ck_assert_int_eq(reg_avro_parser_parse(q, text, false, &r, &err), 0);
        reg_avro_parser_free(q);
        reg_avro_parser_free(p);
    }
}
END_TEST

START_TEST(test_string_default_of_float_field_becomes_a_number)
{
    assert_canonical("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":"
                     "\"double\",\"default\":\" 2 \"},{\"name\":\"b\",\"type\":\"float\","
                     "\"default\":\"-Infinity\"},{\"name\":\"c\",\"type\":\"double\","
                     "\"default\":\"1e-5d\"}]}",
                     "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":"
                     "\"double\",\"default\":2.0},{\"name\":\"b\",\"type\":\"float\","
                     "\"default\":\"-Infinity\"},{\"name\":\"c\",\"type\":\"double\","
                     "\"default\":1.0E-5}]}");
    /* Double.valueOf rejects it even without validation */
    assert_rejected("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":"
                    "\"double\",\"default\":\"one\"}]}",
                    false, "For input string");
}
END_TEST

START_TEST(test_default_with_nul_bytes_is_kept_whole)
{
    assert_canonical("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"b\",\"type\":"
                     "\"bytes\",\"default\":\"\\u0000\\u0000a\"}]}",
                     "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"b\",\"type\":"
                     "\"bytes\",\"default\":\"\\u0000\\u0000a\"}]}");
    assert_rejected("{\"type\":\"record\",\"name\":\"R\\u0000x\",\"fields\":[]}", true,
                    "Illegal character");
}
END_TEST

/* ---------------------------------------------------------------- invalid schemas */

START_TEST(test_every_invalid_schema_class_is_42201)
{
    static const struct {
        const char *text;
        const char *needle;
    } cases[] = {
        {"{\"type\":\"nope\"}", "Type not supported: nope"},
        {"\"Nope\"", "Undefined name: \"Nope\""},
        {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"Nope\"}]}",
         "is not a defined name"},
        {"{\"type\":\"array\",\"items\":\"Nope\"}", "Undefined name"},
        {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":{\"type\":"
         "\"record\",\"name\":\"R\",\"fields\":[]}}]}",
         "Can't redefine: R"},
        {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
         "{\"name\":\"a\",\"type\":\"int\"}]}",
         "Duplicate field a in record R"},
        {"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"A\"]}", "Duplicate enum symbol: A"},
        {"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"],\"default\":\"Z\"}",
         "The Enum Default: Z is not in the enum symbol set"},
        {"{\"type\":\"record\",\"name\":\"my-rec\",\"fields\":[]}", "Illegal character in: my-rec"},
        {"{\"type\":\"record\",\"name\":\"9r\",\"fields\":[]}", "Illegal initial character: 9r"},
        {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"\",\"type\":\"int\"}]}",
         "Empty name"},
        {"{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"a b\"]}", "Illegal character in: a b"},
        {"{\"type\":\"record\",\"name\":\"R\",\"aliases\":[\"x-y\"],\"fields\":[]}",
         "Illegal character in: x-y"},
        {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"f\",\"type\":\"int\","
         "\"default\":\"x\"}]}",
         "Invalid default for field f"},
        {"{\"type\":\"record\",\"name\":\"long\",\"fields\":[]}",
         "Schemas may not be named after primitives: long"},
        {"[\"int\",[\"null\"]]", "Nested union"},
        {"[\"int\",{\"type\":\"int\",\"p\":1}]", "Duplicate in union:int"},
        {"{\"type\":\"record\",\"name\":\"R\"}", "Record has no fields"},
        {"{\"type\":\"enum\",\"name\":\"E\"}", "Enum has no symbols"},
        {"{\"type\":\"fixed\",\"name\":\"F\",\"size\":-2}", "Length is negative"},
        {"{\"type\":\"fixed\",\"name\":\"F\"}", "Invalid or no size"},
        {"{\"type\":\"array\"}", "Array has no items type"},
        {"{\"type\":\"map\"}", "Map has no values type"},
        {"{\"type\":\"record\",\"fields\":[]}", "No name in schema"},
        {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"type\":\"int\"}]}", "No field name"},
        {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\"}]}", "No field type"},
        {"{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\","
         "\"order\":\"up\"}]}",
         "Invalid field order"},
        {"{\"name\":\"x\"}", "No type"},
        {"{\"type\":{\"type\":\"int\"}}", "No type"},
        {"{\"type\":\"record\",\"name\":\"R\",\"aliases\":\"A\",\"fields\":[]}",
         "aliases not an array"},
        {"{\"type\":\"record\",\"name\":\"R\",\"aliases\":[1],\"fields\":[]}",
         "alias not a string"},
        {"17", "Schema not yet supported"},
        {"{\"type\":\"int\"", "Invalid schema"},
        {"\"int\" \"long\"", "Invalid schema"},
        {"{\"type\":\"int\"} // trailing comment", "Invalid schema"},
        {"", "Invalid schema"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_rejected(cases[i].text, true, cases[i].needle);
}
END_TEST

START_TEST(test_structural_errors_need_no_validation)
{
    /* IMPORT (validate=false) still rejects what Avro-Java always rejects */
    assert_rejected("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":"
                    "\"int\"},{\"name\":\"a\",\"type\":\"long\"}]}",
                    false, "Duplicate field");
    assert_rejected("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"A\"]}", false,
                    "Duplicate enum symbol");
    assert_rejected("{\"type\":\"unknown\"}", false, "Type not supported");
    assert_rejected("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":"
                    "\"Nope\"}]}",
                    false, "is not a defined name");
    /* ...but keeps invalid names as written */
    struct reg_avro_parser *p = reg_avro_parser_new();
    const struct reg_avro *r = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_avro_parser_parse(p,
                                           "{\"type\":\"record\",\"name\":\"my-rec\",\"fields\":"
                                           "[{\"name\":\"a b\",\"type\":\"int\"}]}",
                                           false, &r, &err),
                     0);
    ck_assert_str_eq(r->fullname, "my-rec");
    ck_assert_str_eq(r->fields[0].name, "a b");
    reg_avro_parser_free(p);
}
END_TEST

START_TEST(test_failed_parse_leaves_the_parser_unchanged)
{
    struct reg_avro_parser *p = reg_avro_parser_new();
    const struct reg_avro *r = NULL;
    struct fy_err err = {0};
    /* defines A and B, then fails: neither may stay defined */
    ck_assert_int_eq(reg_avro_parser_parse(p,
                                           "{\"type\":\"record\",\"name\":\"A\",\"fields\":["
                                           "{\"name\":\"b\",\"type\":{\"type\":\"enum\",\"name\":"
                                           "\"B\",\"symbols\":[\"X\"]}},{\"name\":\"c\",\"type\":"
                                           "\"Missing\"}]}",
                                           true, &r, &err),
                     -1);
    ck_assert_int_eq(err.code, REG_E_INVALID_SCHEMA);
    assert_rejected("\"A\"", true, "Undefined name");
    ck_assert_int_eq(reg_avro_parser_parse(p, "\"B\"", true, &r, &err), -1);
    ck_assert_int_eq(reg_avro_parser_parse(p,
                                           "{\"type\":\"record\",\"name\":\"A\",\"fields\":["
                                           "{\"name\":\"b\",\"type\":{\"type\":\"enum\",\"name\":"
                                           "\"B\",\"symbols\":[\"X\"]}}]}",
                                           true, &r, &err),
                     0);
    ck_assert_str_eq(r->fullname, "A");
    reg_avro_parser_free(p);
}
END_TEST

START_TEST(test_comments_are_allowed_as_avro_java_allows_them)
{
    assert_canonical("// leading\n{\"type\": /* inline */ \"record\", \"name\":\"C\", // eol\n"
                     "\"doc\":\"/* kept */\",\"fields\":[]}",
                     "{\"type\":\"record\",\"name\":\"C\",\"doc\":\"/* kept */\",\"fields\":[]}");
}
END_TEST

START_TEST(test_unicode_letters_are_valid_names)
{
    assert_canonical("{\"type\":\"record\",\"name\":\"Gr\xc3\xb6\xc3\x9f" "e\",\"fields\":[{\"name\":"
                     "\"\xce\xb1\xce\xb2\",\"type\":\"int\"}]}",
                     "{\"type\":\"record\",\"name\":\"Gr\xc3\xb6\xc3\x9f" "e\",\"fields\":[{\"name\":"
                     "\"\xce\xb1\xce\xb2\",\"type\":\"int\"}]}");
    /* a supplementary character is two UTF-16 surrogates, not a letter */
    assert_rejected("{\"type\":\"record\",\"name\":\"\xf0\x9f\x98\x80\",\"fields\":[]}", true,
                    "Illegal initial character");
}
END_TEST

/* ---------------------------------------------------------------- references */

START_TEST(test_reference_types_are_written_as_names)
{
    struct reg_avro_parser *p = reg_avro_parser_new();
    const struct reg_avro *ref = NULL, *r = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_avro_parser_parse(p,
                                           "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":"
                                           "\"com.acme\",\"fields\":[{\"name\":\"street\","
                                           "\"type\":\"string\"}]}",
                                           true, &ref, &err),
                     0);
    ck_assert_int_eq(reg_avro_parser_parse(p,
                                           "{\"type\":\"record\",\"name\":\"User\",\"namespace\":"
                                           "\"com.acme\",\"fields\":[{\"name\":\"home\",\"type\":"
                                           "\"Address\"},{\"name\":\"work\",\"type\":[\"null\","
                                           "\"com.acme.Address\"],\"default\":null}]}",
                                           true, &r, &err),
                     0);
    ck_assert_ptr_eq(r->fields[0].type, ref);
    char *c = reg_avro_canonical(p, r);
    ck_assert_str_eq(c, "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"com.acme\","
                        "\"fields\":[{\"name\":\"home\",\"type\":\"Address\"},{\"name\":\"work\","
                        "\"type\":[\"null\",\"Address\"],\"default\":null}]}");
    free(c);
    char *n = reg_avro_normalized(p, r);
    ck_assert_str_eq(n, "{\"type\":\"record\",\"name\":\"User\",\"namespace\":\"com.acme\","
                        "\"fields\":[{\"name\":\"home\",\"type\":\"Address\"},{\"name\":\"work\","
                        "\"type\":[\"null\",\"Address\"],\"default\":null}]}");
    free(n);
    /* the reference itself, written on its own, is in full */
    c = reg_avro_canonical(p, ref);
    ck_assert_str_eq(c, "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"com.acme\","
                        "\"fields\":[{\"name\":\"street\",\"type\":\"string\"}]}");
    free(c);
    /* a later schema cannot redefine a referenced name */
    ck_assert_int_eq(reg_avro_parser_parse(p,
                                           "{\"type\":\"enum\",\"name\":\"com.acme.Address\","
                                           "\"symbols\":[]}",
                                           true, &r, &err),
                     -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "Can't redefine: com.acme.Address"));
    reg_avro_parser_free(p);
}
END_TEST

START_TEST(test_type_nested_in_a_reference_is_written_in_full)
{
    /* Avro-Java's toString(references) only knows the references' top-level
     * types; Confluent stores the nested one inlined, and its normalization
     * then fails to re-parse (the name is already defined) */
    struct reg_avro_parser *p = reg_avro_parser_new();
    const struct reg_avro *r = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_avro_parser_parse(p,
                                           "{\"type\":\"record\",\"name\":\"Outer\",\"fields\":["
                                           "{\"name\":\"i\",\"type\":{\"type\":\"enum\",\"name\":"
                                           "\"Inner\",\"symbols\":[\"A\"]}}]}",
                                           true, &r, &err),
                     0);
    ck_assert_int_eq(reg_avro_parser_parse(p,
                                           "{\"type\":\"record\",\"name\":\"Main\",\"fields\":["
                                           "{\"name\":\"o\",\"type\":\"Outer\"},{\"name\":\"i\","
                                           "\"type\":\"Inner\"}]}",
                                           true, &r, &err),
                     0);
    char *c = reg_avro_canonical(p, r);
    ck_assert_str_eq(c, "{\"type\":\"record\",\"name\":\"Main\",\"fields\":[{\"name\":\"o\","
                        "\"type\":\"Outer\"},{\"name\":\"i\",\"type\":{\"type\":\"enum\","
                        "\"name\":\"Inner\",\"symbols\":[\"A\"]}}]}");
    char *n = NULL;
    struct fy_err nerr = {0};
    ck_assert_int_eq(reg_avro_normalize(p, r, &n, &nerr), -1);
    ck_assert_int_eq(nerr.code, REG_E_INVALID_SCHEMA);
    ck_assert_ptr_nonnull(strstr(nerr.msg, "Can't redefine: Inner"));
    /* the never-failing variant falls back to the canonical text */
    n = reg_avro_normalized(p, r);
    ck_assert_str_eq(n, c);
    free(n);
    free(c);
    reg_avro_parser_free(p);
}
END_TEST

START_TEST(test_schema_that_names_a_reference_is_that_name)
{
    struct reg_avro_parser *p = reg_avro_parser_new();
    const struct reg_avro *ref = NULL, *r = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_avro_parser_parse(p, "{\"type\":\"fixed\",\"name\":\"F\",\"size\":3}",
                                           true, &ref, &err),
                     0);
    ck_assert_int_eq(reg_avro_parser_parse(p, "\"F\"", true, &r, &err), 0);
    ck_assert_ptr_eq(r, ref);
    char *c = reg_avro_canonical(p, r);
    ck_assert_str_eq(c, "\"F\"");
    free(c);
    reg_avro_parser_free(p);
}
END_TEST

/* ---------------------------------------------------------------- normalized */

START_TEST(test_normalized_form_sorts_and_converts_as_confluent)
{
    char *n = normalized_of(
        "{\"type\":\"error\",\"name\":\"R\",\"namespace\":\"a\",\"zz\":1,\"aa\":{\"y\":1,\"x\":2},"
        "\"aliases\":[\"Z\",\"b.Y\"],\"doc\":\"\",\"fields\":[{\"name\":\"f\",\"type\":"
        "\"float\",\"default\":3.14159265,\"q\":1,\"p\":2},{\"name\":\"d\",\"type\":\"double\","
        "\"default\":7},{\"name\":\"b\",\"type\":\"bytes\",\"default\":\"\\u20ac\"}]}");
    ck_assert_str_eq(n, "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"a\",\"fields\":["
                        "{\"name\":\"f\",\"type\":\"float\",\"default\":3.1415927,\"p\":2,"
                        "\"q\":1},{\"name\":\"d\",\"type\":\"double\",\"default\":7.0},"
                        "{\"name\":\"b\",\"type\":\"bytes\",\"default\":\"?\"}],\"aa\":{\"x\":2,"
                        "\"y\":1},\"zz\":1,\"aliases\":[\"Z\",\"b.Y\"]}");
    free(n);
}
END_TEST

START_TEST(test_normalized_record_default_with_unknown_field_fails)
{
    /* Confluent's toObject looks every key up as a field: NullPointerException */
    struct reg_avro_parser *p = reg_avro_parser_new();
    const struct reg_avro *r = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_avro_parser_parse(p,
                                           "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{"
                                           "\"name\":\"i\",\"type\":{\"type\":\"record\",\"name\":"
                                           "\"I\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]},"
                                           "\"default\":{\"x\":1,\"y\":2}}]}",
                                           true, &r, &err),
                     0);
    char *n = NULL;
    ck_assert_int_eq(reg_avro_normalize(p, r, &n, &err), -1);
    ck_assert_int_eq(err.code, REG_E_INVALID_SCHEMA);
    ck_assert_ptr_null(n);
    reg_avro_parser_free(p);
}
END_TEST

/* ---------------------------------------------------------------- limits */

/* **new** text of n items made by fmt (with %zu = index) joined by commas */
static char *joined(const char *head, const char *fmt, size_t n, const char *tail)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, head);
    for (size_t i = 0; i < n; i++) {
        if (i)
            fy_buf_putc(&b, ',');
        fy_buf_printf(&b, fmt, i, i);
    }
    fy_buf_puts(&b, tail);
    return fy_buf_steal(&b);
}

static void assert_parses(const char *in)
{
    struct reg_avro_parser *p = reg_avro_parser_new();
    const struct reg_avro *root = NULL;
    struct fy_err err = {0};
    ck_assert_msg(reg_avro_parser_parse(p, in, true, &root, &err) == 0, "%s", err.msg);
    fy_err_destroy(&err);
    reg_avro_parser_free(p);
}

START_TEST(test_limits_refuse_with_42201_naming_the_setting)
{
    reg_avro_set_limits(&(struct reg_avro_limits){.max_bytes = 300, .max_json_depth = 6,
                                                  .max_depth = 6, .max_names = 5,
                                                  .max_branches = 4, .max_symbols = 3,
                                                  .max_fields = 3});
    char *big = joined("{\"type\":\"record\",\"name\":\"R\",\"doc\":\"", "%.0zu%.0zuxxxxxxxxxx",
                       30, "\",\"fields\":[]}");
    assert_rejected(big, true, "ferry.schema.max.bytes=300");
    free(big);
    assert_rejected("{\"type\":\"int\",\"x\":[[[[[[[1]]]]]]]}", false,
                    "ferry.schema.max.json.depth=6");
    assert_rejected("[\"null\",\"int\",\"long\",\"string\",\"bytes\"]", false,
                    "ferry.schema.max.union.branches=4");
    assert_rejected("{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\",\"C\",\"D\"]}", false,
                    "ferry.schema.max.enum.symbols=3");
    assert_rejected("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":"
                    "\"int\"},{\"name\":\"b\",\"type\":\"int\"},{\"name\":\"c\",\"type\":\"int\"},"
                    "{\"name\":\"d\",\"type\":\"int\"}]}",
                    false, "ferry.schema.max.fields=3");
    char *names = joined("[", "{\"type\":\"fixed\",\"name\":\"F%zu%.0zu\",\"size\":1}", 4, "]");
    assert_parses(names); /* 4 branches, 4 names: at the limits */
    free(names);
    assert_rejected("{\"type\":\"record\",\"name\":\"A\",\"fields\":[{\"name\":\"b\",\"type\":"
                    "{\"type\":\"fixed\",\"name\":\"B\",\"size\":1}},{\"name\":\"c\",\"type\":"
                    "{\"type\":\"enum\",\"name\":\"C\",\"symbols\":[\"X\"]}}]},",
                    false, "Invalid"); /* trailing comma: a JSON error, not a limit */
    char *many = joined("{\"type\":\"record\",\"name\":\"A\",\"fields\":[{\"name\":\"u\",\"type\":[",
                        "{\"type\":\"fixed\",\"name\":\"F%zu%.0zu\",\"size\":1}", 4,
                        "]},{\"name\":\"v\",\"type\":{\"type\":\"fixed\",\"name\":\"G\",\"size\":1}}]}");
    assert_rejected(many, false, "ferry.schema.max.names=5"); /* A, F0..F3, G */
    free(many);
    /* type nesting through arrays: JSON depth 2 per level, so allow the JSON */
    reg_avro_set_limits(&(struct reg_avro_limits){.max_depth = 6});
    assert_rejected("{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":"
                    "\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":\"array\","
                    "\"items\":{\"type\":\"array\",\"items\":\"int\"}}}}}}",
                    false, "ferry.schema.max.depth=6");
    assert_parses("{\"type\":\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":"
                  "\"array\",\"items\":{\"type\":\"array\",\"items\":{\"type\":\"array\","
                  "\"items\":\"int\"}}}}}");
    reg_avro_set_limits(NULL);
    ck_assert_uint_eq(reg_avro_get_limits()->max_depth, REG_AVRO_DEFAULT_MAX_DEPTH);
}
END_TEST

/* A reference holding a chain of records defined flat: the schema that uses
 * the last one writes the whole chain nested (types inside a reference are
 * written in full), so its depth is the chain's, whatever the JSON's. */
START_TEST(test_depth_through_a_reference_is_bounded_and_writers_stay_safe)
{
    char *ref = joined("[{\"type\":\"record\",\"name\":\"C0\",\"fields\":[]}",
                       ",{\"type\":\"record\",\"name\":\"C%zu\",\"fields\":[{\"name\":\"p\","
                       "\"type\":\"C%zu\"}]}",
                       40, "]");
    /* the joined format prints the same index twice: fix C<i>'s field to C<i-1> */
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, "[{\"type\":\"record\",\"name\":\"C0\",\"fields\":[]}");
    for (size_t i = 1; i < 40; i++)
        fy_buf_printf(&b, ",{\"type\":\"record\",\"name\":\"C%zu\",\"fields\":[{\"name\":\"p\","
                          "\"type\":\"C%zu\"}]}",
                      i, i - 1);
    fy_buf_putc(&b, ']');
    free(ref);
    ref = fy_buf_steal(&b);
    const char *use = "{\"type\":\"record\",\"name\":\"Top\",\"fields\":[{\"name\":\"c\","
                      "\"type\":\"C39\"}]}";
    struct fy_err err = {0};
    const struct reg_avro *r0 = NULL, *root = NULL;
    /* default limits: fine, and the depth the parser measured is the writer's */
    struct reg_avro_parser *p = reg_avro_parser_new();
    ck_assert_int_eq(reg_avro_parser_parse(p, ref, true, &r0, &err), 0);
    ck_assert_int_eq(reg_avro_parser_parse(p, use, true, &root, &err), 0);
    ck_assert_uint_ge(reg_avro_write_depth(p, root), 40);
    /* the writers cut short past the limit: 42201 from normalize, no crash */
    reg_avro_set_limits(&(struct reg_avro_limits){.max_depth = 16});
    char *n = NULL;
    ck_assert_int_eq(reg_avro_normalize(p, root, &n, &err), -1);
    ck_assert_int_eq(err.code, REG_E_INVALID_SCHEMA);
    ck_assert_ptr_nonnull(strstr(err.msg, "ferry.schema.max.depth"));
    char *c = reg_avro_canonical(p, root);
    ck_assert_ptr_nonnull(c);
    free(c);
    reg_avro_parser_free(p);
    /* and the parser refuses the schema at that limit */
    p = reg_avro_parser_new();
    ck_assert_int_eq(reg_avro_parser_parse(p, ref, true, &r0, &err), 0);
    ck_assert_int_eq(reg_avro_parser_parse(p, use, true, &root, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "ferry.schema.max.depth=16"));
    reg_avro_parser_free(p);
    reg_avro_set_limits(NULL);
    fy_err_destroy(&err);
    free(ref);
}
END_TEST

START_TEST(test_large_unions_enums_and_aliases_keep_their_rules)
{
    /* 10,000 branches: the duplicate check is a set, and names the first duplicate */
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_putc(&b, '[');
    for (size_t i = 0; i < 10000; i++)
        fy_buf_printf(&b, "%s{\"type\":\"fixed\",\"name\":\"U%zu\",\"size\":1}", i ? "," : "", i);
    char *ok = fy_strdup(b.data);
    fy_buf_puts(&b, ",\"int\",\"U7\",\"U8\"]");
    assert_rejected(b.data, false, "Duplicate in union:U7");
    fy_buf_destroy(&b);
    char *ok_closed = fy_asprintf("%s]", ok);
    assert_parses(ok_closed);
    free(ok_closed);
    free(ok);
    /* aliases written twice are kept once, in first-seen order */
    struct reg_avro_parser *p = reg_avro_parser_new();
    const struct reg_avro *root = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_avro_parser_parse(p,
                                           "{\"type\":\"record\",\"name\":\"R\",\"aliases\":[\"B\","
                                           "\"A\",\"B\"],\"fields\":[{\"name\":\"f\",\"type\":"
                                           "\"int\",\"aliases\":[\"y\",\"x\",\"y\"]}]}",
                                           true, &root, &err),
                     0);
    ck_assert_uint_eq(root->n_aliases, 2);
    ck_assert_str_eq(root->aliases[0], "B");
    ck_assert_str_eq(root->aliases[1], "A");
    ck_assert_uint_eq(root->fields[0].n_aliases, 2);
    ck_assert_str_eq(root->fields[0].aliases[0], "y");
    reg_avro_parser_free(p);
    fy_err_destroy(&err);
}
END_TEST

/* ---------------------------------------------------------------- main */

static Suite *avro_suite(void)
{
    Suite *s = suite_create("reg_avro");
    struct {
        const char *name;
        const TTest *tests[12];
    } groups[] = {
        {"vectors",
         {test_vectors_match_avro_java, test_random_vectors_match_avro_java,
          test_validated_parse_marked_unvalidated_is_the_unvalidated_model}},
        {"canonical",
         {test_canonical_is_compact_in_avro_java_key_order,
          test_canonical_primitive_is_a_string_unless_it_has_props,
          test_canonical_numbers_and_strings_as_jackson_writes_them}},
        {"namespaces",
         {test_namespace_is_inherited_and_written_only_where_it_changes,
          test_names_resolve_in_enclosing_then_null_namespace,
          test_aliases_are_qualified_in_nodes_and_relative_in_text}},
        {"named_types",
         {test_named_type_is_one_node_written_once_then_by_name,
          test_model_keeps_enum_fixed_error_order_and_doc}},
        {"logical_types_and_props", {test_logical_types_and_custom_props_are_kept_in_input_order}},
        {"defaults",
         {test_defaults_are_validated_like_avro_java,
          test_string_default_of_float_field_becomes_a_number,
          test_default_with_nul_bytes_is_kept_whole}},
        {"invalid",
         {test_every_invalid_schema_class_is_42201, test_structural_errors_need_no_validation,
          test_failed_parse_leaves_the_parser_unchanged,
          test_comments_are_allowed_as_avro_java_allows_them,
          test_unicode_letters_are_valid_names}},
        {"references",
         {test_reference_types_are_written_as_names,
          test_type_nested_in_a_reference_is_written_in_full,
          test_schema_that_names_a_reference_is_that_name}},
        {"normalized",
         {test_normalized_form_sorts_and_converts_as_confluent,
          test_normalized_record_default_with_unknown_field_fails}},
        {"limits",
         {test_limits_refuse_with_42201_naming_the_setting,
          test_depth_through_a_reference_is_bounded_and_writers_stay_safe,
          test_large_unions_enums_and_aliases_keep_their_rules}},
    };
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++) {
        TCase *tc = tcase_create(groups[i].name);
        for (size_t k = 0; k < 12 && groups[i].tests[k]; k++)
            tcase_add_test(tc, groups[i].tests[k]);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(avro_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
