/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for registry/reg_proto_parse.c and reg_proto_print.c: the .proto
 * parser (Wire's ProtoParser rules and messages), the canonical text
 * (Confluent's ProtobufSchemaUtils.toString) and the normalized text
 * (toNormalizedString). Byte-exact expectations come from
 * tests/unit/registry/data/proto_vectors.jsonl, taken from Confluent's
 * ProtobufSchemaTest by scripts/proto_vectors.py; the hand-written cases
 * below follow Confluent's printer code, cited per case.
 * Run from the repository root (make test does). */
#include "registry/reg_proto.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"

#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VECTORS "tests/unit/registry/data/proto_vectors.jsonl"

/* ---------------------------------------------------------------- helpers */

static struct reg_proto_file *parse_ok(const char *text)
{
    struct reg_proto_file *f = NULL;
    struct fy_err err = {0};
    int rc = reg_proto_parse(text, strlen(text), NULL, &f, &err);
    ck_assert_msg(rc == 0, "parse failed: %s\n%s", err.msg, text);
    fy_err_destroy(&err);
    return f;
}

static char *canonical_of(const char *text)
{
    struct reg_proto_file *f = parse_ok(text);
    char *out = NULL;
    struct fy_err err = {0};
    ck_assert_msg(reg_proto_canonical(f, &out, &err) == 0, "canonical failed: %s", err.msg);
    reg_proto_file_free(f);
    fy_err_destroy(&err);
    return out;
}

static char *normalized_of(const char *text)
{
    struct reg_proto_file *f = parse_ok(text);
    char *out = NULL;
    struct fy_err err = {0};
    ck_assert_msg(reg_proto_normalize(f, NULL, 0, &out, &err) == 0, "normalize failed: %s",
                  err.msg);
    reg_proto_file_free(f);
    fy_err_destroy(&err);
    return out;
}

static void assert_canonical(const char *in, const char *expected)
{
    char *got = canonical_of(in);
    ck_assert_msg(strcmp(got, expected) == 0, "canonical of\n%s\nis\n%s\nexpected\n%s", in, got,
                  expected);
    free(got);
}

static void assert_normalized(const char *in, const char *expected)
{
    char *got = normalized_of(in);
    ck_assert_msg(strcmp(got, expected) == 0, "normalized of\n%s\nis\n%s\nexpected\n%s", in, got,
                  expected);
    free(got);
}

/* The text must be refused with 42201 and a message containing `needle`. */
static void assert_invalid(const char *text, const char *needle)
{
    struct reg_proto_file *f = NULL;
    struct fy_err err = {0};
    int rc = reg_proto_parse(text, strlen(text), NULL, &f, &err);
    ck_assert_msg(rc == -1, "accepted: %s", text);
    ck_assert_int_eq(err.code, 42201);
    ck_assert_msg(strstr(err.msg, needle), "message '%s' lacks '%s'", err.msg, needle);
    fy_err_destroy(&err);
}

/* ---------------------------------------------------------------- vectors */

static int vectors_run(const char *path, int *expected_total, int *fixed_points)
{
    FILE *fh = fopen(path, "r");
    ck_assert_msg(fh != NULL, "cannot open %s (run from the repository root)", path);
    char *line = NULL;
    size_t cap = 0;
    int bad = 0;
    while (getline(&line, &cap, fh) > 0) {
        json_error_t jerr;
        json_t *v = json_loads(line, 0, &jerr);
        ck_assert_msg(v != NULL, "bad vector line: %s", jerr.text);
        const char *src = json_string_value(json_object_get(v, "source"));
        json_t *in = json_object_get(v, "in");
        struct reg_proto_file *f = NULL;
        struct fy_err err = {0};
        if (reg_proto_parse(json_string_value(in), json_string_length(in), NULL, &f, &err) != 0) {
            fprintf(stderr, "FAIL %s: does not parse: %s\n", src, err.msg);
            bad++;
            fy_err_destroy(&err);
            json_decref(v);
            continue;
        }
        char *canon = NULL;
        if (reg_proto_canonical(f, &canon, &err) != 0) {
            fprintf(stderr, "FAIL %s: canonical: %s\n", src, err.msg);
            bad++;
        }
        const char *want = json_string_value(json_object_get(v, "canonical"));
        if (want) {
            ++*expected_total;
            if (!canon || strcmp(canon, want) != 0) {
                fprintf(stderr, "FAIL %s: canonical\n--- got\n%s--- want\n%s---\n", src,
                        canon ? canon : "(null)", want);
                bad++;
            }
        }
        want = json_string_value(json_object_get(v, "normalized"));
        if (want) {
            ++*expected_total;
            char *norm = NULL;
            struct fy_err nerr = {0};
            if (reg_proto_normalize(f, NULL, 0, &norm, &nerr) != 0 || strcmp(norm, want) != 0) {
                fprintf(stderr, "FAIL %s: normalized (%s)\n--- got\n%s--- want\n%s---\n", src,
                        nerr.msg, norm ? norm : "(null)", want);
                bad++;
            }
            free(norm);
            fy_err_destroy(&nerr);
        }
        /* the canonical text is a fixed point */
        if (canon) {
            struct reg_proto_file *again = NULL;
            char *canon2 = NULL;
            if (reg_proto_parse(canon, strlen(canon), NULL, &again, &err) != 0 ||
                reg_proto_canonical(again, &canon2, &err) != 0 || strcmp(canon, canon2) != 0) {
                fprintf(stderr, "FAIL %s: canonical text is no fixed point: %s\n", src, err.msg);
                bad++;
            } else {
                ++*fixed_points;
            }
            free(canon2);
            reg_proto_file_free(again);
        }
        free(canon);
        fy_err_destroy(&err);
        reg_proto_file_free(f);
        json_decref(v);
    }
    free(line);
    fclose(fh);
    return bad;
}

START_TEST(test_confluent_vectors_all_pass)
{
    int expected = 0, fixed = 0;
    int bad = vectors_run(VECTORS, &expected, &fixed);
    fprintf(stderr, "proto vectors: %d expected texts, %d fixed points, %d failures\n", expected,
            fixed, bad);
    ck_assert_int_ge(expected, 25);
    ck_assert_int_ge(fixed, 150);
    ck_assert_int_eq(bad, 0);
}
END_TEST

/* ---------------------------------------------------------------- printer */

START_TEST(test_canonical_layout_of_each_element)
{
    /* ProtobufSchemaUtils.toString: syntax, package, imports (plain then public;
     * weak ones are not printed), file options, messages then enums, extends,
     * services; comments dropped; 2-space indent. */
    assert_canonical("// head\nsyntax = \"proto3\";\npackage a.b;\n"
                     "import public \"p.proto\";\nimport \"x.proto\";\nimport weak \"w.proto\";\n"
                     "option java_package = \"j\";\n"
                     "enum E { A = 0; }\n"
                     "/* doc */ message M {\n  int32 f = 1; // trailing\n  E e = 2;\n}\n"
                     "service S { rpc Call (stream M) returns (stream M); }\n",
                     "syntax = \"proto3\";\npackage a.b;\n\nimport \"x.proto\";\n"
                     "import public \"p.proto\";\n\noption java_package = \"j\";\n\n"
                     "message M {\n  int32 f = 1;\n  E e = 2;\n}\nenum E {\n  A = 0;\n}\n\n"
                     "service S {\n  rpc Call (stream M) returns (stream M);\n}\n");
}
END_TEST

START_TEST(test_canonical_nested_blank_lines_are_indented)
{
    /* Java's appendIndented prefixes every line of a nested element, the
     * empty ones too, so blank lines inside a nested message carry spaces. */
    assert_canonical("syntax = \"proto3\";\nmessage A { message B { int32 x = 1; oneof o { int32 y = 2; } } }",
                     "syntax = \"proto3\";\n\nmessage A {\n  message B {\n    int32 x = 1;\n"
                     "  \n    oneof o {\n      int32 y = 2;\n    }\n  }\n}\n");
}
END_TEST

START_TEST(test_canonical_field_options_default_json_name)
{
    /* Wire strips [default] and [json_name] from the options; Confluent adds
     * them back after the others (default's kind from the field type). */
    assert_canonical("message M {\n optional string s = 1 [default = \"a\\\"b\", deprecated = true];\n"
                     " optional int32 i = 2 [json_name = \"eye\", default = 7];\n"
                     " optional bool b = 3 [packed=true];\n}",
                     "\nmessage M {\n  optional string s = 1 [\n    deprecated = true,\n"
                     "    default = \"a\\\"b\"\n  ];\n  optional int32 i = 2 [\n    default = 7,\n"
                     "    json_name = \"eye\"\n  ];\n  optional bool b = 3 [packed = true];\n}\n");
}
END_TEST

START_TEST(test_canonical_custom_and_aggregate_options)
{
    /* OptionReader: (a).b.c chains, aggregate maps (':' optional before '{'),
     * repeated keys merged into lists, lists; toString's map layout. */
    assert_canonical("option (my.opt).sub.leaf = 5;\n"
                     "option (agg) = { name: \"n\" inner { x: 1 } tag: \"a\" tag: \"b\" list: [1, 2] flag: true e: RED };\n",
                     "\noption (my.opt).sub.leaf = 5;\noption (agg) = {\n  name: \"n\",\n"
                     "  inner: {\n    x: 1\n  },\n  tag: [\n    \"a\",\n    \"b\"\n  ],\n"
                     "  list: [\n    1,\n    2\n  ],\n  flag: true,\n  e: RED\n};\n");
}
END_TEST

START_TEST(test_canonical_reserved_extensions_groups_extend)
{
    assert_canonical("syntax = \"proto2\";\nmessage M {\n reserved 1, 3 to 5, 9 to max;\n reserved \"a\", 'b';\n"
                     " extensions 100 to 199 [(v) = 1];\n optional group G = 2 { optional int32 x = 1; }\n"
                     " extend Other { optional int32 ext = 101; }\n}\n"
                     "extend M { optional string s = 150; }\n",
                     "syntax = \"proto2\";\n\nmessage M {\n  reserved 1, 3 to 5, 9 to max;\n"
                     "  reserved \"a\", \"b\";\n\n  optional group G = 2 {\n    optional int32 x = 1;\n"
                     "  }\n\n  extensions 100 to 199 [(v) = 1];\n\n  extend Other {\n"
                     "    optional int32 ext = 101;\n  }\n}\n\nextend M {\n  optional string s = 150;\n}\n");
}
END_TEST

START_TEST(test_canonical_maps_enums_rpc_options)
{
    assert_canonical("syntax = \"proto3\";\nenum E { option allow_alias = true; A = 0; B = 0 [deprecated = true]; }\n"
                     "message M { map < string , int32 > m = 1; }\n"
                     "service S { option deprecated = true; rpc R (M) returns (M) { option idempotency_level = NO_SIDE_EFFECTS; } }\n",
                     "syntax = \"proto3\";\n\nmessage M {\n  map<string, int32> m = 1;\n}\n"
                     "enum E {\n  option allow_alias = true;\n  A = 0;\n  B = 0 [deprecated = true];\n}\n\n"
                     "service S {\n  option deprecated = true;\n\n"
                     "  rpc R (M) returns (M) {\n    option idempotency_level = NO_SIDE_EFFECTS;\n  };\n}\n");
}
END_TEST

START_TEST(test_canonical_string_escapes)
{
    /* SyntaxReader.readQuotedString decodes; escapeChars re-escapes; octal and
     * hex escapes become the character (U+00FF is 2 UTF-8 bytes). */
    assert_canonical("option a = \"t\\tq\\'\\x41\\101\\xff\" 'z';",
                     "\noption a = \"t\\tq\\'AA\xc3\xbfz\";\n");
}
END_TEST

START_TEST(test_canonical_map_key_refused_as_in_wire)
{
    /* ProtoType.get in Confluent's printer refuses such a key. */
    struct reg_proto_file *f = parse_ok("syntax = \"proto3\";\nmessage M { map<double, int32> m = 1; }");
    char *out = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_proto_canonical(f, &out, &err), -1);
    ck_assert_int_eq(err.code, 42201);
    ck_assert_ptr_nonnull(strstr(err.msg, "map key must be non-byte, non-floating point scalar"));
    reg_proto_file_free(f);
    fy_err_destroy(&err);
}
END_TEST

START_TEST(test_ignore_extensions_format)
{
    struct reg_proto_file *f = parse_ok(
        "syntax = \"proto2\";\noption (custom) = 1;\noption (confluent.file_meta) = { doc: \"d\" };\n"
        "message M { optional int32 a = 1 [(x) = 2, deprecated = true]; extensions 10 to 20; }\n"
        "extend M { optional int32 b = 11; }\n");
    char *out = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_proto_canonical_no_extensions(f, &out, &err), 0);
    ck_assert_str_eq(out, "syntax = \"proto2\";\n\noption (confluent.file_meta) = {\n  doc: \"d\"\n};\n\n"
                          "message M {\n  optional int32 a = 1 [deprecated = true];\n}\n");
    free(out);
    reg_proto_file_free(f);
}
END_TEST

