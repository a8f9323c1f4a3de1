/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for common/fy_url.c: strict percent-decoding (path vs query '+'),
 * percent-encoding, query parameter look-up, UTF-8 validation. Table-driven. */
#include "common/fy_url.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fy_url_decode ------------------------------------------------------ */

struct decode_case {
    const char *in;
    size_t len;          /* 0 = strlen(in) */
    bool plus_is_space;
    const char *want;    /* NULL = must be refused */
};

static const struct decode_case decode_cases[] = {
    {"abc", 0, false, "abc"},
    {"", 0, false, ""},
    {"a%2Fb", 0, false, "a/b"},
    {"%3a.ctx%3A", 0, false, ":.ctx:"},            /* either hex case */
    {"%3A.ctx%3Asubject", 0, false, ":.ctx:subject"},
    {"a+b", 0, false, "a+b"},                      /* path: '+' is a plus */
    {"a+b", 0, true, "a b"},                       /* query: '+' is a space */
    {"%2B", 0, true, "+"},                         /* an encoded plus stays a plus */
    {"%20", 0, false, " "},
    {"%C3%A9", 0, false, "\xC3\xA9"},
    {"%25", 0, false, "%"},
    {"%2525", 0, false, "%25"},                    /* decoded once only */
    {"ab%41cd", 5, false, "abA"},                  /* len bounds the input */
    {"%", 0, false, NULL},
    {"a%", 0, false, NULL},
    {"%4", 0, false, NULL},
    {"a%41", 2, false, NULL},                      /* escape cut by len */
    {"%zz", 0, false, NULL},
    {"%G0", 0, true, NULL},
    {"%0g", 0, false, NULL},
    {"%00", 0, false, NULL},                       /* decoded NUL */
    {"a%00b", 0, true, NULL},
};

START_TEST(test_url_decode_is_strict_and_plus_depends_on_context)
{
    const struct decode_case *c = &decode_cases[_i];
    size_t len = c->len ? c->len : strlen(c->in);
    char *got = fy_url_decode(c->in, len, c->plus_is_space);
    if (!c->want)
        ck_assert_msg(got == NULL, "case %d '%s' should be refused, got '%s'", _i, c->in, got);
    else {
        ck_assert_msg(got != NULL, "case %d '%s' refused", _i, c->in);
        ck_assert_str_eq(got, c->want);
    }
    free(got);
}
END_TEST

/* ---- fy_url_encode ------------------------------------------------------ */

struct encode_case {
    const char *in;
    const char *safe;
    const char *want;
};

static const struct encode_case encode_cases[] = {
    {"abc-._~XYZ09", NULL, "abc-._~XYZ09"},
    {"", NULL, ""},
    {"a b/c:d", NULL, "a%20b%2Fc%3Ad"},
    {"a b/c:d", FY_URL_SAFE_SEGMENT, "a%20b%2Fc:d"},
    {":.ctx:", FY_URL_SAFE_SEGMENT, ":.ctx:"},
    {"a&b=c+d", FY_URL_SAFE_QUERY, "a%26b%3Dc%2Bd"},
    {"a&b=c+d", FY_URL_SAFE_SEGMENT, "a&b=c+d"},
    {":.a?b:", FY_URL_SAFE_SEGMENT, ":.a%3Fb:"},
    {"100%", FY_URL_SAFE_SEGMENT, "100%25"},
    {"#", FY_URL_SAFE_QUERY, "%23"},
    {"\xC3\xA9", NULL, "%C3%A9"},                  /* upper-case hex */
    {"\x01\x7F", FY_URL_SAFE_QUERY, "%01%7F"},
};

START_TEST(test_url_encode_keeps_unreserved_and_safe_bytes_only)
{
    const struct encode_case *c = &encode_cases[_i];
    char *got = fy_url_encode(c->in, c->safe);
    ck_assert_str_eq(got, c->want);
    free(got);
}
END_TEST

