/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for registry/reg_route.c through reg_route() with fake requests
 * (no socket): routing, 404/405, content negotiation (406/415), version-id
 * parsing (42202), error bodies, and a register → read round trip on a real
 * registry in a temporary data dir. */
#include "registry/reg_route.h"
#include "tests/unit/unit_registry.h"

#include "common/fy_alloc.h"

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
    unit_dir_make(dir, "route");
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
    const char *ctype;
};

static struct answer call(const char *method, const char *path, const char *query_name,
                          const char *query_value, const char *body, const char *accept,
                          const char *ctype)
{
    struct reg_query_arg arg = {query_name, query_value};
    struct reg_req req = {.method = method, .path = path, .args = query_name ? &arg : NULL,
                          .n_args = query_name ? 1 : 0, .body = body,
                          .body_len = body ? strlen(body) : 0, .content_type = ctype,
                          .accept = accept};
    struct reg_resp resp;
    reg_route(reg, &req, &resp);
    struct answer a = {resp.status, json_loads(resp.body, JSON_DECODE_ANY, NULL), resp.body,
                       resp.content_type};
    return a;
}

static void done(struct answer *a)
{
    json_decref(a->json);
    free(a->text);
}

static int error_code(const struct answer *a)
{
    return (int)json_integer_value(json_object_get(a->json, "error_code"));
}

START_TEST(test_route_unknown_path_is_404_with_error_body)
{
    struct answer a = call("GET", "/nope", NULL, NULL, NULL, NULL, NULL);
    ck_assert_int_eq(a.status, 404);
    ck_assert_int_eq(error_code(&a), 404);
    ck_assert(json_is_string(json_object_get(a.json, "message")));
    done(&a);
}
END_TEST

START_TEST(test_route_wrong_method_is_405)
{
    struct answer a = call("PATCH", "/subjects", NULL, NULL, NULL, NULL, NULL);
    ck_assert_int_eq(a.status, 405);
    ck_assert_int_eq(error_code(&a), 405);
    done(&a);
}
END_TEST

START_TEST(test_route_negotiates_content_type)
{
    struct answer a = call("GET", "/", NULL, NULL, NULL, NULL, NULL);
    ck_assert_int_eq(a.status, 200);
    ck_assert_str_eq(a.ctype, "application/vnd.schemaregistry.v1+json");
    ck_assert_str_eq(a.text, "{}");
    done(&a);
    a = call("GET", "/", NULL, NULL, NULL, "application/json", NULL);
    ck_assert_str_eq(a.ctype, "application/json");
    done(&a);
    a = call("GET", "/", NULL, NULL, NULL,
             "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; "
             "qs=0.9, application/json; qs=0.5",
             NULL);
    ck_assert_str_eq(a.ctype, "application/vnd.schemaregistry.v1+json");
    done(&a);
    a = call("GET", "/", NULL, NULL, NULL, "text/html", NULL);
    ck_assert_int_eq(a.status, 406);
    done(&a);
}
END_TEST

START_TEST(test_route_rejects_unsupported_body_type_and_bad_json)
{
    struct answer a = call("POST", "/subjects/s/versions", NULL, NULL, "{\"schema\":\"\\\"int\\\"\"}",
                           NULL, "text/plain");
    ck_assert_int_eq(a.status, 415);
    done(&a);
    a = call("POST", "/subjects/s/versions", NULL, NULL, "{not json", NULL, "application/json");
    ck_assert_int_eq(a.status, 400);
    ck_assert_int_eq(error_code(&a), 400);
    done(&a);
    a = call("POST", "/subjects/s/versions", NULL, NULL, "[1,2]", NULL, NULL);
    ck_assert_int_eq(a.status, 400);
    done(&a);
    a = call("GET", "/subjects", NULL, NULL, NULL, NULL, NULL);
    ck_assert_str_eq(a.text, "[]");
    done(&a);
}
END_TEST

START_TEST(test_route_version_ids)
{
    static const char *const bad[] = {"0", "-2", "abc", "2147483648", "1.5", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char path[64];
        snprintf(path, sizeof path, "/subjects/s/versions/%s", bad[i]);
        struct answer a = call("GET", path, NULL, NULL, NULL, NULL, NULL);
        if (bad[i][0]) {
            ck_assert_int_eq(a.status, 422);
            ck_assert_int_eq(error_code(&a), 42202);
        }
        done(&a);
    }
    int32_t v;
    ck_assert_int_eq(reg_version_parse(" Latest ", &v, NULL), 0);
    ck_assert_int_eq(v, -1);
    ck_assert_int_eq(reg_version_parse("-1", &v, NULL), 0);
    ck_assert_int_eq(v, -1);
    ck_assert_int_eq(reg_version_parse("2147483647", &v, NULL), 0);
    ck_assert_int_eq(v, 2147483647);
}
END_TEST

START_TEST(test_route_register_then_read_back_with_encoded_subject)
{
    const char *body = "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"O\\\","
                       "\\\"fields\\\":[{\\\"name\\\":\\\"a\\\",\\\"type\\\":\\\"int\\\"}]}\"}";
    struct answer a = call("POST", "/subjects/a%2Fb/versions", NULL, NULL, body, NULL, NULL);
    ck_assert_int_eq(a.status, 200);
    /* 8.x's RegisterSchemaResponse: id, version, guid (the MD5 of the stored
     * text as a UUID: Schema.getGuid), schemaType and the stored text */
    ck_assert_str_eq(a.text, "{\"id\":1,\"version\":1,"
                             "\"guid\":\"5c36553e-5098-703f-b9a0-9e99aba4fc01\","
                             "\"schemaType\":\"AVRO\",\"schema\":"
                             "\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"O\\\",\\\"fields\\\":"
                             "[{\\\"name\\\":\\\"a\\\",\\\"type\\\":\\\"int\\\"}]}\"}");
    done(&a);
    a = call("GET", "/subjects/a%2Fb/versions/latest", NULL, NULL, NULL, NULL, NULL);
    ck_assert_int_eq(a.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(a.json, "subject")), "a/b");
    ck_assert_int_eq(json_integer_value(json_object_get(a.json, "version")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(a.json, "schema")),
                     "{\"type\":\"record\",\"name\":\"O\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}");
    done(&a);
    a = call("GET", "/subjects/a%2Fb/versions/7", NULL, NULL, NULL, NULL, NULL);
    ck_assert_int_eq(error_code(&a), 40402);
    ck_assert_str_eq(json_string_value(json_object_get(a.json, "message")), "Version 7 not found.");
    done(&a);
    a = call("GET", "/schemas/ids/1", "fetchMaxId", "true", NULL, NULL, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(a.json, "maxId")), 1);
    done(&a);
    a = call("GET", "/schemas/ids/2", NULL, NULL, NULL, NULL, NULL);
    ck_assert_int_eq(error_code(&a), 40403);
    done(&a);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reg_route");
    TCase *tc = tcase_create("route");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_route_unknown_path_is_404_with_error_body);
    tcase_add_test(tc, test_route_wrong_method_is_405);
    tcase_add_test(tc, test_route_negotiates_content_type);
    tcase_add_test(tc, test_route_rejects_unsupported_body_type_and_bad_json);
    tcase_add_test(tc, test_route_version_ids);
    tcase_add_test(tc, test_route_register_then_read_back_with_encoded_subject);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
