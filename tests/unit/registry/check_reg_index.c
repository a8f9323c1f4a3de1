/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for registry/reg_index.c: applying `_schemas` records builds the
 * same state Confluent's InMemoryCache would (versions, ids per context,
 * soft and hard deletes, id conflicts, config/mode scopes, CLEAR_SUBJECT). */
#include "registry/reg_index.h"

#include "common/fy_alloc.h"

#include "registry/reg_parsed_cache.h"
#include "registry/reg_records.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t next_offset;

static void put(struct reg_index *idx, char *key, char *value)
{
    reg_index_apply(idx, key, strlen(key), value, value ? strlen(value) : 0, next_offset++, 1000);
    free(key);
    free(value);
}

static void put_schema(struct reg_index *idx, const char *subject, int version, int id,
                       const char *text, bool deleted)
{
    put(idx, reg_key_schema(subject, version),
        reg_value_schema(subject, version, id, "AVRO", NULL, NULL, NULL, text, deleted));
}

START_TEST(test_index_versions_share_one_schema_per_id)
{
    struct reg_index idx;
    reg_index_init(&idx);
    put_schema(&idx, "a", 1, 1, "\"string\"", false);
    put_schema(&idx, "b", 1, 1, "\"string\"", false);
    put_schema(&idx, "a", 2, 2, "\"int\"", false);
    struct reg_subject *a = reg_index_subject(&idx, ".", "a");
    struct reg_subject *b = reg_index_subject(&idx, ".", "b");
    ck_assert_ptr_nonnull(a);
    ck_assert_uint_eq(a->n_versions, 2);
    ck_assert_ptr_eq(reg_subject_version(a, 1)->schema, reg_subject_version(b, 1)->schema);
    ck_assert_int_eq(reg_subject_latest(a)->version, 2);
    ck_assert_int_eq(reg_index_context(&idx, ".")->max_id, 2);
    ck_assert_int_eq(idx.n_schemas, 2);
    ck_assert_int_eq(idx.applied_offset, next_offset - 1);
    reg_index_destroy(&idx);
}
END_TEST

START_TEST(test_index_soft_delete_keeps_id_resolvable_until_hard_delete)
{
    struct reg_index idx;
    reg_index_init(&idx);
    put_schema(&idx, "s", 1, 5, "\"string\"", false);
    put_schema(&idx, "s", 1, 5, "\"string\"", true);
    struct reg_subject *s = reg_index_subject(&idx, ".", "s");
    ck_assert(!reg_subject_live(s));
    ck_assert_ptr_nonnull(reg_index_schema(&idx, ".", 5));
    put(&idx, reg_key_schema("s", 1), NULL);
    ck_assert_ptr_null(reg_index_subject(&idx, ".", "s"));
    ck_assert_ptr_null(reg_index_schema(&idx, ".", 5));
    /* the id counter never goes back */
    ck_assert_int_eq(reg_index_context(&idx, ".")->max_id, 5);
    reg_index_destroy(&idx);
}
END_TEST

START_TEST(test_index_delete_subject_marks_versions_up_to_n)
{
    struct reg_index idx;
    reg_index_init(&idx);
    put_schema(&idx, "s", 1, 1, "\"string\"", false);
    put_schema(&idx, "s", 2, 2, "\"int\"", false);
    put(&idx, reg_key_delete_subject("s"), reg_value_delete_subject("s", 2));
    put_schema(&idx, "s", 3, 3, "\"long\"", false);
    struct reg_subject *s = reg_index_subject(&idx, ".", "s");
    ck_assert(reg_subject_version(s, 1)->deleted);
    ck_assert(reg_subject_version(s, 2)->deleted);
    ck_assert(!reg_subject_version(s, 3)->deleted);
    put(&idx, reg_key_clear_subject("s"), reg_value_clear_subject("s"));
    ck_assert_uint_eq(s->n_versions, 1);
    ck_assert_int_eq(s->versions[0]->version, 3);
    reg_index_destroy(&idx);
}
END_TEST

