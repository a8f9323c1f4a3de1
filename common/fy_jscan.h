/* SPDX-License-Identifier: Apache-2.0
 * fy_jscan: a zero-allocation scanner over the members of one JSON object,
 * for hot paths that read many small, flat records (store replay reads one
 * per schema; building a jansson tree for each was most of a restart).
 * Values are returned as raw spans; nested objects and arrays are skipped
 * over, not parsed. The scanner checks structure, not every JSON rule: a
 * caller that must refuse malformed input falls back to jansson when it says
 * no. Thread: any (no shared state). */
#ifndef FY_JSCAN_H
#define FY_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fy_jscan_type { FY_JS_STRING, FY_JS_NUMBER, FY_JS_TRUE, FY_JS_FALSE, FY_JS_NULL,
                     FY_JS_OBJECT, FY_JS_ARRAY };

struct fy_jscan_member {
    const char *key;   /* raw key text between the quotes (escapes not decoded) */
    size_t klen;
    enum fy_jscan_type type;
    const char *val;   /* raw value text; for strings without the quotes */
    size_t vlen;
    bool escaped;      /* a string value that contains backslash escapes */
};

struct fy_jscan {
    const char *p;
    const char *end;
    bool first;
};

/* Start scanning the object in [json, json+len). false when it is not an object. */
bool fy_jscan_begin(struct fy_jscan *s, const char *json, size_t len);
/* Next member: 1 and *m, 0 at the end of the object, -1 on malformed text. */
int fy_jscan_next(struct fy_jscan *s, struct fy_jscan_member *m);
/* Does the member's key equal `key` (a key with escapes never matches)? */
bool fy_jscan_key_is(const struct fy_jscan_member *m, const char *key);
/* A string value decoded to a **new** UTF-8 C string, or NULL when it is not
 * a string or holds an escape jansson would refuse (\u0000, lone surrogates). */
char *fy_jscan_string(const struct fy_jscan_member *m);
/* Decode the one JSON escape sequence at *p (just after its backslash, `end`
 * bounding the text) into `out` (room for 4 bytes): \" \\ \/ \b \f \n \r \t
 * and \uXXXX, a surrogate pair as one code point (UTF-8). Advances *p past it
 * and returns the bytes written (\u0000 writes one NUL byte), or -1 for an
 * unknown or cut escape or a lone surrogate — what jansson refuses. Shared by
 * fy_jscan_string and the registry's JSON reader (reg_json.c). */
int fy_json_unescape(const char **p, const char *end, char *out);
/* An integer value: true and *out, or false when it is not a plain integer. */
bool fy_jscan_int(const struct fy_jscan_member *m, int64_t *out);

#endif
