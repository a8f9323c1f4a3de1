/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for registry/reg_metadata.c: Confluent's Metadata.mergeMetadata
 * and RuleSet.mergeRuleSets on hand-picked pairs. */
#include "registry/reg_metadata.h"

#include "common/fy_alloc.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* merge(a, b) with `fn`, compared to `want` (NULL = no result) as compact sorted text. */
static void check_merge(json_t *(*fn)(const json_t *, const json_t *), const char *a,
                        const char *b, const char *want)
{
    json_t *ja = a ? json_loads(a, 0, NULL) : NULL;
    json_t *jb = b ? json_loads(b, 0, NULL) : NULL;
    json_t *got = fn(ja, jb);
    if (!want) {
        ck_assert_msg(got == NULL, "expected no result for %s + %s", a, b);
    } else {
        ck_assert_ptr_nonnull(got);
        char *text = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
        ck_assert_msg(strcmp(text, want) == 0, "%s + %s = %s, want %s", a, b, text, want);
        free(text);
    }
    json_decref(got);
    json_decref(ja);
    json_decref(jb);
}

START_TEST(test_metadata_merge_absent_sides)
{
    check_merge(reg_metadata_merge, NULL, NULL, NULL);
    check_merge(reg_metadata_merge, NULL, "{\"properties\":{\"a\":\"1\"}}",
                "{\"properties\":{\"a\":\"1\"}}");
    check_merge(reg_metadata_merge, "{\"properties\":{\"a\":\"1\"}}", "null",
                "{\"properties\":{\"a\":\"1\"}}");
}
END_TEST

START_TEST(test_metadata_merge_newer_side_wins_and_sets_unite)
{
    check_merge(reg_metadata_merge,
                "{\"properties\":{\"a\":\"1\",\"b\":\"2\"},\"tags\":{\"$.x\":[\"P\"]},"
                "\"sensitive\":[\"z\",\"k\"]}",
                "{\"properties\":{\"b\":\"3\"},\"tags\":{\"$.x\":[\"Q\"],\"$.y\":[\"R\"]},"
                "\"sensitive\":[\"k\",\"a\"]}",
                "{\"properties\":{\"a\":\"1\",\"b\":\"3\"},\"sensitive\":[\"a\",\"k\",\"z\"],"
                "\"tags\":{\"$.x\":[\"Q\"],\"$.y\":[\"R\"]}}");
    /* an empty map on one side is the other side's */
    check_merge(reg_metadata_merge, "{\"properties\":{}}", "{\"properties\":{\"a\":\"1\"}}",
                "{\"properties\":{\"a\":\"1\"}}");
}
END_TEST

START_TEST(test_ruleset_merge_replaces_rules_by_name)
{
    check_merge(reg_ruleset_merge,
                "{\"domainRules\":[{\"name\":\"r1\",\"expr\":\"a\"},{\"name\":\"r2\",\"expr\":\"b\"}],"
                "\"enableAt\":\"CLIENT\"}",
                "{\"domainRules\":[{\"name\":\"r2\",\"expr\":\"c\"}],"
                "\"migrationRules\":[{\"name\":\"m\"}]}",
                "{\"domainRules\":[{\"expr\":\"a\",\"name\":\"r1\"},{\"expr\":\"c\",\"name\":\"r2\"}],"
                "\"enableAt\":\"CLIENT\",\"migrationRules\":[{\"name\":\"m\"}]}");
    check_merge(reg_ruleset_merge, NULL, NULL, NULL);
    check_merge(reg_ruleset_merge, "{\"enableAt\":\"A\"}", "{\"enableAt\":\"B\"}",
                "{\"enableAt\":\"B\"}");
}
END_TEST

int main(void)
{
    fy_alloc_init();
    Suite *s = suite_create("reg_metadata");
    TCase *tc = tcase_create("merge");
    tcase_add_test(tc, test_metadata_merge_absent_sides);
    tcase_add_test(tc, test_metadata_merge_newer_side_wins_and_sets_unite);
    tcase_add_test(tc, test_ruleset_merge_replaces_rules_by_name);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
