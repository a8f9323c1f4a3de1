/* SPDX-License-Identifier: Apache-2.0
 * fy_json: Java-compatible number formatting and Jackson-style compact JSON
 * output of jansson trees (see fy_json.h). */
#include "common/fy_json.h"

#include "common/fy_jsonout.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Shortest decimal digits that read back as `d` (as float when `as_float`):
 * digits without sign, dot or trailing zeros into `digits`, and the decimal
 * exponent of the first digit (value = d.ddd x 10^exp). */
static void shortest_digits(double d, int as_float, char digits[24], int *exp10)
{
    char tmp[40];
    int max = as_float ? 9 : 17;
    for (int prec = 1; prec <= max; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
        if (as_float ? strtof(tmp, NULL) == (float)d : strtod(tmp, NULL) == d)
            break;
    }
    /* Java (Double.toString spec, JDK 19 wording; older JDKs agree here):
     * when one digit suffices, the closest two-digit decimal is preferred,
     * e.g. Double.MIN_VALUE is "4.9E-324", not "5.0E-324" */
    if (strchr(tmp, '.') == NULL) {
        char two[40];
        snprintf(two, sizeof two, "%.1e", d);
        if (as_float ? strtof(two, NULL) == (float)d : strtod(two, NULL) == d)
            memcpy(tmp, two, sizeof two);
    }
    /* tmp is "D.DDDDe[+-]XX" (or "De[+-]XX" for one digit) */
    size_t n = 0;
    const char *s = tmp;
    for (; *s && *s != 'e'; s++)
        if (*s >= '0' && *s <= '9')
            digits[n++] = *s;
    while (n > 1 && digits[n - 1] == '0')
        n--;
    digits[n] = '\0';
    *exp10 = (int)strtol(s + 1, NULL, 10);
}

/* JDK <= 18 FloatingDecimal.dtoa prints an integer-valued double or float
 * in [1, 2^63) from its exact long value, dropping only a table-driven count
 * of "insignificant" low digits (rounding half up), not the shortest digits:
 * (float)7499061760 is "7.4990618E9", not "7.499062E9". Confluent runs on
 * such JDKs, so that path is reproduced here. Returns false when `a` (> 0)
 * does not take it. */
static bool java_long_digits(double a, int as_float, char digits[24], int *exp10)
{
    static const int insignificant_for_pow2[] = {
        0,  0,  0,  0,  1,  1,  1,  2,  2,  2,  3,  3,  3,  3,  4,  4,  4,  5,  5,  5,  6,  6,
        6,  6,  7,  7,  7,  8,  8,  8,  9,  9,  9,  9,  10, 10, 10, 11, 11, 11, 12, 12, 12, 12,
        13, 13, 13, 14, 14, 14, 15, 15, 15, 15, 16, 16, 16, 17, 17, 17, 18, 18, 18, 19};
    if (a < 1 || a >= 9223372036854775808.0 || a != floor(a))
        return false;
    int bin_exp;
    frexp(a, &bin_exp);
    bin_exp -= 1; /* a = 1.xxx * 2^bin_exp */
    int n_significant = as_float ? 24 : 53;
    int insignificant = 0;
    if (bin_exp > n_significant) {
        int p2 = bin_exp - n_significant - 1;
        if (p2 > 1 && p2 < (int)(sizeof insignificant_for_pow2 / sizeof insignificant_for_pow2[0]))
            insignificant = insignificant_for_pow2[p2];
    }
    uint64_t v = (uint64_t)a;
    int dec_exp = 0;
    if (insignificant) {
        uint64_t pow10 = 1;
        for (int i = 0; i < insignificant; i++)
            pow10 *= 10;
        uint64_t residue = v % pow10;
        v /= pow10;
        dec_exp += insignificant;
        if (residue >= pow10 / 2)
            v++;
    }
    char tmp[24];
    snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v);
    size_t n = strlen(tmp);
    while (n > 1 && tmp[n - 1] == '0')
        n--;
    memcpy(digits, tmp, n);
    digits[n] = '\0';
    *exp10 = dec_exp + (int)strlen(tmp) - 1;
    return true;
}

