/* SPDX-License-Identifier: Apache-2.0
 * fy_jsonout: writing JSON text straight into an fy_buf, for hot response
 * paths that should not build a jansson tree. Strings are escaped the way
 * Jackson does (what Confluent's clients see): `"` `\\` and control characters
 * (\b \f \n \r \t, else \u00XX upper-case hex); UTF-8 and `/` left as is,
 * and each byte that is not part of well-formed UTF-8 written as U+FFFD, so
 * the output is always valid JSON.
 * The fy_buf cap applies (functions return -1 when it is exceeded).
 * Thread: one owner of the buffer at a time. */
#ifndef FY_JSONOUT_H
#define FY_JSONOUT_H

#include "common/fy_buf.h"

#include <stddef.h>
#include <stdint.h>

/* Append `s` as a quoted, escaped JSON string. */
int fy_jsonout_str(struct fy_buf *buf, const char *s);
int fy_jsonout_strn(struct fy_buf *buf, const char *s, size_t len);
/* Append `"key":` (the key escaped) — for building objects by hand. */
int fy_jsonout_key(struct fy_buf *buf, const char *key);
/* Append a decimal integer. */
int fy_jsonout_int(struct fy_buf *buf, int64_t v);

#endif
