/* SPDX-License-Identifier: Apache-2.0
 * reg_body: request bodies to jansson, with a fast path for the schema
 * string (see reg_body.h for what is checked and why the result is jansson's).
 * Thread: any. */
#include "registry/reg_body.h"

#include "common/fy_alloc.h"
#include "common/fy_jscan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Below this jansson's per-character cost does not matter. */
#define FAST_MIN 256

/* The body with its "schema" string decoded by fy_jscan, or NULL when the
 * fast path does not apply (the caller then parses with jansson). */
static json_t *parse_fast(const char *body, size_t len)
{
    struct fy_jscan js;
    struct fy_jscan_member m, schema = {0};
    int n_schema = 0, rc;
    if (!fy_jscan_begin(&js, body, len))
        return NULL;
    while ((rc = fy_jscan_next(&js, &m)) == 1) {
        /* fy_jscan reports an escaped key as "": it could hide a second "schema" */
        if (m.klen == 0)
            return NULL;
        if (fy_jscan_key_is(&m, "schema")) {
            schema = m;
            n_schema++;
        }
    }
    if (rc != 0 || n_schema != 1 || schema.type != FY_JS_STRING)
        return NULL;
    /* fy_jscan refused raw control characters; fy_jscan_string refuses bad
     * escapes, \u0000 and lone surrogates; json_stringn refuses invalid
     * UTF-8 with the same checker jansson's reader uses */
    char *text = fy_jscan_string(&schema);
    if (!text)
        return NULL;
    json_t *value = json_stringn(text, strlen(text));
    free(text);
    if (!value)
        return NULL;
    /* the rest: the same bytes without the string's content ("schema":"") */
    size_t head = (size_t)(schema.val - body);
    size_t tail = len - head - schema.vlen;
    char *rest_text = fy_malloc(head + tail + 1);
    memcpy(rest_text, body, head);
    memcpy(rest_text + head, schema.val + schema.vlen, tail);
    json_t *rest = json_loadb(rest_text, head + tail, JSON_DECODE_ANY, NULL);
    free(rest_text);
    if (!json_is_object(rest) || !json_is_string(json_object_get(rest, "schema"))) {
        json_decref(rest);
        json_decref(value);
        return NULL;
    }
    /* replacing keeps the member's place among the keys */
    json_object_set_new(rest, "schema", value);
    return rest;
}

json_t *reg_body_parse(const char *body, size_t len, json_error_t *jerr)
{
    if (len >= FAST_MIN) {
        json_t *j = parse_fast(body, len);
        if (j)
            return j;
    }
    return json_loadb(body, len, JSON_DECODE_ANY, jerr);
}
