/* SPDX-License-Identifier: Apache-2.0
 * fy_buf (capped buffer) and the string helpers of fy_alloc that build text:
 * fy_buf_printf's one-pass path into spare room and its cap, fy_asprintf past
 * its stack buffer, fy_strconcat. */
#include "common/fy_alloc.h"
#include "common/fy_buf.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_buf_printf_fills_spare_room_and_grows)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    ck_assert_int_eq(fy_buf_printf(&b, "%s-%d", "a", 1), 0); /* no room yet */
    ck_assert_int_eq(fy_buf_printf(&b, "%zu", (size_t)42), 0); /* into the spare room */
    ck_assert_str_eq(fy_buf_str(&b), "a-142");
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ck_assert_int_eq(fy_buf_printf(&b, "[%s]", big), 0); /* longer than the room */
    ck_assert_uint_eq(b.len, 5 + 2 + 299);
    ck_assert_int_eq(b.data[b.len], '\0');
    ck_assert_int_eq(b.data[5], '[');
    fy_buf_destroy(&b);
}
END_TEST

START_TEST(test_buf_printf_over_the_cap_leaves_the_buffer_unchanged)
{
    struct fy_buf b;
    fy_buf_init(&b, 10);
    ck_assert_int_eq(fy_buf_puts(&b, "12345"), 0);
    /* fits the allocation (64 bytes) but not the cap */
    ck_assert_int_eq(fy_buf_printf(&b, "%s", "abcdef"), -1);
    ck_assert_str_eq(fy_buf_str(&b), "12345");
    ck_assert_int_eq(fy_buf_printf(&b, "%s", "abcde"), 0);
    ck_assert_str_eq(fy_buf_str(&b), "12345abcde");
    fy_buf_destroy(&b);
}
END_TEST

START_TEST(test_asprintf_and_strconcat)
{
    char *s = fy_asprintf("%s.%s", "ns", "Name");
    ck_assert_str_eq(s, "ns.Name");
    free(s);
    char big[1000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    s = fy_asprintf("<%s>", big); /* past the one-pass stack buffer */
    ck_assert_uint_eq(strlen(s), 1001);
    ck_assert_int_eq(s[1000], '>');
    free(s);
    s = fy_strconcat("reader type: ", "INT", " not compatible", (char *)NULL);
    ck_assert_str_eq(s, "reader type: INT not compatible");
    free(s);
    s = fy_strconcat("", (char *)NULL);
    ck_assert_str_eq(s, "");
    free(s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fy_buf");
    TCase *tc = tcase_create("buf");
    tcase_add_test(tc, test_buf_printf_fills_spare_room_and_grows);
    tcase_add_test(tc, test_buf_printf_over_the_cap_leaves_the_buffer_unchanged);
    tcase_add_test(tc, test_asprintf_and_strconcat);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
