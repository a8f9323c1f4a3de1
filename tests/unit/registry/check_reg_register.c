/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for registry/reg_register.c through reg_route() on a real
 * registry in a temporary data dir: what the hot registration path must keep
 * answering exactly (compatibility at plain and transitive levels, error
 * precedence of a schema parsed before the writer lock, IMPORT parsing
 * without validation, idempotent answers on long subjects) and that models of
 * stored schemas are reused from the parsed cache, and never once stale. */
#include "registry/reg_parsed_cache.h"
#include "registry/reg_route.h"
#include "tests/unit/unit_registry.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct reg_registry *reg;
static char dir[64];

static void setup(void)
{
    fy_alloc_init();
    unit_dir_make(dir, "register");
    reg = unit_registry_open(dir);
}

static void teardown(void)
{
    reg_registry_close(reg);
    unit_dir_remove(dir);
}

struct answer {
    int status;
    json_t *json;
    char *text;
};

/* `path` may end in "?name=value" (one query argument). */
static struct answer call(const char *method, const char *path, const char *body)
{
    char p[256];
    snprintf(p, sizeof p, "%s", path);
    char *q = strchr(p, '?');
    struct reg_query_arg arg = {NULL, NULL};
    if (q) {
        *q++ = '\0';
        arg.name = q;
        char *eq = strchr(q, '=');
        if (eq) {
            *eq = '\0';
            arg.value = eq + 1;
        }
    }
    struct reg_req req = {.method = method, .path = p, .args = q ? &arg : NULL, .n_args = q ? 1 : 0,
                          .body = body, .body_len = body ? strlen(body) : 0};
    struct reg_resp resp;
    reg_route(reg, &req, &resp);
    struct answer a = {resp.status, json_loads(resp.body, JSON_DECODE_ANY, NULL), resp.body};
    return a;
}

static void done(struct answer *a)
{
    json_decref(a->json);
    free(a->text);
}

/* POST `schema` (raw schema text) to `path`, with `extra` members (or ""). */
static struct answer post_schema(const char *path, const char *schema, const char *extra)
{
    json_t *b = json_pack("{ss}", "schema", schema);
    char *text = json_dumps(b, JSON_COMPACT);
    json_decref(b);
    if (extra && extra[0]) {
        char *t = malloc(strlen(text) + strlen(extra) + 2);
        snprintf(t, strlen(text) + strlen(extra) + 2, "%.*s,%s}", (int)strlen(text) - 1, text,
                 extra);
        free(text);
        text = t;
    }
    struct answer a = call("POST", path, text);
    free(text);
    return a;
}

/* Record `name` with int field id and, for n > 1, string fields f2..fn with
 * a default ("" default) — or without one when `no_default` names that field. */
static char *record(const char *name, int n, int no_default)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_printf(&b, "{\"type\":\"record\",\"name\":\"%s\",\"fields\":[{\"name\":\"id\",\"type\":"
                      "\"int\"}",
                  name);
    for (int i = 2; i <= n; i++) {
        if (i == no_default)
            fy_buf_printf(&b, ",{\"name\":\"f%d\",\"type\":\"string\"}", i);
        else
            fy_buf_printf(&b, ",{\"name\":\"f%d\",\"type\":\"string\",\"default\":\"\"}", i);
    }
    fy_buf_puts(&b, "]}");
    return fy_buf_steal(&b);
}

static int register_ok(const char *subject, const char *schema)
{
    char path[128];
    snprintf(path, sizeof path, "/subjects/%s/versions", subject);
    struct answer a = post_schema(path, schema, NULL);
    ck_assert_msg(a.status == 200, "%d %s", a.status, a.text);
    int id = (int)json_integer_value(json_object_get(a.json, "id"));
    done(&a);
    return id;
}

static int error_code(const struct answer *a)
{
    return (int)json_integer_value(json_object_get(a->json, "error_code"));
}

static const char *message(const struct answer *a)
{
    return json_string_value(json_object_get(a->json, "message"));
}

static struct reg_parsed_cache_stats cache_stats(void)
{
    struct reg_parsed_cache_stats st;
    reg_parsed_cache_stats(reg->idx.parsed, &st);
    return st;
}

START_TEST(test_register_reuses_the_model_it_published)
{
    for (int v = 1; v <= 5; v++) {
        char *s = record("R", v, 0);
        ck_assert_int_eq(register_ok("s", s), v);
        free(s);
    }
    /* every check found the previous version's model: the registration that
     * stored it had published it (the request text was the canonical one) */
    struct reg_parsed_cache_stats st = cache_stats();
    ck_assert_uint_eq(st.misses, 0);
    ck_assert_uint_eq(st.hits, 4);
    ck_assert_uint_eq(st.entries, 5);
}
END_TEST

