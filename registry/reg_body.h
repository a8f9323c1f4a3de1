/* SPDX-License-Identifier: Apache-2.0
 * reg_body: a request body parsed into a jansson tree exactly as
 * json_loadb(body, len, JSON_DECODE_ANY, jerr) would, but faster for the
 * bodies registrations, lookups and compatibility checks send: an object
 * whose "schema" member is a long JSON-escaped string. jansson decodes a
 * string one character at a time through its stream reader; for a few KB of
 * schema that was a tenth of a registration's CPU. Here that one string is
 * decoded by fy_jscan and checked for everything jansson would refuse in a
 * string (control characters, bad escapes, \u0000, lone surrogates, invalid
 * UTF-8), while the rest of the body — the same text with that string
 * emptied — still goes through jansson, so structure, numbers, nesting depth,
 * duplicate keys and every error message stay jansson's. Whatever the fast
 * path is unsure of (an escaped or empty key, "schema" twice or not a string,
 * a body the rest of which jansson refuses) is parsed by jansson whole.
 * Thread: any (no shared state). */
#ifndef REG_BODY_H
#define REG_BODY_H

#include <jansson.h>
#include <stddef.h>

/* Parse `len` bytes of `body`: a **new** value, or NULL with `jerr` filled
 * (jerr may be NULL), as json_loadb(body, len, JSON_DECODE_ANY, jerr). */
json_t *reg_body_parse(const char *body, size_t len, json_error_t *jerr);

#endif
