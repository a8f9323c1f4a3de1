/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for mirror/mir_filter.c: literal, prefix and regex include and
 * exclude lists, exclusion winning, internal topics, bad regexes. */
#include "mirror/mir_filter.h"

#include <check.h>
#include <stdlib.h>

START_TEST(test_filter_literal_prefix_regex)
{
    struct mir_filter f;
    struct fy_err err = {0};
    ck_assert_int_eq(mir_filter_init(&f, " orders , pay", "logs.", "metrics-[0-9]+", NULL, NULL,
                                     NULL, &err), 0);
    ck_assert(mir_filter_match(&f, "orders"));
    ck_assert(mir_filter_match(&f, "pay"));
    ck_assert(!mir_filter_match(&f, "orders2"));       /* literal is exact */
    ck_assert(mir_filter_match(&f, "logs.app"));
    ck_assert(!mir_filter_match(&f, "logsapp"));
    ck_assert(mir_filter_match(&f, "metrics-12"));
    ck_assert(!mir_filter_match(&f, "metrics-12x"));   /* regex matches the whole name */
    ck_assert(!mir_filter_match(&f, "old-metrics-1"));
    ck_assert(!mir_filter_empty(&f));
    mir_filter_destroy(&f);
}
END_TEST

START_TEST(test_filter_exclude_wins)
{
    struct mir_filter f;
    ck_assert_int_eq(mir_filter_init(&f, "a.keep", "a.", NULL, "a.secret", "a.tmp", ".*-dlq",
                                     NULL), 0);
    ck_assert(mir_filter_match(&f, "a.x"));
    ck_assert(mir_filter_match(&f, "a.keep"));
    ck_assert(!mir_filter_match(&f, "a.secret"));
    ck_assert(!mir_filter_match(&f, "a.tmp1"));
    ck_assert(!mir_filter_match(&f, "a.orders-dlq"));
    mir_filter_destroy(&f);
}
END_TEST

START_TEST(test_filter_empty_and_bad_regex)
{
    struct mir_filter f;
    struct fy_err err = {0};
    ck_assert_int_eq(mir_filter_init(&f, "", NULL, " , ", NULL, NULL, NULL, &err), 0);
    ck_assert(mir_filter_empty(&f));
    ck_assert(!mir_filter_match(&f, "x"));
    mir_filter_destroy(&f);
    ck_assert_int_eq(mir_filter_init(&f, NULL, NULL, "ok,(unclosed", NULL, NULL, NULL, &err), -1);
    ck_assert_int_eq(err.code, FY_E_CONFIG);
    ck_assert_int_eq(mir_filter_init(&f, NULL, NULL, NULL, NULL, NULL, "[z-a]", &err), -1);
}
END_TEST

START_TEST(test_filter_internal_topics)
{
    ck_assert(mir_topic_is_internal("__consumer_offsets"));
    ck_assert(mir_topic_is_internal("__transaction_state"));
    ck_assert(mir_topic_is_internal("__ferry_mirror"));
    ck_assert(mir_topic_is_internal("_confluent-command"));
    ck_assert(mir_topic_is_internal("mm2-offset-syncs.dst.internal"));
    ck_assert(mir_topic_is_internal("src.checkpoints.internal"));
    ck_assert(mir_topic_is_internal("heartbeats"));
    ck_assert(!mir_topic_is_internal("_schemas"));
    ck_assert(!mir_topic_is_internal("orders"));
    ck_assert(!mir_topic_is_internal("internal"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mir_filter");
    TCase *tc = tcase_create("filter");
    tcase_add_test(tc, test_filter_literal_prefix_regex);
    tcase_add_test(tc, test_filter_exclude_wins);
    tcase_add_test(tc, test_filter_empty_and_bad_regex);
    tcase_add_test(tc, test_filter_internal_topics);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
