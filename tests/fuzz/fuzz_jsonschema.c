/* SPDX-License-Identifier: Apache-2.0
 * libFuzzer target: the JSON Schema parser, stored text and diff
 * (registry/reg_jsonschema*.c). The input is an original schema, a NUL byte
 * and an update (no NUL: the text is both). Each text is parsed; when both
 * parse, the canonical and normalized texts are computed and must read back
 * to the same canonical text, and both directions are diffed and checked
 * strict and lenient. Invariants: no crash, leak or UB; every check ends
 * within its budget (small here) with an answer or 42201; a parse failure is
 * 42201. */
#include "tests/fuzz/fuzz.h"

#include "registry/reg_avro.h"
#include "registry/reg_compat.h"
#include "registry/reg_jsonschema.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    reg_avro_set_limits(&(struct reg_avro_limits){.max_depth = 200, .max_json_depth = 200});
    reg_compat_set_limits(&(struct reg_compat_limits){.max_steps = 200000,
                                                      .max_bytes = 16 << 20});
    return 0;
}

static struct reg_jsonschema *parse(const char *text)
{
    struct reg_jsonschema *js = NULL;
    struct fy_err err = {0};
    if (reg_jsonschema_parse(text, strlen(text), NULL, 0, &js, &err) != 0) {
        if (err.code != 42201)
            abort();
        fy_err_destroy(&err);
        return NULL;
    }
    /* the stored text is a fixed point: parsing it gives it back */
    const char *canon = reg_jsonschema_canonical(js);
    struct reg_jsonschema *again = NULL;
    if (reg_jsonschema_parse(canon, strlen(canon), NULL, 0, &again, &err) != 0 ||
        strcmp(reg_jsonschema_canonical(again), canon) != 0)
        abort();
    char *norm = reg_jsonschema_normalized(js);
    if (!norm)
        abort();
    free(norm);
    reg_jsonschema_free(again);
    return js;
}

static void check(const struct reg_jsonschema *a, const struct reg_jsonschema *b)
{
    for (int lenient = 0; lenient < 2; lenient++) {
        char **msgs = NULL;
        struct fy_err err = {0};
        int n = reg_jsonschema_compat(a, b, lenient, "new", "old", &msgs, &err);
        if (n < 0 ? err.code != 42201 : msgs == NULL)
            abort();
        reg_jsonschema_messages_free(msgs);
        fy_err_destroy(&err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    const char *update = memchr(text, '\0', size) ? text + strlen(text) + 1 : text;
    struct reg_jsonschema *o = parse(text), *u = parse(update);
    if (o && u) {
        check(o, u);
        check(u, o);
    }
    reg_jsonschema_free(o);
    reg_jsonschema_free(u);
    free(text);
    return 0;
}
