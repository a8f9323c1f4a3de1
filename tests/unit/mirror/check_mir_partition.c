/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for mirror/mir_partition.c: a source position is committable only
 * below everything acknowledged and below any offset-map entry not yet durable. */
#include "mirror/mir_partition.h"

#include <check.h>
#include <stdlib.h>

START_TEST(test_partition_commit_waits_for_acks_and_entries)
{
    struct mir_partition mp;
    int64_t pos, es, ed;
    mir_partition_init(&mp, 0);
    mir_partition_resume(&mp, -1, -1, -1);
    for (int64_t s = 0; s < 10; s++)
        mir_partition_on_produce(&mp, s);
    ck_assert(!mir_partition_commit_point(&mp, &pos, &es, &ed));
    mir_partition_on_ack(&mp, 0, 0, 1000, 10); /* first record: a run-start entry */
    mir_partition_on_ack(&mp, 1, 1, 1001, 10);
    ck_assert(!mir_partition_commit_point(&mp, &pos, &es, &ed)); /* entry not durable */
    struct mir_pending_entry e;
    ck_assert_int_eq(mir_partition_entry_take(&mp, &e), 0);
    ck_assert(e.run_start && e.src == 0 && e.dst == 0);
    mir_partition_on_ack(&mp, 2, 2, 1002, 10);
    ck_assert(!mir_partition_commit_point(&mp, &pos, &es, &ed)); /* in flight */
    mir_partition_on_entry_ack(&mp);
    ck_assert(mir_partition_commit_point(&mp, &pos, &es, &ed));
    ck_assert_int_eq(pos, 3);
    ck_assert_int_eq(es, 2);
    ck_assert_int_eq(ed, 2);
    mp.committed_pos = pos;
    /* a gap: new entry; the stable point stays at 3 until it is durable */
    mir_partition_on_ack(&mp, 3, 3, 0, 1);
    mir_partition_on_ack(&mp, 8, 4, 0, 1);
    ck_assert(mir_partition_commit_point(&mp, &pos, &es, &ed));
    ck_assert_int_eq(pos, 4); /* the ack of 3 came before the entry at 8 */
    mp.committed_pos = pos;
    ck_assert_int_eq(mir_partition_entry_take(&mp, &e), 0);
    mir_partition_entry_untake(&mp, &e); /* refused by a full queue */
    ck_assert_int_eq(mir_partition_entry_take(&mp, &e), 0);
    ck_assert_int_eq(e.src, 8);
    mir_partition_on_entry_ack(&mp);
    ck_assert(mir_partition_commit_point(&mp, &pos, &es, &ed));
    ck_assert_int_eq(pos, 9);
    mir_partition_destroy(&mp);
}
END_TEST

START_TEST(test_partition_skips_and_lag)
{
    struct mir_partition mp;
    mir_partition_init(&mp, 1);
    mir_partition_resume(&mp, 100, 99, 50);
    mp.hwm = 110;
    mir_partition_observe(&mp, 110, 5000); /* the mirror saw the end at 110 at t=5000 */
    ck_assert_int_eq(mir_partition_lag(&mp), 10);
    mir_partition_on_skip(&mp, 100); /* nothing in flight: done at once */
    ck_assert_int_eq(mp.done_src, 100);
    mir_partition_on_produce(&mp, 101);
    mir_partition_on_skip(&mp, 102); /* behind an in-flight record: done with it */
    ck_assert_int_eq(mp.done_src, 100);
    mir_partition_on_ack(&mp, 101, 51, 5000, 1);
    ck_assert_int_eq(mp.done_src, 102);
    ck_assert_int_eq(mir_partition_lag(&mp), 7);
    ck_assert_int_eq(mir_partition_lag_ms(&mp, 6000), 1000);
    mir_partition_advance(&mp, 110); /* trailing markers */
    ck_assert_int_eq(mir_partition_lag(&mp), 0);
    ck_assert_int_eq(mir_partition_lag_ms(&mp, 6000), 0);
    ck_assert(!mir_partition_idle(&mp)); /* the ack left a map entry to persist */
    mir_partition_destroy(&mp);
}
END_TEST

/* Time lag comes from what the mirror observed, never from record timestamps:
 * a record stamped an hour ahead does not hide the lag behind it (issue 10, item 8). */
