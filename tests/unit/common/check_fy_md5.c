/* SPDX-License-Identifier: Apache-2.0
 * fy_md5: the test suite of RFC 1321 (appendix A.5), the same digests when
 * the input is fed in pieces that straddle the 64-byte blocks, and a length
 * that needs a second padding block. */
#include "common/fy_md5.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void hex(const unsigned char d[16], char out[33])
{
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static void digest_pieces(const char *s, size_t piece, char out[33])
{
    struct fy_md5 m;
    fy_md5_init(&m);
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i += piece)
        fy_md5_update(&m, s + i, n - i < piece ? n - i : piece);
    unsigned char d[16];
    fy_md5_final(&m, d);
    hex(d, out);
}

static const struct {
    const char *in, *md5;
} RFC1321[] = {
    {"", "d41d8cd98f00b204e9800998ecf8427e"},
    {"a", "0cc175b9c0f1b6a831c399e269772661"},
    {"abc", "900150983cd24fb0d6963f7d28e17f72"},
    {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"1234567890123456789012345678901234567890123456789012345678901234567890123456789"
     "0",
     "57edf4a22be3c955ac49da2e2107b67a"},
};

START_TEST(test_md5_rfc1321_suite_whole_and_in_pieces)
{
    static const size_t pieces[] = {1000, 1, 3, 63, 64, 65};
    for (size_t i = 0; i < sizeof RFC1321 / sizeof RFC1321[0]; i++)
        for (size_t p = 0; p < sizeof pieces / sizeof pieces[0]; p++) {
            char got[33];
            digest_pieces(RFC1321[i].in, pieces[p], got);
            ck_assert_msg(strcmp(got, RFC1321[i].md5) == 0, "md5(\"%s\") by %zu: %s",
                          RFC1321[i].in, pieces[p], got);
        }
}
END_TEST

START_TEST(test_md5_length_56_needs_a_second_padding_block)
{
    char in[57];
    memset(in, 'a', 56);
    in[56] = '\0';
    char got[33];
    digest_pieces(in, 1000, got);
    /* md5 of 56 'a' (python: hashlib.md5(b"a" * 56).hexdigest()) */
    ck_assert_str_eq(got, "3b0c8ac703f828b04c6c197006d17218");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fy_md5");
    TCase *tc = tcase_create("md5");
    tcase_add_test(tc, test_md5_rfc1321_suite_whole_and_in_pieces);
    tcase_add_test(tc, test_md5_length_56_needs_a_second_padding_block);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