/* ---------------------------------------------------------------- normalize */

START_TEST(test_normalize_sorts_and_resolves)
{
    /* toNormalizedString: proto2 syntax line dropped, imports sorted and
     * distinct, fields by tag, oneofs by first tag, types resolved to ".pkg.T",
     * enum constants by tag, options by name. */
    assert_normalized("syntax = \"proto2\";\npackage p;\nimport \"b.proto\";\nimport \"a.proto\";\nimport \"a.proto\";\n"
                      "option java_package = \"j\";\noption cc_enable_arenas = true;\n"
                      "message M {\n optional E e = 3;\n optional N n = 1;\n oneof o { int32 z = 9; int32 y = 8; }\n"
                      " oneof q { int32 w = 4; }\n message N { }\n}\nenum E { B = 2; A = 1; }\n",
                      "package p;\n\nimport \"a.proto\";\nimport \"b.proto\";\n\n"
                      "option cc_enable_arenas = true;\noption java_package = \"j\";\n\n"
                      "message M {\n  optional .p.M.N n = 1;\n  optional .p.E e = 3;\n\n"
                      "  oneof q {\n    int32 w = 4;\n  }\n  oneof o {\n    int32 y = 8;\n    int32 z = 9;\n  }\n\n"
                      "  message N {}\n}\nenum E {\n  A = 1;\n  B = 2;\n}\n");
}
END_TEST

