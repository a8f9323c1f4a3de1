/* SPDX-License-Identifier: Apache-2.0
 * What every libFuzzer target in tests/fuzz shares: the entry points and a
 * NUL-terminated copy of the input (the parsers under test read C strings).
 * Each fuzz_<x>.c is its own program (make fuzz; docs in tests/fuzz/README.md).
 * Header-only. */
#ifndef FUZZ_H
#define FUZZ_H

#include "common/fy_alloc.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The input as a **new** NUL-terminated string (it may hold NULs inside). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *s = fy_malloc(size + 1);
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
