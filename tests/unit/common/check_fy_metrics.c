/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for common/fy_metrics.c: series lookup, histogram buckets, the
 * Prometheus text format (escaping, _bucket/_sum/_count, +Inf), collectors,
 * and concurrent updates from several threads. */
#include "common/fy_metrics.h"

#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *render(struct fy_metrics *m)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_metrics_render(m, &b);
    return fy_buf_steal(&b);
}

START_TEST(test_metrics_counter_series_by_labels)
{
    struct fy_metrics *m = fy_metrics_new();
    static const char *const labels[] = {"route", "status", NULL};
    struct fy_metric_family *f =
        fy_metrics_family(m, FY_METRIC_COUNTER, "x_requests_total", "Requests.", labels, NULL, 0,
                          1);
    ck_assert_ptr_nonnull(f);
    struct fy_metric *a = fy_metric_child(f, (const char *[]){"/a", "200"});
    struct fy_metric *a2 = fy_metric_child(f, (const char *[]){"/a", "200"});
    struct fy_metric *b = fy_metric_child(f, (const char *[]){"/a", "404"});
    ck_assert_ptr_eq(a, a2);
    ck_assert_ptr_ne(a, b);
    fy_metric_add(a, 3);
    fy_metric_add(b, 1);
    fy_metric_add(NULL, 1); /* no-op */
    ck_assert_int_eq(fy_metric_value(a), 3);
    char *t = render(m);
    ck_assert_ptr_nonnull(strstr(t, "# HELP x_requests_total Requests.\n"
                                    "# TYPE x_requests_total counter\n"));
    ck_assert_ptr_nonnull(strstr(t, "x_requests_total{route=\"/a\",status=\"200\"} 3\n"));
    ck_assert_ptr_nonnull(strstr(t, "x_requests_total{route=\"/a\",status=\"404\"} 1\n"));
    free(t);
    fy_metrics_free(m);
}
END_TEST

START_TEST(test_metrics_histogram_cumulative_buckets)
{
    struct fy_metrics *m = fy_metrics_new();
    static const int64_t bounds[] = {1000000, 5000000, 25000000}; /* ns: 1, 5, 25 ms */
    struct fy_metric *h = fy_metric_child(
        fy_metrics_family(m, FY_METRIC_HISTOGRAM, "x_seconds", "Latency.", NULL, bounds, 3, 1e9),
        NULL);
    fy_metric_observe(h, 1000000);  /* exactly on a bound: le is inclusive */
    fy_metric_observe(h, 2000000);
    fy_metric_observe(h, 30000000); /* past the last bound: only +Inf */
    ck_assert_int_eq(fy_metric_value(h), 3);
    char *t = render(m);
    ck_assert_ptr_nonnull(strstr(t, "# TYPE x_seconds histogram\n"));
    ck_assert_ptr_nonnull(strstr(t, "x_seconds_bucket{le=\"0.001\"} 1\n"
                                    "x_seconds_bucket{le=\"0.005\"} 2\n"
                                    "x_seconds_bucket{le=\"0.025\"} 2\n"
                                    "x_seconds_bucket{le=\"+Inf\"} 3\n"
                                    "x_seconds_sum 0.033\n"
                                    "x_seconds_count 3\n"));
    free(t);
    fy_metrics_free(m);
}
END_TEST

START_TEST(test_metrics_escapes_label_values_and_help)
{
    struct fy_metrics *m = fy_metrics_new();
    static const char *const labels[] = {"path", NULL};
    struct fy_metric_family *f = fy_metrics_family(m, FY_METRIC_GAUGE, "x_g", "a \\ b\nc", labels,
                                                   NULL, 0, 1);
    fy_metric_set(fy_metric_child(f, (const char *[]){"q\"u\\o\nte"}), -7);
    char *t = render(m);
    ck_assert_ptr_nonnull(strstr(t, "# HELP x_g a \\\\ b\\nc\n"));
    ck_assert_ptr_nonnull(strstr(t, "x_g{path=\"q\\\"u\\\\o\\nte\"} -7\n"));
    free(t);
    fy_metrics_free(m);
}
END_TEST

START_TEST(test_metrics_rejects_bad_families)
{
    struct fy_metrics *m = fy_metrics_new();
    static const int64_t down[] = {5, 1};
    ck_assert_ptr_null(fy_metrics_family(m, FY_METRIC_HISTOGRAM, "h", "", NULL, down, 2, 1));
    ck_assert_ptr_null(fy_metrics_family(m, FY_METRIC_HISTOGRAM, "h", "", NULL, NULL, 0, 1));
    ck_assert_ptr_null(fy_metrics_family(m, FY_METRIC_COUNTER, "", "", NULL, NULL, 0, 1));
    ck_assert_ptr_null(fy_metric_child(NULL, NULL));
    fy_metrics_free(m);
}
END_TEST

