/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for contexts/ctx_name.c: the qualified-subject grammar, its
 * normalisation and validation (Confluent's QualifiedSubject), context-name
 * normalisation (normalizeContext) and the /contexts/{ctx}/... URL rewrite
 * (ContextFilter; the first cases are ContextFilterTest.java's). Table-driven. */
#include "contexts/ctx_name.h"

#include "common/fy_url.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* ---- ctx_subject_parse + ctx_subject_format ------------------------------ */

struct parse_case {
    const char *raw;
    const char *context;
    const char *name;
    bool wildcard;
    const char *normalised; /* ctx_subject_format(context, name) */
    const char *why;
};

static const struct parse_case parse_cases[] = {
    {"foo", ".", "foo", false, "foo", "plain name is in the default context"},
    {":.:foo", ".", "foo", false, "foo", ":.: is the default context, written unprefixed"},
    {":.ctx:foo", ".ctx", "foo", false, ":.ctx:foo", "qualified subject"},
    {":.ctx:", ".ctx", "", false, ":.ctx:", "empty subject is the context itself"},
    {":.ctx", ".ctx", "", false, ":.ctx:", "no closing colon: the whole rest is the context"},
    {":.", ".", "", false, "", "':.' alone is the default context itself"},
    {":.:", ".", "", false, "", "':.:' is the default context itself"},
    {"", ".", "", false, "", "empty text is the default context itself"},
    {":ctx:foo", ".", ":ctx:foo", false, ":ctx:foo", "no dot after the colon: a plain name"},
    {":foo", ".", ":foo", false, ":foo", "leading colon without a second: a plain name"},
    {"::x", ".", "::x", false, "::x", "double colon is a plain name"},
    {":*:foo", "*", "foo", true, ":*:foo", "wildcard context"},
    {":*:", "*", "", true, ":*:", "bare wildcard"},
    {":*x", ".", ":*x", false, ":*x", "':*' without its colon is a plain name"},
    {"*", ".", "*", false, "*", "a lone star is a plain name"},
    {":.*:x", ".*", "x", false, ":.*:x", "':.*:' is a context named .*, not the wildcard"},
    {":.a.b:x", ".a.b", "x", false, ":.a.b:x", "nested context keeps its dots"},
    {":.a:b:c", ".a", "b:c", false, ":.a:b:c", "the context ends at the first colon"},
    {":..:x", "..", "x", false, ":..:x", "context '..' is accepted as written"},
    {"tenant_:.ctx:x", ".", "tenant_:.ctx:x", false, "tenant_:.ctx:x",
     "single tenant: a tenant_ prefix is part of the name"},
    {"a:.b:c", ".", "a:.b:c", false, "a:.b:c", "qualification only counts at the start"},
    {":.__GLOBAL:", ".__GLOBAL", "", false, ":.__GLOBAL:", "the global context parses"},
    {"__GLOBAL", ".", "__GLOBAL", false, "__GLOBAL", "reserved names parse (validate refuses)"},
    {":.ctx:a/b c", ".ctx", "a/b c", false, ":.ctx:a/b c", "any bytes after the context"},
};

START_TEST(test_subject_parse_splits_and_normalises_like_qualified_subject)
{
    const struct parse_case *c = &parse_cases[_i];
    struct ctx_subject cs;
    struct fy_err err = {0};
    ck_assert_int_eq(ctx_subject_parse(c->raw, &cs, &err), 0);
    ck_assert_msg(strcmp(cs.context, c->context) == 0, "'%s' (%s): context '%s', want '%s'",
                  c->raw, c->why, cs.context, c->context);
    ck_assert_msg(strcmp(cs.name, c->name) == 0, "'%s' (%s): name '%s', want '%s'", c->raw,
                  c->why, cs.name, c->name);
    ck_assert_msg(cs.wildcard == c->wildcard, "'%s' (%s): wildcard", c->raw, c->why);
    char *f = ctx_subject_format(cs.context, cs.name);
    ck_assert_msg(strcmp(f, c->normalised) == 0, "'%s' (%s): format '%s', want '%s'", c->raw,
                  c->why, f, c->normalised);
    /* the normalised text parses back to the same pair */
    struct ctx_subject again;
    ck_assert_int_eq(ctx_subject_parse(f, &again, NULL), 0);
    ck_assert_str_eq(again.context, cs.context);
    ck_assert_str_eq(again.name, cs.name);
    ctx_subject_destroy(&again);
    free(f);
    ctx_subject_destroy(&cs);
    ck_assert_ptr_null(cs.context);
    ctx_subject_destroy(&cs); /* twice is harmless */
}
END_TEST

START_TEST(test_subject_parse_refuses_only_null_and_leaves_output_empty)
{
    struct ctx_subject cs = {(char *)"x", (char *)"y", true};
    struct fy_err err = {0};
    ck_assert_int_eq(ctx_subject_parse(NULL, &cs, &err), -1);
    ck_assert_int_eq(err.code, REG_E_INVALID_SUBJECT);
    ck_assert_ptr_null(cs.context);
    ck_assert_ptr_null(cs.name);
    ck_assert(!cs.wildcard);
    ctx_subject_destroy(&cs);
    ctx_subject_destroy(NULL);
    fy_err_destroy(&err);
}
END_TEST

START_TEST(test_subject_format_wraps_named_contexts_and_treats_null_as_default)
{
    struct {
        const char *context, *name, *want;
    } t[] = {
        {".", "x", "x"},           {NULL, "x", "x"},        {".ctx", "x", ":.ctx:x"},
        {".ctx", "", ":.ctx:"},    {".a.b", NULL, ":.a.b:"}, {"*", "x", ":*:x"},
        {".", NULL, ""},           {".__GLOBAL", "", ":.__GLOBAL:"},
    };
    for (int i = 0; i < N(t); i++) {
        char *f = ctx_subject_format(t[i].context, t[i].name);
        ck_assert_str_eq(f, t[i].want);
        free(f);
    }
}
END_TEST

/* ---- ctx_subject_validate ------------------------------------------------ */

struct validate_case {
    const char *raw;
    bool allow_global;
    bool valid;
    const char *why;
};

static const struct validate_case validate_cases[] = {
    {"orders-value", false, true, "an ordinary subject"},
    {":.ctx:orders", false, true, "a qualified subject"},
    {"", false, true, "empty is allowed for backward compatibility"},
    {":.ctx:", false, true, "a context itself is allowed"},
    {":*:", false, true, "the wildcard is allowed"},
    {"__GLOBAL", false, false, "reserved global-permissions name"},
    {"__EMPTY", false, false, "reserved empty-string name"},
    {":.ctx:__GLOBAL", false, false, "reserved name inside a context"},
    {":.ctx:__EMPTY", true, false, "reserved name even for config/mode"},
    {":*:__GLOBAL", false, false, "reserved name under the wildcard"},
    {"__global", false, true, "reserved names are case-sensitive"},
    {"__GLOBAL2", false, true, "only the exact reserved name"},
    {":ctx:__GLOBAL", false, true, "no dot: the whole text is the name"},
    {":.__GLOBAL:", false, false, "global context outside config/mode"},
    {":.__GLOBAL:", true, true, "global context for config/mode"},
    {":.__GLOBAL:foo", false, false, "subject in the global context"},
    {":.__GLOBAL:foo", true, true, "subject in the global context for config/mode"},
    {":.__GLOBAL", false, false, "global context without closing colon"},
    {".__GLOBAL", false, true, "unqualified '.__GLOBAL' is a plain name"},
    {"a\tb", false, false, "tab is an ISO control"},
    {"a\nb", true, false, "newline is an ISO control"},
    {"\x1b[31m", false, false, "escape is an ISO control"},
    {"a\x7f", false, false, "DEL is an ISO control"},
    {"a\xC2\x85" "b", false, false, "U+0085 (C1) is an ISO control"},
    {"a\xC2\x9F", false, false, "U+009F (C1) is an ISO control"},
    {":.c\x01:x", true, false, "control inside the context"},
    {"a\xC2\xA0" "b", false, true, "U+00A0 is not a control"},
    {"caf\xC3\xA9", false, true, "non-ASCII letters are fine"},
    {"a b/c:d*e", false, true, "spaces, slashes, colons and stars are fine"},
};

START_TEST(test_subject_validate_mirrors_is_valid_subject)
{
    const struct validate_case *c = &validate_cases[_i];
    struct ctx_subject cs;
    struct fy_err err = {0};
    ck_assert_int_eq(ctx_subject_parse(c->raw, &cs, NULL), 0);
    int rc = ctx_subject_validate(c->raw, &cs, c->allow_global, &err);
    ck_assert_msg((rc == 0) == c->valid, "case %d (%s): rc %d", _i, c->why, rc);
    if (!c->valid) {
        ck_assert_int_eq(err.code, REG_E_INVALID_SUBJECT);
        char want[300];
        snprintf(want, sizeof want, "The specified subject '%s' is not a valid.", c->raw);
        for (char *p = want; *p; p++) /* messages are one line (fy_err_set) */
            if (*p == '\n' || *p == '\r')
                *p = ' ';
        ck_assert_str_eq(fy_err_text(&err), want);
    }
    ctx_subject_destroy(&cs);
    fy_err_destroy(&err);
}
END_TEST

START_TEST(test_subject_validate_keeps_long_subjects_whole_in_the_message)
{
    char raw[600];
    memset(raw, 'x', sizeof raw - 1);
    raw[sizeof raw - 1] = '\0';
    memcpy(raw, ":.c:__GLOBAL", 12); /* name is "__GLOBALxxx...": valid */
    struct ctx_subject cs;
    struct fy_err err = {0};
    ck_assert_int_eq(ctx_subject_parse(raw, &cs, NULL), 0);
    ck_assert_int_eq(ctx_subject_validate(raw, &cs, false, &err), 0);
    ctx_subject_destroy(&cs);
    raw[300] = '\t';
    ck_assert_int_eq(ctx_subject_parse(raw, &cs, NULL), 0);
    ck_assert_int_eq(ctx_subject_validate(raw, &cs, false, &err), -1);
    size_t frame = strlen("The specified subject '' is not a valid.");
    ck_assert_uint_eq(strlen(fy_err_text(&err)), strlen(raw) + frame);
    ctx_subject_destroy(&cs);
    fy_err_destroy(&err);
}
END_TEST

/* ---- ctx_context_normalize / ctx_is_default -------------------------------- */

struct norm_case {
    const char *raw;
    const char *want; /* NULL = refused with 42208 */
};

static const struct norm_case norm_cases[] = {
    {".ctx", ".ctx"},         {"ctx", ".ctx"},           {":.ctx:", ".ctx"},
    {":ctx:", ".ctx"},        {":.ctx", ".ctx"},         {".ctx:", ".ctx"},
    {".", "."},               {"", "."},                 {":.:", "."},
    {":", "."},               {"::", "."},               {".a.b", ".a.b"},
    {"a.b", ".a.b"},          {"*", ".*"},               {".__GLOBAL", ".__GLOBAL"},
    {"a b", ".a b"},          {"a:b", NULL},             {":a:b:", NULL},
    {":::", NULL},            {"::a", NULL},             {".ctx::", NULL},
};

START_TEST(test_context_normalize_mirrors_normalize_context)
{
    const struct norm_case *c = &norm_cases[_i];
    struct fy_err err = {0};
    char *got = ctx_context_normalize(c->raw, &err);
    if (!c->want) {
        ck_assert_msg(got == NULL, "'%s' accepted as '%s'", c->raw, got);
        ck_assert_int_eq(err.code, REG_E_INVALID_SUBJECT);
        ck_assert_str_eq(err.msg, "Context name cannot contain a colon");
    } else {
        ck_assert_msg(got != NULL, "'%s' refused: %s", c->raw, err.msg);
        ck_assert_str_eq(got, c->want);
    }
    free(got);
    fy_err_destroy(&err);
}
END_TEST

START_TEST(test_is_default_only_for_dot_and_null)
{
    ck_assert(ctx_is_default("."));
    ck_assert(ctx_is_default(NULL));
    ck_assert(!ctx_is_default(".ctx"));
    ck_assert(!ctx_is_default(""));
    ck_assert(!ctx_is_default("*"));
    ck_assert(!ctx_is_default(".."));
    ck_assert_ptr_null(ctx_context_normalize(NULL, NULL));
}
END_TEST

/* ---- ctx_path_rewrite_ctx ------------------------------------------------ */

struct rewrite_case {
    const char *path;
    const char *query;
    int rc;
    const char *want_path;  /* NULL: no rewrite (or error) */
    const char *want_query;
    const char *want_ctx;
    const char *why;
};

static const struct rewrite_case rewrite_cases[] = {
    /* ContextFilterTest.java */
    {"/contexts/", NULL, 0, NULL, NULL, NULL, "contexts root is not rewritten"},
    {"/contexts/.test-ctx/subjects/test-subject/versions", NULL, 0,
     "/subjects/:.test-ctx:test-subject/versions", "", ".test-ctx", "subject gets the prefix"},
    {"/contexts/:.:/subjects/test-subject/versions", NULL, 0, "/subjects/test-subject/versions",
     "", ".", "default context adds no prefix"},
    {"/contexts/:.:/subjects", NULL, 0, "/subjects", "subjectPrefix=", ".",
     "default-context subject list is limited to the default context"},
    {"/contexts/test-ctx/subjects/test-subject/versions", NULL, 0,
     "/subjects/:.test-ctx:test-subject/versions", "", ".test-ctx", "leading dot is added"},
    {"/contexts/.test-ctx/subjects/test-subject/", NULL, 0, "/subjects/:.test-ctx:test-subject",
     "", ".test-ctx", "path ending with the subject"},
    {"/contexts/.test-ctx/schemas/ids/1/", NULL, 0, "/schemas/ids/1", "subject=:.test-ctx:",
     ".test-ctx", "schema by id gets subject=:.ctx:"},
    {"/contexts/:.:/schemas/", "subjectPrefix=:*:", 0, "/schemas", "subjectPrefix=:*:", ".",
     "wildcard subjectPrefix is kept"},
    {"/contexts/.test-ctx/subjects/slash%2Fin%2Fmiddle/", NULL, 0,
     "/subjects/:.test-ctx:slash%2Fin%2Fmiddle", "", ".test-ctx",
     "encoded subject stays encoded"},
    {"/contexts/.test-ctx/config/test-subject", NULL, 0, "/config/:.test-ctx:test-subject", "",
     ".test-ctx", "config subject gets the prefix"},
    {"/contexts/.test-ctx/config", NULL, 0, "/config/:.test-ctx:", "", ".test-ctx",
     "context config is /config/:.ctx:"},
    {"/chc/live", NULL, 0, NULL, NULL, NULL, "other paths are not rewritten"},
    {"/contexts/.test-ctx/mode/test-subject", NULL, 0, "/mode/:.test-ctx:test-subject", "",
     ".test-ctx", "mode subject gets the prefix"},
    {"/contexts/.test-ctx/mode", NULL, 0, "/mode/:.test-ctx:", "", ".test-ctx",
     "context mode is /mode/:.ctx:"},
    {"/contexts/:.:/mode", NULL, 0, "/mode", "", ".", "default-context mode is the top level"},
    {"/contexts/.test-ctx/dek-registry/v1/keks/test-kek", NULL, 0,
     "/dek-registry/v1/keks/test-kek", "", ".test-ctx", "kek names are not prefixed"},
    {"/contexts/.test-ctx/dek-registry/v1/keks/test-kek/deks/test-subject", NULL, 0,
     "/dek-registry/v1/keks/test-kek/deks/:.test-ctx:test-subject", "", ".test-ctx",
     "dek subjects are prefixed"},
    {"/contexts/foo:bar/subjects", NULL, -1, NULL, NULL, NULL, "colon inside the context is 400"},
    /* {ctx} spellings and encoding */
    {"/contexts/:.ctx:/subjects/foo/versions", NULL, 0, "/subjects/:.ctx:foo/versions", "",
     ".ctx", "{ctx} written :.ctx:"},
    {"/contexts/:ctx:/subjects/foo", NULL, 0, "/subjects/:.ctx:foo", "", ".ctx",
     "{ctx} written :ctx:"},
    {"/contexts/%3A.ctx%3A/subjects/foo", NULL, 0, "/subjects/:.ctx:foo", "", ".ctx",
     "percent-encoded {ctx} is decoded first"},
    {"/contexts/./subjects/foo", NULL, 0, "/subjects/foo", "", ".", "{ctx} '.' is the default"},
    {"/contexts//subjects/foo", NULL, 0, "/subjects/foo", "", ".", "empty {ctx} is the default"},
    {"/contexts/.a.b/subjects/x", NULL, 0, "/subjects/:.a.b:x", "", ".a.b", "nested context"},
    {"/contexts/.a%20b/subjects/x", NULL, 0, "/subjects/:.a%20b:x", "", ".a b",
     "context re-encoded where spliced into the path"},
    {"/contexts/a%26b%3F/subjects", NULL, 0, "/subjects", "subjectPrefix=:.a%26b?:", ".a&b?",
     "context re-encoded where spliced into the query"},
    {"/contexts/a%3Fb/subjects/x", NULL, 0, "/subjects/:.a%3Fb:x", "", ".a?b",
     "'?' in the context is escaped in the path"},
    {"/contexts/50%/subjects/x", NULL, -1, NULL, NULL, NULL, "bad escape in {ctx} is 400"},
    {"/contexts/a%3Ab/subjects/x", NULL, -1, NULL, NULL, NULL, "encoded colon inside is 400"},
    {"/contexts/.__GLOBAL/config", NULL, 0, "/config/:.__GLOBAL:", "", ".__GLOBAL",
     "global context config"},
    /* subject segments that are already qualified */
    {"/contexts/.ctx/subjects/:.other:foo", NULL, 0, "/subjects/:.other:foo", "", ".ctx",
     "qualified subject is kept"},
    {"/contexts/.ctx/subjects/%3A.other%3Afoo/versions", NULL, 0,
     "/subjects/%3A.other%3Afoo/versions", "", ".ctx", "encoded qualified subject is kept"},
    {"/contexts/.ctx/subjects/:*:foo", NULL, 0, "/subjects/:*:foo", "", ".ctx",
     "wildcard subject is kept"},
    {"/contexts/.ctx/subjects/:ctx:foo", NULL, 0, "/subjects/:.ctx::ctx:foo", "", ".ctx",
     "':ctx:' without dot is not qualified"},
    {"/contexts/.ctx/config/%3A.o%3Ax", NULL, 0, "/config/%3A.o%3Ax", "", ".ctx",
     "qualified config subject is kept"},
    /* where the subject segment is */
    {"/contexts/.ctx/subjects/foo/versions/1/referencedby", NULL, 0,
     "/subjects/:.ctx:foo/versions/1/referencedby", "", ".ctx", "only the subject segment"},
    {"/contexts/.ctx/compatibility/subjects/foo/versions/latest", NULL, 0,
     "/compatibility/subjects/:.ctx:foo/versions/latest", "", ".ctx",
     "segment after subjects anywhere"},
    {"/contexts/.ctx/other/config/x", NULL, 0, "/other/config/x", "", ".ctx",
     "non-root config is not a subject path"},
    {"/contexts/ctx/config/", NULL, 0, "/config/:.ctx:", "", ".ctx",
     "trailing slash after config"},
    {"/contexts/.ctx/subjects//versions", NULL, 0, "/subjects/:.ctx:/versions", "", ".ctx",
     "empty subject segment becomes the context"},
    {"/contexts/.ctx//subjects/x", NULL, 0, "/subjects/:.ctx:x", "", ".ctx",
     "empty segment after the context is dropped"},
    {"/contexts/.a/contexts/.b/subjects/x", NULL, 0, "/subjects/:.b:x", "", ".b",
     "repeated contexts prefix: the last wins"},
    /* query parameters */
    {"/contexts/.ctx/subjects", NULL, 0, "/subjects", "subjectPrefix=:.ctx:", ".ctx",
     "subjectPrefix added when absent"},
    {"/contexts/.ctx/subjects", "subjectPrefix=foo&deleted=true", 0, "/subjects",
     "deleted=true&subjectPrefix=:.ctx:foo", ".ctx", "subjectPrefix prefixed, others kept"},
    {"/contexts/.ctx/subjects", "subjectPrefix=:*:", 0, "/subjects", "subjectPrefix=:*:", ".ctx",
     "wildcard prefix kept in a named context"},
    {"/contexts/.ctx/schemas", "subjectPrefix=a&subjectPrefix=%3A.x%3A", 0, "/schemas",
     "subjectPrefix=:.ctx:a&subjectPrefix=%3A.x%3A", ".ctx", "every subjectPrefix value"},
    {"/contexts/.ctx/schemas/ids/7", "subject=foo&format=x", 0, "/schemas/ids/7",
     "format=x&subject=:.ctx:foo", ".ctx", "subject param prefixed"},
    {"/contexts/.ctx/schemas/ids/7", "subject=:.o:foo", 0, "/schemas/ids/7", "subject=:.o:foo",
     ".ctx", "qualified subject param kept"},
    {"/contexts/.ctx/schemas/ids/7", "subject=%3A.o%3Afoo&subject=b", 0, "/schemas/ids/7",
     "subject=%3A.o%3Afoo&subject=b", ".ctx", "encoded qualified subject param kept as sent"},
    {"/contexts/.ctx/schemas/ids/7", "subject=a&subject=b", 0, "/schemas/ids/7",
     "subject=:.ctx:a", ".ctx", "only the first subject param counts"},
    {"/contexts/.ctx/schemas/ids/7/versions", "", 0, "/schemas/ids/7/versions",
     "subject=:.ctx:", ".ctx", "every schemas/ids path gets the subject"},
    {"/contexts/./schemas/ids/7", NULL, 0, "/schemas/ids/7", "subject=", ".",
     "default context adds an empty subject"},
    {"/contexts/.ctx/subjects/foo/versions", "deleted=true", 0, "/subjects/:.ctx:foo/versions",
     "deleted=true", ".ctx", "other queries are copied"},
    /* the contexts resource and things outside it */
    {"/contexts", NULL, 0, NULL, NULL, NULL, "context list is not rewritten"},
    {"/contexts/.ctx", NULL, 0, NULL, NULL, NULL, "DELETE /contexts/{ctx} is not rewritten"},
    {"/contexts/.ctx/", NULL, 0, NULL, NULL, NULL, "nor with a trailing slash"},
    {"/contexts/a:b", NULL, -1, NULL, NULL, NULL, "but its bad name is still 400"},
    {"/contextsx/.ctx/subjects", NULL, 0, NULL, NULL, NULL, "prefix must be a whole segment"},
    {"/subjects/:.ctx:foo/versions", NULL, 0, NULL, NULL, NULL, "plain API untouched"},
    {"/v1/contexts/.ctx/subjects", NULL, 0, NULL, NULL, NULL, "contexts must be first"},
    /* the context stays available for resources that are not subject-keyed */
    {"/contexts/.ctx/exporters", "x=1", 0, "/exporters", "x=1", ".ctx",
     "exporters keep the context for the caller"},
    {"/contexts/.ctx/exporters/e1/status", NULL, 0, "/exporters/e1/status", "", ".ctx",
     "exporter path keeps the context for the caller"},
};

START_TEST(test_path_rewrite_mirrors_context_filter)
{
    const struct rewrite_case c = rewrite_cases[_i];
    char *np = (char *)"x", *nq = (char *)"x", *ctx = (char *)"x";
    struct fy_err err = {0};
    int rc = ctx_path_rewrite_ctx(c.path, c.query, &np, &nq, &ctx, &err);
    ck_assert_msg(rc == c.rc, "%s (%s): rc %d, want %d (%s)", c.path, c.why, rc, c.rc, err.msg);
    if (rc < 0) {
        ck_assert_int_eq(err.code, FY_E_BAD_REQUEST);
        ck_assert(err.msg[0]);
    }
    if (!c.want_path) {
        ck_assert_msg(np == NULL && nq == NULL && ctx == NULL, "%s (%s): rewritten to '%s'",
                      c.path, c.why, np);
    } else {
        ck_assert_msg(np && strcmp(np, c.want_path) == 0, "%s (%s): path '%s', want '%s'", c.path,
                      c.why, np, c.want_path);
        ck_assert_msg(nq && strcmp(nq, c.want_query) == 0, "%s (%s): query '%s', want '%s'",
                      c.path, c.why, nq, c.want_query);
        ck_assert_msg(ctx && strcmp(ctx, c.want_ctx) == 0, "%s (%s): context '%s', want '%s'",
                      c.path, c.why, ctx, c.want_ctx);
    }
    free(np);
    free(nq);
    free(ctx);
    fy_err_destroy(&err);
}
END_TEST

START_TEST(test_path_rewrite_without_context_out_and_colon_message)
{
    char *np = NULL, *nq = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(ctx_path_rewrite("/contexts/.c/mode", NULL, &np, &nq, &err), 0);
    ck_assert_str_eq(np, "/mode/:.c:");
    ck_assert_str_eq(nq, "");
    free(np);
    free(nq);
    ck_assert_int_eq(ctx_path_rewrite("/contexts/foo:bar/subjects", NULL, &np, &nq, &err), -1);
    ck_assert_ptr_null(np);
    ck_assert_ptr_null(nq);
    ck_assert_int_eq(err.code, 400);
    ck_assert_str_eq(err.msg, "Context name cannot contain a colon");
    ck_assert_int_eq(ctx_path_rewrite(NULL, NULL, &np, &nq, NULL), 0);
    ck_assert_ptr_null(np);
    fy_err_destroy(&err);
}
END_TEST

/* The rewritten subject segment, decoded, parses into the URL's context. */
START_TEST(test_path_rewrite_output_parses_back_to_the_context)
{
    const char *ctxs[] = {"ctx", ".ctx", ":.ctx:", "%3A.ctx%3A", ".a.b", ".a%20b", "a%2Fb"};
    for (int i = 0; i < N(ctxs); i++) {
        char path[128];
        snprintf(path, sizeof path, "/contexts/%s/subjects/s%%2F1/versions", ctxs[i]);
        char *np = NULL, *nq = NULL, *ctx = NULL;
        ck_assert_int_eq(ctx_path_rewrite_ctx(path, NULL, &np, &nq, &ctx, NULL), 0);
        ck_assert_ptr_nonnull(np);
        /* "/subjects/<seg>/versions" */
        const char *seg = np + strlen("/subjects/");
        const char *end = strchr(seg, '/');
        ck_assert_ptr_nonnull(end);
        char *dec = fy_url_decode(seg, (size_t)(end - seg), false);
        ck_assert_ptr_nonnull(dec);
        struct ctx_subject cs;
        ck_assert_int_eq(ctx_subject_parse(dec, &cs, NULL), 0);
        ck_assert_str_eq(cs.context, ctx);
        ck_assert_str_eq(cs.name, "s/1");
        ctx_subject_destroy(&cs);
        free(dec);
        free(np);
        free(nq);
        free(ctx);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ctx_name");
    TCase *tc = tcase_create("subject");
    tcase_add_loop_test(tc, test_subject_parse_splits_and_normalises_like_qualified_subject, 0,
                        N(parse_cases));
    tcase_add_test(tc, test_subject_parse_refuses_only_null_and_leaves_output_empty);
    tcase_add_test(tc, test_subject_format_wraps_named_contexts_and_treats_null_as_default);
    suite_add_tcase(s, tc);
    tc = tcase_create("validate");
    tcase_add_loop_test(tc, test_subject_validate_mirrors_is_valid_subject, 0,
                        N(validate_cases));
    tcase_add_test(tc, test_subject_validate_keeps_long_subjects_whole_in_the_message);
    suite_add_tcase(s, tc);
    tc = tcase_create("context");
    tcase_add_loop_test(tc, test_context_normalize_mirrors_normalize_context, 0, N(norm_cases));
    tcase_add_test(tc, test_is_default_only_for_dot_and_null);
    suite_add_tcase(s, tc);
    tc = tcase_create("rewrite");
    tcase_add_loop_test(tc, test_path_rewrite_mirrors_context_filter, 0, N(rewrite_cases));
    tcase_add_test(tc, test_path_rewrite_without_context_out_and_colon_message);
    tcase_add_test(tc, test_path_rewrite_output_parses_back_to_the_context);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