START_TEST(test_register_non_canonical_text_is_parsed_from_the_store_once)
{
    /* extra whitespace: the stored text differs from what was parsed */
    ck_assert_int_eq(register_ok("s", "{ \"type\": \"record\", \"name\": \"R\", \"fields\": "
                                      "[{\"name\": \"id\", \"type\": \"int\"}] }"),
                     1);
    char *v2 = record("R", 2, 0), *v3 = record("R", 3, 0);
    register_ok("s", v2);
    struct reg_parsed_cache_stats st = cache_stats();
    ck_assert_uint_eq(st.misses, 1);
    register_ok("s", v3);
    st = cache_stats();
    ck_assert_uint_eq(st.misses, 1);
    ck_assert_uint_eq(st.hits, 1);
    free(v2);
    free(v3);
}
END_TEST

START_TEST(test_register_incompatible_names_the_latest_version)
{
    char *v1 = record("R", 2, 0), *v2 = record("R", 3, 0), *bad = record("R", 4, 4);
    register_ok("s", v1);
    register_ok("s", v2);
    struct answer a = post_schema("/subjects/s/versions", bad, NULL);
    ck_assert_int_eq(a.status, 409);
    ck_assert_int_eq(error_code(&a), 409);
    ck_assert_ptr_nonnull(strstr(message(&a), "READER_FIELD_MISSING_DEFAULT_VALUE"));
    ck_assert_ptr_nonnull(strstr(message(&a), "{oldSchemaVersion: 2}"));
    ck_assert_ptr_nonnull(strstr(message(&a), "compatibility: 'BACKWARD'}"));
    done(&a);
    /* the compatibility endpoint agrees, verbosely */
    a = post_schema("/compatibility/subjects/s/versions/latest?verbose=true", bad, NULL);
    ck_assert_int_eq(a.status, 200);
    ck_assert(json_is_false(json_object_get(a.json, "is_compatible")));
    done(&a);
    free(v1);
    free(v2);
    free(bad);
}
END_TEST

START_TEST(test_register_transitive_checks_every_live_version)
{
    struct answer a = call("PUT", "/config/s", "{\"compatibility\":\"BACKWARD_TRANSITIVE\"}");
    ck_assert_int_eq(a.status, 200);
    done(&a);
    /* f2 without a default reads v2's data but not v1's */
    char *v1 = record("R", 1, 0), *v2 = record("R", 2, 0), *cand = record("R", 2, 2);
    register_ok("s", v1);
    register_ok("s", v2);
    a = post_schema("/subjects/s/versions", cand, NULL);
    ck_assert_int_eq(a.status, 409);
    ck_assert_ptr_nonnull(strstr(message(&a), "{oldSchemaVersion: 1}"));
    ck_assert_ptr_nonnull(strstr(message(&a), "compatibility: 'BACKWARD_TRANSITIVE'}"));
    done(&a);
    /* with v1 soft-deleted only v2 is checked */
    a = call("DELETE", "/subjects/s/versions/1", NULL);
    ck_assert_int_eq(a.status, 200);
    done(&a);
    ck_assert_int_eq(register_ok("s", cand), 3);
    free(v1);
    free(v2);
    free(cand);
}
END_TEST

START_TEST(test_register_parse_errors_keep_their_precedence)
{
    /* subject first */
    struct answer a = post_schema("/subjects/__GLOBAL/versions", "{\"type\":\"record\"}", NULL);
    ck_assert_int_eq(error_code(&a), 42208);
    done(&a);
    /* an invalid schema: 42201 with the parser's message, as before */
    a = post_schema("/subjects/s/versions", "{\"type\":\"record\"}", NULL);
    ck_assert_int_eq(error_code(&a), 42201);
    ck_assert_ptr_nonnull(strstr(message(&a), "No name in schema"));
    done(&a);
    /* not JSON at all */
    a = post_schema("/subjects/s/versions", "{\"type\":", NULL);
    ck_assert_int_eq(error_code(&a), 42201);
    ck_assert_ptr_nonnull(strstr(message(&a), "Invalid schema"));
    done(&a);
    /* in READONLY the schema error still comes before the mode's */
    a = call("PUT", "/mode/s", "{\"mode\":\"READONLY\"}");
    ck_assert_int_eq(a.status, 200);
    done(&a);
    a = post_schema("/subjects/s/versions", "{\"type\":\"record\"}", NULL);
    ck_assert_int_eq(error_code(&a), 42201);
    done(&a);
    a = post_schema("/subjects/s/versions", "\"int\"", NULL);
    ck_assert_int_eq(error_code(&a), 42205);
    done(&a);
}
END_TEST

START_TEST(test_register_import_parses_without_validation)
{
    struct answer a = call("PUT", "/mode/imp", "{\"mode\":\"IMPORT\"}");
    ck_assert_int_eq(a.status, 200);
    done(&a);
    /* a default of the wrong type: refused when validating, kept in IMPORT */
    const char *s = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":"
                    "\"int\",\"default\":\"x\"}]}";
    a = post_schema("/subjects/imp/versions", s, "\"id\":40,\"version\":1");
    ck_assert_msg(a.status == 200, "%s", a.text);
    ck_assert_int_eq(json_integer_value(json_object_get(a.json, "id")), 40);
    done(&a);
    a = post_schema("/subjects/other/versions", s, NULL);
    ck_assert_int_eq(error_code(&a), 42201);
    ck_assert_ptr_nonnull(strstr(message(&a), "Invalid default for field a"));
    done(&a);
}
END_TEST