START_TEST(test_normalize_unresolvable_type)
{
    struct reg_proto_file *f = parse_ok("syntax = \"proto3\";\nmessage M { Missing m = 1; }");
    char *out = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_proto_normalize(f, NULL, 0, &out, &err), -1);
    ck_assert_int_eq(err.code, 42201);
    ck_assert_str_eq(err.msg, "Could not resolve type: Missing");
    reg_proto_file_free(f);
}
END_TEST

START_TEST(test_normalize_with_dependency)
{
    struct reg_proto_file *dep = parse_ok("syntax = \"proto3\";\npackage other;\nmessage T { }\n");
    struct reg_proto_file *f =
        parse_ok("syntax = \"proto3\";\npackage other.sub;\nimport \"t.proto\";\nmessage M { T t = 1; map<string, T> m = 2; }");
    struct reg_proto_dep deps[] = {{"t.proto", dep}};
    char *out = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_proto_normalize(f, deps, 1, &out, &err), 0);
    ck_assert_str_eq(out, "syntax = \"proto3\";\npackage other.sub;\n\nimport \"t.proto\";\n\n"
                          "message M {\n  .other.T t = 1;\n  map<string, .other.T> m = 2;\n}\n");
    free(out);
    reg_proto_file_free(f);
    reg_proto_file_free(dep);
}
END_TEST

