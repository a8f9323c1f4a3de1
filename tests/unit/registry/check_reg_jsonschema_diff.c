/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for registry/reg_jsonschema_diff.c: Confluent's own JSON Schema
 * diff cases, run as SchemaDiffTest.checkJsonSchemaCompatibility runs them
 * (json-schema-provider/src/test/java/.../diff/SchemaDiffTest.java): for each
 * case the exact list of "TYPE #/path" differences of
 * SchemaDiff.compare(original, update) in order, whether the incompatible
 * ones (not in COMPATIBLE_CHANGES_STRICT) are none, and the same under
 * COMPATIBLE_CHANGES_LENIENT ("compatible_lenient", else "compatible").
 * The table, tests/unit/registry/data/jsonschema_diff_cases.jsonl, holds the
 * 263 cases of Confluent's diff-schema-examples.json,
 * diff-schema-examples-2020-12.json, diff-combined-schema-examples.json and
 * diff-combined-schema-examples-2020-12.json, one per line, each citing its
 * file and index in "source". Plus the messages of
 * JsonSchema.isBackwardCompatible (Difference.toString) and the budgets. */
#include "registry/reg_jsonschema.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "registry/reg_compat.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASES "tests/unit/registry/data/jsonschema_diff_cases.jsonl"

static struct reg_jsonschema *parse_json(json_t *v)
{
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    struct reg_jsonschema *js = NULL;
    struct fy_err err = {0};
    int rc = reg_jsonschema_parse(text, strlen(text), NULL, 0, &js, &err);
    ck_assert_msg(rc == 0, "parse %s: %s", text, err.msg);
    free(text);
    fy_err_destroy(&err);
    return js;
}

static struct reg_jsonschema *parse(const char *text)
{
    struct reg_jsonschema *js = NULL;
    struct fy_err err = {0};
    ck_assert_msg(reg_jsonschema_parse(text, strlen(text), NULL, 0, &js, &err) == 0, "%s: %s",
                  text, err.msg);
    return js;
}

/* One case: NULL when it holds, else a **new** description of the mismatch. */
static char *run_case(json_t *c)
{
    struct reg_jsonschema *o = parse_json(json_object_get(c, "original_schema"));
    struct reg_jsonschema *u = parse_json(json_object_get(c, "update_schema"));
    char **changes = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_jsonschema_diff(o, u, &changes, &err), 0);
    json_t *want = json_object_get(c, "changes");
    size_t n = 0;
    while (changes[n])
        n++;
    bool same = n == json_array_size(want);
    for (size_t i = 0; same && i < n; i++)
        same = strcmp(changes[i], json_string_value(json_array_get(want, i))) == 0;
    bool strict_ok = true, lenient_ok = true;
    for (size_t i = 0; i < n; i++) {
        const char *t = changes[i];
        char name[128];
        size_t k = strcspn(t, " ");
        snprintf(name, sizeof name, "%.*s", (int)k, t);
        strict_ok &= reg_jsonschema_change_compatible(name, false);
        lenient_ok &= reg_jsonschema_change_compatible(name, true);
    }
    bool want_strict = json_is_true(json_object_get(c, "compatible"));
    json_t *wl = json_object_get(c, "compatible_lenient");
    bool want_lenient = wl ? json_is_true(wl) : want_strict;
    /* the compat entry point agrees with the diff's verdict */
    int bad = reg_jsonschema_compat(u, o, false, "new", "old", NULL, &err);
    ck_assert_int_ge(bad, 0);
    ck_assert_int_eq(bad == 0, strict_ok);
    char *why = NULL;
    if (!same || strict_ok != want_strict || lenient_ok != want_lenient) {
        struct fy_buf b;
        fy_buf_init(&b, 0);
        fy_buf_printf(&b, "%s: %s\n  got:", json_string_value(json_object_get(c, "source")),
                      json_string_value(json_object_get(c, "description")));
        for (size_t i = 0; i < n; i++)
            fy_buf_printf(&b, " [%s]", changes[i]);
        char *w = json_dumps(want, JSON_COMPACT);
        fy_buf_printf(&b, "\n  want: %s strict %d/%d lenient %d/%d", w, strict_ok, want_strict,
                      lenient_ok, want_lenient);
        free(w);
        why = fy_buf_steal(&b);
    }
    reg_jsonschema_messages_free(changes);
    reg_jsonschema_free(o);
    reg_jsonschema_free(u);
    return why;
}

