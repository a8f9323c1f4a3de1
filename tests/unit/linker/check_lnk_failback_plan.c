/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for linker/lnk_failback_plan.c: in-sync versions are not
 * listed, free spots are copied with their ids, conflicts stop the fail
 * policy and are renumbered (fresh id above both sides, next version, DR
 * gives way) under renumber, versions competing for one spot cascade,
 * references follow renumbered versions, an earlier run's copy is "kept",
 * unlinked subjects are left alone. The mapping used here is the CUSTOM
 * context ".primary" with identity names. */
#include "linker/lnk_failback_plan.h"

#include "common/fy_alloc.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static char *strip_primary(void *arg, const char *dr_subject)
{
    (void)arg;
    static const char pfx[] = ":.primary:";
    if (strncmp(dr_subject, pfx, sizeof pfx - 1) != 0 || !dr_subject[sizeof pfx - 1])
        return NULL;
    if (strncmp(dr_subject + sizeof pfx - 1, "nolink", 6) == 0)
        return NULL;
    return fy_strdup(dr_subject + sizeof pfx - 1);
}

/* A Schema object as GET /schemas lists it. */
static json_t *ver(const char *subject, int version, int id, const char *schema)
{
    return json_pack("{s:s,s:i,s:i,s:s,s:b}", "subject", subject, "version", version, "id", id,
                     "schema", schema, "deleted", 0);
}

static json_t *with_ref(json_t *v, const char *subject, int version)
{
    json_object_set_new(v, "references",
                        json_pack("[{s:s,s:s,s:i}]", "name", "Ref", "subject", subject,
                                  "version", version));
    return v;
}

static json_t *plan_of(json_t *dr, json_t *primary, enum lnk_fb_policy policy)
{
    struct lnk_fb_input in = {.dr = dr, .primary = primary, .to_primary = strip_primary,
                              .policy = policy};
    json_t *p = lnk_failback_plan(&in);
    json_decref(dr);
    json_decref(primary);
    return p;
}

static long long cnt(json_t *plan, const char *k)
{
    return (long long)json_integer_value(json_object_get(json_object_get(plan, "counts"), k));
}

/* The listed item for DR (subject, version); fails when absent. */
static json_t *item(json_t *plan, const char *subject, int version)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(plan, "items"), i, it)
    {
        json_t *d = json_object_get(it, "dr");
        if (strcmp(json_string_value(json_object_get(d, "subject")), subject) == 0 &&
            json_integer_value(json_object_get(d, "version")) == version)
            return it;
    }
    ck_abort_msg("no plan item for %s v%d", subject, version);
    return NULL;
}

static long long pnum(json_t *it, const char *k)
{
    return (long long)json_integer_value(json_object_get(json_object_get(it, "primary"), k));
}

static const char *action(json_t *it)
{
    return json_string_value(json_object_get(it, "action"));
}

#define A "\"A\""
#define B "\"B\""
#define C "\"C\""
#define D "\"D\""

START_TEST(test_plan_in_sync_is_counted_not_listed_and_free_spots_copy)
{
    fy_alloc_init();
    json_t *plan = plan_of(json_pack("[o,o]", ver(":.primary:s", 1, 1, A), ver(":.primary:t", 1, 2, B)),
                           json_pack("[o]", ver("s", 1, 1, A)), LNK_FB_FAIL);
    ck_assert(json_is_true(json_object_get(plan, "ok")));
    ck_assert_int_eq(cnt(plan, "dr_versions"), 2);
    ck_assert_int_eq(cnt(plan, "in_sync"), 1);
    ck_assert_int_eq(cnt(plan, "copy"), 1);
    ck_assert_uint_eq(json_array_size(json_object_get(plan, "items")), 1);
    json_t *t = item(plan, ":.primary:t", 1);
    ck_assert_str_eq(action(t), "copy");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(t, "primary"), "subject")),
                     "t");
    json_t *body = json_object_get(t, "body");
    ck_assert_int_eq(json_integer_value(json_object_get(body, "id")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(body, "version")), 1);
    ck_assert_str_eq(json_string_value(json_object_get(body, "schema")), B);
    ck_assert(!json_is_true(json_object_get(t, "dr_repair")));
    ck_assert_uint_eq(json_array_size(json_object_get(plan, "dr_repairs")), 0);
    json_decref(plan);
}
END_TEST

