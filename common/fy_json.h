/* SPDX-License-Identifier: Apache-2.0
 * fy_json: JSON text the way Java/Jackson writes it, for texts that must be
 * byte-identical to what a Confluent registry stores (Avro canonical schemas).
 * Numbers follow Java's Double.toString / Float.toString, strings Jackson's
 * escaping (fy_jsonout), objects keep their (jansson insertion) key order.
 * Thread: any (no shared state). */
#ifndef FY_JSON_H
#define FY_JSON_H

#include "common/fy_buf.h"

#include <jansson.h>
#include <stddef.h>

/* Large enough for any fy_json_java_double/float result plus the NUL. */
#define FY_JSON_NUM_MAX 32

/* Java's Double.toString(d) into `out` (FY_JSON_NUM_MAX bytes): "1.0", "0.001",
 * "1.0E7", "1.0E-4", "-0.0", "NaN", "Infinity". Digits are the shortest that
 * round-trip (JDK 19+; JDK <= 18 printed a longer form for a few rare values). */
void fy_json_java_double(double d, char out[FY_JSON_NUM_MAX]);
/* Java's Float.toString(f) into `out`, same rules at float precision. */
void fy_json_java_float(float f, char out[FY_JSON_NUM_MAX]);

/* Append `v` as compact JSON the way Jackson serialises a JsonNode: object
 * keys in `v`'s order, integers as is, reals via fy_json_java_double (NaN and
 * infinities quoted, as Jackson's QUOTE_NON_NUMERIC_NUMBERS does). 0, or -1
 * when the buffer cap is exceeded. */
int fy_json_write(struct fy_buf *buf, const json_t *v);

#endif
