/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for registry/reg_jsonschema.c and reg_jsonschema_text.c: the
 * stored text (JsonSchema.canonicalString(): Jackson writing the JsonNode it
 * read with USE_BIG_DECIMAL_FOR_FLOATS, exact BigDecimals), normalize()
 * (the sorted node factory of Jackson.newObjectMapper(true)), the draft from
 * $schema (JsonSchema.rawSchema(): draft 7 without one), what the loader
 * refuses with 42201 (everit SchemaLoader's SchemaException cases, unresolved
 * $ref, JsonSchema's "expected an object or boolean at the root"), references
 * to other subjects' schemas by name, and the limits. */
#include "registry/reg_jsonschema.h"

#include "common/fy_alloc.h"
#include "registry/reg_avro.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static struct reg_jsonschema *ok_refs(const char *text, const struct reg_jsonschema_ref *refs,
                                      size_t n)
{
    struct reg_jsonschema *js = NULL;
    struct fy_err err = {0};
    int rc = reg_jsonschema_parse(text, strlen(text), refs, n, &js, &err);
    ck_assert_msg(rc == 0, "%s: %s", text, err.msg);
    return js;
}

static struct reg_jsonschema *ok(const char *text)
{
    return ok_refs(text, NULL, 0);
}

static void refused(const char *text, const char *words)
{
    struct reg_jsonschema *js = NULL;
    struct fy_err err = {0};
    int rc = reg_jsonschema_parse(text, strlen(text), NULL, 0, &js, &err);
    ck_assert_msg(rc == -1, "accepted %s", text);
    ck_assert_int_eq(err.code, 42201);
    ck_assert_msg(strstr(err.msg, words), "%s: message '%s' lacks '%s'", text, err.msg, words);
    ck_assert_ptr_null(js);
    fy_err_destroy(&err);
}

static void canonical_is(const char *text, const char *want)
{
    struct reg_jsonschema *js = ok(text);
    ck_assert_str_eq(reg_jsonschema_canonical(js), want);
    reg_jsonschema_free(js);
}

/* Jackson's compact form: no whitespace, keys in order, strings re-escaped
 * its way (JsonSchema.canonicalString via ObjectMapper.writeValueAsString). */
START_TEST(test_jsonschema_canonical_text)
{
    canonical_is("{ \"type\" : \"object\",\n  \"properties\": { \"b\": {}, \"a\": { \"type\": "
                 "\"string\" } } }",
                 "{\"type\":\"object\",\"properties\":{\"b\":{},\"a\":{\"type\":\"string\"}}}");
    canonical_is("true", "true");
    /* escapes: \\/ and \\u00e9 decoded, control characters as Jackson writes them */
    canonical_is("{\"title\":\"a\\/b \\u00e9 \\u0001 \\t\"}",
                 "{\"title\":\"a/b \xc3\xa9 \\u0001 \\t\"}");
    /* a duplicate key: the last value in the first one's place (ObjectNode.set) */
    canonical_is("{\"title\":\"x\",\"type\":\"string\",\"title\":\"y\"}",
                 "{\"title\":\"y\",\"type\":\"string\"}");
}
END_TEST

/* Reals are BigDecimals of the literal (BigDecimal.toString), integers IntNodes. */
START_TEST(test_jsonschema_canonical_numbers)
{
    canonical_is("{\"minimum\":1.50}", "{\"minimum\":1.50}");
    canonical_is("{\"minimum\":1e5}", "{\"minimum\":1E+5}");
    canonical_is("{\"minimum\":1.0E2}", "{\"minimum\":1.0E+2}");
    canonical_is("{\"minimum\":0.0000001}", "{\"minimum\":1E-7}");
    canonical_is("{\"minimum\":0.000001}", "{\"minimum\":0.000001}");
    canonical_is("{\"minimum\":123.456e-10}", "{\"minimum\":1.23456E-8}");
    canonical_is("{\"minimum\":12e-1}", "{\"minimum\":1.2}");
    canonical_is("{\"minimum\":-0.0}", "{\"minimum\":0.0}");
    canonical_is("{\"minimum\":-0}", "{\"minimum\":0}");
    canonical_is("{\"minimum\":-12,\"maximum\":100}", "{\"minimum\":-12,\"maximum\":100}");
    canonical_is("{\"default\":[1.5e-3,0e0]}", "{\"default\":[0.0015,0]}");
}
END_TEST

