/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for common/fy_props.c: Java .properties syntax and settings tables. */
#include "common/fy_props.h"

#include <check.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static struct fy_props parse_ok(const char *text)
{
    struct fy_props p;
    struct fy_err err = {0};
    ck_assert_int_eq(fy_props_parse(text, strlen(text), "t.properties", &p, &err), 0);
    return p;
}

START_TEST(test_props_separators_and_comments)
{
    struct fy_props p = parse_ok("# comment\n! also\n  a=1\nb : 2\nc 3\nd=\n\ne\n");
    ck_assert_str_eq(fy_props_get(&p, "a"), "1");
    ck_assert_str_eq(fy_props_get(&p, "b"), "2");
    ck_assert_str_eq(fy_props_get(&p, "c"), "3");
    ck_assert_str_eq(fy_props_get(&p, "d"), "");
    ck_assert_str_eq(fy_props_get(&p, "e"), "");
    ck_assert_ptr_null(fy_props_get(&p, "comment"));
    fy_props_destroy(&p);
}
END_TEST

START_TEST(test_props_continuation_and_escapes)
{
    struct fy_props p = parse_ok("list = a,\\\n    b,\\\n    c\nuni=caf\\u00e9\nkey\\=x=v\\tw\n"
                                 "even=ends\\\\\nnext=1\n");
    ck_assert_str_eq(fy_props_get(&p, "list"), "a,b,c");
    ck_assert_str_eq(fy_props_get(&p, "uni"), "caf\xc3\xa9");
    ck_assert_str_eq(fy_props_get(&p, "key=x"), "v\tw");
    ck_assert_str_eq(fy_props_get(&p, "even"), "ends\\");
    ck_assert_str_eq(fy_props_get(&p, "next"), "1");
    fy_props_destroy(&p);
}
END_TEST

START_TEST(test_props_later_key_wins_and_crlf)
{
    struct fy_props p = parse_ok("a=1\r\na=2\r\n");
    ck_assert_str_eq(fy_props_get(&p, "a"), "2");
    fy_props_destroy(&p);
}
END_TEST

START_TEST(test_props_bad_unicode_escape_names_line)
{
    struct fy_props p;
    struct fy_err err = {0};
    const char *text = "ok=1\nbad=\\u12\n";
    ck_assert_int_eq(fy_props_parse(text, strlen(text), "f.properties", &p, &err), -1);
    ck_assert_int_eq(err.code, FY_E_CONFIG);
    ck_assert_ptr_nonnull(strstr(err.msg, "f.properties:2"));
}
END_TEST

struct conf {
    char *name;
    long long n;
    bool flag;
    int level;
};

static const char *const choices[] = {"none", "backward", NULL};
static const struct fy_setting table[] = {
    {"name", FY_SET_STRING, offsetof(struct conf, name), "x", 0, 0, NULL, "a name"},
    {"n", FY_SET_INT, offsetof(struct conf, n), "5", 1, 10, NULL, "a number"},
    {"flag", FY_SET_BOOL, offsetof(struct conf, flag), "false", 0, 0, NULL, "a flag"},
    {"level", FY_SET_ENUM, offsetof(struct conf, level), "backward", 0, 0, choices, "a level"},
};

START_TEST(test_settings_defaults_then_values)
{
    struct fy_props p = parse_ok("n=7\nflag=TRUE\nlevel=NONE\n");
    struct conf c = {0};
    struct fy_err err = {0};
    ck_assert_int_eq(fy_settings_apply(table, 4, &p, NULL, &c, &err), 0);
    ck_assert_str_eq(c.name, "x");
    ck_assert_int_eq(c.n, 7);
    ck_assert(c.flag);
    ck_assert_int_eq(c.level, 0);
    fy_settings_free(table, 4, &c);
    fy_props_destroy(&p);
}
END_TEST

START_TEST(test_settings_reject_unknown_and_out_of_range)
{
    struct fy_err err = {0};
    struct conf c = {0};
    struct fy_props p = parse_ok("n=11\n");
    ck_assert_int_eq(fy_settings_apply(table, 4, &p, NULL, &c, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "t.properties:1"));
    fy_settings_free(table, 4, &c);
    fy_props_destroy(&p);

    p = parse_ok("nope=1\n");
    ck_assert_int_eq(fy_settings_apply(table, 4, &p, NULL, &c, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "unknown setting 'nope'"));
    fy_settings_free(table, 4, &c);
    fy_props_destroy(&p);

    static const char *const ignored[] = {"kafkastore.", NULL};
    p = parse_ok("kafkastore.topic=_schemas\n");
    ck_assert_int_eq(fy_settings_apply(table, 4, &p, ignored, &c, &err), 0);
    fy_settings_free(table, 4, &c);
    fy_props_destroy(&p);
}
END_TEST

START_TEST(test_list_trims_skips_empty_and_nests_parentheses)
{
    size_t n = 0;
    char **l = fy_list_split(" a, b ,,\tc ,", ',', false, &n);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(l[0], "a");
    ck_assert_str_eq(l[1], "b");
    ck_assert_str_eq(l[2], "c");
    fy_list_free(l, n);
    ck_assert_ptr_null(fy_list_split(NULL, ',', false, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_ptr_null(fy_list_split(" , ,", ',', false, &n));
    ck_assert_uint_eq(n, 0);
    /* a separator inside parentheses splits only without `parens` */
    l = fy_list_split("r(subject:a,b;context:.x), s", ',', true, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(l[0], "r(subject:a,b;context:.x)");
    ck_assert_str_eq(l[1], "s");
    fy_list_free(l, n);
    l = fy_list_split("x(a,b)", ',', false, &n);
    ck_assert_uint_eq(n, 2);
    fy_list_free(l, n);
    /* the iterator: items in place, not NUL-terminated */
    const char *p = "one ,two";
    size_t len = 0;
    const char *t = fy_list_next(&p, ',', false, &len);
    ck_assert_int_eq((int)len, 3);
    ck_assert_int_eq(strncmp(t, "one", len), 0);
    t = fy_list_next(&p, ',', false, &len);
    ck_assert_int_eq(strncmp(t, "two", len), 0);
    ck_assert_ptr_null(fy_list_next(&p, ',', false, &len));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fy_props");
    TCase *tc = tcase_create("properties");
    tcase_add_test(tc, test_props_separators_and_comments);
    tcase_add_test(tc, test_props_continuation_and_escapes);
    tcase_add_test(tc, test_props_later_key_wins_and_crlf);
    tcase_add_test(tc, test_props_bad_unicode_escape_names_line);
    suite_add_tcase(s, tc);
    tc = tcase_create("settings");
    tcase_add_test(tc, test_settings_defaults_then_values);
    tcase_add_test(tc, test_settings_reject_unknown_and_out_of_range);
    tcase_add_test(tc, test_list_trims_skips_empty_and_nests_parentheses);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