START_TEST(test_index_refuses_a_second_meaning_for_an_id)
{
    struct reg_index idx;
    reg_index_init(&idx);
    put_schema(&idx, "a", 1, 1, "\"string\"", false);
    put_schema(&idx, "b", 1, 1, "\"int\"", false);
    ck_assert_ptr_null(reg_index_subject(&idx, ".", "b"));
    ck_assert_str_eq(reg_index_schema(&idx, ".", 1)->schema, "\"string\"");
    reg_index_destroy(&idx);
}
END_TEST

START_TEST(test_index_contexts_have_their_own_ids)
{
    struct reg_index idx;
    reg_index_init(&idx);
    put_schema(&idx, "s", 1, 1, "\"string\"", false);
    put(&idx, reg_key_context(".dr"), reg_value_context(".dr"));
    put_schema(&idx, ":.dr:s", 1, 1, "\"int\"", false);
    ck_assert_str_eq(reg_index_schema(&idx, ".", 1)->schema, "\"string\"");
    ck_assert_str_eq(reg_index_schema(&idx, ".dr", 1)->schema, "\"int\"");
    struct reg_subject *s = reg_index_subject(&idx, ".dr", "s");
    ck_assert_str_eq(s->qname, ":.dr:s");
    ck_assert(reg_index_context(&idx, ".dr")->recorded);
    reg_index_destroy(&idx);
}
END_TEST

START_TEST(test_index_references_are_tracked_both_ways)
{
    struct reg_index idx;
    reg_index_init(&idx);
    put_schema(&idx, "addr", 1, 1, "{\"type\":\"record\",\"name\":\"A\",\"fields\":[]}", false);
    const char *refs = "[{\"name\":\"A\",\"subject\":\"addr\",\"version\":1}]";
    const char *person =
        "{\"type\":\"record\",\"name\":\"P\",\"fields\":[{\"name\":\"a\",\"type\":\"A\"}]}";
    put(&idx, reg_key_schema("person", 1),
        reg_value_schema("person", 1, 2, "AVRO", refs, NULL, NULL, person, false));
    const struct reg_refs *r = reg_index_referrers(&idx, "addr", 1);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->n, 1);
    ck_assert_int_eq(r->items[0]->id, 2);
    put(&idx, reg_key_schema("person", 1),
        reg_value_schema("person", 1, 2, "AVRO", refs, NULL, NULL, person, true));
    ck_assert_ptr_nonnull(reg_index_referrers(&idx, "addr", 1));
    put(&idx, reg_key_schema("person", 1), NULL);
    ck_assert_ptr_null(reg_index_referrers(&idx, "addr", 1));
    reg_index_destroy(&idx);
}
END_TEST

START_TEST(test_index_config_and_mode_scopes)
{
    struct reg_index idx;
    reg_index_init(&idx);
    put(&idx, reg_key_config(NULL), strdup("{\"compatibilityLevel\":\"FULL\"}"));
    put(&idx, reg_key_mode(":.dr:"), reg_value_mode(":.dr:", "IMPORT"));
    ck_assert_str_eq(json_string_value(json_object_get(reg_index_config(&idx, ""),
                                                       "compatibilityLevel")),
                     "FULL");
    enum reg_mode m;
    ck_assert(reg_index_mode(&idx, ":.dr:", &m));
    ck_assert_int_eq(m, REG_MODE_IMPORT);
    put(&idx, reg_key_mode(":.dr:"), NULL);
    ck_assert(!reg_index_mode(&idx, ":.dr:", &m));
    put(&idx, reg_key_config(NULL), NULL);
    ck_assert_ptr_null(reg_index_config(&idx, ""));
    reg_index_destroy(&idx);
}
END_TEST

