/* SPDX-License-Identifier: Apache-2.0
 * libFuzzer target: the Avro schema parser (reg_avro.c) and both writers
 * (canonical and normalized, reg_avro_write.c) on any text, with and without
 * validation. Invariants: no crash, leak or UB under ASan/UBSan, a parse
 * either succeeds or fails with 42201, and a canonical text parses again. */
#include "tests/fuzz/fuzz.h"

#include "registry/reg_avro.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* the defaults, but shallow enough that one input stays fast */
    reg_avro_set_limits(&(struct reg_avro_limits){.max_depth = 200, .max_json_depth = 200});
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    for (int validate = 0; validate < 2; validate++) {
        struct reg_avro_parser *p = reg_avro_parser_new();
        struct fy_err err = {0};
        const struct reg_avro *root = NULL;
        if (reg_avro_parser_parse(p, text, validate, &root, &err) == 0) {
            char *canon = reg_avro_canonical(p, root);
            char *norm = NULL;
            struct fy_err nerr = {0};
            if (reg_avro_normalize(p, root, &norm, &nerr) != 0 && nerr.code != 42201)
                abort();
            (void)reg_avro_parser_footprint(p);
            /* the canonical text is a schema too (parsed without validation:
             * Avro-Java's toString does not promise valid names either) */
            struct reg_avro_parser *again = reg_avro_parser_new();
            const struct reg_avro *root2 = NULL;
            struct fy_err aerr = {0};
            if (reg_avro_parser_parse(again, canon, false, &root2, &aerr) != 0) {
                fprintf(stderr, "canonical text does not parse: %s\n%s\n", aerr.msg, canon);
                abort();
            }
            fy_err_destroy(&aerr);
            reg_avro_parser_free(again);
            free(norm);
            free(canon);
            fy_err_destroy(&nerr);
        } else if (err.code != 42201) {
            fprintf(stderr, "parse failed with code %d: %s\n", err.code, err.msg);
            abort();
        }
        fy_err_destroy(&err);
        reg_avro_parser_free(p);
    }
    free(text);
    return 0;
}
