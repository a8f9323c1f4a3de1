/* SPDX-License-Identifier: Apache-2.0
 * Unit tests for mirror/mir_conf.c: the settings table, required keys, and
 * the source./destination. librdkafka pass-through split. */
#include "mirror/mir_conf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int load(const char *text, struct mir_conf *c, struct fy_err *err)
{
    struct fy_props p;
    ck_assert_int_eq(fy_props_parse(text, strlen(text), "mirror.properties", &p, err), 0);
    int rc = mir_conf_load(c, &p, err);
    fy_props_destroy(&p);
    return rc;
}

START_TEST(test_conf_defaults_and_passthrough)
{
    struct mir_conf c;
    struct fy_err err = {0};
    ck_assert_int_eq(load("source.bootstrap.servers=a:9092\n"
                          "destination.bootstrap.servers=b:9092\n"
                          "topics=orders\n"
                          "topic.prefix=east.\n"
                          "source.security.protocol=SASL_SSL\n"
                          "destination.linger.ms=50\n"
                          "groups.sync.interval.ms=2500\n", &c, &err), 0);
    ck_assert_str_eq(c.src_bootstrap, "a:9092");
    ck_assert_str_eq(c.dst_bootstrap, "b:9092");
    ck_assert_str_eq(c.topic_prefix, "east.");
    ck_assert_str_eq(c.name, "ferry");
    ck_assert_str_eq(c.state_topic, "__ferry_mirror");
    ck_assert_int_eq(c.group_sync_ms, 2500);
    ck_assert_int_eq(c.start_offset, 0);
    ck_assert_uint_eq(c.src_props.n, 1);
    ck_assert_str_eq(c.src_props.items[0].key, "security.protocol");
    ck_assert_int_eq(c.src_props.items[0].line, 5);
    ck_assert_uint_eq(c.dst_props.n, 1);
    ck_assert_str_eq(c.dst_props.items[0].key, "linger.ms");
    mir_conf_destroy(&c);
}
END_TEST

START_TEST(test_conf_errors)
{
    struct mir_conf c;
    struct fy_err err = {0};
    ck_assert_int_eq(load("destination.bootstrap.servers=b\ntopics=x\n", &c, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "source.bootstrap.servers"));
    ck_assert_int_eq(load("source.bootstrap.servers=a\ndestination.bootstrap.servers=b\n", &c,
                          &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "no topic selected"));
    ck_assert_int_eq(load("source.bootstrap.servers=a\ndestination.bootstrap.servers=b\n"
                          "topics=x\ntopcs.prefix=y\n", &c, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.msg, "mirror.properties:4"));
    ck_assert_int_eq(load("source.bootstrap.servers=a\ndestination.bootstrap.servers=b\n"
                          "topics=x\noffset.commit.interval.ms=1\n", &c, &err), -1);
    ck_assert_int_eq(load("source.bootstrap.servers=a\ndestination.bootstrap.servers=b\n"
                          "topics=x\nmirror.name=a/b\n", &c, &err), -1);
    ck_assert_int_eq(err.code, FY_E_CONFIG);
}
END_TEST

/* Settings that break the no-skip guarantee are refused, naming file, line and why. */
START_TEST(test_conf_refuses_settings_that_skip)
{
    static const char *const bad[] = {"destination.enable.idempotence=false",
                                      "destination.message.timeout.ms=30000",
                                      "destination.delivery.timeout.ms=1",
                                      "destination.acks=1",
                                      "destination.transactional.id=x"};
    struct mir_conf c;
    struct fy_err err = {0};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "source.bootstrap.servers=a\ndestination.bootstrap.servers=b\n"
                 "topics=x\n%s\n", bad[i]);
        ck_assert_int_eq(load(text, &c, &err), -1);
        ck_assert_int_eq(err.code, FY_E_CONFIG);
        ck_assert_ptr_nonnull(strstr(err.msg, "mirror.properties:4: "));
        ck_assert_ptr_nonnull(strstr(err.msg, "is refused: the mirror never skips a record"));
    }
    ck_assert_int_eq(load("source.bootstrap.servers=a\ndestination.bootstrap.servers=b\n"
                          "topics=x\ndestination.enable.idempotence=true\n"
                          "destination.message.timeout.ms=0\ndestination.acks=-1\n", &c, &err), 0);
    mir_conf_destroy(&c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mir_conf");
    TCase *tc = tcase_create("conf");
    tcase_add_test(tc, test_conf_defaults_and_passthrough);
    tcase_add_test(tc, test_conf_errors);
    tcase_add_test(tc, test_conf_refuses_settings_that_skip);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
