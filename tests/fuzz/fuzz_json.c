/* SPDX-License-Identifier: Apache-2.0
 * libFuzzer target: the fast JSON reader (reg_json.c) against jansson, its
 * contract: for any text it accepts, the tree is jansson's (same values, key
 * order, integers vs reals); and the Java-style writer (fy_json_write) must
 * produce JSON that jansson reads back. */
#include "tests/fuzz/fuzz.h"

#include "common/fy_buf.h"
#include "common/fy_json.h"
#include "registry/reg_json.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    json_t *fast = reg_json_load(text);
    if (fast) {
        json_error_t jerr;
        json_t *ref = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        char *a = json_dumps(fast, JSON_COMPACT | JSON_ENCODE_ANY);
        char *b = ref ? json_dumps(ref, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        if (!ref || !json_equal(fast, ref) || !a || !b || strcmp(a, b) != 0) {
            fprintf(stderr, "reg_json and jansson differ: %s vs %s (%s)\n", a ? a : "?",
                    b ? b : "NULL", ref ? "" : jerr.text);
            abort();
        }
        struct fy_buf out;
        fy_buf_init(&out, 0);
        fy_json_write(&out, fast);
        json_t *back = json_loads(out.data ? out.data : "", JSON_DECODE_ANY | JSON_ALLOW_NUL,
                                  &jerr);
        if (!back) {
            fprintf(stderr, "fy_json_write wrote unreadable JSON: %s (%s)\n", out.data,
                    jerr.text);
            abort();
        }
        json_decref(back);
        fy_buf_destroy(&out);
        free(a);
        free(b);
        json_decref(ref);
        json_decref(fast);
    }
    free(text);
    return 0;
}
