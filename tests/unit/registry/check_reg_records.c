/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for registry/reg_records.c: `_schemas` keys and values in
 * Confluent's exact shapes, and tolerant key parsing (Karapace order, null subject). */
#include "registry/reg_records.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_keys_have_confluent_shape)
{
    char *k = reg_key_schema("orders-value", 3);
    ck_assert_str_eq(k, "{\"keytype\":\"SCHEMA\",\"subject\":\"orders-value\",\"version\":3,\"magic\":1}");
    free(k);
    k = reg_key_config(NULL);
    ck_assert_str_eq(k, "{\"keytype\":\"CONFIG\",\"magic\":0}");
    free(k);
    k = reg_key_mode(":.dr:");
    ck_assert_str_eq(k, "{\"keytype\":\"MODE\",\"subject\":\":.dr:\",\"magic\":0}");
    free(k);
    k = reg_key_context(".dr");
    ck_assert_str_eq(k, "{\"keytype\":\"CONTEXT\",\"tenant\":\"default\",\"context\":\".dr\",\"magic\":0}");
    free(k);
    k = reg_key_delete_subject("s");
    ck_assert_str_eq(k, "{\"keytype\":\"DELETE_SUBJECT\",\"subject\":\"s\",\"magic\":0}");
    free(k);
}
END_TEST

START_TEST(test_schema_value_omits_avro_type_and_escapes_text)
{
    char *v = reg_value_schema("s", 1, 7, "AVRO", NULL, NULL, NULL, "{\"type\":\"string\"}", false);
    ck_assert_str_eq(v, "{\"subject\":\"s\",\"version\":1,\"id\":7,"
                        "\"schema\":\"{\\\"type\\\":\\\"string\\\"}\",\"deleted\":false}");
    free(v);
    v = reg_value_schema("s", 2, 8, "PROTOBUF", "[{\"name\":\"a\",\"subject\":\"b\",\"version\":1}]",
                         "{\"properties\":{\"k\":\"v\"}}", NULL, "x", true);
    ck_assert_ptr_nonnull(strstr(v, "\"schemaType\":\"PROTOBUF\""));
    ck_assert_ptr_nonnull(strstr(v, "\"references\":[{\"name\":\"a\""));
    ck_assert_ptr_nonnull(strstr(v, "\"metadata\":{\"properties\""));
    ck_assert_ptr_nonnull(strstr(v, "\"deleted\":true"));
    free(v);
}
END_TEST

START_TEST(test_key_parse_accepts_any_order_and_null_subject)
{
    struct reg_key k;
    struct fy_err err = {0};
    const char *karapace = "{\"subject\":\"s\",\"version\":2,\"magic\":1,\"keytype\":\"SCHEMA\"}";
    ck_assert_int_eq(reg_key_parse(karapace, strlen(karapace), &k, &err), 0);
    ck_assert_int_eq(k.type, REG_KEY_SCHEMA);
    ck_assert_str_eq(k.subject, "s");
    ck_assert_int_eq(k.version, 2);
    reg_key_destroy(&k);
    const char *global = "{\"keytype\":\"CONFIG\",\"subject\":null,\"magic\":0}";
    ck_assert_int_eq(reg_key_parse(global, strlen(global), &k, &err), 0);
    ck_assert_int_eq(k.type, REG_KEY_CONFIG);
    ck_assert_ptr_null(k.subject);
    reg_key_destroy(&k);
    const char *assoc = "{\"keytype\":\"ASSOC\",\"magic\":0}";
    ck_assert_int_eq(reg_key_parse(assoc, strlen(assoc), &k, &err), 0);
    ck_assert_int_eq(k.type, REG_KEY_OTHER);
    reg_key_destroy(&k);
}
END_TEST

START_TEST(test_key_parse_rejects_garbage)
{
    struct reg_key k;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_key_parse("[1]", 3, &k, &err), -1);
    ck_assert_int_eq(reg_key_parse("{\"magic\":0}", 11, &k, &err), -1);
    ck_assert_int_eq(reg_key_parse("{not json", 9, &k, &err), -1);
}
END_TEST

START_TEST(test_id_hwm_record_round_trips)
{
    char *k = reg_key_id_hwm(".dr");
    ck_assert_str_eq(k, "{\"keytype\":\"ID_HWM\",\"context\":\".dr\",\"magic\":0}");
    struct reg_key key;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_key_parse(k, strlen(k), &key, &err), 0);
    ck_assert_int_eq(key.type, REG_KEY_ID_HWM);
    ck_assert_str_eq(key.context, ".dr");
    reg_key_destroy(&key);
    free(k);
    char *v = reg_value_id_hwm(".dr", 2147483647);
    ck_assert_str_eq(v, "{\"context\":\".dr\",\"maxId\":2147483647}");
    int32_t m = 0;
    ck_assert_int_eq(reg_value_id_hwm_parse(v, strlen(v), &m), 0);
    ck_assert_int_eq(m, 2147483647);
    free(v);
    ck_assert_int_eq(reg_value_id_hwm_parse("{\"maxId\":2147483648}", 20, &m), -1);
    ck_assert_int_eq(reg_value_id_hwm_parse("{\"maxId\":\"1\"}", 13, &m), -1);
    ck_assert_int_eq(reg_value_id_hwm_parse("nope", 4, &m), -1);
}
END_TEST

START_TEST(test_purged_version_record_round_trips)
{
    char *k = reg_key_purged_version(":.dr:x", 7);
    ck_assert_str_eq(k, "{\"keytype\":\"PURGED_VERSION\",\"subject\":\":.dr:x\","
                        "\"version\":7,\"magic\":0}");
    struct reg_key key;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_key_parse(k, strlen(k), &key, &err), 0);
    ck_assert_int_eq(key.type, REG_KEY_PURGED_VERSION);
    ck_assert_str_eq(key.subject, ":.dr:x");
    ck_assert_int_eq(key.version, 7);
    reg_key_destroy(&key);
    free(k);
    char *v = reg_value_purged_version(":.dr:x", 7);
    ck_assert_str_eq(v, "{\"subject\":\":.dr:x\",\"version\":7}");
    free(v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reg_records");
    TCase *tc = tcase_create("records");
    tcase_add_test(tc, test_keys_have_confluent_shape);
    tcase_add_test(tc, test_purged_version_record_round_trips);
    tcase_add_test(tc, test_schema_value_omits_avro_type_and_escapes_text);
    tcase_add_test(tc, test_key_parse_accepts_any_order_and_null_subject);
    tcase_add_test(tc, test_key_parse_rejects_garbage);
    tcase_add_test(tc, test_id_hwm_record_round_trips);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
