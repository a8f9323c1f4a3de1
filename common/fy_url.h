/* SPDX-License-Identifier: Apache-2.0
 * fy_url: percent-decoding of URL path segments and query strings, query
 * parameter look-up, percent-encoding, and UTF-8 validation. The HTTP front
 * end keeps the URL as sent (MHD is told not to unescape), and reg_route /
 * ctx_path_rewrite decode what they need with these. Pure functions.
 * Thread: any. */
#ifndef FY_URL_H
#define FY_URL_H

#include "common/fy_err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Percent-decode the first `len` bytes of `s` (RFC 3986 `%XX`, either hex case).
 * `plus_is_space`: true for query names and values (form encoding, `+` is a
 * space), false for path segments (`+` stays `+`). Strict: a `%` not followed
 * by two hex digits, or an escape decoding to NUL (`%00`), fails. Does not
 * check UTF-8 (see fy_utf8_valid). Returns a **new** NUL-terminated string, or
 * NULL when the text is not validly encoded. */
char *fy_url_decode(const char *s, size_t len, bool plus_is_space);

/* Percent-encode `s`: every byte except the RFC 3986 unreserved characters
 * (`A-Z a-z 0-9 - . _ ~`) and those listed in `safe` (may be NULL) becomes
 * `%XX` (upper-case hex). `safe` for a path segment: FY_URL_SAFE_SEGMENT; for a
 * query value: FY_URL_SAFE_QUERY. Returns a **new** string. */
char *fy_url_encode(const char *s, const char *safe);
#define FY_URL_SAFE_SEGMENT "!$&'()*+,;=:@"  /* RFC 3986 pchar minus unreserved and '%' */
#define FY_URL_SAFE_QUERY "!$'()*,;:@/?"     /* pchar / "?" minus the form delimiters & = + */

/* Find parameter `name` in the raw query string `query` (without the '?';
 * NULL or "" = no parameters). Pairs are split on '&'; a pair without '='
 * has the value "". Names and values are decoded with plus_is_space, and the
 * first pair whose decoded name equals `name` wins. Returns 1 and a **new**
 * decoded *value, 0 when absent (*value NULL), or -1 with err 400 when that
 * pair is not validly percent-encoded (*value NULL). Pairs whose name does
 * not decode are skipped. */
int fy_query_find(const char *query, const char *name, char **value, struct fy_err *err);

/* Convenience over fy_query_find: the **new** decoded value of the first
 * `name` parameter, or NULL when it is absent or not validly encoded. */
char *fy_query_get(const char *query, const char *name);

/* True when the `len` bytes at `s` are well-formed UTF-8 (RFC 3629): no
 * overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no
 * truncated or stray continuation bytes. A NUL byte inside `len` is U+0000
 * and is accepted; callers that need C strings check for it themselves. */
bool fy_utf8_valid(const char *s, size_t len);
/* Length of the one well-formed UTF-8 sequence (same rules) at the start of
 * the `len` (>= 1) bytes at `s`: 1 for ASCII, 2-4, or 0 when it is none. */
size_t fy_utf8_seq_len(const char *s, size_t len);

/* Write code point `cp` (at most 0x10FFFF, not a surrogate) as UTF-8 at `out`
 * (room for 4 bytes); returns the bytes written. */
size_t fy_utf8_put(char *out, uint32_t cp);

#endif