/* normalize(): every object's keys sorted, arrays kept in order. */
START_TEST(test_jsonschema_normalized)
{
    struct reg_jsonschema *js =
        ok("{\"type\":\"object\",\"properties\":{\"b\":{\"type\":\"string\"},\"a\":{}},"
           "\"required\":[\"b\",\"a\"],\"default\":{\"z\":1,\"y\":[{\"d\":1,\"c\":2}]}}");
    char *n = reg_jsonschema_normalized(js);
    ck_assert_str_eq(n, "{\"default\":{\"y\":[{\"c\":2,\"d\":1}],\"z\":1},\"properties\":{\"a\":{},"
                        "\"b\":{\"type\":\"string\"}},\"required\":[\"b\",\"a\"],\"type\":"
                        "\"object\"}");
    free(n);
    reg_jsonschema_free(js);
}
END_TEST

/* SpecificationVersion from $schema; none is draft 7 (JsonSchema.rawSchema). */
START_TEST(test_jsonschema_drafts)
{
    static const struct {
        const char *schema;
        int draft;
    } cases[] = {
        {"http://json-schema.org/draft-04/schema#", 4},
        {"http://json-schema.org/draft-06/schema#", 6},
        {"http://json-schema.org/draft-07/schema#", 7},
        {"https://json-schema.org/draft/2019-09/schema", 201909},
        {"https://json-schema.org/draft/2020-12/schema", 202012},
        {"urn:unknown", 7},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[200];
        snprintf(text, sizeof text, "{\"$schema\":\"%s\",\"type\":\"string\"}", cases[i].schema);
        struct reg_jsonschema *js = ok(text);
        ck_assert_int_eq(reg_jsonschema_draft(js), cases[i].draft);
        reg_jsonschema_free(js);
    }
    struct reg_jsonschema *js = ok("{}");
    ck_assert_int_eq(reg_jsonschema_draft(js), 7);
    reg_jsonschema_free(js);
    /* draft 4's boolean exclusiveMinimum, draft 6's numeric one */
    reg_jsonschema_free(ok("{\"$schema\":\"http://json-schema.org/draft-04/schema#\","
                           "\"minimum\":1,\"exclusiveMinimum\":true}"));
    refused("{\"$schema\":\"http://json-schema.org/draft-04/schema#\",\"exclusiveMinimum\":1}",
            "exclusiveMinimum: expected type: Boolean");
    refused("{\"exclusiveMinimum\":true}", "exclusiveMinimum: expected type: Number");
}
END_TEST

/* What everit's loader and JsonSchema refuse: 42201 naming the problem and where. */
START_TEST(test_jsonschema_refused)
{
    refused("{\"type\":", "Invalid schema:");
    refused("[1,2]", "expected an object or boolean at the root, found ARRAY");
    refused("\"x\"", "found STRING");
    refused("{\"type\":\"strin\"}", "unknown type: [strin]");
    refused("{\"type\":7}", "type: expected type: String or JSONArray, found: Integer");
    refused("{\"type\":\"string\",\"minLength\":\"3\"}",
            "#: minLength: expected type: Integer, found: String");
    refused("{\"properties\":{\"a\":{\"maxLength\":1.5}}}",
            "#/properties/a: maxLength: expected type: Integer, found: BigDecimal");
    refused("{\"properties\":[]}", "properties: expected type: JSONObject, found: JSONArray");
    refused("{\"required\":[\"a\",1]}", "#/required: 1: expected type: String");
    refused("{\"items\":[{\"type\":\"array\",\"uniqueItems\":1}]}",
            "#/items/0: uniqueItems: expected type: Boolean");
    refused("{\"anyOf\":{}}", "anyOf: expected type: JSONArray");
    refused("{\"enum\":\"a\"}", "enum: expected type: JSONArray");
    refused("{\"multipleOf\":0}", "multipleOf should not be 0");
    refused("{\"title\":1}", "title: expected type: String");
    refused("{\"properties\":{\"a\":3}}", "#/properties: a: expected type: JSONObject");
    refused("{\"$ref\":\"#/definitions/missing\"}", "$ref '#/definitions/missing' cannot be resolved");
    refused("{\"properties\":{\"a\":{\"$ref\":\"other.json\"}}}", "$ref 'other.json' cannot be resolved");
}
END_TEST

/* $ref inside the document (pointers, $defs bridged to definitions, anchors),
 * to meta-schemas, and to other subjects' schemas through references. */
