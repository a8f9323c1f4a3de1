/* SPDX-License-Identifier: Apache-2.0
 * libFuzzer target: the .proto parser (reg_proto_parse.c), the canonical,
 * ignore_extensions and normalized printers (reg_proto_print.c) and the
 * descriptor conversions (reg_proto_desc.c). The input is parsed as text and
 * also unpacked as a FileDescriptorProto. Invariants: no crash, leak or UB
 * under ASan/UBSan; failures are 42201; a canonical text parses again to the
 * same canonical text; a model's own descriptor converts back. */
#include "tests/fuzz/fuzz.h"

#include "registry/reg_proto.h"
#include "registry/reg_proto_desc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* the defaults, but shallow enough that one input stays fast */
static const struct reg_proto_limits limits = {.max_depth = 200};

static void expect_invalid(const struct fy_err *err, const char *what)
{
    if (err->code != 42201) {
        fprintf(stderr, "%s failed with code %d: %s\n", what, err->code, err->msg);
        abort();
    }
}

/* Confluent prints reserved names without escaping them, so a name holding
 * '"' or '\\' (possible through single quotes or escapes) gives a text that
 * does not parse again, and one holding a newline is re-indented by every
 * print (appendIndented splits on it), in Java too: no fixed point then. */
static bool bad_names(struct reg_proto_ranges *const *rs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < rs[i]->n; j++)
            if (rs[i]->v[j].kind == REG_PROTO_NAME &&
                (memchr(rs[i]->v[j].name.p, '"', rs[i]->v[j].name.n) ||
                 memchr(rs[i]->v[j].name.p, '\\', rs[i]->v[j].name.n) ||
                 memchr(rs[i]->v[j].name.p, '\n', rs[i]->v[j].name.n)))
                return true;
    return false;
}

static bool unprintable_reserved(const struct reg_proto_types *types)
{
    for (size_t i = 0; i < types->n; i++) {
        const struct reg_proto_type *t = types->v[i];
        if (t->is_enum ? bad_names(t->en.reserved, t->en.n_reserved)
                       : bad_names(t->msg.reserved, t->msg.n_reserved) ||
                             unprintable_reserved(&t->msg.nested))
            return true;
    }
    return false;
}

static void printers(const struct reg_proto_file *f)
{
    struct fy_err err = {0};
    char *canon = NULL, *noext = NULL, *norm = NULL;
    if (reg_proto_canonical(f, &canon, &err) != 0) {
        expect_invalid(&err, "canonical");
        fy_err_destroy(&err);
        return;
    }
    if (reg_proto_canonical_no_extensions(f, &noext, &err) != 0)
        expect_invalid(&err, "ignore_extensions");
    fy_err_clear(&err);
    if (reg_proto_normalize(f, NULL, 0, &norm, &err) != 0)
        expect_invalid(&err, "normalize");
    fy_err_clear(&err);
    struct reg_proto_file *again = NULL;
    char *canon2 = NULL;
    if (!unprintable_reserved(&f->types) &&
        (reg_proto_parse(canon, strlen(canon), &limits, &again, &err) != 0 ||
         reg_proto_canonical(again, &canon2, &err) != 0 || strcmp(canon, canon2) != 0)) {
        fprintf(stderr, "canonical text is no fixed point (%s):\n%s\n", err.msg, canon);
        abort();
    }
    uint8_t *desc = NULL;
    size_t len = 0;
    if (reg_proto_to_descriptor(f, "default", NULL, 0, &desc, &len, &err) == 0) {
        struct reg_proto_file *back = NULL;
        if (reg_proto_from_descriptor(desc, len, &limits, &back, &err) != 0) {
            fprintf(stderr, "own descriptor does not convert back: %s\n", err.msg);
            abort();
        }
        char *c3 = NULL;
        if (reg_proto_canonical(back, &c3, &err) != 0)
            expect_invalid(&err, "canonical of a descriptor");
        free(c3);
        reg_proto_file_free(back);
    }
    free(desc);
    free(canon2);
    reg_proto_file_free(again);
    free(norm);
    free(noext);
    free(canon);
    fy_err_destroy(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    struct reg_proto_file *f = NULL;
    struct fy_err err = {0};
    if (reg_proto_parse(text, size, &limits, &f, &err) == 0) {
        printers(f);
        reg_proto_file_free(f);
    } else {
        expect_invalid(&err, "parse");
    }
    fy_err_clear(&err);
    f = NULL;
    if (reg_proto_from_descriptor(data, size, &limits, &f, &err) == 0) {
        printers(f);
        reg_proto_file_free(f);
    } else {
        expect_invalid(&err, "from_descriptor");
    }
    fy_err_destroy(&err);
    free(text);
    return 0;
}