START_TEST(test_jsonschema_diff_confluent_cases)
{
    FILE *f = fopen(CASES, "r");
    ck_assert_ptr_nonnull(f);
    char *line = NULL;
    size_t cap = 0;
    int total = 0, passed = 0;
    while (getline(&line, &cap, f) > 0) {
        json_error_t jerr;
        json_t *c = json_loads(line, 0, &jerr);
        ck_assert_msg(c != NULL, "case file: %s", jerr.text);
        char *why = run_case(c);
        total++;
        if (why) {
            fprintf(stderr, "MISMATCH %s\n", why);
            free(why);
        } else {
            passed++;
        }
        json_decref(c);
    }
    free(line);
    fclose(f);
    fprintf(stderr, "jsonschema diff: %d of %d Confluent cases match\n", passed, total);
    ck_assert_int_eq(total, 263);
    ck_assert_int_eq(passed, total);
}
END_TEST

/* JsonSchema.isBackwardCompatible's messages: Difference.toString() with the
 * template filled as SchemaValidatorBuilder.formatErrorMessages fills it. */
START_TEST(test_jsonschema_compat_messages)
{
    struct reg_jsonschema *old = parse("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"}},"
                                       "\"additionalProperties\":false}");
    struct reg_jsonschema *new = parse("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},"
                                       "\"additionalProperties\":false}");
    char **m = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_jsonschema_compat(new, old, false, "new", "old", &m, &err), 1);
    ck_assert_str_eq(m[0], "{errorType:\"TYPE_CHANGED\", description:\"A type at path "
                           "'#/properties/a' is different between the new schema and the old "
                           "schema'}");
    ck_assert_ptr_null(m[1]);
    reg_jsonschema_messages_free(m);
    /* a property removed from a closed model: incompatible strict, fine lenient */
    struct reg_jsonschema *fewer = parse("{\"type\":\"object\",\"additionalProperties\":false}");
    ck_assert_int_eq(reg_jsonschema_compat(fewer, old, false, "new", "old", &m, &err), 1);
    ck_assert_str_eq(m[0], "{errorType:\"PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL\", "
                           "description:\"The new has a closed content model and is missing a "
                           "property or item present at path '#/properties/a' in the old "
                           "schema'}");
    reg_jsonschema_messages_free(m);
    ck_assert_int_eq(reg_jsonschema_compat(fewer, old, true, "new", "old", NULL, &err), 0);
    /* forward: the words swap */
    ck_assert_int_eq(reg_jsonschema_compat(old, new, false, "old", "new", &m, &err), 1);
    ck_assert_ptr_nonnull(strstr(m[0], "between the old schema and the new schema"));
    reg_jsonschema_messages_free(m);
    reg_jsonschema_free(old);
    reg_jsonschema_free(new);
    reg_jsonschema_free(fewer);
}
END_TEST

/* A self-recursive schema against itself: the cycle is cut, no differences
 * (SchemaDiffTest.testRecursiveCheck). */
