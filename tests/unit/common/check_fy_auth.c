/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for common/fy_auth.c: Jetty credential forms (MD5: against RFC 1321's
 * test vectors, CRYPT: with libxcrypt's hashes, OBF:, plain), made credentials that
 * verify, and role levels with subject-prefix / context scopes. */
#include "common/fy_auth.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct cred_case {
    const char *cred, *password;
    bool ok;
};

static const struct cred_case cred_cases[] = {
    /* RFC 1321 appendix A.5, as Jetty writes them (MD5: + lower-case hex); hex case ignored */
    {"MD5:d41d8cd98f00b204e9800998ecf8427e", "", true},
    {"MD5:0cc175b9c0f1b6a831c399e269772661", "a", true},
    {"MD5:900150983cd24fb0d6963f7d28e17f72", "abc", true},
    {"MD5:F96B697D7CB7938D525A2F31AAF161D0", "message digest", true},
    {"MD5:900150983cd24fb0d6963f7d28e17f72", "abd", false},
    {"MD5:", "", false},
    /* DES crypt (Jetty's UnixCrypt) and MD5-crypt, made with Python's crypt module */
    {"CRYPT:abNANd1rDfiNc", "secret", true},
    {"CRYPT:abNANd1rDfiNc", "secreT", false},
    {"CRYPT:$1$saltsalt$9xy1btjgzLYfb7hivXtC//", "secret", true},
    {"CRYPT:$1$saltsalt$9xy1btjgzLYfb7hivXtC//", "secret2", false},
    {"CRYPT:$2b$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYUh4Hjl0a", "secret", true},
    {"CRYPT:$2b$05$abcdefghijklmnopqrstuuOQiyCxlgf/oeuTqixKmWdcYUh4Hjl0a", "Secret", false},
    {"CRYPT:*", "", false},
    {"CRYPT:", "", false},
    /* Jetty's Password.obfuscate: "password" as in Jetty's documentation, and "secret" */
    {"OBF:1v2j1uum1xtv1zej1zer1xtn1uvk1v1v", "password", true},
    {"OBF:1yta1t331v8w1v9q1t331ytc", "secret", true},
    {"OBF:1yta1t331v8w1v9q1t331ytc", "secre", false},
    {"OBF:!!!!", "x", false},
    {"plain-text", "plain-text", true},
    {"plain-text", "plain-tex", false},
    {"", "", true},
};

START_TEST(test_credential_forms_verify_only_the_right_password)
{
    const struct cred_case *c = &cred_cases[_i];
    ck_assert_msg(fy_auth_credential_ok(c->cred, c->password) == c->ok, "%s / %s", c->cred,
                  c->password);
}
END_TEST

START_TEST(test_made_credentials_verify)
{
    static const char *const schemes[] = {"bcrypt", "sha512", "md5", "plain"};
    for (size_t i = 0; i < N(schemes); i++) {
        char *c = fy_auth_credential_new(schemes[i], "pw:with,odd chars", NULL);
        ck_assert_ptr_nonnull(c);
        ck_assert(fy_auth_credential_ok(c, "pw:with,odd chars"));
        ck_assert(!fy_auth_credential_ok(c, "pw:with,odd char"));
        free(c);
    }
    struct fy_err err = {0};
    ck_assert_ptr_null(fy_auth_credential_new("rot13", "x", &err));
    ck_assert_int_eq(err.code, FY_E_CONFIG);
}
END_TEST

static struct fy_auth *auth_with(const char *users, const char *read, const char *write,
                                 const char *admin)
{
    char path[] = "/tmp/check_fy_auth_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(users, f);
    fclose(f);
    struct fy_auth_conf c = {.basic = true, .realm = "R", .user_file = path,
                             .grants = {read, write, admin}};
    struct fy_err err = {0};
    struct fy_auth *a = fy_auth_new(&c, &err);
    ck_assert_msg(a != NULL, "%s", err.msg);
    unlink(path);
    return a;
}