START_TEST(test_url_encode_then_decode_round_trips_every_byte)
{
    char all[256];
    for (int i = 1; i < 256; i++)
        all[i - 1] = (char)i;
    all[255] = '\0';
    const char *safes[] = {NULL, FY_URL_SAFE_SEGMENT, FY_URL_SAFE_QUERY};
    for (size_t k = 0; k < 3; k++) {
        char *enc = fy_url_encode(all, safes[k]);
        /* path decoding keeps '+', so only query-safe output may go through the query decoder */
        char *dec = fy_url_decode(enc, strlen(enc), k == 2);
        ck_assert_ptr_nonnull(dec);
        ck_assert_str_eq(dec, all);
        free(enc);
        free(dec);
    }
}
END_TEST

/* ---- fy_query_find / fy_query_get ---------------------------------------- */

struct query_case {
    const char *query;
    const char *name;
    int rc;              /* fy_query_find: 1 found, 0 absent, -1 bad encoding */
    const char *want;
};

static const struct query_case query_cases[] = {
    {"a=1&b=2", "b", 1, "2"},
    {"a=1&b=2", "a", 1, "1"},
    {"a=1&a=2", "a", 1, "1"},                      /* the first one wins */
    {"a", "a", 1, ""},                             /* no '=': empty value */
    {"a=", "a", 1, ""},
    {"a=b=c", "a", 1, "b=c"},                      /* only the first '=' splits */
    {"x=a+b%20c", "x", 1, "a b c"},                /* '+' is a space in queries */
    {"x=%2B1", "x", 1, "+1"},
    {"subject=%3A.ctx%3Afoo", "subject", 1, ":.ctx:foo"},
    {"a%3Db=1", "a=b", 1, "1"},                    /* names are decoded too */
    {"sub+ject=1", "sub ject", 1, "1"},
    {"&&a=1&", "a", 1, "1"},                       /* empty pairs are ignored */
    {"%zz=1&a=2", "a", 1, "2"},                    /* undecodable names are skipped */
    {"b=1", "a", 0, NULL},
    {"ab=1", "a", 0, NULL},                        /* no prefix match */
    {"", "a", 0, NULL},
    {NULL, "a", 0, NULL},
    {"a=%zz", "a", -1, NULL},
    {"a=%00", "a", -1, NULL},
};

START_TEST(test_query_find_returns_first_decoded_value)
{
    const struct query_case *c = &query_cases[_i];
    struct fy_err err = {0};
    char *value = (char *)"sentinel";
    int rc = fy_query_find(c->query, c->name, &value, &err);
    ck_assert_msg(rc == c->rc, "case %d: rc %d, want %d", _i, rc, c->rc);
    if (c->want) {
        ck_assert_str_eq(value, c->want);
    } else {
        ck_assert_ptr_null(value);
    }
    if (rc < 0)
        ck_assert_int_eq(err.code, FY_E_BAD_REQUEST);
    free(value);
    fy_err_destroy(&err);

    /* fy_query_get: the same value, NULL for absent and for badly encoded */
    char *got = fy_query_get(c->query, c->name);
    if (c->rc == 1)
        ck_assert_str_eq(got, c->want);
    else
        ck_assert_ptr_null(got);
    free(got);
}
END_TEST

/* ---- fy_utf8_valid ------------------------------------------------------ */

struct utf8_case {
    const char *bytes;
    size_t len;          /* 0 = strlen */
    bool valid;
    const char *what;
};