START_TEST(test_index_skips_malformed_records)
{
    struct reg_index idx;
    reg_index_init(&idx);
    put(&idx, strdup("not json"), strdup("{}"));
    put(&idx, reg_key_schema("s", 1), strdup("{\"subject\":\"s\"}"));
    put(&idx, reg_key_schema("s", 1), strdup("[]"));
    ck_assert_ptr_null(reg_index_subject(&idx, ".", "s"));
    ck_assert_int_eq(idx.n_schemas, 0);
    reg_index_destroy(&idx);
}
END_TEST

START_TEST(test_index_reads_values_written_by_other_writers)
{
    /* pretty-printed, unsorted metadata, escaped text, Karapace key order: the
     * fast scanner and the jansson fallback must agree on what is stored */
    struct reg_index idx;
    reg_index_init(&idx);
    const char *key = "{\"subject\":\"s\",\"version\":1,\"magic\":1,\"keytype\":\"SCHEMA\"}";
    const char *value = "{ \"subject\": \"s\", \"version\": 1, \"id\": 3,\n"
                        "  \"metadata\": {\"properties\": {\"b\": \"2\", \"a\": \"1\"}},\n"
                        "  \"schema\": \"\\\"string\\\"\", \"deleted\": false, \"offset\": 9 }";
    reg_index_apply(&idx, key, strlen(key), value, strlen(value), 0, 1);
    struct reg_schema *sc = reg_index_schema(&idx, ".", 3);
    ck_assert_ptr_nonnull(sc);
    ck_assert_str_eq(sc->schema, "\"string\"");
    ck_assert_str_eq(sc->metadata, "{\"properties\":{\"a\":\"1\",\"b\":\"2\"}}");
    ck_assert_int_eq(reg_index_subject(&idx, ".", "s")->versions[0]->version, 1);
    reg_index_destroy(&idx);
}
END_TEST

/* "int" with a doc that makes each text distinct */
static char *numbered_text(int n)
{
    char *t = malloc(64);
    snprintf(t, 64, "{\"type\":\"int\",\"doc\":\"v%d\"}", n);
    return t;
}

static struct reg_version *find_text(struct reg_index *idx, const char *subject,
                                     const char *text, int32_t id)
{
    char *identity = reg_schema_identity(NULL, text, NULL, NULL, NULL);
    struct reg_version *v =
        reg_subject_find_identity(reg_index_subject(idx, ".", subject), identity, id);
    free(identity);
    return v;
}

static void identity_lookups(int n_versions)
{
    struct reg_index idx;
    reg_index_init(&idx);
    for (int v = 1; v <= n_versions; v++) {
        char *t = numbered_text(v);
        put_schema(&idx, "s", v, v, t, false);
        free(t);
    }
    struct reg_subject *sub = reg_index_subject(&idx, ".", "s");
    ck_assert((sub->identity_counts != NULL) == (n_versions >= REG_SUBJECT_HASHED_MIN));
    char *t1 = numbered_text(1), *t2 = numbered_text(2), *tn = numbered_text(n_versions + 1);
    ck_assert_int_eq(find_text(&idx, "s", t1, -1)->version, 1);
    ck_assert_int_eq(find_text(&idx, "s", t2, 2)->version, 2);
    ck_assert_ptr_null(find_text(&idx, "s", t2, 3)); /* another id */
    ck_assert_ptr_null(find_text(&idx, "s", tn, -1));
    /* the same schema again as a newer version: the newest live one answers */
    put_schema(&idx, "s", n_versions + 1, 1, t1, false);
    ck_assert_int_eq(find_text(&idx, "s", t1, -1)->version, n_versions + 1);
    /* soft-deleted versions do not count; hard-deleted ones are gone */
    put_schema(&idx, "s", n_versions + 1, 1, t1, true);
    ck_assert_int_eq(find_text(&idx, "s", t1, -1)->version, 1);
    put_schema(&idx, "s", 1, 1, t1, true);
    ck_assert_ptr_null(find_text(&idx, "s", t1, -1));
    put(&idx, reg_key_schema("s", 1), NULL);
    put(&idx, reg_key_schema("s", n_versions + 1), NULL);
    ck_assert_ptr_null(find_text(&idx, "s", t1, -1));
    /* a version rewritten with another schema moves its identity */
    put_schema(&idx, "s", 2, n_versions + 5, tn, false);
    ck_assert_ptr_null(find_text(&idx, "s", t2, -1));
    ck_assert_int_eq(find_text(&idx, "s", tn, -1)->version, 2);
    if (sub->identity_counts) {
        /* one count per version still there, and no stale identities */
        intptr_t total = 0;
        size_t it = 0;
        void *val;
        while (fy_map_next(sub->identity_counts, &it, NULL, &val))
            total += (intptr_t)val;
        ck_assert_int_eq(total, (intptr_t)sub->n_versions);
    }
    free(t1);
    free(t2);
    free(tn);
    reg_index_destroy(&idx);
}

