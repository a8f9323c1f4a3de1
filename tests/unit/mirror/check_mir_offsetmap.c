/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for mirror/mir_offsetmap.c: entries only where the delta changes,
 * exact translation inside runs, and never a translated position past the
 * true one (gaps, restarts, replay, the live end). */
#include "mirror/mir_offsetmap.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Mirror `n` source offsets `src[]` in order into a destination starting at
 * `dst0` (one copy each, nothing else written there). */
static void mirror_all(struct mir_offsetmap *m, const int64_t *src, size_t n, int64_t dst0,
                       bool run_start)
{
    for (size_t i = 0; i < n; i++)
        mir_offsetmap_ack(m, src[i], dst0 + (int64_t)i, run_start && i == 0);
}

/* The true destination position for source position `pos`: the copy of the
 * first source record at or after pos, or one past the last copy. */
static int64_t true_pos(const int64_t *src, size_t n, int64_t dst0, int64_t pos)
{
    for (size_t i = 0; i < n; i++)
        if (src[i] >= pos)
            return dst0 + (int64_t)i;
    return dst0 + (int64_t)n;
}

START_TEST(test_offsetmap_entries_only_where_delta_changes)
{
    struct mir_offsetmap m;
    mir_offsetmap_init(&m);
    ck_assert(mir_offsetmap_ack(&m, 0, 0, true));
    for (int64_t s = 1; s < 100; s++)
        ck_assert(!mir_offsetmap_ack(&m, s, s, false));
    ck_assert(mir_offsetmap_ack(&m, 150, 100, false)); /* source gap 100..149 */
    ck_assert(!mir_offsetmap_ack(&m, 151, 101, false));
    ck_assert_uint_eq(m.n, 2);
    mir_offsetmap_destroy(&m);
}
END_TEST

START_TEST(test_offsetmap_translate_never_skips)
{
    /* a compacted source: gaps of various sizes, including at the start */
    int64_t src[200];
    size_t n = 0;
    for (int64_t s = 5; n < 200; s++)
        if (s % 7 != 0 && !(s >= 60 && s < 90) && s % 31 != 3)
            src[n++] = s;
    struct mir_offsetmap m;
    mir_offsetmap_init(&m);
    mirror_all(&m, src, n, 1000, true);
    for (int64_t pos = 0; pos <= src[n - 1] + 5; pos++) {
        int64_t got = -1;
        ck_assert_int_eq(mir_offsetmap_translate(&m, pos, &got), 0);
        int64_t want = true_pos(src, n, 1000, pos);
        ck_assert_msg(got <= want, "pos %lld -> %lld, past the true %lld", (long long)pos,
                      (long long)got, (long long)want);
        /* an entry at every change point makes it exact, gaps included */
        ck_assert_int_eq(got, want);
    }
    mir_offsetmap_destroy(&m);
}
END_TEST

START_TEST(test_offsetmap_destination_writes_between_runs)
{
    /* two-way mirroring: local writes land between mirrored records, so the
     * delta changes without a source gap; still never past the true position */
    struct mir_offsetmap m;
    mir_offsetmap_init(&m);
    int64_t d = 0;
    int64_t dst_of[100];
    for (int64_t s = 0; s < 100; s++) {
        if (s % 10 == 5)
            d += 3; /* three local records */
        if (s == 50)
            continue; /* and one source record skipped (came from the destination) */
        dst_of[s] = d;
        mir_offsetmap_ack(&m, s, d++, s == 0);
    }
    dst_of[50] = dst_of[51];
    for (int64_t pos = 0; pos < 100; pos++) {
        int64_t got;
        ck_assert_int_eq(mir_offsetmap_translate(&m, pos, &got), 0);
        ck_assert_int_le(got, dst_of[pos]);
    }
    mir_offsetmap_destroy(&m);
}
END_TEST

/* Run 1 copied 0..59 to 0..59 and 70..99 after a gap; the crash lost
 * positions after 40; run 2 re-copies from 40 at dst 90.. (duplicates). */