static const struct utf8_case utf8_cases[] = {
    {"", 0, true, "empty"},
    {"subject-value", 0, true, "ASCII"},
    {"\xC3\xA9", 0, true, "U+00E9 two bytes"},
    {"\xC2\x80", 0, true, "U+0080 smallest two-byte"},
    {"\xE2\x82\xAC", 0, true, "U+20AC three bytes"},
    {"\xE0\xA0\x80", 0, true, "U+0800 smallest three-byte"},
    {"\xED\x9F\xBF", 0, true, "U+D7FF just below the surrogates"},
    {"\xEE\x80\x80", 0, true, "U+E000 just above the surrogates"},
    {"\xF0\x9F\x98\x80", 0, true, "U+1F600 four bytes"},
    {"\xF4\x8F\xBF\xBF", 0, true, "U+10FFFF the last code point"},
    {"a\0b", 3, true, "U+0000 inside len"},
    {"\xC0\x80", 0, false, "overlong NUL"},
    {"\xC1\xBF", 0, false, "overlong two-byte"},
    {"\xE0\x80\x80", 0, false, "overlong three-byte"},
    {"\xE0\x9F\xBF", 0, false, "overlong U+07FF in three bytes"},
    {"\xF0\x80\x80\x80", 0, false, "overlong four-byte"},
    {"\xF0\x8F\xBF\xBF", 0, false, "overlong U+FFFF in four bytes"},
    {"\xED\xA0\x80", 0, false, "surrogate U+D800"},
    {"\xED\xBF\xBF", 0, false, "surrogate U+DFFF"},
    {"\xF4\x90\x80\x80", 0, false, "U+110000 above the range"},
    {"\xF5\x80\x80\x80", 0, false, "F5 lead byte"},
    {"\xFF", 0, false, "FF byte"},
    {"\x80", 0, false, "stray continuation byte"},
    {"a\xBF", 0, false, "stray continuation after ASCII"},
    {"\xC3", 0, false, "truncated two-byte"},
    {"\xE2\x82", 0, false, "truncated three-byte"},
    {"\xF0\x9F\x98", 0, false, "truncated four-byte"},
    {"\xC3\xA9", 1, false, "truncated by len"},
    {"\xC3\x41", 0, false, "bad second byte"},
    {"\xE2\x41\xAC", 0, false, "bad middle byte"},
    {"\xF0\x9F\x98\x41", 0, false, "bad last byte"},
};

START_TEST(test_utf8_valid_rejects_overlongs_surrogates_and_out_of_range)
{
    const struct utf8_case *c = &utf8_cases[_i];
    size_t len = c->len ? c->len : strlen(c->bytes);
    ck_assert_msg(fy_utf8_valid(c->bytes, len) == c->valid, "case %d (%s): want %s", _i, c->what,
                  c->valid ? "valid" : "invalid");
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

START_TEST(test_utf8_put_encodes_every_length_at_its_boundaries)
{
    static const struct {
        uint32_t cp;
        const char *utf8;
    } cases[] = {{0x24, "$"},          {0x7F, "\x7F"},         {0x80, "\xC2\x80"},
                 {0x7FF, "\xDF\xBF"},   {0x800, "\xE0\xA0\x80"}, {0x20AC, "\xE2\x82\xAC"},
                 {0xFFFF, "\xEF\xBF\xBF"}, {0x10000, "\xF0\x90\x80\x80"},
                 {0x10FFFF, "\xF4\x8F\xBF\xBF"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[5] = {0};
        size_t n = fy_utf8_put(out, cases[i].cp);
        ck_assert_uint_eq(n, strlen(cases[i].utf8));
        ck_assert_mem_eq(out, cases[i].utf8, n);
        ck_assert(fy_utf8_valid(out, n));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fy_url");
    TCase *tc = tcase_create("decode");
    tcase_add_loop_test(tc, test_url_decode_is_strict_and_plus_depends_on_context, 0,
                        N(decode_cases));
    suite_add_tcase(s, tc);
    tc = tcase_create("encode");
    tcase_add_loop_test(tc, test_url_encode_keeps_unreserved_and_safe_bytes_only, 0,
                        N(encode_cases));
    tcase_add_test(tc, test_url_encode_then_decode_round_trips_every_byte);
    tcase_add_test(tc, test_utf8_put_encodes_every_length_at_its_boundaries);
    suite_add_tcase(s, tc);
    tc = tcase_create("query");
    tcase_add_loop_test(tc, test_query_find_returns_first_decoded_value, 0, N(query_cases));
    suite_add_tcase(s, tc);
    tc = tcase_create("utf8");
    tcase_add_loop_test(tc, test_utf8_valid_rejects_overlongs_surrogates_and_out_of_range, 0,
                        N(utf8_cases));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
