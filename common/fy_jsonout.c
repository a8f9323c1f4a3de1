/* SPDX-License-Identifier: Apache-2.0
 * fy_jsonout: escaped JSON text into a buffer (see fy_jsonout.h). */
#include "common/fy_jsonout.h"

#include "common/fy_url.h"

#include <inttypes.h>
#include <string.h>

int fy_jsonout_strn(struct fy_buf *buf, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    if (fy_buf_putc(buf, '"') != 0)
        return -1;
    size_t run = 0; /* start of the pending run of bytes that need no escape */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            /* bytes that are no UTF-8 (a client's raw path echoed in an
             * error message) would make the whole answer invalid JSON: each
             * becomes U+FFFD, as a Java server decoding them would show */
            size_t n = fy_utf8_seq_len(s + i, len - i);
            if (n) {
                i += n - 1;
                continue;
            }
            if (fy_buf_append(buf, s + run, i - run) != 0 ||
                fy_buf_append(buf, "\xEF\xBF\xBD", 3) != 0)
                return -1;
            run = i + 1;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        if (fy_buf_append(buf, s + run, i - run) != 0)
            return -1;
        char esc[7] = {'\\', 0, 0, 0, 0, 0, 0};
        size_t n = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        if (fy_buf_append(buf, esc, n) != 0)
            return -1;
        run = i + 1;
    }
    if (fy_buf_append(buf, s + run, len - run) != 0)
        return -1;
    return fy_buf_putc(buf, '"');
}

int fy_jsonout_str(struct fy_buf *buf, const char *s)
{
    return fy_jsonout_strn(buf, s, strlen(s));
}

int fy_jsonout_key(struct fy_buf *buf, const char *key)
{
    if (fy_jsonout_str(buf, key) != 0)
        return -1;
    return fy_buf_putc(buf, ':');
}

int fy_jsonout_int(struct fy_buf *buf, int64_t v)
{
    return fy_buf_printf(buf, "%" PRId64, v);
}