static void restart_run(struct mir_offsetmap *m)
{
    for (int64_t s = 0; s < 60; s++)
        mir_offsetmap_ack(m, s, s, s == 0);
    for (int64_t s = 70; s < 100; s++)
        mir_offsetmap_ack(m, s, s - 10, false);
    for (int64_t s = 40; s < 60; s++)
        mir_offsetmap_ack(m, s, 90 + (s - 40), s == 40);
    for (int64_t s = 70; s < 120; s++)
        mir_offsetmap_ack(m, s, 110 + (s - 70), false);
}

START_TEST(test_offsetmap_restart_run_supersedes)
{
    struct mir_offsetmap m;
    mir_offsetmap_init(&m);
    restart_run(&m);
    int64_t got;
    ck_assert_int_eq(mir_offsetmap_translate(&m, 10, &got), 0);
    ck_assert_int_eq(got, 10); /* old copies are still fine before the new run */
    ck_assert_int_eq(mir_offsetmap_translate(&m, 45, &got), 0);
    ck_assert_int_eq(got, 95);
    ck_assert_int_eq(mir_offsetmap_translate(&m, 65, &got), 0);
    ck_assert_int_eq(got, 110); /* in the gap: the copy of 70 in the new run */
    ck_assert_int_eq(mir_offsetmap_translate(&m, 119, &got), 0);
    ck_assert_int_eq(got, 159);
    ck_assert_int_eq(mir_offsetmap_translate(&m, 500, &got), 0);
    ck_assert_int_eq(got, 160); /* beyond the mirrored end: the end, never past it */
    mir_offsetmap_destroy(&m);
}
END_TEST

START_TEST(test_offsetmap_replay_and_loaded_end)
{
    /* replay of persisted entries, in log order, then the committed end:
     * an entry persisted ahead of a commit that never happened is dropped */
    struct mir_offsetmap m;
    mir_offsetmap_init(&m);
    mir_offsetmap_apply(&m, 0, 0, true);
    mir_offsetmap_apply(&m, 20, 10, false);
    mir_offsetmap_apply(&m, 50, 35, false);
    mir_offsetmap_loaded(&m, 40, 30); /* positions committed up to src 40 only */
    ck_assert_uint_eq(m.n, 2);
    int64_t got;
    ck_assert_int_eq(mir_offsetmap_translate(&m, 15, &got), 0);
    ck_assert_int_eq(got, 10); /* gap 10..19 -> copy of 20 */
    ck_assert_int_eq(mir_offsetmap_translate(&m, 45, &got), 0);
    ck_assert_int_eq(got, 31); /* past the end: end + 1 */
    mir_offsetmap_destroy(&m);
    mir_offsetmap_init(&m);
    ck_assert_int_eq(mir_offsetmap_translate(&m, 3, &got), -1);
    mir_offsetmap_apply(&m, 5, 5, true);
    mir_offsetmap_loaded(&m, -1, -1); /* nothing committed: nothing trusted */
    ck_assert_int_eq(mir_offsetmap_translate(&m, 3, &got), -1);
    mir_offsetmap_destroy(&m);
}
END_TEST

START_TEST(test_offsetmap_entry_codec)
{
    char *v = mir_offsetmap_entry_encode(12, 3456789012345LL, true);
    int64_t s, d;
    bool run;
    ck_assert_int_eq(mir_offsetmap_entry_decode(v, strlen(v), &s, &d, &run), 0);
    ck_assert_int_eq(s, 12);
    ck_assert_int_eq(d, 3456789012345LL);
    ck_assert(run);
    free(v);
    ck_assert_int_eq(mir_offsetmap_entry_decode("{\"src\":-1,\"dst\":2}", 19, &s, &d, &run), -1);
    ck_assert_int_eq(mir_offsetmap_entry_decode("nope", 4, &s, &d, &run), -1);
    ck_assert_int_eq(mir_offsetmap_entry_decode(NULL, 0, &s, &d, &run), -1);
}
END_TEST

