/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for linker/lnk_service.c through reg_route() (no socket): the
 * /exporters API on a real registry in a temporary data dir — create, list,
 * get, 409 duplicate, 422 invalid, 40450 unknown, 405, config get/put,
 * pause/resume/reset and status, the /contexts/{ctx}/exporters form — and the
 * journal: definitions, pause state and deletes survive a reopen. The
 * destination is a closed port, so workers only ever reach ERROR. */
#include "linker/lnk_service.h"

#include "common/fy_alloc.h"
#include "registry/reg_registry.h"
#include "registry/reg_route.h"
#include "tests/unit/unit_registry.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct reg_registry *reg;
static struct lnk_service *svc;
static char dir[64];

static void open_all(void)
{
    struct fy_err err = {0};
    reg = unit_registry_open(dir);
    svc = lnk_service_new(reg, NULL, &err);
    ck_assert_msg(svc != NULL, "service: %s", err.msg);
    fy_err_destroy(&err);
}

static void close_all(void)
{
    lnk_service_free(svc);
    reg_registry_close(reg);
    svc = NULL;
    reg = NULL;
}

static void setup(void)
{
    fy_alloc_init();
    unit_dir_make(dir, "lnk");
    open_all();
}

static void teardown(void)
{
    close_all();
    unit_dir_remove(dir);
}

struct answer {
    int status;
    json_t *json;
};

static struct answer call(const char *method, const char *path, const char *body)
{
    struct reg_req req = {.method = method, .path = path, .body = body,
                          .body_len = body ? strlen(body) : 0,
                          .content_type = body ? "application/json" : NULL};
    struct reg_resp resp;
    reg_route(reg, &req, &resp);
    struct answer a = {resp.status, json_loads(resp.body, JSON_DECODE_ANY, NULL)};
    free(resp.body);
    return a;
}

static int code_of(const struct answer *a)
{
    return (int)json_integer_value(json_object_get(a->json, "error_code"));
}

static void expect(const char *method, const char *path, const char *body, int status, int code)
{
    struct answer a = call(method, path, body);
    ck_assert_msg(a.status == status, "%s %s: status %d, want %d", method, path, a.status,
                  status);
    if (code)
        ck_assert_int_eq(code_of(&a), code);
    json_decref(a.json);
}

#define DEF(name) \
    "{\"name\":\"" name "\",\"config\":{\"schema.registry.url\":\"http://127.0.0.1:1\"," \
    "\"max.retries\":\"0\"}}"

START_TEST(test_service_crud_and_errors)
{
    expect("POST", "/exporters", DEF("b"), 200, 0);
    expect("POST", "/exporters", DEF("a"), 200, 0);
    expect("POST", "/exporters", DEF("a"), 409, 40950);
    expect("POST", "/exporters", "{\"name\":\"c\"}", 422, 42250);
    expect("GET", "/exporters/nope", NULL, 404, 40450);
    expect("GET", "/exporters/nope/status", NULL, 404, 40450);
    expect("PUT", "/exporters/nope/pause", NULL, 404, 40450);
    expect("DELETE", "/exporters/nope", NULL, 404, 40450);
    expect("POST", "/exporters/a", NULL, 405, 405);
    expect("GET", "/exporters/a/bogus", NULL, 404, 404);
    struct answer a = call("GET", "/exporters", NULL);
    ck_assert_int_eq(a.status, 200);
    json_t *want = json_pack("[ss]", "a", "b");
    ck_assert(json_equal(a.json, want));
    json_decref(want);
    json_decref(a.json);
    a = call("GET", "/exporters/a", NULL);
    ck_assert_str_eq(json_string_value(json_object_get(a.json, "contextType")), "AUTO");
    json_decref(a.json);
    expect("PUT", "/exporters/a/config", "{\"basic.auth.user.info\":\"u:p\"}", 200, 0);
    /* credentials are masked unless an admin asks (issue 15; a deviation from Confluent) */
    a = call("GET", "/exporters/a/config", NULL);
    ck_assert_str_eq(json_string_value(json_object_get(a.json, "basic.auth.user.info")),
                     "********");
    ck_assert_str_eq(json_string_value(json_object_get(a.json, "schema.registry.url")),
                     "http://127.0.0.1:1");
    json_decref(a.json);
    static const struct reg_query_arg show = {"showSecrets", "true"};
    struct reg_req req = {.method = "GET", .path = "/exporters/a/config", .args = &show,
                          .n_args = 1, .admin = true};
    struct reg_resp resp;
    reg_route(reg, &req, &resp);
    a.json = json_loads(resp.body, 0, NULL);
    free(resp.body);
    ck_assert_str_eq(json_string_value(json_object_get(a.json, "basic.auth.user.info")), "u:p");
    json_decref(a.json);
    req.admin = false;
    reg_route(reg, &req, &resp);
    ck_assert_int_eq(resp.status, 403);
    free(resp.body);
    expect("PUT", "/exporters/a", "{\"contextType\":\"CUSTOM\"}", 422, 42250);
    expect("PUT", "/exporters/a", "{\"contextType\":\"CUSTOM\",\"context\":\"dr\"}", 200, 0);
    expect("DELETE", "/exporters/b", NULL, 200, 0);
    expect("GET", "/exporters/b", NULL, 404, 40450);
}
END_TEST