START_TEST(test_plan_same_schema_same_id_elsewhere_on_primary_is_no_conflict)
{
    /* the primary holds id 2 = B under another subject: the id is shared, not taken */
    json_t *plan = plan_of(json_pack("[o]", ver(":.primary:t", 1, 2, B)),
                           json_pack("[o]", ver("other", 1, 2, B)), LNK_FB_FAIL);
    ck_assert(json_is_true(json_object_get(plan, "ok")));
    ck_assert_str_eq(action(item(plan, ":.primary:t", 1)), "copy");
    json_decref(plan);
}
END_TEST

START_TEST(test_plan_conflicts_stop_fail_policy_without_bodies)
{
    /* both wrote s v2 with id 2 during the outage, different schemas */
    json_t *plan = plan_of(json_pack("[o,o]", ver(":.primary:s", 1, 1, A), ver(":.primary:s", 2, 2, B)),
                           json_pack("[o,o]", ver("s", 1, 1, A), ver("s", 2, 2, C)), LNK_FB_FAIL);
    ck_assert(json_is_false(json_object_get(plan, "ok")));
    json_t *it = item(plan, ":.primary:s", 2);
    ck_assert_str_eq(action(it), "conflict");
    ck_assert_ptr_null(json_object_get(it, "body"));
    json_t *c = json_object_get(it, "conflicts");
    ck_assert_uint_eq(json_array_size(c), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(c, 0), "kind")), "version");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(c, 1), "kind")), "id");
    ck_assert_int_eq(cnt(plan, "conflict"), 1);
    ck_assert_uint_eq(json_array_size(json_object_get(plan, "dr_repairs")), 0);
    json_decref(plan);
}
END_TEST

START_TEST(test_plan_renumber_takes_fresh_id_above_both_sides_and_next_version)
{
    /* DR: s v2 id 2 (B), t v1 id 7 (D); primary: s v2 id 2 (C), u v1 id 5 */
    json_t *plan = plan_of(
        json_pack("[o,o,o]", ver(":.primary:s", 1, 1, A), ver(":.primary:s", 2, 2, B),
                  ver(":.primary:t", 1, 7, D)),
        json_pack("[o,o,o]", ver("s", 1, 1, A), ver("s", 2, 2, C), ver("u", 1, 5, "\"U\"")),
        LNK_FB_RENUMBER);
    ck_assert(json_is_true(json_object_get(plan, "ok")));
    json_t *it = item(plan, ":.primary:s", 2);
    ck_assert_str_eq(action(it), "renumber");
    ck_assert_int_eq(pnum(it, "version"), 3);
    ck_assert_int_eq(pnum(it, "id"), 8); /* above the primary's 5 and DR's 7 */
    ck_assert(json_is_true(json_object_get(it, "dr_repair")));
    json_t *ch = json_array_get(json_object_get(plan, "id_changes"), 0);
    ck_assert_int_eq(json_integer_value(json_object_get(ch, "dr_id")), 2);
    ck_assert_int_eq(json_integer_value(json_object_get(ch, "primary_id")), 8);
    json_t *rp = json_object_get(plan, "dr_repairs");
    ck_assert_uint_eq(json_array_size(rp), 1);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rp, 0), "subject")),
                     ":.primary:s");
    ck_assert_str_eq(action(item(plan, ":.primary:t", 1)), "copy");
    ck_assert_int_eq(pnum(item(plan, ":.primary:t", 1), "id"), 7);
    json_decref(plan);
}
END_TEST

START_TEST(test_plan_versions_competing_for_one_spot_cascade)
{
    /* DR added v2 and v3 of s; the primary added its own v2: both DR versions move up */
    json_t *plan = plan_of(
        json_pack("[o,o,o]", ver(":.primary:s", 1, 1, A), ver(":.primary:s", 3, 3, C),
                  ver(":.primary:s", 2, 2, B)),
        json_pack("[o,o]", ver("s", 1, 1, A), ver("s", 2, 4, D)), LNK_FB_RENUMBER);
    json_t *v2 = item(plan, ":.primary:s", 2), *v3 = item(plan, ":.primary:s", 3);
    ck_assert_str_eq(action(v2), "renumber");
    ck_assert_int_eq(pnum(v2, "version"), 3);
    ck_assert_int_eq(pnum(v2, "id"), 2); /* only the version was taken */
    ck_assert_str_eq(action(v3), "renumber");
    ck_assert_int_eq(pnum(v3, "version"), 4);
    ck_assert_int_eq(pnum(v3, "id"), 3);
    ck_assert_int_eq(cnt(plan, "renumber"), 2);
    ck_assert_uint_eq(json_array_size(json_object_get(plan, "dr_repairs")), 2);
    ck_assert_uint_eq(json_array_size(json_object_get(plan, "id_changes")), 0);
    json_decref(plan);
}
END_TEST

