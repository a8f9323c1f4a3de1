/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for registry/reg_schema_type.c and the Avro provider
 * (reg_schema_avro.c): the served types, models through the hooks (references
 * first, then the schema), the type-mismatch message of every
 * ParsedSchema.isBackwardCompatible, the level driver over models, formats. */
#include "registry/reg_schema_type.h"

#include "common/fy_alloc.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static struct reg_sm *avro_model(const char *ref, const char *text, unsigned flags)
{
    struct reg_sm *m = reg_schema_avro.model_new();
    struct fy_err err = {0};
    if (ref)
        ck_assert_msg(reg_schema_avro.add_reference(
                          m, &(struct reg_sm_ref){.name = "r", .subject = "s", .version = 1},
                          ref, &err) == 0,
                      "%s", err.msg);
    ck_assert_msg(reg_schema_avro.parse(m, text, flags, &err) == 0, "%s", err.msg);
    return m;
}

START_TEST(test_served_types)
{
    ck_assert_ptr_eq(reg_schema_type_find("AVRO"), &reg_schema_avro);
    ck_assert_ptr_null(reg_schema_type_find("avro")); /* schemaType is exact */
    ck_assert_ptr_null(reg_schema_type_find("FOO"));
    ck_assert_ptr_null(reg_schema_type_find(NULL));
    size_t n = reg_schema_type_count();
    ck_assert_uint_ge(n, 1);
    bool avro = false;
    for (size_t i = 0; i < n; i++)
        avro = avro || reg_schema_type_at(i) == &reg_schema_avro;
    ck_assert(avro);
    ck_assert_ptr_null(reg_schema_type_at(n));
    ck_assert_ptr_nonnull(strstr(reg_schema_type_names(), "AVRO"));
}
END_TEST

START_TEST(test_avro_model_with_reference)
{
    const char *ref = "{\"type\":\"record\",\"name\":\"a.B\",\"fields\":[{\"name\":\"x\","
                      "\"type\":\"int\"}]}";
    struct reg_sm *m = avro_model(ref,
                                  "{\"type\":\"record\",\"name\":\"a.A\",\"fields\":[{\"name\":"
                                  "\"b\",\"type\":\"a.B\"}]}",
                                  REG_SM_VALIDATE | REG_SM_REQUEST);
    char *c = reg_schema_avro.canonical(m);
    /* the reference's type is written by name */
    ck_assert_str_eq(c, "{\"type\":\"record\",\"name\":\"A\",\"namespace\":\"a\",\"fields\":"
                        "[{\"name\":\"b\",\"type\":\"B\"}]}");
    free(c);
    struct fy_err err = {0};
    const struct reg_schema_format *f = reg_schema_type_format(&reg_schema_avro, "resolved");
    ck_assert_ptr_nonnull(f);
    ck_assert(f->needs_references);
    ck_assert_ptr_null(reg_schema_type_format(&reg_schema_avro, "serialized"));
    char *r = reg_schema_avro.format(m, "resolved", &err);
    ck_assert_ptr_nonnull(strstr(r, "\"fields\":[{\"name\":\"x\""));
    free(r);
    ck_assert(reg_schema_avro.has_top_level_field(m, "b", 1));
    ck_assert(!reg_schema_avro.has_top_level_field(m, "x", 1));
    ck_assert_uint_gt(reg_schema_avro.footprint(m), 0);
    reg_sm_free(m);
    reg_sm_free(NULL);
}
END_TEST

START_TEST(test_avro_parse_error_is_42201)
{
    struct reg_sm *m = reg_schema_avro.model_new();
    struct fy_err err = {0};
    ck_assert_int_eq(reg_schema_avro.parse(m, "{\"type\":\"recrd\"}", REG_SM_VALIDATE, &err), -1);
    ck_assert_int_eq(err.code, REG_E_INVALID_SCHEMA);
    fy_err_destroy(&err);
    reg_sm_free(m);
}
END_TEST

/* A second type that is not Avro, for the mismatch: only its identity matters. */
static const struct reg_schema_type other_type = {.name = "OTHER"};

START_TEST(test_different_types_are_incompatible)
{
    /* AvroSchema/JsonSchema/ProtobufSchema.isBackwardCompatible:
     * "Incompatible because of different schema type" */
    struct reg_sm *a = avro_model(NULL, "\"int\"", 0);
    struct reg_sm other = {.type = &other_type};
    struct reg_compat_msgs msgs;
    reg_compat_msgs_init(&msgs);
    ck_assert_int_eq(reg_sm_compat_direction(a, &other, "new", "old", &msgs, NULL), 1);
    ck_assert_uint_eq(msgs.n, 1);
    ck_assert_str_eq(msgs.items[0], "Incompatible because of different schema type");
    reg_compat_msgs_destroy(&msgs);
    reg_sm_free(a);
}
END_TEST

START_TEST(test_levels_over_models)
{
    /* the level driver through the seam gives what the Avro driver gives */
    struct reg_sm *v1 = avro_model(NULL,
                                   "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":"
                                   "\"a\",\"type\":\"int\"}]}",
                                   0);
    struct reg_sm *v2 = avro_model(NULL,
                                   "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":"
                                   "\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":\"int\"}]}",
                                   0);
    struct reg_compat_prior p = {.schema = v1, .version = 1, .canonical = "v1"};
    struct reg_compat_prior pa = {.schema = reg_schema_avro_root(v1), .version = 1,
                                  .canonical = "v1"};
    struct reg_compat_msgs m1, m2;
    reg_compat_msgs_init(&m1);
    reg_compat_msgs_init(&m2);
    struct fy_err err = {0};
    ck_assert_int_eq(reg_compat_check_levels(REG_COMPAT_BACKWARD, false, reg_sm_compat_direction,
                                             v2, &p, 1, &m1, &err),
                     0);
    ck_assert_int_eq(reg_compat_check_fields(REG_COMPAT_BACKWARD, false, reg_schema_avro_root(v2),
                                             &pa, 1, &m2, &err),
                     0);
    ck_assert_uint_eq(m1.n, m2.n);
    ck_assert_uint_eq(m1.n, 4); /* the difference, oldSchemaVersion, oldSchema, trailer */
    for (size_t i = 0; i < m1.n; i++)
        ck_assert_str_eq(m1.items[i], m2.items[i]);
    ck_assert_ptr_nonnull(strstr(m1.items[0], "READER_FIELD_MISSING_DEFAULT_VALUE"));
    ck_assert_int_eq(reg_compat_check_levels(REG_COMPAT_FORWARD, false, reg_sm_compat_direction,
                                             v2, &p, 1, NULL, &err),
                     1);
    reg_compat_msgs_destroy(&m1);
    reg_compat_msgs_destroy(&m2);
    reg_sm_free(v1);
    reg_sm_free(v2);
}
END_TEST

int main(void)
{
    fy_alloc_init();
    Suite *s = suite_create("reg_schema_type");
    TCase *tc = tcase_create("seam");
    tcase_add_test(tc, test_served_types);
    tcase_add_test(tc, test_avro_model_with_reference);
    tcase_add_test(tc, test_avro_parse_error_is_42201);
    tcase_add_test(tc, test_different_types_are_incompatible);
    tcase_add_test(tc, test_levels_over_models);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
