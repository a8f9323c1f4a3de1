/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for common/fy_obs.c: the request metrics' series cache, the
 * health answers and the bounded method label. */
#include "common/fy_obs.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_obs_same_route_text_at_two_addresses_is_one_series)
{
    struct fy_metrics *m = fy_metrics_new();
    struct fy_obs o;
    fy_obs_init(&o, m, false);
    char a[16], b[16]; /* the same text at two addresses (the cache keys by address) */
    memcpy(a, "/r", 3);
    memcpy(b, "/r", 3);
    for (int i = 0; i < 1000; i++) {
        struct fy_obs_req rq = {.method = "GET", .route = i % 2 ? a : b, .status = 200,
                                .bytes = 3, .start_ns = fy_metrics_now_ns()};
        fy_obs_done(&o, &rq);
    }
    struct fy_metric *c = fy_metric_child(o.requests, (const char *[]){"GET", "/r", "200"});
    ck_assert_int_eq(fy_metric_value(c), 1000);
    ck_assert_int_eq(fy_metric_value(fy_metric_child(o.latency, (const char *[]){"GET", "/r"})),
                     1000);
    ck_assert_int_eq(fy_metric_value(fy_metric_child(o.resp_bytes, (const char *[]){"GET", "/r"})),
                     3000);
    size_t n = 0;
    struct fy_buf bf;
    fy_buf_init(&bf, 0);
    fy_metrics_render(m, &bf);
    for (const char *p = fy_buf_str(&bf); (p = strstr(p, "ferry_http_requests_total{")); p++)
        n++;
    ck_assert_uint_eq(n, 1);
    fy_buf_destroy(&bf);
    fy_obs_destroy(&o);
    fy_metrics_free(m);
}
END_TEST

START_TEST(test_obs_unknown_methods_share_one_label)
{
    ck_assert_str_eq(fy_obs_method("GET"), "GET");
    ck_assert_str_eq(fy_obs_method("BREW"), "other");
    ck_assert_str_eq(fy_obs_method(NULL), "other");
    ck_assert_str_eq(fy_obs_route("/metrics"), "/metrics");
    ck_assert_str_eq(fy_obs_route("/metrics/x"), "other");
}
END_TEST

START_TEST(test_obs_ready_only_when_set_and_the_callback_agrees)
{
    struct fy_obs o;
    fy_obs_init(&o, NULL, false);
    int status = 0;
    char *body = NULL;
    const char *ct = NULL;
    ck_assert(fy_obs_serve(&o, "GET", "/health/ready", &status, &body, &ct));
    ck_assert_int_eq(status, 503);
    ck_assert_str_eq(body, "{\"status\":\"DOWN\"}");
    free(body);
    ck_assert(fy_obs_serve(&o, "GET", "/health/live", &status, &body, &ct));
    ck_assert_int_eq(status, 200);
    free(body);
    ck_assert(!fy_obs_serve(&o, "GET", "/metrics", &status, &body, &ct)); /* no registry */
    ck_assert(!fy_obs_serve(&o, "POST", "/health/live", &status, &body, &ct));
    fy_obs_set_ready(&o, true);
    ck_assert(fy_obs_serve(&o, "HEAD", "/health/ready", &status, &body, &ct));
    ck_assert_int_eq(status, 200);
    free(body);
    fy_obs_destroy(&o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fy_obs");
    TCase *tc = tcase_create("obs");
    tcase_add_test(tc, test_obs_same_route_text_at_two_addresses_is_one_series);
    tcase_add_test(tc, test_obs_unknown_methods_share_one_label);
    tcase_add_test(tc, test_obs_ready_only_when_set_and_the_callback_agrees);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