/* Java's FloatingDecimal layout: plain notation for 1e-3 <= |v| < 1e7, else
 * computerized scientific notation; always at least one fraction digit. */
static void java_format(double d, int as_float, char out[FY_JSON_NUM_MAX])
{
    if (isnan(d)) {
        snprintf(out, FY_JSON_NUM_MAX, "NaN");
        return;
    }
    if (isinf(d)) {
        snprintf(out, FY_JSON_NUM_MAX, "%s", d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (d == 0) {
        snprintf(out, FY_JSON_NUM_MAX, "%s", signbit(d) ? "-0.0" : "0.0");
        return;
    }
    char digits[24];
    int e;
    if (!java_long_digits(fabs(d), as_float, digits, &e))
        shortest_digits(fabs(d), as_float, digits, &e);
    size_t n = strlen(digits);
    size_t o = 0;
    if (d < 0)
        out[o++] = '-';
    double a = fabs(d);
    if (a >= 1e-3 && a < 1e7) {
        if (e >= 0) {
            for (int i = 0; i <= e; i++)
                out[o++] = (size_t)i < n ? digits[i] : '0';
            out[o++] = '.';
            if ((size_t)e + 1 < n) {
                for (size_t i = (size_t)e + 1; i < n; i++)
                    out[o++] = digits[i];
            } else {
                out[o++] = '0';
            }
        } else {
            out[o++] = '0';
            out[o++] = '.';
            for (int i = -1; i > e; i--)
                out[o++] = '0';
            for (size_t i = 0; i < n; i++)
                out[o++] = digits[i];
        }
        out[o] = '\0';
        return;
    }
    out[o++] = digits[0];
    out[o++] = '.';
    if (n > 1) {
        for (size_t i = 1; i < n; i++)
            out[o++] = digits[i];
    } else {
        out[o++] = '0';
    }
    snprintf(out + o, FY_JSON_NUM_MAX - o, "E%d", e);
}

void fy_json_java_double(double d, char out[FY_JSON_NUM_MAX])
{
    java_format(d, 0, out);
}

void fy_json_java_float(float f, char out[FY_JSON_NUM_MAX])
{
    java_format((double)f, 1, out);
}

int fy_json_write(struct fy_buf *buf, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        if (fy_buf_putc(buf, '{') != 0)
            return -1;
        const char *key;
        json_t *val;
        int first = 1;
        /* json_object_foreach wants a non-const object; iteration does not modify it */
        json_object_foreach((json_t *)v, key, val)
        {
            if (!first && fy_buf_putc(buf, ',') != 0)
                return -1;
            first = 0;
            if (fy_jsonout_key(buf, key) != 0 || fy_json_write(buf, val) != 0)
                return -1;
        }
        return fy_buf_putc(buf, '}');
    }
    case JSON_ARRAY: {
        if (fy_buf_putc(buf, '[') != 0)
            return -1;
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i && fy_buf_putc(buf, ',') != 0)
                return -1;
            if (fy_json_write(buf, json_array_get(v, i)) != 0)
                return -1;
        }
        return fy_buf_putc(buf, ']');
    }
    case JSON_STRING:
        return fy_jsonout_strn(buf, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return fy_jsonout_int(buf, (int64_t)json_integer_value(v));
    case JSON_REAL: {
        char num[FY_JSON_NUM_MAX];
        double d = json_real_value(v);
        fy_json_java_double(d, num);
        if (!isfinite(d))
            return fy_jsonout_str(buf, num);
        return fy_buf_puts(buf, num);
    }
    case JSON_TRUE:
        return fy_buf_puts(buf, "true");
    case JSON_FALSE:
        return fy_buf_puts(buf, "false");
    case JSON_NULL:
    default:
        return fy_buf_puts(buf, "null");
    }
}
