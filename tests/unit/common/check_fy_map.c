/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for common/fy_map.c: the hash map behind every index. */
#include "common/fy_map.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

START_TEST(test_map_put_get_replace_delete)
{
    struct fy_map m;
    fy_map_init(&m);
    int a = 1, b = 2;
    ck_assert_ptr_null(fy_map_put(&m, "k", &a));
    ck_assert_ptr_eq(fy_map_get(&m, "k"), &a);
    ck_assert_ptr_eq(fy_map_put(&m, "k", &b), &a);
    ck_assert_ptr_eq(fy_map_del(&m, "k"), &b);
    ck_assert_ptr_null(fy_map_get(&m, "k"));
    ck_assert_uint_eq(m.count, 0);
    fy_map_destroy(&m);
}
END_TEST

START_TEST(test_map_survives_growth_and_tombstones)
{
    struct fy_map m;
    fy_map_init(&m);
    char key[32];
    for (intptr_t i = 1; i <= 20000; i++) {
        snprintf(key, sizeof key, "subject-%ld", (long)i);
        fy_map_put(&m, key, (void *)i);
        if (i % 3 == 0) {
            snprintf(key, sizeof key, "subject-%ld", (long)(i / 3));
            fy_map_del(&m, key);
        }
    }
    for (intptr_t i = 1; i <= 20000; i++) {
        snprintf(key, sizeof key, "subject-%ld", (long)i);
        void *v = fy_map_get(&m, key);
        if (i <= 6666)
            ck_assert_ptr_null(v);
        else
            ck_assert_ptr_eq(v, (void *)i);
    }
    size_t it = 0, n = 0;
    while (fy_map_next(&m, &it, NULL, NULL))
        n++;
    ck_assert_uint_eq(n, m.count);
    ck_assert_uint_eq(n, 20000 - 6666);
    fy_map_destroy(&m);
}
END_TEST

START_TEST(test_map_int_keys_and_binary_keys)
{
    struct fy_map m;
    fy_map_init(&m);
    int x = 5;
    fy_map_puti(&m, -1, &x);
    fy_map_puti(&m, 0x100000000LL, &x);
    ck_assert_ptr_eq(fy_map_geti(&m, -1), &x);
    ck_assert_ptr_eq(fy_map_geti(&m, 0x100000000LL), &x);
    ck_assert_ptr_null(fy_map_geti(&m, 0));
    fy_map_putn(&m, "a\0b", 3, &x);
    ck_assert_ptr_null(fy_map_get(&m, "a"));
    ck_assert_ptr_eq(fy_map_getn(&m, "a\0b", 3), &x);
    fy_map_destroy(&m);
}
END_TEST

/* Copying a map by iteration visits keys in hash order; a reserved target
 * takes them all without growing (the parser's commit of 40,000 names was
 * quadratic into an unreserved one). */
START_TEST(test_map_reserve_takes_a_copy_without_growing)
{
    struct fy_map src, dst;
    fy_map_init(&src);
    fy_map_init(&dst);
    char key[32];
    int x = 1;
    for (int i = 0; i < 40000; i++) {
        snprintf(key, sizeof key, "n%d.R", i);
        fy_map_put(&src, key, &x);
    }
    fy_map_put(&dst, "already", &x);
    fy_map_reserve(&dst, dst.count + src.count);
    const struct fy_map_slot *slots = dst.slots;
    size_t cap = dst.cap, it = 0;
    const char *k;
    void *v;
    while (fy_map_next(&src, &it, &k, &v))
        ck_assert_ptr_null(fy_map_put(&dst, k, v));
    ck_assert_ptr_eq(dst.slots, slots);
    ck_assert_uint_eq(dst.cap, cap);
    ck_assert_uint_eq(dst.count, 40001);
    ck_assert_ptr_eq(fy_map_get(&dst, "n39999.R"), &x);
    ck_assert_ptr_eq(fy_map_get(&dst, "already"), &x);
    /* reserving less than is there changes nothing */
    fy_map_reserve(&dst, 10);
    ck_assert_ptr_eq(dst.slots, slots);
    fy_map_destroy(&src);
    fy_map_destroy(&dst);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fy_map");
    TCase *tc = tcase_create("map");
    tcase_add_test(tc, test_map_put_get_replace_delete);
    tcase_add_test(tc, test_map_survives_growth_and_tombstones);
    tcase_add_test(tc, test_map_int_keys_and_binary_keys);
    tcase_add_test(tc, test_map_reserve_takes_a_copy_without_growing);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