START_TEST(test_service_pause_status_and_reset)
{
    expect("POST", "/exporters", DEF("p"), 200, 0);
    expect("PUT", "/exporters/p/pause", NULL, 200, 0);
    struct answer a = call("GET", "/exporters/p/status", NULL);
    ck_assert_int_eq(a.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(a.json, "state")), "PAUSED");
    ck_assert_str_eq(json_string_value(json_object_get(a.json, "name")), "p");
    ck_assert(json_is_integer(json_object_get(a.json, "offset")));
    ck_assert(json_is_integer(json_object_get(a.json, "ts")));
    json_decref(a.json);
    expect("PUT", "/exporters/p/reset", NULL, 200, 0);
    expect("PUT", "/exporters/p/resume", NULL, 200, 0);
    a = call("GET", "/exporters/p/status", NULL);
    ck_assert_str_ne(json_string_value(json_object_get(a.json, "state")), "PAUSED");
    json_decref(a.json);
}
END_TEST

START_TEST(test_service_context_form_scopes_subject_patterns)
{
    expect("POST", "/contexts/.src/exporters", DEF("c"), 200, 0);
    struct answer a = call("GET", "/contexts/.src/exporters/c", NULL);
    ck_assert_int_eq(a.status, 200);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(a.json, "subjects"), 0)),
                     ":.src:*");
    json_decref(a.json);
}
END_TEST

START_TEST(test_service_journal_survives_reopen)
{
    expect("POST", "/exporters", DEF("keep"), 200, 0);
    expect("POST", "/exporters", DEF("gone"), 200, 0);
    expect("PUT", "/exporters/keep/pause", NULL, 200, 0);
    expect("PUT", "/exporters/keep", "{\"subjectRenameFormat\":\"dc_${subject}\"}", 200, 0);
    expect("DELETE", "/exporters/gone", NULL, 200, 0);
    close_all();
    open_all();
    struct answer a = call("GET", "/exporters", NULL);
    json_t *want = json_pack("[s]", "keep");
    ck_assert(json_equal(a.json, want));
    json_decref(want);
    json_decref(a.json);
    a = call("GET", "/exporters/keep", NULL);
    ck_assert_str_eq(json_string_value(json_object_get(a.json, "subjectRenameFormat")),
                     "dc_${subject}");
    json_decref(a.json);
    a = call("GET", "/exporters/keep/status", NULL);
    ck_assert_str_eq(json_string_value(json_object_get(a.json, "state")), "PAUSED");
    json_decref(a.json);
    /* the registry itself still sees no subjects: EXPORTER records are skipped */
    a = call("GET", "/subjects", NULL);
    ck_assert_uint_eq(json_array_size(a.json), 0);
    json_decref(a.json);
}
END_TEST

/* A worker's position journaled between the reset's offset 0 and the worker
 * seeing the reset (the old epoch) must not undo the reset after a crash. */
static void journal_raw_state(const char *name, const char *value)
{
    char key[128];
    snprintf(key, sizeof key, "{\"keytype\":\"EXPORTER_STATE\",\"name\":\"%s\",\"magic\":0}",
             name);
    struct reg_write rec = {fy_strdup(key), fy_strdup(value)};
    struct fy_err err = {0};
    int64_t off = -1;
    pthread_mutex_lock(&reg->wlock);
    int rc = reg_registry_write(reg, &rec, 1, &off, &err);
    pthread_mutex_unlock(&reg->wlock);
    if (rc == 0)
        rc = reg_registry_sync(reg, off, &err);
    ck_assert_msg(rc == 0, "write: %s", err.msg);
    fy_err_destroy(&err);
}

static long long status_offset(const char *name)
{
    char path[96];
    snprintf(path, sizeof path, "/exporters/%s/status", name);
    struct answer a = call("GET", path, NULL);
    long long o = (long long)json_integer_value(json_object_get(a.json, "offset"));
    json_decref(a.json);
    return o;
}

START_TEST(test_service_reset_survives_a_stale_position_journaled_after_it)
{
    expect("POST", "/exporters", DEF("r"), 200, 0);
    expect("PUT", "/exporters/r/pause", NULL, 200, 0);
    journal_raw_state("r", "{\"name\":\"r\",\"offset\":50}"); /* where it was (old format) */
    close_all();
    open_all();
    ck_assert_int_eq(status_offset("r"), 49); /* a record without epoch still reads */
    expect("PUT", "/exporters/r/reset", NULL, 200, 0);
    /* the worker journals its old position just after the reset's record */
    journal_raw_state("r", "{\"name\":\"r\",\"offset\":50}");
    close_all(); /* the crash */
    open_all();
    ck_assert_int_eq(status_offset("r"), -1);
    /* positions of the new epoch count again */
    close_all();
    open_all();
    ck_assert_int_eq(status_offset("r"), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lnk_service");
    TCase *tc = tcase_create("service");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_service_crud_and_errors);
    tcase_add_test(tc, test_service_pause_status_and_reset);
    tcase_add_test(tc, test_service_context_form_scopes_subject_patterns);
    tcase_add_test(tc, test_service_journal_survives_reopen);
    tcase_add_test(tc, test_service_reset_survives_a_stale_position_journaled_after_it);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