START_TEST(test_normalize_reference_replaces_known_file)
{
    /* dependenciesWithLogicalTypes: a reference named like a known file
     * replaces it, so the known file's types are gone */
    struct reg_proto_file *dep =
        parse_ok("syntax = \"proto3\";\npackage google.protobuf;\nmessage Stamp { }\n");
    struct reg_proto_dep deps[] = {{"google/protobuf/timestamp.proto", dep}};
    struct reg_proto_file *ok = parse_ok("syntax = \"proto3\";\nmessage M { google.protobuf.Stamp s = 1; google.protobuf.Duration d = 2; }");
    struct reg_proto_file *bad = parse_ok("syntax = \"proto3\";\nmessage M { google.protobuf.Timestamp t = 1; }");
    char *out = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_proto_normalize(ok, deps, 1, &out, &err), 0);
    ck_assert_str_eq(out, "syntax = \"proto3\";\n\nmessage M {\n  .google.protobuf.Stamp s = 1;\n"
                          "  .google.protobuf.Duration d = 2;\n}\n");
    free(out);
    ck_assert_int_eq(reg_proto_normalize(bad, deps, 1, &out, &err), -1);
    ck_assert_str_eq(err.msg, "Could not resolve type: google.protobuf.Timestamp");
    /* without the reference the known Timestamp resolves */
    ck_assert_int_eq(reg_proto_normalize(bad, NULL, 0, &out, &err), 0);
    free(out);
    reg_proto_file_free(bad);
    reg_proto_file_free(ok);
    reg_proto_file_free(dep);
}
END_TEST