START_TEST(test_metrics_series_are_bounded)
{
    struct fy_metrics *m = fy_metrics_new();
    static const char *const labels[] = {"k", NULL};
    struct fy_metric_family *f =
        fy_metrics_family(m, FY_METRIC_COUNTER, "x_total", "", labels, NULL, 0, 1);
    char v[16];
    int made = 0;
    for (int i = 0; i < FY_METRIC_MAX_SERIES + 10; i++) {
        snprintf(v, sizeof v, "%d", i);
        made += fy_metric_child(f, (const char *[]){v}) != NULL;
    }
    ck_assert_int_eq(made, FY_METRIC_MAX_SERIES);
    snprintf(v, sizeof v, "%d", 7);
    ck_assert_ptr_nonnull(fy_metric_child(f, (const char *[]){v})); /* old ones still found */
    fy_metrics_free(m);
}
END_TEST

static void collect(void *arg, struct fy_metrics_out *out)
{
    int *calls = arg;
    (*calls)++;
    fy_metrics_out_family(out, "x_up", FY_METRIC_GAUGE, "Up.");
    const char *labels[] = {"name", "a\"b", NULL};
    fy_metrics_out_sample(out, "x_up", labels, 1.5);
    fy_metrics_out_sample(out, "x_up", NULL, INFINITY);
}

START_TEST(test_metrics_collectors_run_until_removed)
{
    struct fy_metrics *m = fy_metrics_new();
    int calls = 0;
    fy_metrics_add_collector(m, collect, &calls);
    char *t = render(m);
    ck_assert_int_eq(calls, 1);
    ck_assert_ptr_nonnull(strstr(t, "# TYPE x_up gauge\nx_up{name=\"a\\\"b\"} 1.5\nx_up +Inf\n"));
    free(t);
    fy_metrics_remove_collector(m, collect, &calls);
    t = render(m);
    ck_assert_int_eq(calls, 1);
    ck_assert_ptr_null(strstr(t, "x_up"));
    free(t);
    fy_metrics_free(m);
}
END_TEST

#define N_THREADS 4
#define N_ADDS 20000

static void *hammer(void *arg)
{
    struct fy_metric_family *f = arg;
    for (int i = 0; i < N_ADDS; i++) {
        /* every thread creates and finds the same series concurrently */
        fy_metric_add(fy_metric_child(f, (const char *[]){i % 2 ? "odd" : "even"}), 1);
    }
    return NULL;
}

START_TEST(test_metrics_concurrent_adds_are_not_lost)
{
    struct fy_metrics *m = fy_metrics_new();
    static const char *const labels[] = {"k", NULL};
    struct fy_metric_family *f =
        fy_metrics_family(m, FY_METRIC_COUNTER, "x_total", "", labels, NULL, 0, 1);
    pthread_t t[N_THREADS];
    for (int i = 0; i < N_THREADS; i++)
        pthread_create(&t[i], NULL, hammer, f);
    for (int i = 0; i < N_THREADS; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(fy_metric_value(fy_metric_child(f, (const char *[]){"odd"})),
                     N_THREADS * N_ADDS / 2);
    ck_assert_int_eq(fy_metric_value(fy_metric_child(f, (const char *[]){"even"})),
                     N_THREADS * N_ADDS / 2);
    fy_metrics_free(m);
}
END_TEST

START_TEST(test_metrics_process_collector)
{
    struct fy_metrics *m = fy_metrics_new();
    fy_metrics_add_collector(m, fy_metrics_collect_process, NULL);
    char *t = render(m);
    ck_assert_ptr_nonnull(strstr(t, "\nprocess_resident_memory_bytes "));
    ck_assert_ptr_nonnull(strstr(t, "\nprocess_threads "));
    ck_assert_ptr_nonnull(strstr(t, "\nprocess_open_fds "));
    free(t);
    fy_metrics_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fy_metrics");
    TCase *tc = tcase_create("metrics");
    tcase_add_test(tc, test_metrics_counter_series_by_labels);
    tcase_add_test(tc, test_metrics_histogram_cumulative_buckets);
    tcase_add_test(tc, test_metrics_escapes_label_values_and_help);
    tcase_add_test(tc, test_metrics_rejects_bad_families);
    tcase_add_test(tc, test_metrics_series_are_bounded);
    tcase_add_test(tc, test_metrics_collectors_run_until_removed);
    tcase_add_test(tc, test_metrics_concurrent_adds_are_not_lost);
    tcase_add_test(tc, test_metrics_process_collector);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
