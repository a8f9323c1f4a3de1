/* SPDX-License-Identifier: Apache-2.0
 * reg_json: JSON text to a jansson tree, the fast way, for the schema texts
 * the Avro parser reads on every registration, lookup and compatibility check.
 * jansson's reader goes one character at a time through a callback and
 * allocates every token; on a few KB of schema that was the largest single
 * cost of a registration. This is a plain recursive-descent reader over the
 * buffer that builds the same tree with jansson's own constructors.
 *
 * It is only a fast path: for any text jansson would refuse, and for anything
 * it is not sure about (a real number it cannot hand to jansson, very deep
 * nesting), it returns NULL and the caller parses with jansson, which then
 * reports the error exactly as before. For every text it accepts, the tree
 * equals jansson's — values, key order, duplicate keys (the last value wins,
 * in the first one's place), integers vs reals.
 * Thread: any (no shared state). */
#ifndef REG_JSON_H
#define REG_JSON_H

#include <jansson.h>
#include <stddef.h>

/* The tree json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, ...) returns
 * for the NUL-terminated `text`: a **new** value, or NULL when the caller
 * must ask jansson (which may then succeed or fail). */
json_t *reg_json_load(const char *text);

/* Deepest nesting of [ and { in the NUL-terminated JSON text `s` (outside
 * strings), scanning only until it exceeds `max`: a bound checked before
 * anything recursive reads the text. */
unsigned reg_json_nesting(const char *s, unsigned max);

#endif