START_TEST(test_index_find_identity_small_subject)
{
    identity_lookups(3);
}
END_TEST

START_TEST(test_index_find_identity_hashed_subject)
{
    identity_lookups(REG_SUBJECT_HASHED_MIN + 4);
}
END_TEST

/* Put a model for (context, id) into the index's parsed cache. */
static void cache_model(struct reg_index *idx, const char *context, int32_t id, bool refs)
{
    struct reg_sm *m = reg_schema_avro.model_new();
    ck_assert_int_eq(reg_schema_avro.parse(m, "\"int\"", 0, NULL), 0);
    reg_parsed_release(reg_parsed_cache_put(idx->parsed, context, id, m, refs, NULL));
}

static bool model_cached(struct reg_index *idx, const char *context, int32_t id)
{
    struct reg_parsed *m = reg_parsed_cache_get(idx->parsed, context, id);
    reg_parsed_release(m);
    return m != NULL;
}

START_TEST(test_index_drops_stale_parsed_models)
{
    struct reg_index idx;
    reg_index_init(&idx);
    put_schema(&idx, "a", 1, 1, "\"int\"", false);
    put_schema(&idx, "a", 2, 2, "\"long\"", false);
    put_schema(&idx, "b", 1, 2, "\"long\"", false);
    cache_model(&idx, ".", 1, false);
    cache_model(&idx, ".", 2, false);
    cache_model(&idx, ".", 9, true); /* a schema whose references were parsed */
    /* new versions and soft deletes change no model */
    put_schema(&idx, "a", 3, 3, "\"string\"", false);
    put_schema(&idx, "a", 2, 2, "\"long\"", true);
    put(&idx, reg_key_delete_subject("a"), reg_value_delete_subject("a", 3));
    ck_assert(model_cached(&idx, ".", 1) && model_cached(&idx, ".", 2));
    ck_assert(model_cached(&idx, ".", 9));
    /* a hard delete: references may have resolved through that version */
    put(&idx, reg_key_schema("a", 2), NULL);
    ck_assert(model_cached(&idx, ".", 2)); /* still used by b */
    ck_assert(!model_cached(&idx, ".", 9));
    /* the last version using id 1 goes: its model goes with it */
    put(&idx, reg_key_clear_subject("a"), reg_value_clear_subject("a"));
    ck_assert_ptr_null(reg_index_schema(&idx, ".", 1));
    ck_assert(!model_cached(&idx, ".", 1));
    /* a version rewritten with another schema */
    cache_model(&idx, ".", 9, true);
    put_schema(&idx, "b", 1, 4, "\"float\"", false);
    ck_assert(!model_cached(&idx, ".", 9));
    ck_assert(!model_cached(&idx, ".", 2)); /* id 2 is gone with it */
    reg_index_destroy(&idx);
}
END_TEST

