/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for linker/lnk_exporter.c: REST body validation (42250 with
 * messages naming the field), defaults, context-scoped patterns, updates,
 * the journal round trip, subject matching, destination names and their
 * inverse (failback). */
#include "linker/lnk_exporter.h"

#include "common/fy_alloc.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static json_t *body(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(j);
    return j;
}

static int create(const char *text, const char *scope, struct lnk_def *d, struct fy_err *err)
{
    json_t *b = body(text);
    int rc = lnk_def_from_request(b, scope, d, err);
    json_decref(b);
    return rc;
}

#define URL "\"config\":{\"schema.registry.url\":\"http://h:1\"}"

START_TEST(test_def_defaults_are_auto_star_identity_rename)
{
    fy_alloc_init();
    struct lnk_def d;
    struct fy_err err = {0};
    ck_assert_int_eq(create("{\"name\":\"x\"," URL "}", NULL, &d, &err), 0);
    ck_assert_int_eq(d.ctx_type, LNK_CTX_AUTO);
    ck_assert_uint_eq(d.n_subjects, 1);
    ck_assert_str_eq(d.subjects[0], "*");
    ck_assert_str_eq(d.rename, "${subject}");
    ck_assert(!d.paused);
    lnk_def_destroy(&d);
    fy_err_destroy(&err);
}
END_TEST