/* A transactional source: a commit marker after every `txn` records, and an
 * aborted transaction of `txn` records (plus its marker) every 7th one. */
static size_t txn_source(int64_t *src, size_t cap, int64_t txn)
{
    size_t n = 0;
    int64_t s = 0;
    for (int64_t t = 0; n < cap; t++) {
        if (t % 7 == 6) {
            s += txn + 1;
            continue;
        }
        for (int64_t i = 0; i < txn && n < cap; i++)
            src[n++] = s++;
        s++; /* marker */
    }
    return n;
}

START_TEST(test_offsetmap_expire_exact_at_and_above_floor)
{
    int64_t src[2000];
    size_t n = txn_source(src, 2000, 9);
    struct mir_offsetmap m, ref;
    mir_offsetmap_init(&m);
    mir_offsetmap_init(&ref);
    mirror_all(&m, src, n, 300, true);
    mirror_all(&ref, src, n, 300, true);
    size_t before = m.n;
    int64_t floor = src[n / 2] + 1; /* a marker position: between two runs */
    int64_t *gone = NULL;
    size_t k = mir_offsetmap_expire(&m, floor, &gone);
    ck_assert_uint_gt(k, 100);
    ck_assert_uint_eq(m.n + k, before);
    ck_assert_int_eq(m.expired, (int64_t)k);
    for (size_t i = 0; i < k; i++)
        ck_assert_int_eq(gone[i], ref.e[i].src); /* the keys to tombstone, in order */
    ck_assert_int_le(m.e[0].src, floor);
    free(gone);
    for (int64_t pos = 0; pos <= src[n - 1] + 3; pos++) {
        int64_t got = -1, was = -1;
        ck_assert_int_eq(mir_offsetmap_translate(&m, pos, &got), 0);
        ck_assert_int_eq(mir_offsetmap_translate(&ref, pos, &was), 0);
        int64_t want = true_pos(src, n, 300, pos);
        if (pos >= floor)
            ck_assert_msg(got == was && got == want, "pos %lld -> %lld, want %lld",
                          (long long)pos, (long long)got, (long long)want);
        else
            ck_assert_msg(got <= want && got >= 0, "pos %lld -> %lld past the true %lld",
                          (long long)pos, (long long)got, (long long)want);
    }
    /* nothing below the floor of the first entry: a no-op, never an empty map */
    ck_assert_uint_eq(mir_offsetmap_expire(&m, floor, &gone), 0);
    ck_assert_ptr_null(gone);
    ck_assert_uint_eq(mir_offsetmap_expire(&m, -5, &gone), 0);
    size_t left = m.n;
    ck_assert_uint_eq(mir_offsetmap_expire(&m, INT64_MAX, &gone), left - 1);
    free(gone);
    ck_assert_uint_eq(m.n, 1);
    int64_t got;
    ck_assert_int_eq(mir_offsetmap_translate(&m, src[n - 1] + 1, &got), 0);
    ck_assert_int_eq(got, 300 + (int64_t)n);
    mir_offsetmap_destroy(&m);
    mir_offsetmap_destroy(&ref);
}
END_TEST

