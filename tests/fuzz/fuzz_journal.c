/* SPDX-License-Identifier: Apache-2.0
 * libFuzzer target: the journal replay (reg_store_journal.c), through its
 * public API only (reg_store.h): the input is written as a data dir's
 * journal file, opened and replayed; then one record is appended and the
 * journal replayed again from a fresh open. Invariants: no crash, leak or
 * UB, whatever the bytes; a failure is an error, never a wrong record.
 * With FUZZ_JOURNAL_SEED=<file> set, the target first writes a small valid
 * journal there, made through the same API (tests/fuzz/seeds.sh uses it). */
#include "tests/fuzz/fuzz.h"

#include "registry/reg_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char dir[64];
static char path[128];

static int count_record(void *arg, const struct reg_store_record *rec, struct fy_err *err)
{
    (void)err;
    if (!rec->key || (rec->value == NULL && rec->vlen))
        abort();
    (*(size_t *)arg)++;
    return 0;
}

static struct reg_store *open_store(void)
{
    struct reg_journal_opts o = {.dir = dir, .fsync = false, .compact_ratio = 2.0,
                                 .compact_min_bytes = 1 << 20};
    struct fy_err err = {0};
    struct reg_store *st = reg_journal_open(&o, &err);
    fy_err_destroy(&err);
    return st;
}

static void write_seed(const char *out)
{
    unlink(path);
    struct reg_store *st = open_store();
    if (!st)
        abort();
    struct fy_err err = {0};
    size_t n = 0;
    if (reg_store_replay(st, count_record, &n, &err) != 0)
        abort();
    struct reg_store_record recs[3] = {
        {.key = "{\"keytype\":\"SCHEMA\",\"subject\":\"s\",\"version\":1}", .value =
         "{\"subject\":\"s\",\"version\":1,\"id\":1,\"schema\":\"\\\"int\\\"\"}"},
        {.key = "{\"keytype\":\"CONFIG\",\"subject\":null}",
         .value = "{\"compatibilityLevel\":\"FULL\"}"},
        {.key = "{\"keytype\":\"SCHEMA\",\"subject\":\"s\",\"version\":1}", .value = NULL},
    };
    for (size_t i = 0; i < 3; i++) {
        recs[i].klen = strlen(recs[i].key);
        recs[i].vlen = recs[i].value ? strlen(recs[i].value) : 0;
    }
    int64_t last;
    if (reg_store_append(st, recs, 3, &last, &err) != 0 || reg_store_sync(st, last, &err) != 0)
        abort();
    reg_store_close(st);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "cp %s %s", path, out);
    if (system(cmd) != 0)
        abort();
    fy_err_destroy(&err);
}

static void cleanup(void)
{
    fuzz_rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_tmpdir(dir, "journal");
    snprintf(path, sizeof path, "%s/journal", dir);
    atexit(cleanup);
    const char *seed = getenv("FUZZ_JOURNAL_SEED");
    if (seed && *seed)
        write_seed(seed);
    return 0;
}

static void replay_once(bool append)
{
    struct reg_store *st = open_store();
    if (!st)
        return;
    struct fy_err err = {0};
    size_t n = 0;
    if (reg_store_replay(st, count_record, &n, &err) == 0 && append) {
        struct reg_store_record rec = {.key = "{\"k\":1}", .klen = 7, .value = "{}", .vlen = 2};
        int64_t last;
        if (reg_store_append(st, &rec, 1, &last, &err) == 0)
            (void)reg_store_sync(st, last, &err);
    }
    fy_err_destroy(&err);
    reg_store_close(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    replay_once(true);
    replay_once(false);
    return 0;
}