static void put_hwm(struct reg_index *idx, const char *context, int max_id)
{
    put(idx, reg_key_id_hwm(context), reg_value_id_hwm(context, max_id));
}

START_TEST(test_index_id_hwm_keeps_max_id_after_hard_delete)
{
    /* what compaction leaves of: A id 1, B id 3 hard-deleted, the mark written
     * with the delete — the tombstone and the mark, not B's SCHEMA record */
    struct reg_index idx;
    reg_index_init(&idx);
    put_schema(&idx, "a", 1, 1, "\"string\"", false);
    put_hwm(&idx, ".", 3);
    put(&idx, reg_key_schema("b", 1), NULL);
    ck_assert_int_eq(reg_index_max_id(&idx, "."), 3);
    /* a mark never lowers it; a later SCHEMA raises it */
    put_hwm(&idx, ".", 2);
    ck_assert_int_eq(reg_index_max_id(&idx, "."), 3);
    put_schema(&idx, "c", 1, 7, "\"int\"", false);
    ck_assert_int_eq(reg_index_max_id(&idx, "."), 7);
    /* a journal without marks (older ferry) still loads: max of the SCHEMA ids */
    ck_assert_int_eq(reg_index_max_id(&idx, ".nomark"), 0);
    put_schema(&idx, ":.nomark:s", 1, 4, "\"int\"", false);
    ck_assert_int_eq(reg_index_max_id(&idx, ".nomark"), 4);
    /* malformed marks are skipped */
    put(&idx, reg_key_id_hwm("."), fy_strdup("{\"context\":\".\",\"maxId\":-5}"));
    put(&idx, reg_key_id_hwm("."), fy_strdup("{\"maxId\":99999999999}"));
    ck_assert_int_eq(reg_index_max_id(&idx, "."), 7);
    reg_index_destroy(&idx);
}
END_TEST

START_TEST(test_index_id_hwm_outlives_a_deleted_context)
{
    struct reg_index idx;
    reg_index_init(&idx);
    put_hwm(&idx, ".x", 9); /* before the context exists: no context is created */
    ck_assert_ptr_null(reg_index_context(&idx, ".x"));
    ck_assert_int_eq(reg_index_max_id(&idx, ".x"), 9);
    put(&idx, reg_key_context(".x"), reg_value_context(".x"));
    ck_assert_int_eq(reg_index_context(&idx, ".x")->max_id, 9);
    put(&idx, reg_key_context(".x"), NULL);
    ck_assert_ptr_null(reg_index_context(&idx, ".x"));
    put_schema(&idx, ":.x:s", 1, 2, "\"int\"", false);
    ck_assert_int_eq(reg_index_max_id(&idx, ".x"), 9);
    reg_index_destroy(&idx);
}
END_TEST

START_TEST(test_index_identity_survives_freeing_its_first_schema)
{
    struct reg_index idx;
    reg_index_init(&idx);
    put_schema(&idx, "s1", 1, 5, "\"string\"", false);
    put_schema(&idx, "s2", 1, 6, "\"string\"", false);
    put_schema(&idx, "s3", 1, 7, "\"string\"", false);
    struct reg_context *c = reg_index_context(&idx, ".");
    char *ident = reg_schema_identity(NULL, "\"string\"", NULL, NULL, NULL);
    ck_assert_int_eq(((struct reg_schema *)fy_map_get(&c->identities, ident))->id, 5);
    put(&idx, reg_key_schema("s2", 1), NULL); /* from the middle of the chain */
    ck_assert_int_eq(((struct reg_schema *)fy_map_get(&c->identities, ident))->id, 5);
    put(&idx, reg_key_schema("s1", 1), NULL); /* the head */
    ck_assert_ptr_nonnull(fy_map_get(&c->identities, ident));
    ck_assert_int_eq(((struct reg_schema *)fy_map_get(&c->identities, ident))->id, 7);
    put(&idx, reg_key_schema("s3", 1), NULL);
    ck_assert_ptr_null(fy_map_get(&c->identities, ident));
    free(ident);
    reg_index_destroy(&idx);
}
END_TEST