START_TEST(test_offsetmap_expire_across_restart_runs_never_late)
{
    /* the restart of test_offsetmap_restart_run_supersedes: the new run's
     * copies sit later in the destination (a larger delta), the old run's
     * gap a smaller one; the base must bound both from below */
    struct mir_offsetmap m;
    mir_offsetmap_init(&m);
    restart_run(&m);
    int64_t *gone = NULL;
    ck_assert_uint_eq(mir_offsetmap_expire(&m, 80, &gone), 2);
    ck_assert_int_eq(gone[0], 0);
    ck_assert_int_eq(gone[1], 40);
    free(gone);
    ck_assert(m.has_base);
    ck_assert_int_eq(m.base_delta, 0);
    int64_t got;
    ck_assert_int_eq(mir_offsetmap_translate(&m, 10, &got), 0);
    ck_assert_int_le(got, 10);
    ck_assert_int_eq(mir_offsetmap_translate(&m, 45, &got), 0);
    ck_assert_int_le(got, 45); /* the old copy of 45 is at 45, the new at 95 */
    ck_assert_int_eq(mir_offsetmap_translate(&m, 80, &got), 0);
    ck_assert_int_eq(got, 120); /* at the floor: exact */
    /* a later run start below the kept entries supersedes them; the base stays */
    mir_offsetmap_ack(&m, 65, 200, true);
    ck_assert_uint_eq(m.n, 1);
    ck_assert_int_eq(mir_offsetmap_translate(&m, 60, &got), 0);
    ck_assert_int_le(got, 60);
    mir_offsetmap_destroy(&m);
}
END_TEST

START_TEST(test_offsetmap_expire_replayed_equals_live)
{
    /* what the state topic holds after an expiry: every entry ever made, the
     * base, then the tombstones; replayed in that order it translates as the
     * live map does */
    int64_t src[600];
    size_t n = txn_source(src, 600, 4);
    struct mir_offsetmap live, re;
    mir_offsetmap_init(&live);
    mir_offsetmap_init(&re);
    mirror_all(&live, src, n, 0, true);
    for (size_t i = 0; i < live.n; i++)
        mir_offsetmap_apply(&re, live.e[i].src, live.e[i].dst, i == 0);
    int64_t *gone = NULL;
    size_t k = mir_offsetmap_expire(&live, src[400], &gone);
    ck_assert_uint_gt(k, 0);
    char *b = mir_offsetmap_base_encode(live.base_delta);
    int64_t delta = 1;
    ck_assert_int_eq(mir_offsetmap_base_decode(b, strlen(b), &delta), 0);
    ck_assert_int_eq(delta, live.base_delta);
    free(b);
    mir_offsetmap_apply_base(&re, delta);
    for (size_t i = 0; i < k; i++)
        mir_offsetmap_remove(&re, gone[i]);
    mir_offsetmap_remove(&re, 123456); /* a tombstone of an entry long gone: no-op */
    free(gone);
    mir_offsetmap_loaded(&re, live.end_src, live.end_dst);
    ck_assert_uint_eq(re.n, live.n);
    for (int64_t pos = 0; pos <= src[n - 1] + 2; pos++) {
        int64_t a, c;
        ck_assert_int_eq(mir_offsetmap_translate(&live, pos, &a), 0);
        ck_assert_int_eq(mir_offsetmap_translate(&re, pos, &c), 0);
        ck_assert_int_eq(a, c);
    }
    ck_assert_int_eq(mir_offsetmap_base_decode("{}", 2, &delta), -1);
    ck_assert_int_eq(mir_offsetmap_base_decode(NULL, 0, &delta), -1);
    mir_offsetmap_destroy(&live);
    mir_offsetmap_destroy(&re);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mir_offsetmap");
    TCase *tc = tcase_create("offsetmap");
    tcase_add_test(tc, test_offsetmap_entries_only_where_delta_changes);
    tcase_add_test(tc, test_offsetmap_translate_never_skips);
    tcase_add_test(tc, test_offsetmap_destination_writes_between_runs);
    tcase_add_test(tc, test_offsetmap_restart_run_supersedes);
    tcase_add_test(tc, test_offsetmap_replay_and_loaded_end);
    tcase_add_test(tc, test_offsetmap_entry_codec);
    TCase *te = tcase_create("expire");
    tcase_add_test(te, test_offsetmap_expire_exact_at_and_above_floor);
    tcase_add_test(te, test_offsetmap_expire_across_restart_runs_never_late);
    tcase_add_test(te, test_offsetmap_expire_replayed_equals_live);
    suite_add_tcase(s, te);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
