/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for common/fy_json.c: Java's Double/Float.toString and the
 * Jackson-style writer that Avro canonical texts depend on. The expected
 * strings were printed by JDK 17. */
#include "common/fy_json.h"
#include "common/fy_jsonout.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>

START_TEST(test_java_double_matches_jdk)
{
    static const struct {
        double d;
        const char *java;
    } cases[] = {
        {1.0, "1.0"},
        {-1.5, "-1.5"},
        {0.1, "0.1"},
        {100.0, "100.0"},
        {0.001, "0.001"},
        {0.0001, "1.0E-4"},
        {9999999.0, "9999999.0"},
        {1e7, "1.0E7"},
        {12345678.9, "1.23456789E7"},
        {1e10, "1.0E10"},
        {1e-5, "1.0E-5"},
        {0.3333333333333333, "0.3333333333333333"},
        {1.7976931348623157e308, "1.7976931348623157E308"},
        {4.9e-324, "4.9E-324"},
        {0.0, "0.0"},
        {-0.0, "-0.0"},
        {123456789.125, "1.23456789125E8"},
        /* JDK <= 18 prints large integral values from their long digits */
        {7.5250994859065104e16, "7.5250994859065104E16"},
        {2.82879384806159e17, "2.82879384806159008E17"},
    };
    char out[FY_JSON_NUM_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fy_json_java_double(cases[i].d, out);
        ck_assert_str_eq(out, cases[i].java);
    }
    fy_json_java_double(NAN, out);
    ck_assert_str_eq(out, "NaN");
    fy_json_java_double(-INFINITY, out);
    ck_assert_str_eq(out, "-Infinity");
}
END_TEST

START_TEST(test_java_float_matches_jdk)
{
    static const struct {
        float f;
        const char *java;
    } cases[] = {
        {3.14159265f, "3.1415927"}, {1.1f, "1.1"},       {16777217.0f, "1.6777216E7"},
        {1e10f, "1.0E10"},          {0.001f, "0.001"},   {1.4e-45f, "1.4E-45"},
        {7499061760.0f, "7.4990618E9"}, {-2.5f, "-2.5"},
    };
    char out[FY_JSON_NUM_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fy_json_java_float(cases[i].f, out);
        ck_assert_str_eq(out, cases[i].java);
    }
}
END_TEST

START_TEST(test_write_keeps_key_order_and_escapes_like_jackson)
{
    json_error_t jerr;
    json_t *v = json_loads("{\"z\":1,\"a\":[2.50,-0.0,1e7,\"\\u0001\\u001f/\\u00e9\\n\",null,"
                           "true,false],\"m\":{}}",
                           JSON_DECODE_ANY, &jerr);
    ck_assert_ptr_nonnull(v);
    struct fy_buf b;
    fy_buf_init(&b, 0);
    ck_assert_int_eq(fy_json_write(&b, v), 0);
    ck_assert_str_eq(fy_buf_str(&b), "{\"z\":1,\"a\":[2.5,-0.0,1.0E7,\"\\u0001\\u001F/\xc3\xa9\\n\","
                                     "null,true,false],\"m\":{}}");
    fy_buf_destroy(&b);
    json_decref(v);
}
END_TEST

/* Found by fuzz_route: an error message quoting a client's raw path with
 * bytes that are no UTF-8 made the whole answer invalid JSON. */
START_TEST(test_jsonout_writes_malformed_utf8_as_replacement_characters)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"a\x99z", "\"a\xef\xbf\xbdz\""},                    /* stray continuation byte */
        {"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""}, /* valid */
        {"\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\""},          /* overlong */
        {"\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""}, /* surrogate */
        {"\xf4\x90\x80\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""},
        {"\xe2\x82", "\"\xef\xbf\xbd\xef\xbf\xbd\""},            /* cut short */
        {"x\xff\"", "\"x\xef\xbf\xbd\\\"\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fy_buf b;
        fy_buf_init(&b, 0);
        ck_assert_int_eq(fy_jsonout_str(&b, cases[i].in), 0);
        ck_assert_str_eq(fy_buf_str(&b), cases[i].out);
        json_error_t jerr;
        json_t *v = json_loads(fy_buf_str(&b), JSON_DECODE_ANY, &jerr);
        ck_assert_msg(v != NULL, "case %zu: %s", i, jerr.text);
        json_decref(v);
        fy_buf_destroy(&b);
    }
}
END_TEST

static Suite *json_suite(void)
{
    Suite *s = suite_create("fy_json");
    TCase *tc = tcase_create("java_numbers");
    tcase_add_test(tc, test_java_double_matches_jdk);
    tcase_add_test(tc, test_java_float_matches_jdk);
    suite_add_tcase(s, tc);
    tc = tcase_create("write");
    tcase_add_test(tc, test_write_keeps_key_order_and_escapes_like_jackson);
    tcase_add_test(tc, test_jsonout_writes_malformed_utf8_as_replacement_characters);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(json_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
