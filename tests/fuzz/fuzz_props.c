/* SPDX-License-Identifier: Apache-2.0
 * libFuzzer target: the .properties reader (common/fy_props.c) and the
 * settings table applied over what it read. Invariants: no crash, leak or
 * UB; a failure is FY_E_CONFIG naming the input. */
#include "tests/fuzz/fuzz.h"

#include "common/fy_props.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

struct conf {
    char *s;
    long long n;
    bool b;
    int e;
};

static const char *const choices[] = {"one", "two", NULL};

static const struct fy_setting table[] = {
    {"a.string", FY_SET_STRING, offsetof(struct conf, s), "x", 0, 0, NULL, "s"},
    {"a.int", FY_SET_INT, offsetof(struct conf, n), "5", -100, 1LL << 40, NULL, "n"},
    {"a.bool", FY_SET_BOOL, offsetof(struct conf, b), "true", 0, 0, NULL, "b"},
    {"a.enum", FY_SET_ENUM, offsetof(struct conf, e), "one", 0, 0, choices, "e"},
};

static const char *const ignored[] = {"kafkastore.", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fy_props props = {0};
    struct fy_err err = {0};
    if (fy_props_parse((const char *)data, size, "fuzz.properties", &props, &err) == 0) {
        for (size_t i = 0; i < props.n; i++)
            (void)fy_props_get(&props, props.items[i].key);
        struct conf c = {0};
        struct fy_err serr = {0};
        (void)fy_settings_apply(table, sizeof table / sizeof table[0], &props, ignored, &c,
                                &serr);
        fy_settings_free(table, sizeof table / sizeof table[0], &c);
        fy_err_destroy(&serr);
    } else if (err.code != FY_E_CONFIG) {
        fprintf(stderr, "fy_props_parse failed with code %d: %s\n", err.code, err.msg);
        abort();
    }
    fy_props_destroy(&props);
    fy_err_destroy(&err);
    return 0;
}
