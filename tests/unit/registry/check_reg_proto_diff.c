/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for registry/reg_proto_diff.c, Confluent's protobuf-provider
 * SchemaDiff: the table tests/unit/registry/data/proto_diff_cases.jsonl
 * (made by scripts/proto_diff_cases.py from Confluent's
 * diff-schema-examples.json, diff-schema-examples-with-meta.json and
 * SchemaDiffTest.checkCompatibilityUsingProtoFiles and the descriptor round
 * trips of ProtobufSchemaTest.testFileDescriptorProto; each line cites its
 * source) run as SchemaDiffTest.checkProtobufSchemaCompatibility runs it:
 * the exact list of "TYPE #/path" differences in order, and the verdict
 * (no difference outside COMPATIBLE_CHANGES). Also Difference.toString()
 * as formatted by SchemaValidatorBuilder, and the budget. */
#include "registry/reg_proto_diff.h"

#include "registry/reg_proto_desc.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "registry/reg_proto_int.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASES "tests/unit/registry/data/proto_diff_cases.jsonl"

struct side {
    struct reg_proto_file *file;
    struct reg_proto_dep deps[16];
    struct reg_proto_diff_ref refs[16];
    struct reg_proto_file *owned[16];
    size_t n;
};

static struct reg_proto_file *parse(const char *text, const char *src)
{
    struct reg_proto_file *f = NULL;
    struct fy_err err = {0};
    ck_assert_msg(reg_proto_parse(text, strlen(text), NULL, &f, &err) == 0, "%s: %s", src,
                  err.msg);
    return f;
}

static void side_load(struct side *s, json_t *j, const char *src)
{
    memset(s, 0, sizeof *s);
    s->file = parse(json_string_value(json_object_get(j, "schema")), src);
    json_t *deps = json_object_get(j, "deps"), *refs = json_object_get(j, "refs");
    size_t i;
    json_t *d;
    json_array_foreach(deps, i, d)
    {
        ck_assert_uint_lt(s->n, 16);
        const char *name = json_string_value(json_object_get(d, "name"));
        const struct reg_proto_file *f = NULL;
        if (json_is_true(json_object_get(d, "known"))) {
            size_t nk;
            const struct reg_proto_dep *k = reg_proto_known_deps(&nk);
            for (size_t x = 0; x < nk; x++)
                if (strcmp(k[x].name, name) == 0)
                    f = k[x].file;
            ck_assert_msg(f != NULL, "%s: no known file %s", src, name);
        } else {
            f = s->owned[s->n] = parse(json_string_value(json_object_get(d, "text")), src);
        }
        s->deps[s->n] = (struct reg_proto_dep){.name = name, .file = f};
        /* the references that name this dependency (Context.collectTypeInfo) */
        size_t r;
        json_t *ref;
        json_array_foreach(refs, r, ref)
        {
            if (strcmp(json_string_value(json_object_get(ref, "name")), name) == 0)
                s->refs[s->n] = (struct reg_proto_diff_ref){
                    .subject = json_string_value(json_object_get(ref, "subject")),
                    .version = (int)json_integer_value(json_object_get(ref, "version")),
                    .direct = true};
        }
        s->n++;
    }
}

static void side_free(struct side *s)
{
    reg_proto_file_free(s->file);
    for (size_t i = 0; i < s->n; i++)
        reg_proto_file_free(s->owned[i]);
}

static struct reg_proto_diff_side as_diff(const struct side *s)
{
    return (struct reg_proto_diff_side){
        .file = s->file, .deps = s->deps, .refs = s->refs, .n_deps = s->n};
}

/* No difference outside COMPATIBLE_CHANGES from `a` to `b`? */
static bool backward_ok(const struct reg_proto_file *a, const struct reg_proto_file *b)
{
    struct reg_proto_diff_side os = {.file = a}, us = {.file = b};
    struct reg_proto_differences d = {0};
    bool ok = reg_proto_diff(&os, &us, &d, NULL) == 0;
    for (size_t k = 0; k < d.n; k++)
        ok = ok && reg_proto_diff_compatible(d.v[k].type);
    reg_proto_differences_free(&d);
    return ok;
}

/* The model of formattedString("serialized") of `f`. */
static struct reg_proto_file *via_descriptor(const struct reg_proto_file *f, const char *src)
{
    char *b64 = NULL;
    struct fy_err err = {0};
    ck_assert_msg(reg_proto_serialized(f, NULL, 0, &b64, &err) == 0, "%s: %s", src, err.msg);
    struct reg_proto_file *out = NULL;
    ck_assert_msg(reg_proto_parse_schema(b64, strlen(b64), NULL, &out, &err) == 0, "%s: %s", src,
                  err.msg);
    free(b64);
    return out;
}

