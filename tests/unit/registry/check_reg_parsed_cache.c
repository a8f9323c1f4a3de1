/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for registry/reg_parsed_cache.c: entries by (context, id), the
 * first put wins, holders outlive drops and evictions (ASan checks the
 * lifetimes), least recently used out first under the byte budget, drops by
 * key and of every entry that needed references, and concurrent use. */
#include "registry/reg_parsed_cache.h"

#include "common/fy_alloc.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An Avro model (through the schema-type seam) of one record named `name`
 * with `fields` int fields. */
static struct reg_sm *parsed(const char *name, int fields)
{
    char text[4096];
    int n = snprintf(text, sizeof text, "{\"type\":\"record\",\"name\":\"%s\",\"fields\":[", name);
    for (int i = 0; i < fields; i++)
        n += snprintf(text + n, sizeof text - (size_t)n, "%s{\"name\":\"f%d\",\"type\":\"int\"}",
                      i ? "," : "", i);
    snprintf(text + n, sizeof text - (size_t)n, "]}");
    struct reg_sm *m = reg_schema_avro.model_new();
    struct fy_err err = {0};
    ck_assert_msg(reg_schema_avro.parse(m, text, 0, &err) == 0, "%s", err.msg);
    return m;
}

static struct reg_parsed *put(struct reg_parsed_cache *pc, const char *context, int32_t id,
                              const char *name, bool refs)
{
    return reg_parsed_cache_put(pc, context, id, parsed(name, 3), refs, NULL);
}

static size_t cost_of(const char *name)
{
    struct reg_sm *m = parsed(name, 3);
    size_t c = reg_schema_avro.footprint(m);
    reg_sm_free(m);
    return c;
}

/* The record name of an entry's model. */
static const char *root_name(const struct reg_parsed *e)
{
    return reg_schema_avro_root(reg_parsed_model(e))->fullname;
}

static bool cached(struct reg_parsed_cache *pc, const char *context, int32_t id)
{
    struct reg_parsed *e = reg_parsed_cache_get(pc, context, id);
    reg_parsed_release(e);
    return e != NULL;
}

START_TEST(test_parsed_cache_put_then_get_by_context_and_id)
{
    struct reg_parsed_cache *pc = reg_parsed_cache_new(REG_PARSED_CACHE_DEFAULT_BYTES);
    ck_assert_ptr_null(reg_parsed_cache_get(pc, ".", 1));
    struct reg_parsed *a = put(pc, ".", 1, "A", false);
    struct reg_parsed *b = put(pc, ".ctx", 1, "B", false);
    ck_assert_ptr_ne(a, b);
    struct reg_parsed *got = reg_parsed_cache_get(pc, ".", 1);
    ck_assert_ptr_eq(got, a);
    ck_assert_str_eq(root_name(got), "A");
    ck_assert_ptr_nonnull(reg_parsed_model(got));
    reg_parsed_release(got);
    got = reg_parsed_cache_get(pc, ".ctx", 1);
    ck_assert_str_eq(root_name(got), "B");
    reg_parsed_release(got);
    ck_assert(!cached(pc, ".", 2));
    struct reg_parsed_cache_stats st;
    reg_parsed_cache_stats(pc, &st);
    ck_assert_uint_eq(st.entries, 2);
    ck_assert_uint_eq(st.hits, 2);
    ck_assert_uint_eq(st.misses, 2);
    ck_assert_uint_gt(st.bytes, 0);
    reg_parsed_release(a);
    reg_parsed_release(b);
    reg_parsed_cache_free(pc);
}
END_TEST

START_TEST(test_parsed_cache_second_put_gets_the_first_entry)
{
    struct reg_parsed_cache *pc = reg_parsed_cache_new(REG_PARSED_CACHE_DEFAULT_BYTES);
    struct reg_parsed *a = put(pc, ".", 7, "A", false);
    struct reg_parsed *again = put(pc, ".", 7, "Other", false); /* its parser is freed */
    ck_assert_ptr_eq(a, again);
    ck_assert_str_eq(root_name(again), "A");
    reg_parsed_release(again);
    reg_parsed_release(a);
    reg_parsed_cache_free(pc);
}
END_TEST