START_TEST(test_plan_references_follow_renumbered_versions_referrers_repaired_first)
{
    /* DR's r v1 references DR's s v2, which the primary took: s v2 becomes s v3 and
     * r's reference follows; r gives way on DR before s (it refers to it) */
    json_t *plan = plan_of(
        json_pack("[o,o,o]", with_ref(ver(":.primary:r", 1, 3, D), ":.primary:s", 2),
                  ver(":.primary:s", 1, 10, A), ver(":.primary:s", 2, 11, B)),
        json_pack("[o,o]", ver("s", 1, 10, A), ver("s", 2, 12, C)), LNK_FB_RENUMBER);
    json_t *items = json_object_get(plan, "items");
    /* s v2 is planned (written) before its referrer, although r's id is smaller */
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_array_get(items, 0), "dr"), "subject")),
                     ":.primary:s");
    json_t *r = item(plan, ":.primary:r", 1);
    ck_assert_str_eq(action(r), "copy");
    ck_assert(json_is_true(json_object_get(r, "references_changed")));
    json_t *ref = json_array_get(json_object_get(json_object_get(r, "body"), "references"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(ref, "subject")), "s");
    ck_assert_int_eq(json_integer_value(json_object_get(ref, "version")), 3);
    json_t *rp = json_object_get(plan, "dr_repairs");
    ck_assert_uint_eq(json_array_size(rp), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rp, 0), "subject")),
                     ":.primary:r");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(rp, 1), "subject")),
                     ":.primary:s");
    json_decref(plan);
}
END_TEST

START_TEST(test_plan_earlier_run_is_kept_and_unlinked_left_alone)
{
    /* a first renumbering run put DR's B under s v3 id 9; DR's copy has not given way yet */
    json_t *plan = plan_of(
        json_pack("[o,o,o]", ver(":.primary:s", 2, 2, B), ver(":.primary:nolink", 1, 4, C),
                  json_pack("{s:s}", "subject", ":.primary:broken")),
        json_pack("[o,o]", ver("s", 2, 2, A), ver("s", 3, 9, B)), LNK_FB_FAIL);
    ck_assert(json_is_true(json_object_get(plan, "ok")));
    json_t *k = item(plan, ":.primary:s", 2);
    ck_assert_str_eq(action(k), "renumber");
    ck_assert(json_is_true(json_object_get(k, "kept")));
    ck_assert_ptr_null(json_object_get(k, "body"));
    ck_assert_int_eq(pnum(k, "version"), 3);
    ck_assert_int_eq(pnum(k, "id"), 9);
    ck_assert_int_eq(cnt(plan, "kept"), 1);
    json_t *u = item(plan, ":.primary:nolink", 1);
    ck_assert_str_eq(action(u), "unlinked");
    ck_assert_ptr_null(json_object_get(u, "primary"));
    ck_assert_int_eq(cnt(plan, "unlinked"), 1);
    ck_assert_int_eq(cnt(plan, "skipped"), 1);
    json_decref(plan);
}
END_TEST