/* two (m) options whose repeated `tags` merge as a set (mergeOptionValues) */
static char *merge_schema(int n)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, "syntax = \"proto2\";\nimport \"google/protobuf/descriptor.proto\";\n"
                    "message Meta { repeated string tags = 1; }\n"
                    "extend google.protobuf.FileOptions { optional Meta m = 5000; }\n");
    for (int k = 0; k < 2; k++) {
        fy_buf_puts(&b, "option (m) = { tags: [");
        for (int i = 0; i < n; i++)
            fy_buf_printf(&b, "%s\"%c%d\"", i ? ", " : "", k ? 'u' : 't', i % (n / 2 + 1));
        fy_buf_puts(&b, "] };\n");
    }
    return fy_buf_steal(&b);
}

START_TEST(test_normalize_merges_options_within_a_budget)
{
    char *small = merge_schema(4);
    char *out = normalized_of(small);
    ck_assert_ptr_nonnull(strstr(out, "option (m) = {\n  tags: [\n    \"t0\",\n    \"t1\",\n    \"t2\",\n"
                                      "    \"u0\",\n    \"u1\",\n    \"u2\"\n  ]\n};\n"));
    free(out);
    free(small);
    /* 2 x 4000 values compared pairwise: refused past the step budget */
    char *big = merge_schema(4000);
    struct reg_proto_file *f = parse_ok(big);
    struct fy_err err = {0};
    ck_assert_int_eq(reg_proto_normalize(f, NULL, 0, &out, &err), -1);
    ck_assert_int_eq(err.code, 42201);
    ck_assert_ptr_nonnull(strstr(err.msg, "steps"));
    reg_proto_file_free(f);
    free(big);
}
END_TEST

START_TEST(test_normalize_numbers_and_ranges)
{
    assert_normalized("syntax = \"proto3\";\nmessage M {\n reserved 5 to 5, 1 to 3, \"b\", \"a\";\n"
                      " option (n) = 0x10;\n option (f) = 1.50000;\n double d = 1 [(v) = 010];\n}\n",
                      "syntax = \"proto3\";\n\nmessage M {\n  reserved 1 to 3;\n  reserved 5;\n"
                      "  reserved \"a\";\n  reserved \"b\";\n\n  option (f) = 1.5;\n  option (n) = 16;\n\n"
                      "  double d = 1 [(v) = 8];\n}\n");
}
END_TEST

/* ---------------------------------------------------------------- parser errors */