START_TEST(test_parsed_cache_holder_outlives_drop_and_free)
{
    struct reg_parsed_cache *pc = reg_parsed_cache_new(REG_PARSED_CACHE_DEFAULT_BYTES);
    struct reg_parsed *a = put(pc, ".", 1, "A", false);
    reg_parsed_cache_drop(pc, ".", 1);
    ck_assert(!cached(pc, ".", 1));
    /* still readable: the holder's reference keeps it */
    ck_assert_str_eq(root_name(a), "A");
    struct reg_parsed *b = put(pc, ".", 2, "B", false);
    reg_parsed_cache_free(pc);
    ck_assert_str_eq(root_name(b), "B");
    reg_parsed_release(a);
    reg_parsed_release(b);
    reg_parsed_release(NULL);
}
END_TEST

START_TEST(test_parsed_cache_drop_referencing_keeps_plain_entries)
{
    struct reg_parsed_cache *pc = reg_parsed_cache_new(REG_PARSED_CACHE_DEFAULT_BYTES);
    reg_parsed_release(put(pc, ".", 1, "Plain", false));
    reg_parsed_release(put(pc, ".", 2, "Refs", true));
    reg_parsed_release(put(pc, ".x", 3, "Refs2", true));
    reg_parsed_cache_drop_referencing(pc);
    ck_assert(cached(pc, ".", 1));
    ck_assert(!cached(pc, ".", 2));
    ck_assert(!cached(pc, ".x", 3));
    reg_parsed_cache_clear(pc);
    ck_assert(!cached(pc, ".", 1));
    struct reg_parsed_cache_stats st;
    reg_parsed_cache_stats(pc, &st);
    ck_assert_uint_eq(st.entries, 0);
    ck_assert_uint_eq(st.bytes, 0);
    ck_assert_uint_eq(st.drops, 3);
    reg_parsed_cache_free(pc);
}
END_TEST

START_TEST(test_parsed_cache_evicts_least_recently_used_first)
{
    size_t c = cost_of("A") + 512; /* entry overhead is small */
    struct reg_parsed_cache *pc = reg_parsed_cache_new(2 * c + c / 2);
    reg_parsed_release(put(pc, ".", 1, "A", false));
    reg_parsed_release(put(pc, ".", 2, "B", false));
    ck_assert(cached(pc, ".", 1)); /* A is now the most recent */
    reg_parsed_release(put(pc, ".", 3, "C", false));
    ck_assert(cached(pc, ".", 1));
    ck_assert(!cached(pc, ".", 2));
    ck_assert(cached(pc, ".", 3));
    struct reg_parsed_cache_stats st;
    reg_parsed_cache_stats(pc, &st);
    ck_assert_uint_eq(st.entries, 2);
    ck_assert_uint_eq(st.evictions, 1);
    ck_assert_uint_le(st.bytes, st.budget);
    /* shrinking the budget evicts at once */
    reg_parsed_cache_set_budget(pc, 0);
    reg_parsed_cache_stats(pc, &st);
    ck_assert_uint_eq(st.entries, 0);
    ck_assert_uint_eq(st.bytes, 0);
    reg_parsed_cache_free(pc);
}
END_TEST

START_TEST(test_parsed_cache_hands_evicted_entries_back_when_asked)
{
    size_t c = cost_of("A") + 512;
    struct reg_parsed_cache *pc = reg_parsed_cache_new(c + c / 2);
    reg_parsed_release(put(pc, ".", 1, "A", false));
    struct reg_parsed *evicted = NULL;
    struct reg_parsed *b = reg_parsed_cache_put(pc, ".", 2, parsed("B", 3), false, &evicted);
    ck_assert_ptr_nonnull(evicted);
    /* the evicted model is still whole until the list is released */
    ck_assert_str_eq(root_name(evicted), "A");
    ck_assert(!cached(pc, ".", 1));
    reg_parsed_release_list(evicted);
    reg_parsed_release_list(NULL);
    reg_parsed_release(b);
    reg_parsed_cache_free(pc);
}
END_TEST

