/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for registry/reg_proto_desc.c: model <-> FileDescriptorProto
 * (protobuf-c), base64, and Confluent's text-or-base64 schema parse. The
 * descriptors are cross-checked against protoc's own (`protoc
 * --descriptor_set_out`, from Debian's protobuf-compiler) when it is
 * installed; the comparison goes through Confluent's normalized text, which
 * resolves names the same way for both. Run from the repository root. */
#include "registry/reg_proto_desc.h"

#include "common/fy_alloc.h"
#include "google/protobuf/descriptor.pb-c.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VECTORS "tests/unit/registry/data/proto_vectors.jsonl"

static struct reg_proto_file *parse_ok(const char *text)
{
    struct reg_proto_file *f = NULL;
    struct fy_err err = {0};
    ck_assert_msg(reg_proto_parse(text, strlen(text), NULL, &f, &err) == 0, "parse: %s", err.msg);
    return f;
}

/* text -> descriptor -> model */
static struct reg_proto_file *round_trip(const struct reg_proto_file *f)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_proto_to_descriptor(f, "default", NULL, 0, &buf, &len, &err), 0);
    struct reg_proto_file *back = NULL;
    ck_assert_msg(reg_proto_from_descriptor(buf, len, NULL, &back, &err) == 0, "%s", err.msg);
    free(buf);
    return back;
}

static char *canonical(const struct reg_proto_file *f)
{
    char *out = NULL;
    struct fy_err err = {0};
    ck_assert_msg(reg_proto_canonical(f, &out, &err) == 0, "%s", err.msg);
    return out;
}

static char *normalized(const struct reg_proto_file *f)
{
    char *out = NULL;
    struct fy_err err = {0};
    if (reg_proto_normalize(f, NULL, 0, &out, &err) != 0)
        return NULL;
    return out;
}

START_TEST(test_base64_as_java)
{
    const uint8_t in[] = {0, 1, 2, 250, 251};
    char *s = reg_proto_base64(in, 5);
    ck_assert_str_eq(s, "AAEC+vs=");
    uint8_t *out = NULL;
    size_t n = 0;
    ck_assert_int_eq(reg_proto_unbase64(s, strlen(s), &out, &n), 0);
    ck_assert_uint_eq(n, 5);
    ck_assert_int_eq(memcmp(in, out, 5), 0);
    free(out);
    free(s);
    /* padding optional, but not wrong; no whitespace; no URL alphabet */
    ck_assert_int_eq(reg_proto_unbase64("AAEC+vs", 7, &out, &n), 0);
    free(out);
    ck_assert_int_eq(reg_proto_unbase64("AAEC+v=s", 8, &out, &n), -1);
    ck_assert_int_eq(reg_proto_unbase64("AAEC +vs=", 9, &out, &n), -1);
    ck_assert_int_eq(reg_proto_unbase64("AAEC-_s=", 8, &out, &n), -1);
    ck_assert_int_eq(reg_proto_unbase64("A", 1, &out, &n), -1);
}
END_TEST

START_TEST(test_descriptor_shape_as_confluent)
{
    /* toDynamicSchema: map fields become nested "<name>Entry" messages (Guava
     * camel case only with '_'), proto3 optional a synthetic oneof after the
     * real ones, types as written with TYPE_MESSAGE/ENUM where they resolve. */
    struct reg_proto_file *f = parse_ok(
        "syntax = \"proto3\";\npackage p;\nimport \"google/protobuf/timestamp.proto\";\nimport \"missing.proto\";\n"
        "option java_package = \"j\";\n"
        "message M {\n  map<string, E> tags = 1;\n  map<int32, M> by_id = 2;\n  optional int32 o = 3;\n"
        "  oneof u { string a = 4; }\n  google.protobuf.Timestamp ts = 5;\n  reserved 10 to 12, \"x\";\n}\n"
        "enum E { A = 0; }\n");
    uint8_t *buf = NULL;
    size_t len = 0;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_proto_to_descriptor(f, "default", NULL, 0, &buf, &len, &err), 0);
    Google__Protobuf__FileDescriptorProto *fd =
        google__protobuf__file_descriptor_proto__unpack(NULL, len, buf);
    ck_assert_ptr_nonnull(fd);
    ck_assert_str_eq(fd->name, "default");
    ck_assert_str_eq(fd->syntax, "proto3");
    ck_assert_uint_eq(fd->n_dependency, 1); /* the unresolved import is left out */
    ck_assert_str_eq(fd->dependency[0], "google/protobuf/timestamp.proto");
    ck_assert_str_eq(fd->options->java_package, "j");
    Google__Protobuf__DescriptorProto *m = fd->message_type[0];
    ck_assert_uint_eq(m->n_nested_type, 2);
    ck_assert_str_eq(m->nested_type[0]->name, "tagsEntry");
    ck_assert_str_eq(m->nested_type[1]->name, "ByIdEntry");
    ck_assert(m->nested_type[0]->options->map_entry);
    ck_assert_uint_eq(m->n_oneof_decl, 2);
    ck_assert_str_eq(m->oneof_decl[0]->name, "u");
    ck_assert_str_eq(m->oneof_decl[1]->name, "_o");
    /* field order: the oneof's first, then the others */
    ck_assert_str_eq(m->field[0]->name, "a");
    ck_assert_int_eq(m->field[0]->oneof_index, 0);
    ck_assert_str_eq(m->field[1]->name, "tags");
    ck_assert_int_eq(m->field[1]->label, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__LABEL__LABEL_REPEATED);
    ck_assert_str_eq(m->field[1]->type_name, "tagsEntry");
    ck_assert(m->field[3]->proto3_optional);
    ck_assert_int_eq(m->field[3]->oneof_index, 1);
    ck_assert_str_eq(m->field[4]->type_name, "google.protobuf.Timestamp");
    ck_assert_int_eq(m->field[4]->type, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_MESSAGE);
    ck_assert_int_eq(m->nested_type[0]->field[1]->type, GOOGLE__PROTOBUF__FIELD_DESCRIPTOR_PROTO__TYPE__TYPE_ENUM);
    ck_assert_int_eq(m->reserved_range[0]->start, 10);
    ck_assert_int_eq(m->reserved_range[0]->end, 13); /* exclusive */
    ck_assert_str_eq(m->reserved_name[0], "x");
    google__protobuf__file_descriptor_proto__free_unpacked(fd, NULL);
    free(buf);
    reg_proto_file_free(f);
}
END_TEST

START_TEST(test_from_descriptor_as_confluent)
{
    /* toProtoFile(FileDescriptorProto): map entries stay messages, labels as
     * Confluent gives them, reserved and options back in its order. */
    struct reg_proto_file *f = parse_ok(
        "syntax = \"proto3\";\npackage p;\noption java_multiple_files = true;\noption java_package = \"j\";\n"
        "message M {\n  map<string, int32> m = 1;\n  optional int32 o = 2;\n  repeated string r = 3 [deprecated = true];\n"
        "  reserved 5, 8 to max;\n}\n"
        "service S { rpc Get (stream M) returns (M) { option deprecated = true; } }\n");
    struct reg_proto_file *back = round_trip(f);
    char *c = canonical(back);
    ck_assert_str_eq(c, "syntax = \"proto3\";\npackage p;\n\n"
                        "option java_package = \"j\";\noption java_multiple_files = true;\n\n"
                        "message M {\n  reserved 5;\n  reserved 8 to max;\n\n"
                        "  repeated mEntry m = 1;\n  optional int32 o = 2;\n  repeated string r = 3 [deprecated = true];\n\n"
                        "  message mEntry {\n    option map_entry = true;\n  \n    string key = 1;\n    int32 value = 2;\n  }\n}\n\n"
                        "service S {\n  rpc Get (stream M) returns (M) {\n    option deprecated = true;\n  };\n}\n");
    /* normalized, the map comes back */
    char *n1 = normalized(f), *n2 = normalized(back);
    ck_assert_ptr_nonnull(n1);
    ck_assert_ptr_nonnull(n2);
    ck_assert_str_eq(n1, n2);
    free(n1);
    free(n2);
    free(c);
    reg_proto_file_free(back);
    reg_proto_file_free(f);
}
END_TEST

START_TEST(test_confluent_descriptor_vectors)
{
    FILE *fh = fopen(VECTORS, "r");
    ck_assert_ptr_nonnull(fh);
    char *line = NULL;
    size_t cap = 0;
    int total = 0, pass = 0, roundtrips = 0, same_normalized = 0;
    while (getline(&line, &cap, fh) > 0) {
        json_t *v = json_loads(line, 0, NULL);
        const char *in = json_string_value(json_object_get(v, "in"));
        struct reg_proto_file *f = NULL;
        struct fy_err err = {0};
        if (reg_proto_parse(in, strlen(in), NULL, &f, &err) != 0) {
            json_decref(v);
            continue;
        }
        struct reg_proto_file *back = round_trip(f);
        roundtrips++;
        const char *want = json_string_value(json_object_get(v, "descriptor"));
        if (want) {
            total++;
            char *c = canonical(back);
            if (strcmp(c, want) == 0)
                pass++;
            else
                fprintf(stderr, "descriptor vector %s differs\n--- got\n%s--- want\n%s---\n",
                        json_string_value(json_object_get(v, "source")), c, want);
            free(c);
        }
        /* schemas whose options are all built-in keep their normalized text */
        if (!strchr(in, '(')) {
            char *n1 = normalized(f), *n2 = normalized(back);
            if (n1 && n2 && strcmp(n1, n2) == 0)
                same_normalized++;
            else if (n1)
                fprintf(stderr, "round trip changes %s\n--- before\n%s--- after\n%s---\n",
                        json_string_value(json_object_get(v, "source")), n1, n2 ? n2 : "(null)");
            free(n1);
            free(n2);
        }
        reg_proto_file_free(back);
        reg_proto_file_free(f);
        json_decref(v);
    }
    free(line);
    fclose(fh);
    fprintf(stderr, "descriptor: %d/%d Confluent descriptor vectors, %d round trips, %d with the same normalized text\n",
            pass, total, roundtrips, same_normalized);
    ck_assert_int_ge(roundtrips, 150);
    ck_assert_int_ge(total, 3);
    ck_assert_int_eq(pass, total);
    ck_assert_int_ge(same_normalized, 100);
}
END_TEST

/* protoc's descriptor of `text` (no json_name: protoc fills it in for every
 * field; Confluent does not), as a model; NULL if protoc is missing or refuses it. */
static struct reg_proto_file *protoc_model(const char *text)
{
    char dir[] = "/tmp/ferry-protoc-XXXXXX";
    if (!mkdtemp(dir))
        return NULL;
    char path[128], out[128], cmd[512];
    snprintf(path, sizeof path, "%s/x.proto", dir);
    snprintf(out, sizeof out, "%s/x.pb", dir);
    FILE *fh = fopen(path, "w");
    fputs(text, fh);
    fclose(fh);
    snprintf(cmd, sizeof cmd, "protoc -I%s -I/usr/include --descriptor_set_out=%s %s 2>/dev/null", dir,
             out, path);
    struct reg_proto_file *model = NULL;
    if (system(cmd) == 0) {
        fh = fopen(out, "rb");
        uint8_t buf[1 << 16];
        size_t n = fread(buf, 1, sizeof buf, fh);
        fclose(fh);
        Google__Protobuf__FileDescriptorSet *set =
            google__protobuf__file_descriptor_set__unpack(NULL, n, buf);
        if (set && set->n_file == 1) {
            Google__Protobuf__FileDescriptorProto *fd = set->file[0];
            /* clear json_name everywhere it can be */
            for (size_t i = 0; i < fd->n_extension; i++) {
                free(fd->extension[i]->json_name);
                fd->extension[i]->json_name = NULL;
            }
            for (size_t i = 0; i < fd->n_message_type; i++) {
                Google__Protobuf__DescriptorProto *stack[64];
                size_t sp = 0;
                stack[sp++] = fd->message_type[i];
                while (sp) {
                    Google__Protobuf__DescriptorProto *m = stack[--sp];
                    for (size_t j = 0; j < m->n_field; j++) {
                        free(m->field[j]->json_name);
                        m->field[j]->json_name = NULL;
                    }
                    for (size_t j = 0; j < m->n_extension; j++) {
                        free(m->extension[j]->json_name);
                        m->extension[j]->json_name = NULL;
                    }
                    for (size_t j = 0; j < m->n_nested_type && sp < 64; j++)
                        stack[sp++] = m->nested_type[j];
                }
            }
            size_t len = google__protobuf__file_descriptor_proto__get_packed_size(fd);
            uint8_t *packed = fy_malloc(len + 1);
            google__protobuf__file_descriptor_proto__pack(fd, packed);
            struct fy_err err = {0};
            if (reg_proto_from_descriptor(packed, len, NULL, &model, &err) != 0)
                model = NULL;
            free(packed);
        }
        if (set)
            google__protobuf__file_descriptor_set__free_unpacked(set, NULL);
    }
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return model;
}

START_TEST(test_descriptors_match_protoc)
{
    if (system("command -v protoc >/dev/null 2>&1") != 0) {
        fprintf(stderr, "protoc not installed: cross-check skipped\n");
        return;
    }
    FILE *fh = fopen(VECTORS, "r");
    ck_assert_ptr_nonnull(fh);
    char *line = NULL;
    size_t cap = 0;
    int compared = 0, same = 0;
    while (getline(&line, &cap, fh) > 0 && compared < 60) {
        json_t *v = json_loads(line, 0, NULL);
        const char *in = json_string_value(json_object_get(v, "in"));
        struct reg_proto_file *f = NULL;
        struct fy_err err = {0};
        /* custom options travel in neither model; schemas importing files
         * other than the installed well-known ones fail in protoc and are skipped */
        if (strchr(in, '(') || reg_proto_parse(in, strlen(in), NULL, &f, &err) != 0) {
            json_decref(v);
            continue;
        }
        struct reg_proto_file *theirs = protoc_model(in);
        if (theirs) {
            struct reg_proto_file *ours = round_trip(f);
            char *a = normalized(theirs), *b = normalized(ours);
            compared++;
            if (a && b && strcmp(a, b) == 0)
                same++;
            else
                fprintf(stderr, "protoc differs on %s\n--- protoc\n%s--- ferry\n%s---\n",
                        json_string_value(json_object_get(v, "source")), a ? a : "(null)",
                        b ? b : "(null)");
            free(a);
            free(b);
            reg_proto_file_free(ours);
            reg_proto_file_free(theirs);
        }
        reg_proto_file_free(f);
        json_decref(v);
    }
    free(line);
    fclose(fh);
    fprintf(stderr, "protoc cross-check: %d/%d descriptors the same\n", same, compared);
    ck_assert_int_ge(compared, 20);
    ck_assert_int_eq(same, compared);
}
END_TEST

START_TEST(test_confluent_meta_in_descriptors)
{
    /* (confluent.X_meta) travels as extension 1088 of the options; read back
     * as toOption(name, Meta) shows it: params as a list of {key, value},
     * "precision" and "scale" with the value first. */
    struct reg_proto_file *f = parse_ok(
        "syntax = \"proto3\";\nimport \"confluent/meta.proto\";\n"
        "message M {\n  option (confluent.message_meta) = { doc: \"m\", tags: \"T\" };\n"
        "  bytes d = 1 [(confluent.field_meta) = { params: [ { key: \"precision\", value: \"5\" }, { key: \"k\", value: \"v\" } ] }];\n}\n"
        "enum E { option (confluent.enum_meta).doc = \"e\"; A = 0 [(confluent.enum_value_meta).tags = \"x\"]; }\n");
    struct reg_proto_file *back = round_trip(f);
    char *c = canonical(back);
    ck_assert_str_eq(c, "syntax = \"proto3\";\n\nimport \"confluent/meta.proto\";\n\n"
                        "message M {\n  option (confluent.message_meta) = {\n    doc: \"m\",\n    tags: [\n      \"T\"\n    ]\n  };\n\n"
                        "  bytes d = 1 [(confluent.field_meta) = {\n    params: [\n      {\n        value: \"5\",\n        key: \"precision\"\n      },\n"
                        "      {\n        key: \"k\",\n        value: \"v\"\n      }\n    ]\n  }];\n}\n"
                        "enum E {\n  option (confluent.enum_meta) = {\n    doc: \"e\"\n  };\n"
                        "  A = 0 [(confluent.enum_value_meta) = {\n    tags: [\n      \"x\"\n    ]\n  }];\n}\n");
    free(c);
    reg_proto_file_free(back);
    reg_proto_file_free(f);
    /* an empty params entry is an empty sub-message (found by fuzz_proto:
     * memcpy from NULL) */
    f = parse_ok("option (confluent.file_meta) = { params: [ {} ] };\n");
    back = round_trip(f);
    c = canonical(back);
    ck_assert_str_eq(c, "\noption (confluent.file_meta) = {\n  params: [\n    {\n      key: \"\",\n"
                        "      value: \"\"\n    }\n  ]\n};\n");
    free(c);
    reg_proto_file_free(back);
    reg_proto_file_free(f);
}
END_TEST

START_TEST(test_parse_schema_text_or_base64)
{
    struct reg_proto_file *f = parse_ok("syntax = \"proto3\";\nmessage M { int32 a = 1; }\n");
    char *b = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_proto_serialized(f, NULL, 0, &b, &err), 0);
    struct reg_proto_file *g = NULL;
    ck_assert_int_eq(reg_proto_parse_schema(b, strlen(b), NULL, &g, &err), 0);
    char *c = canonical(g);
    ck_assert_str_eq(c, "syntax = \"proto3\";\n\nmessage M {\n  int32 a = 1;\n}\n");
    free(c);
    reg_proto_file_free(g);
    free(b);
    reg_proto_file_free(f);
    /* neither: Confluent's message with the text parser's reason */
    ck_assert_int_eq(reg_proto_parse_schema("message {", 9, NULL, &g, &err), -1);
    ck_assert_int_eq(err.code, 42201);
    ck_assert_str_eq(err.msg, "Could not parse Protobuf - Syntax error in :1:9: expected a word");
}
END_TEST

START_TEST(test_descriptor_nesting_is_bounded)
{
    /* 5000 DescriptorProto levels: field 4 (message_type), then 3 (nested_type) */
    size_t depth = 5000;
    size_t cap = depth * 8 + 16;
    uint8_t *buf = fy_malloc(cap);
    /* build inside out: innermost is empty */
    size_t len = 0;
    uint8_t *tmp = fy_malloc(cap);
    for (size_t i = 0; i < depth; i++) {
        uint8_t key = i + 1 == depth ? (4 << 3 | 2) : (3 << 3 | 2);
        size_t k = 0;
        tmp[k++] = key;
        size_t v = len;
        do {
            uint8_t c = v & 0x7f;
            v >>= 7;
            tmp[k++] = c | (v ? 0x80 : 0);
        } while (v);
        memcpy(tmp + k, buf, len);
        len += k;
        uint8_t *sw = buf;
        buf = tmp;
        tmp = sw;
    }
    struct reg_proto_file *f = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_proto_from_descriptor(buf, len, NULL, &f, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "ferry.schema.max.depth"));
    /* truncated bytes */
    ck_assert_int_eq(reg_proto_from_descriptor(buf, len / 2, NULL, &f, &err), -1);
    free(buf);
    free(tmp);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("reg_proto_desc");
    TCase *tc = tcase_create("desc");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_base64_as_java);
    tcase_add_test(tc, test_descriptor_shape_as_confluent);
    tcase_add_test(tc, test_from_descriptor_as_confluent);
    tcase_add_test(tc, test_confluent_descriptor_vectors);
    tcase_add_test(tc, test_descriptors_match_protoc);
    tcase_add_test(tc, test_confluent_meta_in_descriptors);
    tcase_add_test(tc, test_parse_schema_text_or_base64);
    tcase_add_test(tc, test_descriptor_nesting_is_bounded);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    fy_alloc_init();
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
