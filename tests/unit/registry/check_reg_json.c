/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for registry/reg_json.c, differential against jansson: for every
 * text, reg_json_load either leaves it to jansson (NULL) or returns exactly
 * jansson's tree (values, integer vs real, key order, duplicate keys) — and it
 * never accepts a text jansson refuses. Cases: the Avro vector files, hand-
 * picked edge cases, and randomly mutated schemas. */
#include "registry/reg_json.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VECTORS "tests/unit/registry/data/avro_vectors.txt"
#define VECTORS_RANDOM "tests/unit/registry/data/avro_vectors_random.txt"

#define LOAD_FLAGS (JSON_DECODE_ANY | JSON_ALLOW_NUL)

/* Compare with jansson; returns 1 when the fast reader took the text. */
static int same_as_jansson(const char *text)
{
    json_t *want = json_loads(text, LOAD_FLAGS, NULL);
    json_t *got = reg_json_load(text);
    int took = got != NULL;
    if (!want) {
        ck_assert_msg(got == NULL, "accepted what jansson refuses: %.120s", text);
    } else if (got) {
        ck_assert_msg(json_equal(want, got), "different tree for %.120s", text);
        ck_assert_int_eq(json_typeof(want), json_typeof(got));
        char *a = json_dumps(want, JSON_COMPACT | JSON_ENCODE_ANY);
        char *b = json_dumps(got, JSON_COMPACT | JSON_ENCODE_ANY);
        ck_assert_msg(strcmp(a, b) == 0, "different text for %.120s:\n%s\n%s", text, a, b);
        free(a);
        free(b);
    }
    json_decref(want);
    json_decref(got);
    return took;
}

/* every "in"/"ref" line of a vector file; returns how many the fast reader took */
static int run_file(const char *path, int *lines)
{
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", path);
    char *line = NULL;
    size_t cap = 0;
    int took = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) >= 0) {
        size_t skip = strncmp(line, "in ", 3) == 0 ? 3 : strncmp(line, "ref ", 4) == 0 ? 4 : 0;
        if (!skip)
            continue;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        took += same_as_jansson(line + skip);
        (*lines)++;
    }
    free(line);
    fclose(f);
    return took;
}

START_TEST(test_json_vectors_give_jansson_trees)
{
    int lines = 0;
    int took = run_file(VECTORS, &lines) + run_file(VECTORS_RANDOM, &lines);
    ck_assert_int_gt(lines, 300);
    /* nearly all of them are plain JSON the fast reader handles itself */
    ck_assert_int_gt(took, lines * 8 / 10);
}
END_TEST