START_TEST(test_parsed_cache_entry_over_budget_is_returned_not_cached)
{
    struct reg_parsed_cache *pc = reg_parsed_cache_new(16);
    struct reg_parsed *a = put(pc, ".", 1, "A", false);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(root_name(a), "A");
    ck_assert(!cached(pc, ".", 1));
    reg_parsed_release(a); /* the only reference: frees it */
    reg_parsed_cache_free(pc);
}
END_TEST

START_TEST(test_parsed_cache_footprint_grows_with_the_schema)
{
    struct reg_sm *small = parsed("S", 1);
    struct reg_sm *big = parsed("B", 50);
    ck_assert_uint_gt(reg_schema_avro.footprint(big), 10 * reg_schema_avro.footprint(small) / 2);
    reg_sm_free(small);
    reg_sm_free(big);
}
END_TEST

/* Several threads get, put, drop and release the same few keys under a
 * budget that keeps evicting; ASan/TSan and the final counts check it. */
struct worker_arg {
    struct reg_parsed_cache *pc;
    int seed;
};

static void *worker(void *argp)
{
    struct worker_arg *arg = argp;
    unsigned s = (unsigned)arg->seed;
    for (int i = 0; i < 300; i++) {
        s = s * 1103515245u + 12345u;
        int32_t id = (int32_t)((s >> 8) % 6);
        struct reg_parsed *e = reg_parsed_cache_get(arg->pc, ".", id);
        if (!e) {
            char name[16];
            snprintf(name, sizeof name, "N%d", (int)id);
            e = put(arg->pc, ".", id, name, (id & 1) != 0);
        }
        char want[16];
        snprintf(want, sizeof want, "N%d", (int)id);
        ck_assert_str_eq(root_name(e), want);
        if ((s >> 4) % 17 == 0)
            reg_parsed_cache_drop(arg->pc, ".", id);
        if ((s >> 4) % 29 == 0)
            reg_parsed_cache_drop_referencing(arg->pc);
        reg_parsed_release(e);
    }
    return NULL;
}

START_TEST(test_parsed_cache_concurrent_use)
{
    struct reg_parsed_cache *pc = reg_parsed_cache_new(3 * (cost_of("N0") + 512));
    pthread_t t[4];
    struct worker_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct worker_arg){pc, i + 1};
        ck_assert_int_eq(pthread_create(&t[i], NULL, worker, &args[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    struct reg_parsed_cache_stats st;
    reg_parsed_cache_stats(pc, &st);
    ck_assert_uint_le(st.bytes, st.budget);
    ck_assert_uint_eq(st.hits + st.misses, 4 * 300);
    reg_parsed_cache_free(pc);
}
END_TEST

int main(void)
{
    fy_alloc_init();
    Suite *s = suite_create("reg_parsed_cache");
    TCase *tc = tcase_create("cache");
    tcase_add_test(tc, test_parsed_cache_put_then_get_by_context_and_id);
    tcase_add_test(tc, test_parsed_cache_second_put_gets_the_first_entry);
    tcase_add_test(tc, test_parsed_cache_holder_outlives_drop_and_free);
    tcase_add_test(tc, test_parsed_cache_drop_referencing_keeps_plain_entries);
    tcase_add_test(tc, test_parsed_cache_evicts_least_recently_used_first);
    tcase_add_test(tc, test_parsed_cache_hands_evicted_entries_back_when_asked);
    tcase_add_test(tc, test_parsed_cache_entry_over_budget_is_returned_not_cached);
    tcase_add_test(tc, test_parsed_cache_footprint_grows_with_the_schema);
    tcase_add_test(tc, test_parsed_cache_concurrent_use);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