/* ProtobufSchemaTest.testFileDescriptorProto for one file. */
static bool roundtrip(const char *text, const char *src)
{
    struct reg_proto_file *s1 = parse(text, src);
    struct reg_proto_file *s2 = via_descriptor(s1, src);
    struct reg_proto_file *s3 = via_descriptor(s2, src);
    char *c2 = NULL, *c3 = NULL;
    bool ok = backward_ok(s2, s1) && backward_ok(s3, s2) &&
              reg_proto_canonical(s2, &c2, NULL) == 0 && reg_proto_canonical(s3, &c3, NULL) == 0 &&
              strcmp(c2, c3) == 0;
    if (!ok)
        fprintf(stderr, "FAIL %s: descriptor round trip\n", src);
    free(c2);
    free(c3);
    reg_proto_file_free(s1);
    reg_proto_file_free(s2);
    reg_proto_file_free(s3);
    return ok;
}

START_TEST(test_confluent_diff_cases)
{
    FILE *fh = fopen(CASES, "r");
    ck_assert_msg(fh != NULL, "cannot open %s (run from the repository root)", CASES);
    char *line = NULL;
    size_t cap = 0;
    int total = 0, bad = 0;
    while (getline(&line, &cap, fh) > 0) {
        json_error_t jerr;
        json_t *v = json_loads(line, 0, &jerr);
        ck_assert_msg(v != NULL, "bad case line: %s", jerr.text);
        const char *src = json_string_value(json_object_get(v, "source"));
        const char *desc = json_string_value(json_object_get(v, "description"));
        if (json_object_get(v, "roundtrip")) {
            bad += roundtrip(json_string_value(json_object_get(v, "roundtrip")), src) ? 0 : 1;
            total++;
            json_decref(v);
            continue;
        }
        struct side o, u;
        side_load(&o, json_object_get(v, "original"), src);
        side_load(&u, json_object_get(v, "update"), src);
        struct reg_proto_diff_side os = as_diff(&o), us = as_diff(&u);
        struct reg_proto_differences d = {0};
        struct fy_err err = {0};
        ck_assert_msg(reg_proto_diff(&os, &us, &d, &err) == 0, "%s: %s", src, err.msg);
        json_t *want = json_object_get(v, "changes");
        bool contains = json_is_true(json_object_get(v, "contains"));
        bool ok = contains || d.n == json_array_size(want);
        size_t i;
        json_t *w;
        json_array_foreach(want, i, w)
        {
            bool found = false;
            for (size_t k = 0; k < d.n && !found; k++) {
                if (!contains && k != i)
                    continue;
                char got[512];
                snprintf(got, sizeof got, "%s %s", reg_proto_diff_type_name(d.v[k].type),
                         d.v[k].path);
                found = strcmp(got, json_string_value(w)) == 0;
            }
            ok = ok && found;
        }
        json_t *compatible = json_object_get(v, "compatible");
        if (json_is_boolean(compatible)) {
            bool is = true;
            for (size_t k = 0; k < d.n; k++)
                is = is && reg_proto_diff_compatible(d.v[k].type);
            ok = ok && is == json_is_true(compatible);
        }
        if (!ok) {
            fprintf(stderr, "FAIL %s (%s): got", src, desc);
            for (size_t k = 0; k < d.n; k++)
                fprintf(stderr, " [%s %s]", reg_proto_diff_type_name(d.v[k].type), d.v[k].path);
            char *ws = json_dumps(want, JSON_COMPACT);
            fprintf(stderr, ", want %s\n", ws);
            free(ws);
            bad++;
        }
        total++;
        reg_proto_differences_free(&d);
        side_free(&o);
        side_free(&u);
        json_decref(v);
    }
    free(line);
    fclose(fh);
    fprintf(stderr, "proto diff cases: %d of %d match Confluent\n", total - bad, total);
    ck_assert_int_ge(total, 58);
    ck_assert_int_eq(bad, 0);
}
END_TEST

static long incompatible(const char *orig, const char *upd, struct reg_compat_msgs *m)
{
    struct side o = {.file = parse(orig, "orig")}, u = {.file = parse(upd, "upd")};
    struct reg_proto_diff_side os = as_diff(&o), us = as_diff(&u);
    struct fy_err err = {0};
    long n = reg_proto_diff_incompatible(&os, &us, "new", "old", m, &err);
    side_free(&o);
    side_free(&u);
    return n;
}

