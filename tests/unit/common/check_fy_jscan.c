/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for common/fy_jscan.c: member scanning, nested skipping, string
 * decoding (escapes, surrogate pairs) and refusal of malformed text. */
#include "common/fy_jscan.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static int count_members(const char *json)
{
    struct fy_jscan js;
    struct fy_jscan_member m;
    if (!fy_jscan_begin(&js, json, strlen(json)))
        return -2;
    int n = 0, rc;
    while ((rc = fy_jscan_next(&js, &m)) == 1)
        n++;
    return rc == 0 ? n : -1;
}

START_TEST(test_jscan_members_and_nested_values)
{
    const char *j = " { \"a\" : 1 , \"b\":{\"x\":[1,{\"y\":\"}\"}]}, \"c\":[\"]\"], \"d\":true,"
                    "\"e\":false,\"f\":null,\"g\":-1.5e3 } ";
    ck_assert_int_eq(count_members(j), 7);
    struct fy_jscan js;
    struct fy_jscan_member m;
    ck_assert(fy_jscan_begin(&js, j, strlen(j)));
    ck_assert_int_eq(fy_jscan_next(&js, &m), 1);
    ck_assert(fy_jscan_key_is(&m, "a"));
    int64_t v;
    ck_assert(fy_jscan_int(&m, &v));
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(fy_jscan_next(&js, &m), 1);
    ck_assert_int_eq(m.type, FY_JS_OBJECT);
    ck_assert_int_eq((int)m.vlen, (int)strlen("{\"x\":[1,{\"y\":\"}\"}]}"));
    ck_assert_int_eq(count_members("{}"), 0);
}
END_TEST

START_TEST(test_jscan_decodes_strings_like_json)
{
    const char *j = "{\"s\":\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\"}";
    struct fy_jscan js;
    struct fy_jscan_member m;
    ck_assert(fy_jscan_begin(&js, j, strlen(j)));
    ck_assert_int_eq(fy_jscan_next(&js, &m), 1);
    ck_assert(m.escaped);
    char *s = fy_jscan_string(&m);
    ck_assert_str_eq(s, "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80");
    free(s);
}
END_TEST

START_TEST(test_jscan_refuses_what_jansson_would)
{
    static const char *const bad[] = {"{\"a\":1", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "[1]",
                                      "{\"a\":\"x}", "{\"a\":tru}", "{\"a\":[1,2}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(count_members(bad[i]) < 0, "accepted %s", bad[i]);
    static const char *const bad_strings[] = {"{\"s\":\"\\u0000\"}", "{\"s\":\"\\ud800\"}",
                                              "{\"s\":\"\\udc00x\"}", "{\"s\":\"\\q\"}"};
    for (size_t i = 0; i < sizeof bad_strings / sizeof bad_strings[0]; i++) {
        struct fy_jscan js;
        struct fy_jscan_member m;
        ck_assert(fy_jscan_begin(&js, bad_strings[i], strlen(bad_strings[i])));
        ck_assert_int_eq(fy_jscan_next(&js, &m), 1);
        ck_assert_ptr_null(fy_jscan_string(&m));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fy_jscan");
    TCase *tc = tcase_create("scan");
    tcase_add_test(tc, test_jscan_members_and_nested_values);
    tcase_add_test(tc, test_jscan_decodes_strings_like_json);
    tcase_add_test(tc, test_jscan_refuses_what_jansson_would);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