/* "Basic " + base64(user:password) */
static const char *basic(const char *userpass)
{
    static char out[256];
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(userpass), o = 6;
    memcpy(out, "Basic ", 6);
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)userpass[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)userpass[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)userpass[i + 2];
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

START_TEST(test_levels_and_scopes)
{
    struct fy_auth *a = auth_with("r: rp,reader\nw: wp,dev\nx: xp,team\nn: np\n", "reader",
                                  "dev(subject:orders-;context:.sales)", "team(context:.team)");
    const struct fy_auth_user *r = NULL, *w = NULL, *x = NULL, *n = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(fy_auth_authenticate(a, basic("r:rp"), NULL, &r, &err), 0);
    ck_assert_int_eq(fy_auth_authenticate(a, basic("w:wp"), NULL, &w, &err), 0);
    ck_assert_int_eq(fy_auth_authenticate(a, basic("x:xp"), NULL, &x, &err), 0);
    ck_assert_int_eq(fy_auth_authenticate(a, basic("n:np"), NULL, &n, &err), 0);
    const struct fy_auth_user *t = NULL;
    ck_assert_int_eq(fy_auth_authenticate(a, basic("r:wrong"), NULL, &t, &err), -1);
    ck_assert_int_eq(err.code, 401);
    ck_assert_int_eq(fy_auth_authenticate(a, NULL, "w", &t, &err), 0); /* by certificate */
    ck_assert_ptr_eq(t, w);
    ck_assert_int_eq(fy_auth_authenticate(a, NULL, "nobody", &t, &err), -1);
    ck_assert(fy_auth_allows(a, r, FY_LEVEL_READ, "anything", "."));
    ck_assert(!fy_auth_allows(a, r, FY_LEVEL_WRITE, "anything", "."));
    ck_assert(fy_auth_allows(a, w, FY_LEVEL_WRITE, "orders-value", "."));
    ck_assert(fy_auth_allows(a, w, FY_LEVEL_READ, "orders-value", "."));
    ck_assert(!fy_auth_allows(a, w, FY_LEVEL_WRITE, "payments", "."));
    ck_assert(fy_auth_allows(a, w, FY_LEVEL_WRITE, "payments", ".sales"));
    ck_assert(!fy_auth_allows(a, w, FY_LEVEL_ADMIN, "orders-value", "."));
    ck_assert(fy_auth_allows(a, w, FY_LEVEL_READ, NULL, NULL));   /* listings */
    ck_assert(!fy_auth_allows(a, w, FY_LEVEL_WRITE, NULL, NULL)); /* global writes */
    ck_assert(fy_auth_allows(a, x, FY_LEVEL_ADMIN, NULL, ".team"));
    ck_assert(!fy_auth_allows(a, x, FY_LEVEL_ADMIN, NULL, ".other"));
    ck_assert(!fy_auth_allows(a, n, FY_LEVEL_READ, NULL, NULL)); /* no role, no level */
    fy_auth_free(a);
    /* no level configured: every authenticated user may do everything (Confluent) */
    a = auth_with("n: np\n", NULL, NULL, NULL);
    ck_assert_int_eq(fy_auth_authenticate(a, basic("n:np"), NULL, &n, &err), 0);
    ck_assert(fy_auth_allows(a, n, FY_LEVEL_ADMIN, NULL, NULL));
    fy_auth_free(a);
    fy_err_destroy(&err);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fy_auth");
    TCase *tc = tcase_create("credentials");
    tcase_add_loop_test(tc, test_credential_forms_verify_only_the_right_password, 0,
                        N(cred_cases));
    tcase_add_test(tc, test_made_credentials_verify);
    tcase_set_timeout(tc, 60);
    suite_add_tcase(s, tc);
    tc = tcase_create("levels");
    tcase_add_test(tc, test_levels_and_scopes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