START_TEST(test_messages_in_confluent_format)
{
    /* Difference.toString() after SchemaValidatorBuilder's String.format(e, "new", "old") */
    struct reg_compat_msgs m;
    reg_compat_msgs_init(&m);
    ck_assert_int_eq(incompatible("syntax = \"proto3\";\nmessage M {\n  string a = 1;\n}\n",
                                  "syntax = \"proto3\";\nmessage M {\n  int32 a = 1;\n}\n", &m),
                     1);
    ck_assert_str_eq(m.items[0],
                     "{errorType:\"FIELD_SCALAR_KIND_CHANGED\", description:\"The kind of a "
                     "SCALAR field at path '#/M/1' in the new schema does not match its kind in "
                     "the old schema\"}");
    reg_compat_msgs_destroy(&m);
    reg_compat_msgs_init(&m);
    /* compatible changes give no message */
    ck_assert_int_eq(incompatible("syntax = \"proto3\";\nmessage M {\n  string a = 1;\n}\n",
                                  "syntax = \"proto3\";\nmessage M {\n  string b = 1;\n  int32 c "
                                  "= 2;\n}\n",
                                  &m),
                     0);
    ck_assert_uint_eq(m.n, 0);
    /* a removed message: MESSAGE_REMOVED words the reader first */
    ck_assert_int_eq(incompatible("syntax = \"proto3\";\nmessage M {\n  string a = 1;\n}\n"
                                  "message N {\n  string a = 1;\n}\n",
                                  "syntax = \"proto3\";\nmessage M {\n  string a = 1;\n}\n", &m),
                     1);
    ck_assert_str_eq(m.items[0], "{errorType:\"MESSAGE_REMOVED\", description:\"The new schema "
                                 "is missing a MESSAGE type at path '#/N' in the old schema\"}");
    reg_compat_msgs_destroy(&m);
}
END_TEST

START_TEST(test_deep_field_chain_is_bounded)
{
    /* message-typed fields into another subject's types are followed
     * (FieldSchemaDiff.compareMessageTypes' subcontext): a chain longer than
     * ferry.schema.max.depth answers 42201 instead of recursing on */
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, "syntax = \"proto3\";\n");
    for (int i = 0; i < 1500; i++)
        fy_buf_printf(&b, "message M%d {\n  M%d next = 1;\n}\n", i, i + 1);
    fy_buf_puts(&b, "message M1500 {\n  string a = 1;\n}\n");
    const char *main_text = "syntax = \"proto3\";\nimport \"chain.proto\";\n"
                            "message Top {\n  M0 first = 1;\n}\n";
    struct side o = {.file = parse(main_text, "top")}, u = {.file = parse(main_text, "top")};
    struct side *sides[2] = {&o, &u};
    for (int i = 0; i < 2; i++) {
        struct side *s = sides[i];
        s->owned[0] = parse(fy_buf_str(&b), "chain");
        s->deps[0] = (struct reg_proto_dep){.name = "chain.proto", .file = s->owned[0]};
        /* another version of the referenced subject: compared, not skipped */
        s->refs[0] = (struct reg_proto_diff_ref){.subject = "chain", .version = i + 1,
                                                 .direct = true};
        s->n = 1;
    }
    struct reg_proto_diff_side os = as_diff(&o), us = as_diff(&u);
    struct reg_proto_differences d = {0};
    struct fy_err err = {0};
    ck_assert_int_eq(reg_proto_diff(&os, &us, &d, &err), -1);
    ck_assert_int_eq(err.code, 42201);
    ck_assert_ptr_nonnull(strstr(err.msg, "ferry.schema.max.depth"));
    fy_err_destroy(&err);
    reg_proto_differences_free(&d);
    /* the same subject-version on both sides is not compared again */
    u.refs[0].version = 1;
    us = as_diff(&u);
    ck_assert_int_eq(reg_proto_diff(&os, &us, &d, &err), 0);
    ck_assert_uint_eq(d.n, 0);
    reg_proto_differences_free(&d);
    fy_buf_destroy(&b);
    side_free(&o);
    side_free(&u);
}
END_TEST

int main(void)
{
    fy_alloc_init();
    Suite *s = suite_create("reg_proto_diff");
    TCase *tc = tcase_create("diff");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_confluent_diff_cases);
    tcase_add_test(tc, test_messages_in_confluent_format);
    tcase_add_test(tc, test_deep_field_chain_is_bounded);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