START_TEST(test_index_skips_out_of_range_ids_and_versions)
{
    struct reg_index idx;
    reg_index_init(&idx);
    put(&idx, reg_key_schema("s", 1),
        fy_strdup("{\"subject\":\"s\",\"version\":1,\"id\":2147483648,\"schema\":\"\\\"int\\\"\"}"));
    put(&idx, reg_key_schema("s", 1),
        fy_strdup("{\"subject\":\"s\",\"version\":-3,\"id\":1,\"schema\":\"\\\"int\\\"\"}"));
    ck_assert_ptr_null(reg_index_subject(&idx, ".", "s"));
    ck_assert_int_eq(reg_index_max_id(&idx, "."), 0);
    reg_index_destroy(&idx);
}
END_TEST

START_TEST(test_index_remembers_hard_deleted_versions_for_paging)
{
    struct reg_index idx;
    reg_index_init(&idx);
    put_schema(&idx, "a", 1, 1, "\"int\"", true);
    put_schema(&idx, "a", 2, 2, "\"long\"", true);
    put(&idx, reg_key_schema("a", 1), NULL);
    put(&idx, reg_key_clear_subject("a"), reg_value_clear_subject("a"));
    ck_assert_uint_eq(idx.n_ghosts, 2);
    ck_assert_str_eq(idx.ghosts[0].qname, "a");
    ck_assert_int_eq(idx.ghosts[0].version, 1);
    ck_assert_int_eq(idx.ghosts[1].version, 2);
    /* ghosts older than REG_GHOST_KEEP_MS go when the next one comes */
    put_schema(&idx, "b", 1, 3, "\"int\"", false);
    reg_index_apply(&idx, "{\"keytype\":\"SCHEMA\",\"subject\":\"b\",\"version\":1,\"magic\":1}",
                    strlen("{\"keytype\":\"SCHEMA\",\"subject\":\"b\",\"version\":1,\"magic\":1}"),
                    NULL, 0, next_offset++, 1000 + REG_GHOST_KEEP_MS + 1);
    ck_assert_uint_eq(idx.n_ghosts, 1);
    ck_assert_str_eq(idx.ghosts[0].qname, "b");
    reg_index_destroy(&idx);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("reg_index");
    TCase *tc = tcase_create("apply");
    tcase_add_test(tc, test_index_versions_share_one_schema_per_id);
    tcase_add_test(tc, test_index_soft_delete_keeps_id_resolvable_until_hard_delete);
    tcase_add_test(tc, test_index_delete_subject_marks_versions_up_to_n);
    tcase_add_test(tc, test_index_refuses_a_second_meaning_for_an_id);
    tcase_add_test(tc, test_index_contexts_have_their_own_ids);
    tcase_add_test(tc, test_index_references_are_tracked_both_ways);
    tcase_add_test(tc, test_index_config_and_mode_scopes);
    tcase_add_test(tc, test_index_skips_malformed_records);
    tcase_add_test(tc, test_index_reads_values_written_by_other_writers);
    tcase_add_test(tc, test_index_find_identity_small_subject);
    tcase_add_test(tc, test_index_find_identity_hashed_subject);
    tcase_add_test(tc, test_index_drops_stale_parsed_models);
    tcase_add_test(tc, test_index_id_hwm_keeps_max_id_after_hard_delete);
    tcase_add_test(tc, test_index_id_hwm_outlives_a_deleted_context);
    tcase_add_test(tc, test_index_identity_survives_freeing_its_first_schema);
    tcase_add_test(tc, test_index_skips_out_of_range_ids_and_versions);
    tcase_add_test(tc, test_index_remembers_hard_deleted_versions_for_paging);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
