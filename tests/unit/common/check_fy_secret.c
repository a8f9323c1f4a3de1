/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for common/fy_secret.c: which settings are credentials, URL redaction,
 * masking and unmasking a config, and AES-256-GCM sealing (round trip, another key,
 * a value moved to another setting, clear values passing through). */
#include "common/fy_secret.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
    const char *in, *want;
} redact_cases[] = {
    {"http://u:pw@h:1/x", "http://u:********@h:1/x"},
    {"https://user:p%40ss@host", "https://user:********@host"},
    {"http://u:a@b@h/p?q=1", "http://u:********@h/p?q=1"}, /* the last '@' ends the user info */
    {"http://u@h/", "http://u@h/"},                        /* no password */
    {"http://h:8081/a@b", "http://h:8081/a@b"},            /* '@' in the path */
    {"h:1", "h:1"},
    {"", ""},
};

START_TEST(test_url_redact)
{
    char *r = fy_secret_url_redact(redact_cases[_i].in);
    ck_assert_str_eq(r, redact_cases[_i].want);
    free(r);
}
END_TEST

START_TEST(test_sensitive_keys)
{
    ck_assert(fy_secret_key_sensitive("basic.auth.user.info"));
    ck_assert(fy_secret_key_sensitive("bearer.auth.token"));
    ck_assert(fy_secret_key_sensitive("sasl.password"));
    ck_assert(fy_secret_key_sensitive("schema.registry.ssl.keystore.PASSWORD"));
    ck_assert(fy_secret_key_sensitive("bearer.auth.client.secret"));
    ck_assert(fy_secret_key_sensitive("sasl.jaas.config"));
    ck_assert(!fy_secret_key_sensitive("basic.auth.credentials.source"));
    ck_assert(!fy_secret_key_sensitive("schema.registry.ssl.key.location"));
    ck_assert(fy_secret_value_sensitive("schema.registry.url", "http://a:b@h"));
    ck_assert(!fy_secret_value_sensitive("schema.registry.url", "http://h"));
}
END_TEST

START_TEST(test_mask_and_unmask)
{
    json_t *cur = json_pack("{s:s,s:s,s:s}", "schema.registry.url", "http://u:pw@h",
                            "bearer.auth.token", "tok", "max.retries", "3");
    json_t *m = fy_secret_mask_config(cur);
    ck_assert_str_eq(json_string_value(json_object_get(m, "bearer.auth.token")), FY_SECRET_MASK);
    ck_assert_str_eq(json_string_value(json_object_get(m, "schema.registry.url")),
                     "http://u:********@h");
    ck_assert_str_eq(json_string_value(json_object_get(m, "max.retries")), "3");
    json_object_set_new(m, "max.retries", json_string("4"));
    fy_secret_unmask_config(m, cur);
    ck_assert_str_eq(json_string_value(json_object_get(m, "bearer.auth.token")), "tok");
    ck_assert_str_eq(json_string_value(json_object_get(m, "schema.registry.url")),
                     "http://u:pw@h");
    ck_assert_str_eq(json_string_value(json_object_get(m, "max.retries")), "4");
    json_decref(m);
    json_decref(cur);
}
END_TEST

static struct fy_secret_box *box_of(const char *key_text)
{
    char path[] = "/tmp/check_fy_secret_XXXXXX";
    FILE *f = fdopen(mkstemp(path), "w");
    fputs(key_text, f);
    fclose(f);
    struct fy_secret_box *b = NULL;
    struct fy_err err = {0};
    int rc = fy_secret_box_new(path, NULL, &b, &err);
    remove(path);
    ck_assert_msg(rc == 0, "%s", err.msg);
    return b;
}

START_TEST(test_seal_and_open)
{
    struct fy_secret_box *k1 = box_of("00112233445566778899aabbccddeeff"
                                      "00112233445566778899aabbccddeeff\n");
    struct fy_secret_box *k2 = box_of("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=");
    json_t *c = json_pack("{s:s,s:s}", "sasl.password", "hunter2", "max.retries", "3");
    fy_secret_seal_config(k1, c);
    const char *sealed = json_string_value(json_object_get(c, "sasl.password"));
    ck_assert(strncmp(sealed, "ENC:v1:", 7) == 0 && !strstr(sealed, "hunter2"));
    ck_assert_str_eq(json_string_value(json_object_get(c, "max.retries")), "3");
    json_t *moved = json_pack("{s:s}", "other.password", sealed);
    json_t *copy = json_deep_copy(c);
    struct fy_err err = {0};
    ck_assert_int_eq(fy_secret_open_config(k2, copy, &err), -1);     /* another key */
    ck_assert_int_eq(fy_secret_open_config(NULL, copy, &err), -1);   /* no key */
    ck_assert_int_eq(fy_secret_open_config(k1, moved, &err), -1);    /* another setting */
    ck_assert_int_eq(fy_secret_open_config(k1, c, &err), 0);
    ck_assert_str_eq(json_string_value(json_object_get(c, "sasl.password")), "hunter2");
    ck_assert_int_eq(fy_secret_open_config(NULL, c, &err), 0);       /* clear passes */
    json_decref(c);
    json_decref(copy);
    json_decref(moved);
    fy_secret_box_free(k1);
    fy_secret_box_free(k2);
    struct fy_secret_box *b = NULL;
    ck_assert_int_eq(fy_secret_box_new("/nonexistent/key", NULL, &b, &err), -1);
    ck_assert_int_eq(fy_secret_box_new(NULL, "FY_SECRET_UNSET_ENV", &b, &err), 0);
    ck_assert_ptr_null(b);
    fy_err_destroy(&err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fy_secret");
    TCase *tc = tcase_create("secret");
    tcase_add_loop_test(tc, test_url_redact, 0, N(redact_cases));
    tcase_add_test(tc, test_sensitive_keys);
    tcase_add_test(tc, test_mask_and_unmask);
    tcase_add_test(tc, test_seal_and_open);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