START_TEST(test_partition_lag_ms_ignores_producer_clocks)
{
    struct mir_partition mp;
    mir_partition_init(&mp, 0);
    mir_partition_resume(&mp, -1, -1, -1);
    mir_partition_observe(&mp, 1, 1000);
    mir_partition_on_produce(&mp, 0);
    mir_partition_on_ack(&mp, 0, 0, 1000 + 3600 * 1000, 10); /* stamped an hour ahead */
    mp.hwm = 11;
    mir_partition_observe(&mp, 11, 2000);                     /* 10 more seen at t=2000 */
    ck_assert_int_eq(mir_partition_lag(&mp), 10);
    ck_assert_int_eq(mir_partition_lag_ms(&mp, 2500), 500);
    mir_partition_observe(&mp, 15, 2400);
    ck_assert_int_eq(mir_partition_lag_ms(&mp, 2500), 500);   /* the oldest unmirrored counts */
    for (int64_t s = 1; s <= 10; s++) {
        mir_partition_on_produce(&mp, s);
        mir_partition_on_ack(&mp, s, s, 0, 1);
    }
    mp.hwm = 15;
    ck_assert_int_eq(mir_partition_lag_ms(&mp, 2500), 100);   /* 11..14 seen at 2400 */
    /* a full history merges into the newest entry: older, never younger */
    for (int i = 0; i < 3 * MIR_SEEN_MAX; i++)
        mir_partition_observe(&mp, 16 + i, 3000 + i);
    ck_assert_int_le(mp.n_seen, MIR_SEEN_MAX);
    mp.hwm = 16 + 3 * MIR_SEEN_MAX;
    for (int64_t s = 11; s < 14 + MIR_SEEN_MAX; s++) {
        mir_partition_on_produce(&mp, s);
        mir_partition_on_ack(&mp, s, s, 0, 1);
    }
    mir_partition_observe(&mp, mp.hwm, 9000);
    ck_assert_int_ge(mir_partition_lag_ms(&mp, 10000), 10000 - (3000 + MIR_SEEN_MAX));
    mir_partition_destroy(&mp);
}
END_TEST

/* Suspected in issue 10: two in-flight entries whose state records both fail
 * come back in delivery-report order; they must be sent again in source
 * order, or a replay would apply them reversed. */
START_TEST(test_partition_untaken_entries_keep_source_order)
{
    struct mir_partition mp;
    struct mir_pending_entry a, b, c, e;
    mir_partition_init(&mp, 0);
    mir_partition_resume(&mp, -1, -1, -1);
    mir_partition_on_produce(&mp, 0);
    mir_partition_on_ack(&mp, 0, 0, 0, 1);   /* run start */
    mir_partition_on_produce(&mp, 5);
    mir_partition_on_ack(&mp, 5, 1, 0, 1);   /* gap */
    mir_partition_on_produce(&mp, 9);
    mir_partition_on_ack(&mp, 9, 2, 0, 1);   /* gap */
    ck_assert_int_eq(mir_partition_entry_take(&mp, &a), 0);
    ck_assert_int_eq(mir_partition_entry_take(&mp, &b), 0);
    ck_assert_int_eq(mir_partition_entry_take(&mp, &c), 0);
    mir_partition_entry_untake(&mp, &a);     /* reports arrive a, then b */
    mir_partition_entry_untake(&mp, &b);
    ck_assert_int_eq(mir_partition_entry_take(&mp, &e), 0);
    ck_assert_int_eq(e.src, 0);
    ck_assert_int_eq(mir_partition_entry_take(&mp, &e), 0);
    ck_assert_int_eq(e.src, 5);
    ck_assert_int_eq(mir_partition_entry_take(&mp, &e), -1);
    mir_partition_destroy(&mp);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mir_partition");
    TCase *tc = tcase_create("partition");
    tcase_add_test(tc, test_partition_commit_waits_for_acks_and_entries);
    tcase_add_test(tc, test_partition_skips_and_lag);
    tcase_add_test(tc, test_partition_lag_ms_ignores_producer_clocks);
    tcase_add_test(tc, test_partition_untaken_entries_keep_source_order);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
