/* SPDX-License-Identifier: Apache-2.0
 * libFuzzer target: the compatibility checker (reg_compat.c). The input is a
 * reader schema, a NUL byte and a writer schema (no NUL: the text is both);
 * both are checked against each other in both directions and at every level.
 * Invariants: no crash, leak or UB; every check ends within its budget
 * (small here, so each input stays fast) with an answer or 42201. */
#include "tests/fuzz/fuzz.h"

#include "registry/reg_compat.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    reg_avro_set_limits(&(struct reg_avro_limits){.max_depth = 200, .max_json_depth = 200});
    reg_compat_set_limits(&(struct reg_compat_limits){.max_steps = 200000,
                                                      .max_bytes = 16 << 20});
    return 0;
}

static void check_pair(const struct reg_avro *a, const struct reg_avro *b)
{
    struct reg_compat_msgs msgs;
    reg_compat_msgs_init(&msgs);
    struct fy_err err = {0};
    int rc = reg_compat_reader_writer_bounded(a, b, &msgs, &err);
    if (rc < 0 ? err.code != 42201 || msgs.n : (rc == 1) != (msgs.n == 0)) {
        fprintf(stderr, "reader/writer: rc %d, %zu messages, err %d %s\n", rc, msgs.n, err.code,
                err.msg);
        abort();
    }
    reg_compat_msgs_destroy(&msgs);
    fy_err_destroy(&err);
    struct reg_compat_prior prior = {.schema = b, .version = 1, .canonical = "\"x\""};
    for (int level = REG_COMPAT_BACKWARD; level <= REG_COMPAT_FULL_TRANSITIVE; level++) {
        reg_compat_msgs_init(&msgs);
        struct fy_err lerr = {0};
        rc = reg_compat_check_bounded((enum reg_compat_level)level, a, &prior, 1, &msgs, &lerr);
        if (rc < 0 && lerr.code != 42201)
            abort();
        reg_compat_msgs_destroy(&msgs);
        fy_err_destroy(&lerr);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    const char *writer_text = memchr(text, '\0', size) ? text + strlen(text) + 1 : text;
    struct reg_avro_parser *pr = reg_avro_parser_new();
    struct reg_avro_parser *pw = reg_avro_parser_new();
    const struct reg_avro *r = NULL, *w = NULL;
    struct fy_err e1 = {0}, e2 = {0};
    if (reg_avro_parser_parse(pr, text, false, &r, &e1) == 0 &&
        reg_avro_parser_parse(pw, writer_text, false, &w, &e2) == 0) {
        check_pair(r, w);
        check_pair(w, r);
    }
    fy_err_destroy(&e1);
    fy_err_destroy(&e2);
    reg_avro_parser_free(pr);
    reg_avro_parser_free(pw);
    free(text);
    return 0;
}
