/* SPDX-License-Identifier: Apache-2.0
 * fy_file: whole-file replacement leaves the new content and no temp file,
 * a failed write leaves the old content; bounded reads refuse a file over
 * the cap and say ENOENT for a missing one. */
#include "common/fy_file.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/check_fy_file.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_file_write_atomic_replaces_and_leaves_no_temp)
{
    char path[128], tmp[140];
    snprintf(path, sizeof path, "%s/j", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    struct fy_err err = {0};
    ck_assert_int_eq(fy_file_write_atomic(path, "first", 5, &err), 0);
    ck_assert_int_eq(fy_file_write_atomic(path, "second!", 7, &err), 0);
    size_t len = 0;
    char *s = fy_file_read(path, 1024, &len, &err);
    ck_assert_str_eq(s, "second!");
    ck_assert_uint_eq(len, 7);
    free(s);
    ck_assert_int_ne(access(tmp, F_OK), 0);
}
END_TEST

START_TEST(test_file_write_atomic_failure_keeps_the_old_content)
{
    char path[128], blocker[140];
    snprintf(path, sizeof path, "%s/k", dir);
    struct fy_err err = {0};
    ck_assert_int_eq(fy_file_write_atomic(path, "old", 3, &err), 0);
    /* a directory where the temp file must go: the write cannot start */
    snprintf(blocker, sizeof blocker, "%s.tmp", path);
    ck_assert_int_eq(mkdir(blocker, 0700), 0);
    ck_assert_int_eq(fy_file_write_atomic(path, "new", 3, &err), -1);
    ck_assert_int_eq(err.code, FY_E_IO);
    ck_assert_ptr_nonnull(strstr(err.msg, "k.tmp"));
    char *s = fy_file_read(path, 1024, NULL, &err);
    ck_assert_str_eq(s, "old");
    free(s);
}
END_TEST

START_TEST(test_file_read_bounds_and_missing)
{
    char path[128];
    snprintf(path, sizeof path, "%s/big", dir);
    struct fy_err err = {0};
    char data[10000];
    memset(data, 'x', sizeof data);
    ck_assert_int_eq(fy_file_write_atomic(path, data, sizeof data, &err), 0);
    ck_assert_ptr_null(fy_file_read(path, 9999, NULL, &err));
    ck_assert_int_eq(err.code, FY_E_TOO_LARGE);
    size_t len = 0;
    char *s = fy_file_read(path, 10000, &len, &err);
    ck_assert_uint_eq(len, 10000);
    free(s);
    snprintf(path, sizeof path, "%s/none", dir);
    ck_assert_ptr_null(fy_file_read(path, 100, NULL, &err));
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(err.code, FY_E_IO);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fy_file");
    TCase *tc = tcase_create("file");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_file_write_atomic_replaces_and_leaves_no_temp);
    tcase_add_test(tc, test_file_write_atomic_failure_keeps_the_old_content);
    tcase_add_test(tc, test_file_read_bounds_and_missing);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