START_TEST(test_def_invalid_requests_are_42250_naming_the_field)
{
    static const struct {
        const char *body;
        const char *needle;
    } cases[] = {
        {"{" URL "}", "'name' is required"},
        {"{\"name\":\"a/b\"," URL "}", "may only contain"},
        {"{\"name\":\"x\"}", "schema.registry.url"},
        {"{\"name\":\"x\",\"config\":{\"schema.registry.url\":\"ftp://h\"}}", "http://"},
        {"{\"name\":\"x\",\"contextType\":\"BOGUS\"," URL "}", "contextType"},
        {"{\"name\":\"x\",\"contextType\":\"CUSTOM\"," URL "}", "CUSTOM needs"},
        {"{\"name\":\"x\",\"context\":\".c\"," URL "}", "only valid with contextType CUSTOM"},
        {"{\"name\":\"x\",\"subjectRenameFormat\":\"dc_\"," URL "}", "${subject}"},
        {"{\"name\":\"x\",\"subjects\":\"*\"," URL "}", "'subjects'"},
        {"{\"name\":\"x\",\"subjects\":[1]," URL "}", "'subjects' item 0"},
        {"{\"name\":\"x\",\"config\":{\"schema.registry.url\":\"http://h\",\"max.retries\":\"x\"}}",
         "max.retries"},
        {"{\"name\":\"x\",\"config\":{\"schema.registry.url\":\"http://h\","
         "\"basic.auth.user.info\":\"nocolon\"}}",
         "user:password"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct lnk_def d;
        struct fy_err err = {0};
        ck_assert_int_eq(create(cases[i].body, NULL, &d, &err), -1);
        ck_assert_int_eq(err.code, REG_E_INVALID_EXPORTER);
        ck_assert_msg(strstr(err.msg, cases[i].needle), "case %zu: '%s' lacks '%s'", i, err.msg,
                      cases[i].needle);
        fy_err_destroy(&err);
    }
}
END_TEST

START_TEST(test_def_context_scope_qualifies_unqualified_patterns)
{
    struct lnk_def d;
    struct fy_err err = {0};
    ck_assert_int_eq(create("{\"name\":\"x\",\"subjects\":[\"a*\",\":.o:b\",\":*:c\"]," URL "}",
                            ".src", &d, &err),
                     0);
    ck_assert_str_eq(d.subjects[0], ":.src:a*");
    ck_assert_str_eq(d.subjects[1], ":.o:b");
    ck_assert_str_eq(d.subjects[2], ":*:c");
    lnk_def_destroy(&d);
}
END_TEST

START_TEST(test_def_update_merges_config_and_keeps_absent_fields)
{
    struct lnk_def d, u, c;
    struct fy_err err = {0};
    ck_assert_int_eq(create("{\"name\":\"x\",\"contextType\":\"CUSTOM\",\"context\":\"dr\"," URL
                            "}",
                            NULL, &d, &err),
                     0);
    ck_assert_str_eq(d.context, ".dr");
    json_t *b = body("{\"subjectRenameFormat\":\"dc_${subject}\","
                     "\"config\":{\"basic.auth.user.info\":\"u:p\"}}");
    ck_assert_int_eq(lnk_def_update(&d, b, NULL, &u, &err), 0);
    json_decref(b);
    ck_assert_str_eq(u.rename, "dc_${subject}");
    ck_assert_str_eq(u.context, ".dr");
    ck_assert_str_eq(json_string_value(json_object_get(u.config, "schema.registry.url")),
                     "http://h:1");
    b = body("{\"basic.auth.user.info\":null}");
    ck_assert_int_eq(lnk_def_update_config(&u, b, &c, &err), 0);
    json_decref(b);
    ck_assert_ptr_null(json_object_get(c.config, "basic.auth.user.info"));
    b = body("{\"name\":\"other\"}");
    struct lnk_def bad;
    ck_assert_int_eq(lnk_def_update(&d, b, NULL, &bad, &err), -1);
    ck_assert_int_eq(err.code, REG_E_INVALID_EXPORTER);
    json_decref(b);
    b = body("{\"contextType\":\"AUTO\"}"); /* leaving CUSTOM drops the context */
    ck_assert_int_eq(lnk_def_update(&d, b, NULL, &bad, &err), 0);
    ck_assert_ptr_null(bad.context);
    json_decref(b);
    lnk_def_destroy(&bad);
    lnk_def_destroy(&d);
    lnk_def_destroy(&u);
    lnk_def_destroy(&c);
    fy_err_destroy(&err);
}
END_TEST

START_TEST(test_def_journal_round_trip_keeps_paused)
{
    struct lnk_def d, back;
    struct fy_err err = {0};
    ck_assert_int_eq(create("{\"name\":\"x\",\"subjects\":[\":*:*\"],\"contextType\":\"NONE\","
                            "\"kekRenameFormat\":\"k_${kek}\"," URL "}",
                            NULL, &d, &err),
                     0);
    d.paused = true;
    json_t *j = lnk_def_to_json(&d, true);
    char *text = json_dumps(j, JSON_COMPACT);
    ck_assert_int_eq(lnk_def_from_journal(text, strlen(text), &back, &err), 0);
    ck_assert(back.paused);
    ck_assert_int_eq(back.ctx_type, LNK_CTX_NONE);
    ck_assert_str_eq(back.subjects[0], ":*:*");
    ck_assert_str_eq(back.kek_rename, "k_${kek}");
    json_t *j2 = lnk_def_to_json(&back, true);
    ck_assert(json_equal(j, j2));
    json_t *pub = lnk_def_to_json(&d, false);
    ck_assert_ptr_null(json_object_get(pub, "paused"));
    json_decref(pub);
    json_decref(j2);
    json_decref(j);
    free(text);
    lnk_def_destroy(&back);
    lnk_def_destroy(&d);
    ck_assert_int_eq(lnk_def_from_journal("[1]", 3, &back, &err), -1);
    ck_assert_int_eq(err.code, FY_E_CORRUPT);
    fy_err_destroy(&err);
}
END_TEST

START_TEST(test_def_matches_default_context_globs_and_wildcards)
{
    struct lnk_def d;
    struct fy_err err = {0};
    ck_assert_int_eq(create("{\"name\":\"x\",\"subjects\":[\"orders-*\",\":.c:*\",\":*:x\"]," URL
                            "}",
                            NULL, &d, &err),
                     0);
    ck_assert(lnk_def_matches(&d, ".", "orders-value"));
    ck_assert(lnk_def_matches(&d, ".", "orders-"));
    ck_assert(!lnk_def_matches(&d, ".", "payments-value"));
    ck_assert(!lnk_def_matches(&d, ".o", "orders-value")); /* unqualified = default context */
    ck_assert(lnk_def_matches(&d, ".c", "anything"));
    ck_assert(lnk_def_matches(&d, ".c", ""));              /* context config: `*` covers it */
    ck_assert(!lnk_def_matches(&d, ".", ""));              /* `orders-*` does not */
    ck_assert(lnk_def_matches(&d, ".z", "x"));
    ck_assert(!lnk_def_matches(&d, ".z", "xy"));
    lnk_def_destroy(&d);
    ck_assert_int_eq(create("{\"name\":\"x\",\"subjects\":[\"a*b*c\"]," URL "}", NULL, &d, &err),
                     0);
    ck_assert(lnk_def_matches(&d, ".", "abc"));
    ck_assert(lnk_def_matches(&d, ".", "a-b-b-c"));
    ck_assert(!lnk_def_matches(&d, ".", "a-b-cd"));
    lnk_def_destroy(&d);
}
END_TEST

START_TEST(test_def_destination_names_per_context_type)
{
    struct lnk_def d;
    struct fy_err err = {0};
    ck_assert_int_eq(create("{\"name\":\"x\",\"subjectRenameFormat\":\"dc_${subject}_${subject}\","
                            URL "}",
                            NULL, &d, &err),
                     0);
    char *s = lnk_def_dest_subject(&d, "CID", ".", "s");
    ck_assert_str_eq(s, ":.CID:dc_s_s");
    free(s);
    s = lnk_def_dest_subject(&d, "CID", ".a", "s");
    ck_assert_str_eq(s, ":.CID.a:dc_s_s");
    free(s);
    s = lnk_def_dest_subject(&d, "CID", ".", ""); /* the context itself is not renamed */
    ck_assert_str_eq(s, ":.CID:");
    free(s);
    d.ctx_type = LNK_CTX_NONE;
    s = lnk_def_dest_subject(&d, "CID", ".", "s");
    ck_assert_str_eq(s, "dc_s_s");
    free(s);
    s = lnk_def_dest_subject(&d, "CID", ".a", "s");
    ck_assert_str_eq(s, ":.a:dc_s_s");
    free(s);
    d.ctx_type = LNK_CTX_DEFAULT;
    s = lnk_def_dest_subject(&d, "CID", ".a", "s");
    ck_assert_str_eq(s, "dc_s_s");
    free(s);
    d.ctx_type = LNK_CTX_CUSTOM;
    d.context = fy_strdup(".dr");
    s = lnk_def_dest_subject(&d, "CID", ".", "s");
    ck_assert_str_eq(s, ":.dr:dc_s_s");
    free(s);
    lnk_def_destroy(&d);
}
END_TEST


/* `dest` maps back to (ctx, name), or to nothing when ctx is NULL. */
static void back(const struct lnk_def *d, const char *dest, const char *ctx, const char *name)
{
    char *c = NULL, *n = NULL;
    int rc = lnk_def_source_subject(d, "CID", dest, &c, &n);
    if (!ctx) {
        ck_assert_msg(rc != 0, "%s should map to no source subject", dest);
        return;
    }
    ck_assert_msg(rc == 0, "%s should map back", dest);
    ck_assert_str_eq(c, ctx);
    ck_assert_str_eq(n, name);
    free(c);
    free(n);
}

START_TEST(test_def_source_subject_inverts_every_context_type_and_rename)
{
    struct lnk_def d;
    struct fy_err err = {0};
    ck_assert_int_eq(create("{\"name\":\"x\",\"subjectRenameFormat\":\"dc_${subject}_${subject}\","
                            URL "}",
                            NULL, &d, &err),
                     0);
    back(&d, ":.CID:dc_s_s", ".", "s");      /* AUTO */
    back(&d, ":.CID.a:dc_ab_ab", ".a", "ab");
    back(&d, ":.CID:dc_s_t", NULL, NULL);     /* two different halves: not a rename */
    back(&d, ":.CID:s", NULL, NULL);          /* no prefix */
    back(&d, ":.other:dc_s_s", NULL, NULL);   /* another context */
    back(&d, ":.CIDX:dc_s_s", NULL, NULL);    /* a context that only starts the same */
    back(&d, ":.CID:", ".", "");              /* the context itself */
    d.ctx_type = LNK_CTX_NONE;
    back(&d, "dc_s_s", ".", "s");
    back(&d, ":.a:dc_s_s", ".a", "s");
    d.ctx_type = LNK_CTX_DEFAULT;
    back(&d, "dc_s_s", ".", "s");
    back(&d, ":.a:dc_s_s", NULL, NULL);
    d.ctx_type = LNK_CTX_CUSTOM;
    d.context = fy_strdup(".dr");
    back(&d, ":.dr:dc_x_x", ".", "x");
    back(&d, ":.dr.b:dc_x_x", ".b", "x");
    back(&d, "dc_x_x", NULL, NULL);
    free(d.rename);
    d.rename = fy_strdup("${subject}");
    back(&d, ":.dr:orders", ".", "orders");
    lnk_def_destroy(&d);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lnk_exporter");
    TCase *tc = tcase_create("def");
    tcase_add_test(tc, test_def_defaults_are_auto_star_identity_rename);
    tcase_add_test(tc, test_def_invalid_requests_are_42250_naming_the_field);
    tcase_add_test(tc, test_def_context_scope_qualifies_unqualified_patterns);
    tcase_add_test(tc, test_def_update_merges_config_and_keeps_absent_fields);
    tcase_add_test(tc, test_def_journal_round_trip_keeps_paused);
    tcase_add_test(tc, test_def_matches_default_context_globs_and_wildcards);
    tcase_add_test(tc, test_def_destination_names_per_context_type);
    tcase_add_test(tc, test_def_source_subject_inverts_every_context_type_and_rename);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