START_TEST(test_jsonschema_refs)
{
    reg_jsonschema_free(ok("{\"definitions\":{\"a\":{\"type\":\"string\"}},"
                           "\"properties\":{\"x\":{\"$ref\":\"#/definitions/a\"}}}"));
    /* JsonSchema.mergeDefBuckets: #/$defs/ finds a top-level definitions entry */
    reg_jsonschema_free(ok("{\"definitions\":{\"a\":{\"type\":\"string\"}},"
                           "\"properties\":{\"x\":{\"$ref\":\"#/$defs/a\"}}}"));
    reg_jsonschema_free(ok("{\"$defs\":{\"a\":{\"$anchor\":\"A\",\"type\":\"string\"}},"
                           "\"properties\":{\"x\":{\"$ref\":\"#A\"}}}"));
    reg_jsonschema_free(ok("{\"$ref\":\"http://json-schema.org/draft-07/schema#\"}"));
    reg_jsonschema_free(ok("{\"properties\":{\"self\":{\"$ref\":\"#\"}}}"));
    const struct reg_jsonschema_ref refs[] = {
        {"customer.json", "{\"type\":\"object\",\"properties\":{\"addr\":{\"$ref\":"
                          "\"address.json#/definitions/Address\"}}}"},
        {"address.json", "{\"definitions\":{\"Address\":{\"type\":\"string\"}}}"},
    };
    struct reg_jsonschema *js = ok_refs(
        "{\"type\":\"object\",\"properties\":{\"c\":{\"$ref\":\"customer.json\"}}}", refs, 2);
    /* the referenced schemas are part of the comparison: a change in one is found */
    const struct reg_jsonschema_ref refs2[] = {
        refs[0],
        {"address.json", "{\"definitions\":{\"Address\":{\"type\":\"integer\"}}}"},
    };
    struct reg_jsonschema *js2 = ok_refs(
        "{\"type\":\"object\",\"properties\":{\"c\":{\"$ref\":\"customer.json\"}}}", refs2, 2);
    char **ch = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_jsonschema_diff(js, js2, &ch, &err), 0);
    ck_assert_str_eq(ch[0], "TYPE_CHANGED #/properties/c/properties/addr");
    reg_jsonschema_messages_free(ch);
    /* a URL $ref against a reference named by its last segment */
    struct reg_jsonschema *js3 = ok_refs(
        "{\"$id\":\"http://example.com/root.json\",\"properties\":{\"a\":{\"$ref\":"
        "\"http://example.com/address.json#/definitions/Address\"}}}",
        refs, 2);
    reg_jsonschema_free(js);
    reg_jsonschema_free(js2);
    reg_jsonschema_free(js3);
    /* a referenced text that is not JSON */
    const struct reg_jsonschema_ref bad[] = {{"x.json", "{"}};
    struct reg_jsonschema *none = NULL;
    const char *t = "{\"$ref\":\"x.json\"}";
    ck_assert_int_eq(reg_jsonschema_parse(t, strlen(t), bad, 1, &none, &err), -1);
    ck_assert_int_eq(err.code, 42201);
    ck_assert_ptr_nonnull(strstr(err.msg, "referenced schema 'x.json' is not valid JSON"));
}
END_TEST

/* ferry.schema.max.json.depth and .max.bytes bound the text before any recursion. */
START_TEST(test_jsonschema_limits)
{
    size_t n = 3000;
    char *deep = fy_malloc(n * 20 + 10);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(deep + k, "{\"not\":", 7);
        k += 7;
    }
    memcpy(deep + k, "{}", 2);
    k += 2;
    for (size_t i = 0; i < n; i++)
        deep[k++] = '}';
    deep[k] = '\0';
    refused(deep, "ferry.schema.max.json.depth");
    free(deep);
    struct reg_avro_limits saved = *reg_avro_get_limits(), small = saved;
    small.max_bytes = 10;
    reg_avro_set_limits(&small);
    refused("{\"type\":\"string\"}", "ferry.schema.max.bytes");
    reg_avro_set_limits(&saved);
}
END_TEST

int main(void)
{
    fy_alloc_init();
    Suite *s = suite_create("reg_jsonschema");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_jsonschema_canonical_text);
    tcase_add_test(tc, test_jsonschema_canonical_numbers);
    tcase_add_test(tc, test_jsonschema_normalized);
    tcase_add_test(tc, test_jsonschema_drafts);
    tcase_add_test(tc, test_jsonschema_refused);
    tcase_add_test(tc, test_jsonschema_refs);
    tcase_add_test(tc, test_jsonschema_limits);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