START_TEST(test_jsonschema_diff_recursive)
{
    const char *t = "{\"definitions\":{\"node\":{\"type\":\"object\",\"properties\":{"
                    "\"next\":{\"$ref\":\"#/definitions/node\"},\"v\":{\"type\":\"string\"}}}},"
                    "\"$ref\":\"#/definitions/node\"}";
    struct reg_jsonschema *a = parse(t), *b = parse(t);
    char **ch = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_jsonschema_diff(a, b, &ch, &err), 0);
    ck_assert_ptr_null(ch[0]);
    reg_jsonschema_messages_free(ch);
    /* a change inside the cycle is found */
    const char *t2 = "{\"definitions\":{\"node\":{\"type\":\"object\",\"properties\":{"
                     "\"next\":{\"$ref\":\"#/definitions/node\"},\"v\":{\"type\":\"integer\"}}}},"
                     "\"$ref\":\"#/definitions/node\"}";
    struct reg_jsonschema *c = parse(t2);
    ck_assert_int_eq(reg_jsonschema_diff(a, c, &ch, &err), 0);
    /* the pass that cut the cycle optimistically is repeated with the pair
     * known incompatible, so the change is also reported through "next" */
    ck_assert_str_eq(ch[0], "TYPE_CHANGED #/properties/next/properties/v");
    ck_assert_str_eq(ch[1], "TYPE_CHANGED #/properties/v");
    ck_assert_ptr_null(ch[2]);
    reg_jsonschema_messages_free(ch);
    reg_jsonschema_free(a);
    reg_jsonschema_free(b);
    reg_jsonschema_free(c);
}
END_TEST

/* Equal subtrees are skipped only where SchemaDiff finds nothing in them:
 * a "not" always reports (NotSchemaDiff), an object default always differs
 * (Objects.equals over org.json objects is identity). */
START_TEST(test_jsonschema_diff_equal_subtrees)
{
    const char *t = "{\"properties\":{\"a\":{\"not\":{\"type\":\"string\"}},"
                    "\"b\":{\"type\":\"object\",\"default\":{\"x\":1}},"
                    "\"c\":{\"type\":\"string\",\"default\":\"s\"}}}";
    struct reg_jsonschema *x = parse(t), *y = parse(t);
    char **ch = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_jsonschema_diff(x, y, &ch, &err), 0);
    size_t n = 0;
    bool not_seen = false, default_seen = false;
    for (; ch[n]; n++) {
        not_seen |= strcmp(ch[n], "NOT_TYPE_NARROWED #/properties/a/not") == 0;
        default_seen |= strcmp(ch[n], "DEFAULT_CHANGED #/properties/b") == 0;
    }
    ck_assert_int_eq(n, 2);
    ck_assert(not_seen && default_seen);
    reg_jsonschema_messages_free(ch);
    reg_jsonschema_free(x);
    reg_jsonschema_free(y);
}
END_TEST

/* ferry.compatibility.max.steps ends a check with 42201. */
START_TEST(test_jsonschema_diff_step_budget)
{
    struct reg_compat_limits saved = *reg_compat_get_limits(), tiny = saved;
    tiny.max_steps = 3;
    reg_compat_set_limits(&tiny);
    struct reg_jsonschema *a = parse("{\"properties\":{\"a\":{},\"b\":{},\"c\":{},\"d\":{}}}");
    struct reg_jsonschema *b = parse("{\"properties\":{\"a\":{},\"b\":{},\"c\":{},\"d\":{\"type\":\"string\"}}}");
    char **ch = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_jsonschema_diff(a, b, &ch, &err), -1);
    ck_assert_int_eq(err.code, 42201);
    ck_assert_ptr_nonnull(strstr(err.msg, "ferry.compatibility.max.steps"));
    reg_compat_set_limits(&saved);
    reg_jsonschema_free(a);
    reg_jsonschema_free(b);
}
END_TEST

int main(void)
{
    fy_alloc_init();
    Suite *s = suite_create("reg_jsonschema_diff");
    TCase *tc = tcase_create("confluent");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_jsonschema_diff_confluent_cases);
    tcase_add_test(tc, test_jsonschema_compat_messages);
    tcase_add_test(tc, test_jsonschema_diff_recursive);
    tcase_add_test(tc, test_jsonschema_diff_step_budget);
    tcase_add_test(tc, test_jsonschema_diff_equal_subtrees);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