START_TEST(test_errors_name_line_and_column)
{
    assert_invalid("syntax = \"proto3\";\nmessage M {\n  int32 x = 1\n}", "Syntax error in :4:2: expected ';' but was '}'");
    assert_invalid("message M {\n  int32 x = 1;\n}", "Syntax error in :2:3: unexpected label: int32");
    assert_invalid("syntax = \"proto3\";\nmessage M { required int32 x = 1; }",
                   "'required' label forbidden in proto3 field declarations");
    assert_invalid("package p;\nsyntax = \"proto3\";", "'syntax' element must be the first declaration in a file");
    assert_invalid("syntax = \"proto4\";", "unexpected syntax: proto4");
    assert_invalid("edition = \"2023\";", "edition is not currently supported");
    assert_invalid("message M {}\nmessage M {}", "M (:2:1) is already defined at :1:1");
    assert_invalid("message M { optional int32 x = 1; /* c */ optional int32 y = 2; }",
                   "no syntax may follow trailing comment");
    assert_invalid("/* open", "unterminated comment");
    assert_invalid("option a = \"open", "unterminated string");
    assert_invalid("message M { optional int32 x = 99999999999; }", "expected an integer but was 99999999999");
    assert_invalid("message M { repeated map<string, int32> m = 1; }", "'map' type cannot have label");
    assert_invalid("enum E { 1A = 0; }", "field and constant names cannot start with a digit");
    assert_invalid("message M", "unexpected end of file");
    assert_invalid("service S { message X {} }", "unexpected label: message");
    assert_invalid("message M { reserved 1 2; }", "expected ',', ';', or 'to'");
    assert_invalid("import foo;", "expected quoted string");
    assert_invalid("message M { / }", "unexpected '/'");
    /* a deliberate difference from Java: no NUL inside strings */
    assert_invalid("option a = \"x\\0y\";", "NUL characters in strings are not supported");
}
END_TEST

START_TEST(test_parser_accepts_wire_quirks)
{
    /* Wire drops `reserved` outside messages and enums, options in extend
     * blocks, and stray semicolons; 'option' words inside enums are options. */
    assert_canonical("reserved 1;\n;message M { ; optional int32 a = 1; };\nextend M { option x = 1; optional int32 e = 10; }",
                     "\nmessage M {\n  optional int32 a = 1;\n}\n\nextend M {\n  optional int32 e = 10;\n}\n");
    /* an enum constant may be called `message` (enum context has no messages) */
    assert_canonical("enum E { message = 0; }", "\nenum E {\n  message = 0;\n}\n");
    /* reserved names are printed as they are, unescaped (toString(ReservedElement)) */
    assert_canonical("message M { reserved 'a\"b', \"c\\\\d\"; }",
                     "\nmessage M {\n  reserved \"a\"b\", \"c\\d\";\n}\n");
    /* hex and negative tags; 'max' */
    assert_canonical("enum E { A = -1; B = 0x10; }", "\nenum E {\n  A = -1;\n  B = 16;\n}\n");
}
END_TEST

START_TEST(test_import_paths_as_okio)
{
    /* okio's toPath() then withUnixSlashes(), as Wire stores imports */
    assert_canonical("import \"a//b/./c.proto\";\nimport \"x\\\\y.proto\";\nimport \"../up/z.proto\";\n"
                     "import \"/../r.proto\";\nimport \"\";\nimport \"d/\";\n",
                     "\nimport \"a/b/c.proto\";\nimport \"x/y.proto\";\nimport \"../up/z.proto\";\n"
                     "import \"/r.proto\";\nimport \".\";\nimport \"d\";\n");
}
END_TEST

