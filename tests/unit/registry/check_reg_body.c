/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for registry/reg_body.c: every body gives exactly what
 * json_loadb(JSON_DECODE_ANY) gives — the same tree for good bodies (fast
 * path or not), NULL and the same error text and position for bad ones,
 * including the string problems the fast path has to catch itself. */
#include "registry/reg_body.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A registration body around `inner` (raw JSON string content) padded past
 * the fast path's minimum size. */
static char *body_with(const char *before, const char *inner, const char *after)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_printf(&b, "{%s\"schema\":\"%s", before, inner);
    for (int i = 0; i < 40; i++)
        fy_buf_puts(&b, "{\\\"type\\\":\\\"int\\\"}");
    fy_buf_printf(&b, "\"%s}", after);
    return fy_buf_steal(&b);
}

/* reg_body_parse and jansson agree on `text` (first `len` bytes). */
static void same_as_jansson_n(const char *text, size_t len)
{
    json_error_t e1, e2;
    json_t *want = json_loadb(text, len, JSON_DECODE_ANY, &e1);
    json_t *got = reg_body_parse(text, len, &e2);
    if (!want) {
        ck_assert_msg(got == NULL, "accepted what jansson refuses: %.80s", text);
        ck_assert_str_eq(e2.text, e1.text);
        ck_assert_int_eq(e2.line, e1.line);
        ck_assert_int_eq(e2.column, e1.column);
        ck_assert_int_eq(e2.position, e1.position);
    } else {
        ck_assert_msg(got != NULL, "refused what jansson accepts: %s", e2.text);
        ck_assert_msg(json_equal(want, got), "different tree for %.80s", text);
        /* same key order too */
        char *a = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
        char *b = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
        ck_assert_str_eq(a, b);
        free(a);
        free(b);
    }
    json_decref(want);
    json_decref(got);
}

static void same_as_jansson(const char *text)
{
    same_as_jansson_n(text, strlen(text));
}

static void check_body(const char *before, const char *inner, const char *after)
{
    char *t = body_with(before, inner, after);
    same_as_jansson(t);
    free(t);
}

START_TEST(test_body_good_bodies_give_jansson_trees)
{
    check_body("", "", "");
    check_body("\"schemaType\":\"AVRO\",", "", ",\"references\":[{\"name\":\"a\",\"subject\":\"s\","
                                            "\"version\":1}],\"id\":12,\"version\":-1");
    check_body(" \"metadata\" : {\"properties\":{\"k\":\"v\"}} , ", "\\u00e9\\ud83d\\ude00\\n\\t",
               " , \"ruleSet\" : null , \"x\" : 1.5e3 ");
    check_body("", "Gr\xc3\xb6\xc3\x9f" "e \xe2\x82\xac \xf0\x9f\x98\x80 \\/", "");
    /* "schema" appears as a key inside a nested value too */
    check_body("\"metadata\":{\"schema\":\"inner\"},", "x", "");
    /* short bodies and non-objects go to jansson directly */
    same_as_jansson("{\"schema\":\"\\\"int\\\"\"}");
    same_as_jansson("null");
    same_as_jansson("[1,2]");
    same_as_jansson("  {}  ");
}
END_TEST

START_TEST(test_body_bad_strings_are_refused_as_jansson_does)
{
    check_body("", "\\x", "");                 /* unknown escape */
    check_body("", "\\u12", "");               /* short \u */
    check_body("", "\\u0000", "");             /* NUL */
    check_body("", "\\ud800", "");             /* lone high surrogate */
    check_body("", "\\udc00", "");             /* lone low surrogate */
    check_body("", "\\ud800\\u0041", "");      /* high surrogate, no low */
    check_body("", "tab\there", "");           /* raw control character */
    check_body("", "\xc3", "");                /* truncated UTF-8 */
    check_body("", "\xc0\xaf", "");            /* overlong */
    check_body("", "\xed\xa0\x80", "");        /* UTF-8-encoded surrogate */
    check_body("", "\xf4\x90\x80\x80", "");    /* above U+10FFFF */
    check_body("", "\xff", "");
}
END_TEST

START_TEST(test_body_bad_structure_is_refused_as_jansson_does)
{
    check_body("", "", ",");                    /* trailing comma */
    check_body("", "", " x");                   /* junk member */
    check_body("", "", ",\"id\":01");           /* leading zero */
    check_body("", "", ",\"id\":1e999");        /* real overflow */
    check_body("", "", ",\"id\":123456789012345678901234567890"); /* too big */
    check_body("\"a\" 1,", "", "");             /* missing colon */
    char *t = body_with("", "", "");
    size_t n = strlen(t);
    /* trailing garbage, and the body cut short at several places */
    char *u = malloc(n + 8);
    snprintf(u, n + 8, "%s }", t);
    same_as_jansson(u);
    snprintf(u, n + 8, "%s\n", t);
    same_as_jansson(u);
    for (size_t cut = 1; cut < n; cut += 97)
        same_as_jansson_n(t, cut);
    free(u);
    free(t);
    /* a NUL byte inside the string */
    t = body_with("", "abc", "");
    char *nul = strstr(t, "abc");
    nul[1] = '\0';
    same_as_jansson_n(t, n);
    free(t);
}
END_TEST

START_TEST(test_body_unusual_keys_fall_back_to_jansson)
{
    check_body("\"sch\\u0065ma\":\"first\",", "second", "");   /* escaped duplicate, before */
    check_body("", "first", ",\"sch\\u0065ma\":\"second\"");   /* escaped duplicate, after */
    check_body("\"schema\":\"first\",", "second", "");         /* plain duplicate */
    check_body("\"\":1,", "x", "");                            /* empty key */
    check_body("\"schema\":7,", "x", "");                      /* duplicate of another type */
    /* "schema" not a string */
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, "{\"schema\":[");
    for (int i = 0; i < 100; i++)
        fy_buf_printf(&b, "%s%d", i ? "," : "", i);
    fy_buf_puts(&b, "]}");
    same_as_jansson(fy_buf_str(&b));
    fy_buf_destroy(&b);
}
END_TEST

START_TEST(test_body_deep_nesting_matches_jansson_limit)
{
    /* jansson refuses nesting deeper than 2048: the emptied body must count
     * the schema's enclosing object exactly as the whole body does */
    for (int depth = 2046; depth <= 2049; depth++) {
        struct fy_buf b;
        fy_buf_init(&b, 0);
        fy_buf_puts(&b, "{\"metadata\":");
        for (int i = 0; i < depth - 1; i++)
            fy_buf_putc(&b, '[');
        for (int i = 0; i < depth - 1; i++)
            fy_buf_putc(&b, ']');
        fy_buf_puts(&b, ",\"schema\":\"");
        for (int i = 0; i < 40; i++)
            fy_buf_puts(&b, "{\\\"type\\\":\\\"int\\\"}");
        fy_buf_puts(&b, "\"}");
        same_as_jansson(fy_buf_str(&b));
        fy_buf_destroy(&b);
    }
}
END_TEST

int main(void)
{
    fy_alloc_init();
    Suite *s = suite_create("reg_body");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_body_good_bodies_give_jansson_trees);
    tcase_add_test(tc, test_body_bad_strings_are_refused_as_jansson_does);
    tcase_add_test(tc, test_body_bad_structure_is_refused_as_jansson_does);
    tcase_add_test(tc, test_body_unusual_keys_fall_back_to_jansson);
    tcase_add_test(tc, test_body_deep_nesting_matches_jansson_limit);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
