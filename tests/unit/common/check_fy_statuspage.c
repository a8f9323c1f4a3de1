/* SPDX-License-Identifier: Apache-2.0
 * fy_statuspage: /dr is the self-contained page, /dr.json is 503 before the
 * first sample and then the owner's document plus its history (one sample
 * per call, the rpo numbers or null), other paths are not the page's;
 * stop joins the sampler. */
#include "common/fy_statuspage.h"

#include <check.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static atomic_int calls;

static json_t *doc_fn(void *arg, int64_t now_ms)
{
    (void)arg;
    int n = atomic_fetch_add(&calls, 1) + 1;
    return json_pack("{s:I,s:{s:i,s:n}}", "now", (json_int_t)now_ms, "rpo", "topic_records",
                     n * 10, "schema_changes");
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

START_TEST(test_statuspage_serves_page_and_document_with_history)
{
    struct fy_err err = {0};
    int status = 0;
    char *body = NULL;
    const char *ctype = NULL;
    ck_assert_ptr_null(fy_statuspage_start(doc_fn, NULL, 50, &err)); /* below 100 ms */
    ck_assert_int_eq(err.code, FY_E_CONFIG);
    struct fy_statuspage *sp = fy_statuspage_start(doc_fn, NULL, 100, &err);
    ck_assert_ptr_nonnull(sp);
    ck_assert(!fy_statuspage_serve(sp, "/metrics", &status, &body, &ctype));
    ck_assert_ptr_null(fy_statuspage_route("/dr/x"));
    ck_assert(fy_statuspage_serve(sp, "/dr", &status, &body, &ctype));
    ck_assert_int_eq(status, 200);
    ck_assert_str_eq(ctype, "text/html; charset=utf-8");
    ck_assert_ptr_nonnull(strstr(body, "data-errors='0'"));
    ck_assert_ptr_null(strstr(body, "src="));  /* no external script, image or style */
    ck_assert_ptr_null(strstr(body, "href="));
    free(body);
    for (int i = 0; i < 200 && atomic_load(&calls) < 3; i++)
        sleep_ms(20);
    ck_assert_int_ge(atomic_load(&calls), 3);
    ck_assert(fy_statuspage_serve(sp, "/dr.json", &status, &body, &ctype));
    ck_assert_int_eq(status, 200);
    json_t *j = json_loads(body, 0, NULL);
    free(body);
    json_t *h = json_object_get(j, "history");
    ck_assert_int_ge((int)json_array_size(h), 2);
    json_t *first = json_array_get(h, 0), *second = json_array_get(h, 1);
    ck_assert_int_eq((int)json_integer_value(json_array_get(first, 1)), 10);
    ck_assert_int_eq((int)json_integer_value(json_array_get(second, 1)), 20);
    ck_assert(json_is_null(json_array_get(first, 2)));  /* topic_ms absent */
    ck_assert(json_is_null(json_array_get(first, 3)));  /* schema_changes null */
    ck_assert(json_integer_value(json_array_get(first, 0)) <=
              json_integer_value(json_array_get(second, 0)));
    json_decref(j);
    fy_statuspage_stop(sp);
    fy_statuspage_stop(NULL);
}
END_TEST

static json_t *slow_fn(void *arg, int64_t now_ms)
{
    (void)arg;
    (void)now_ms;
    sleep_ms(300);
    return json_object();
}

START_TEST(test_statuspage_document_503_before_the_first_sample)
{
    struct fy_err err = {0};
    int status = 0;
    char *body = NULL;
    const char *ctype = NULL;
    struct fy_statuspage *sp = fy_statuspage_start(slow_fn, NULL, 1000, &err);
    ck_assert(fy_statuspage_serve(sp, "/dr.json", &status, &body, &ctype));
    ck_assert_int_eq(status, 503);
    ck_assert_str_eq(ctype, "application/json");
    free(body);
    fy_statuspage_stop(sp); /* waits for the call in progress */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fy_statuspage");
    TCase *tc = tcase_create("statuspage");
    tcase_set_timeout(tc, 20);
    tcase_add_test(tc, test_statuspage_serves_page_and_document_with_history);
    tcase_add_test(tc, test_statuspage_document_503_before_the_first_sample);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
