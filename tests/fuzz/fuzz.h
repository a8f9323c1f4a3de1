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
#include <stdio.h>
#include <stdlib.h>
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

/* Make a fresh /tmp/ferry-fuzz-<tag>-XXXXXX in `dir` (64 bytes); aborts on failure. */
static inline void fuzz_tmpdir(char *dir, const char *tag)
{
    snprintf(dir, 64, "/tmp/ferry-fuzz-%s-XXXXXX", tag);
    if (!mkdtemp(dir))
        abort();
}

/* Remove a directory made by fuzz_tmpdir, with what it holds. */
static inline void fuzz_rmdir(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

#endif