START_TEST(test_depth_is_bounded)
{
    /* 5000 nested messages: refused by the depth bound, no stack overflow */
    size_t n = 5000;
    char *t = fy_malloc(n * 12 + n + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(t + k, "message M {", 11);
        k += 11;
    }
    for (size_t i = 0; i < n; i++)
        t[k++] = '}';
    t[k] = '\0';
    struct reg_proto_file *f = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_proto_parse(t, k, NULL, &f, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "ferry.schema.max.depth"));
    /* 2000 deep with a bound of 3000: parses and prints */
    struct reg_proto_limits lim = {.max_depth = 3000};
    k = 0;
    for (size_t i = 0; i < 2000; i++) {
        memcpy(t + k, "message M {", 11);
        k += 11;
    }
    for (size_t i = 0; i < 2000; i++)
        t[k++] = '}';
    t[k] = '\0';
    fy_err_destroy(&err);
    ck_assert_int_eq(reg_proto_parse(t, k, &lim, &f, &err), 0);
    char *out = NULL;
    ck_assert_int_eq(reg_proto_canonical(f, &out, &err), 0);
    free(out);
    reg_proto_file_free(f);
    /* option values nest too */
    k = 0;
    memcpy(t, "option a = ", 11);
    k = 11;
    for (size_t i = 0; i < 2000; i++)
        t[k++] = '[';
    t[k] = '\0';
    ck_assert_int_eq(reg_proto_parse(t, k, NULL, &f, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "ferry.schema.max.depth"));
    free(t);
}
END_TEST

START_TEST(test_size_is_bounded)
{
    struct reg_proto_limits lim = {.max_bytes = 10};
    struct reg_proto_file *f = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_proto_parse("message M {}", 12, &lim, &f, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "ferry.schema.max.bytes"));
}
END_TEST

START_TEST(test_large_aggregate_is_linear)
{
    /* 100,000 distinct keys in one aggregate value: the hash index keeps it linear */
    size_t n = 100000;
    char *t = fy_malloc(n * 24 + 64);
    size_t k = (size_t)snprintf(t, 64, "option (a) = {");
    for (size_t i = 0; i < n; i++)
        k += (size_t)snprintf(t + k, 24, " k%zu: %zu", i, i);
    k += (size_t)snprintf(t + k, 8, " };");
    struct reg_proto_file *f = NULL;
    struct fy_err err = {0};
    ck_assert_int_eq(reg_proto_parse(t, k, NULL, &f, &err), 0);
    ck_assert_uint_eq(f->options.v[0]->value->n_entries, n);
    char *out = NULL;
    ck_assert_int_eq(reg_proto_canonical(f, &out, &err), 0);
    free(out);
    reg_proto_file_free(f);
    free(t);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("reg_proto");
    TCase *tc = tcase_create("vectors");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_confluent_vectors_all_pass);
    suite_add_tcase(s, tc);
    tc = tcase_create("printer");
    tcase_add_test(tc, test_canonical_layout_of_each_element);
    tcase_add_test(tc, test_canonical_nested_blank_lines_are_indented);
    tcase_add_test(tc, test_canonical_field_options_default_json_name);
    tcase_add_test(tc, test_canonical_custom_and_aggregate_options);
    tcase_add_test(tc, test_canonical_reserved_extensions_groups_extend);
    tcase_add_test(tc, test_canonical_maps_enums_rpc_options);
    tcase_add_test(tc, test_canonical_string_escapes);
    tcase_add_test(tc, test_canonical_map_key_refused_as_in_wire);
    tcase_add_test(tc, test_ignore_extensions_format);
    suite_add_tcase(s, tc);
    tc = tcase_create("normalize");
    tcase_add_test(tc, test_normalize_sorts_and_resolves);
    tcase_add_test(tc, test_normalize_unresolvable_type);
    tcase_add_test(tc, test_normalize_with_dependency);
    tcase_add_test(tc, test_normalize_reference_replaces_known_file);
    tcase_add_test(tc, test_normalize_merges_options_within_a_budget);
    tcase_add_test(tc, test_normalize_numbers_and_ranges);
    suite_add_tcase(s, tc);
    tc = tcase_create("parser");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_errors_name_line_and_column);
    tcase_add_test(tc, test_parser_accepts_wire_quirks);
    tcase_add_test(tc, test_import_paths_as_okio);
    tcase_add_test(tc, test_depth_is_bounded);
    tcase_add_test(tc, test_size_is_bounded);
    tcase_add_test(tc, test_large_aggregate_is_linear);
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