START_TEST(test_plan_keeps_dr_version_order_when_ids_are_out_of_order)
{
    /* DR registered N (new id 4) as x v3, then C (the older id 3, from y) as x v4; the
     * primary took x v3 with P. Both DR versions move up in DR's order: N v4, C v5, so
     * "latest" is C on both sides (sorting by id would write C first). */
    json_t *plan = plan_of(
        json_pack("[o,o,o,o]", ver(":.primary:x", 1, 1, A), ver(":.primary:y", 1, 3, C),
                  ver(":.primary:x", 4, 3, C), ver(":.primary:x", 3, 4, "\"N\"")),
        json_pack("[o,o,o]", ver("x", 1, 1, A), ver("y", 1, 3, C), ver("x", 3, 5, "\"P\"")),
        LNK_FB_RENUMBER);
    json_t *n = item(plan, ":.primary:x", 3), *c = item(plan, ":.primary:x", 4);
    ck_assert_str_eq(action(n), "renumber");
    ck_assert_int_eq(pnum(n, "version"), 4);
    ck_assert_int_eq(pnum(n, "id"), 4);
    ck_assert_str_eq(action(c), "renumber");
    ck_assert_int_eq(pnum(c, "version"), 5);
    ck_assert_int_eq(pnum(c, "id"), 3);
    /* written in that order */
    json_t *items = json_object_get(plan, "items");
    size_t i, at_n = 99, at_c = 99;
    json_t *it;
    json_array_foreach(items, i, it)
    {
        if (it == n)
            at_n = i;
        if (it == c)
            at_c = i;
    }
    ck_assert_uint_lt(at_n, at_c);
    ck_assert_uint_eq(json_array_size(json_object_get(plan, "id_changes")), 0);
    json_decref(plan);
}
END_TEST

START_TEST(test_plan_kept_item_reports_its_id_change)
{
    /* an earlier run renumbered DR's B (id 4, the primary's id 4 is X) to s v3 id 5:
     * the kept item still says that DR's id 4 is the primary's id 5; a second DR use
     * of id 4 (t v1, same schema) follows to 5 instead of taking another fresh id */
    json_t *plan = plan_of(
        json_pack("[o,o,o]", ver(":.primary:s", 1, 1, A), ver(":.primary:s", 2, 4, B),
                  ver(":.primary:t", 1, 4, B)),
        json_pack("[o,o,o]", ver("s", 1, 1, A), ver("s", 2, 4, "\"X\""), ver("s", 3, 5, B)),
        LNK_FB_RENUMBER);
    json_t *k = item(plan, ":.primary:s", 2);
    ck_assert(json_is_true(json_object_get(k, "kept")));
    ck_assert_int_eq(pnum(k, "id"), 5);
    json_t *t = item(plan, ":.primary:t", 1);
    ck_assert_str_eq(action(t), "renumber");
    ck_assert_int_eq(pnum(t, "id"), 5);
    json_t *ch = json_object_get(plan, "id_changes");
    ck_assert_uint_eq(json_array_size(ch), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(ch, 0), "dr_id")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(json_array_get(ch, 0), "primary_id")),
                     5);
    json_decref(plan);
}
END_TEST

START_TEST(test_plan_policy_names)
{
    enum lnk_fb_policy p;
    ck_assert_int_eq(lnk_fb_policy_parse("renumber", &p), 0);
    ck_assert_int_eq(p, LNK_FB_RENUMBER);
    ck_assert_int_eq(lnk_fb_policy_parse("fail", &p), 0);
    ck_assert_int_eq(p, LNK_FB_FAIL);
    ck_assert_int_eq(lnk_fb_policy_parse("overwrite", &p), -1);
    ck_assert_str_eq(lnk_fb_policy_name(LNK_FB_RENUMBER), "renumber");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lnk_failback_plan");
    TCase *tc = tcase_create("plan");
    tcase_add_test(tc, test_plan_in_sync_is_counted_not_listed_and_free_spots_copy);
    tcase_add_test(tc, test_plan_same_schema_same_id_elsewhere_on_primary_is_no_conflict);
    tcase_add_test(tc, test_plan_conflicts_stop_fail_policy_without_bodies);
    tcase_add_test(tc, test_plan_renumber_takes_fresh_id_above_both_sides_and_next_version);
    tcase_add_test(tc, test_plan_versions_competing_for_one_spot_cascade);
    tcase_add_test(tc, test_plan_references_follow_renumbered_versions_referrers_repaired_first);
    tcase_add_test(tc, test_plan_earlier_run_is_kept_and_unlinked_left_alone);
    tcase_add_test(tc, test_plan_keeps_dr_version_order_when_ids_are_out_of_order);
    tcase_add_test(tc, test_plan_kept_item_reports_its_id_change);
    tcase_add_test(tc, test_plan_policy_names);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