START_TEST(test_json_numbers)
{
    static const char *const cases[] = {
        "0", "-0", "7", "-7", "01", "-01", "00", "1.0", "-0.0", "1.", ".5", "1e5", "1E+5",
        "-1.5e-3", "1e", "1e+", "-", "+1", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "-9223372036854775809", "123456789012345678901234567890123",
        "1e400", "-1e400", "1e-400", "0.1e1", "[1,2.5,-3e2]", "{\"a\":1,\"b\":-2.25}", "1x",
        "[1 2]", "[1,]", "2.5e", "0x10", "1.5.3", "[-]",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        same_as_jansson(cases[i]);
    ck_assert_int_eq(same_as_jansson("[-0,12]"), 1);
}
END_TEST

START_TEST(test_json_strings)
{
    static const char *const cases[] = {
        "\"\"", "\"abc\"", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\u0041\\u00e9\\u20ac\"",
        "\"\\ud83d\\ude00\"", "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83d\\u0041\"", "\"\\u12\"",
        "\"\\u12g4\"", "\"\\x\"", "\"a\\u0000b\"", "{\"a\\u0000\":1}", "{\"\\u0000\":1}",
        "\"tab\there\"", "\"nl\nhere\"", "\"Gr\xc3\xb6\xc3\x9f" "e\"", "\"\xc3\"", "\"\xc0\xaf\"",
        "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xff\"", "\"\xe2\x82\"", "{\"\xff\":1}",
        "{\"k\xc3\xa9\":1}", "\"unterminated", "\"\\", "\"\\\"", "\"a\\u00\"",
        "\"\xc3\\u00a9\"", "\"\xc3\\n\"",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        same_as_jansson(cases[i]);
    ck_assert_int_eq(same_as_jansson("\"a\\u0000b\""), 1); /* NUL in a value: allowed */
}
END_TEST

START_TEST(test_json_structure)
{
    static const char *const cases[] = {
        "", "   ", "true", "false", "null", "tru", "nulls", "truex", " [true , false,null ] ",
        "{}", "[]", "{ }", "[ ]", "{\"a\":1,}", "{\"a\" 1}", "{\"a\":}", "{a:1}", "{\"a\":1",
        "[1", "{\"a\":1} x", "{\"a\":1}\n\t ", "[[[]]]", "{\"a\":{\"b\":[{\"c\":null}]}}",
        "{\"a\":1,\"a\":2}", "{\"b\":1,\"a\":2,\"b\":3}", "{\"a\":1}{", "\xef\xbb\xbf{}", "[1]]",
        "{\"a\":1}}", "/* c */ {}", "{\"a\":[1,{\"b\":2}],\"c\":\"d\"}",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        same_as_jansson(cases[i]);
    /* duplicate keys: the last value in the first one's place */
    ck_assert_int_eq(same_as_jansson("{\"b\":1,\"a\":2,\"b\":3}"), 1);
    /* nesting: shallow is ours, very deep is jansson's to judge */
    for (int depth = 200; depth <= 2100; depth += 950) {
        struct fy_buf b;
        fy_buf_init(&b, 0);
        for (int i = 0; i < depth; i++)
            fy_buf_putc(&b, '[');
        for (int i = 0; i < depth; i++)
            fy_buf_putc(&b, ']');
        same_as_jansson(fy_buf_str(&b));
        fy_buf_destroy(&b);
    }
}
END_TEST

/* Random mutations of schema texts: flip, insert or delete bytes drawn from
 * JSON's punctuation, digits, escapes and non-ASCII; parity with jansson. */
START_TEST(test_json_mutated_schemas)
{
    static const char *const seeds[] = {
        "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n.s\",\"fields\":[{\"name\":\"a\","
        "\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"b\",\"type\":{\"type\":"
        "\"array\",\"items\":\"long\"},\"default\":[1,-2,3]},{\"name\":\"c\",\"type\":\"double\","
        "\"default\":1.5e3,\"doc\":\"d\\u00e9\\n\"}]}",
        "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\",\"B\"],\"default\":\"A\",\"x\":"
        "{\"k\":[true,false,null,0]}}",
        "[\"null\",{\"type\":\"fixed\",\"name\":\"F\",\"size\":16,\"logicalType\":\"decimal\","
        "\"precision\":4}]",
    };
    static const char alphabet[] = "{}[]\":,\\ u0123456789.eE+-tfnlarx\x01\x7f\xc3\xa9\xff\xed";
    unsigned seed = 12345;
    int took = 0, runs = 0;
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++) {
        for (int round = 0; round < 3000; round++) {
            size_t len = strlen(seeds[s]);
            char *t = malloc(len + 8);
            memcpy(t, seeds[s], len + 1);
            int edits = 1 + (int)((seed >> 16) % 3);
            for (int e = 0; e < edits; e++) {
                seed = seed * 1103515245u + 12345u;
                size_t at = (seed >> 8) % (len ? len : 1);
                char c = alphabet[(seed >> 20) % (sizeof alphabet - 1)];
                switch ((seed >> 4) % 3) {
                case 0: t[at] = c; break;
                case 1: /* insert */
                    memmove(t + at + 1, t + at, len - at + 1);
                    t[at] = c;
                    len++;
                    break;
                default: /* delete */
                    memmove(t + at, t + at + 1, len - at);
                    len--;
                }
                if (strlen(t) != len) /* an inserted NUL ends the text early */
                    len = strlen(t);
            }
            took += same_as_jansson(t);
            runs++;
            free(t);
        }
    }
    fprintf(stderr, "mutations: %d of %d taken by the fast reader\n", took, runs);
    /* both verdicts were exercised */
    ck_assert_int_gt(took, runs / 20);
    ck_assert_int_lt(took, runs);
}
END_TEST

int main(void)
{
    fy_alloc_init();
    Suite *s = suite_create("reg_json");
    TCase *tc = tcase_create("load");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_json_vectors_give_jansson_trees);
    tcase_add_test(tc, test_json_numbers);
    tcase_add_test(tc, test_json_strings);
    tcase_add_test(tc, test_json_structure);
    tcase_add_test(tc, test_json_mutated_schemas);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