START_TEST(test_register_idempotent_on_long_subjects)
{
    int n = REG_SUBJECT_HASHED_MIN + 4;
    char *texts[64];
    for (int v = 1; v <= n; v++) {
        texts[v] = record("L", v, 0);
        ck_assert_int_eq(register_ok("long", texts[v]), v);
    }
    /* an old version again: its id, no new version */
    ck_assert_int_eq(register_ok("long", texts[5]), 5);
    struct answer a = call("GET", "/subjects/long/versions", NULL);
    ck_assert_uint_eq(json_array_size(a.json), (size_t)n);
    done(&a);
    /* soft-deleted, then registered again: a new version with the same id */
    a = call("DELETE", "/subjects/long/versions/5", NULL);
    ck_assert_int_eq(a.status, 200);
    done(&a);
    char *next = record("L", n + 1, 0);
    register_ok("long", next); /* keeps the latest compatible with v5's text below */
    free(next);
    a = call("PUT", "/config/long", "{\"compatibility\":\"NONE\"}");
    done(&a);
    ck_assert_int_eq(register_ok("long", texts[5]), 5);
    a = call("GET", "/subjects/long/versions/latest", NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(a.json, "version")), n + 2);
    ck_assert_int_eq(json_integer_value(json_object_get(a.json, "id")), 5);
    done(&a);
    for (int v = 1; v <= n; v++)
        free(texts[v]);
}
END_TEST

START_TEST(test_register_never_uses_a_model_of_a_deleted_id)
{
    /* id 1 in the default context: record A {a:int}; its model gets cached */
    ck_assert_int_eq(register_ok("s", "{\"type\":\"record\",\"name\":\"A\",\"fields\":[{\"name\":"
                                      "\"a\",\"type\":\"int\"}]}"),
                     1);
    struct answer a = call("DELETE", "/subjects/s/versions/1", NULL);
    done(&a);
    a = call("DELETE", "/subjects/s/versions/1?permanent=true", NULL);
    ck_assert_int_eq(a.status, 200);
    done(&a);
    /* id 1 comes back with other content through IMPORT */
    a = call("PUT", "/mode/t", "{\"mode\":\"IMPORT\"}");
    done(&a);
    const char *b1 = "{\"type\":\"record\",\"name\":\"B\",\"fields\":[{\"name\":\"b\",\"type\":"
                     "\"string\"}]}";
    a = post_schema("/subjects/t/versions", b1, "\"id\":1,\"version\":1");
    ck_assert_msg(a.status == 200, "%d %s", a.status, a.text);
    done(&a);
    a = call("PUT", "/mode/t", "{\"mode\":\"READWRITE\"}");
    done(&a);
    /* compatible with B; against a stale A it would miss field b's default */
    const char *b2 = "{\"type\":\"record\",\"name\":\"B\",\"fields\":[{\"name\":\"b\",\"type\":"
                     "\"string\"},{\"name\":\"c\",\"type\":\"int\",\"default\":0}]}";
    register_ok("t", b2);
}
END_TEST

START_TEST(test_register_lookup_normalized_uses_stored_models)
{
    register_ok("s", "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
                     "\"type\":\"int\",\"x\":1,\"y\":2}]}");
    /* custom properties in another order: only normalize=true finds it */
    const char *other = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
                        "\"type\":\"int\",\"y\":2,\"x\":1}]}";
    struct answer a = post_schema("/subjects/s", other, NULL);
    ck_assert_int_eq(error_code(&a), 40403);
    done(&a);
    for (int i = 0; i < 2; i++) { /* the second time from the cache */
        a = post_schema("/subjects/s?normalize=true", other, NULL);
        ck_assert_msg(a.status == 200, "%s", a.text);
        ck_assert_int_eq(json_integer_value(json_object_get(a.json, "id")), 1);
        done(&a);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reg_register");
    TCase *tc = tcase_create("register");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_register_reuses_the_model_it_published);
    tcase_add_test(tc, test_register_non_canonical_text_is_parsed_from_the_store_once);
    tcase_add_test(tc, test_register_incompatible_names_the_latest_version);
    tcase_add_test(tc, test_register_transitive_checks_every_live_version);
    tcase_add_test(tc, test_register_parse_errors_keep_their_precedence);
    tcase_add_test(tc, test_register_import_parses_without_validation);
    tcase_add_test(tc, test_register_idempotent_on_long_subjects);
    tcase_add_test(tc, test_register_never_uses_a_model_of_a_deleted_id);
    tcase_add_test(tc, test_register_lookup_normalized_uses_stored_models);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
