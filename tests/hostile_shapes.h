/* SPDX-License-Identifier: Apache-2.0
 * The schema shapes of issue 11 (hostile input), as text: what the unit
 * tests of reg_compat and the bench tool scripts/bench/schema_shapes.c feed
 * the parser and the compatibility checker. Header-only; each returns a
 * **new** string. */
#ifndef HOSTILE_SHAPES_H
#define HOSTILE_SHAPES_H

#include "common/fy_buf.h"

#include <stdbool.h>
#include <stddef.h>

/* A record Top whose field `defs` is a union of n records R0..R{n-1}
 * defined flat, each holding the previous one (with a null default when
 * `dflt`), then a field `last` of type R{n-1}: a check of two of them with
 * different `defs` names descends n levels through names, the JSON stays
 * shallow. */
static inline char *hostile_chain(size_t n, const char *defs, bool dflt)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_printf(&b, "{\"type\":\"record\",\"name\":\"Top\",\"fields\":[{\"name\":\"%s\","
                      "\"type\":[\"null\",{\"type\":\"record\",\"name\":\"R0\",\"fields\":[]}",
                  defs);
    for (size_t i = 1; i < n; i++)
        fy_buf_printf(&b, ",{\"type\":\"record\",\"name\":\"R%zu\",\"fields\":[{\"name\":\"p\","
                          "\"type\":\"R%zu\"}]}",
                      i, i - 1);
    fy_buf_printf(&b, "]%s},{\"name\":\"last\",\"type\":\"R%zu\"}]}",
                  dflt ? ",\"default\":null" : "", n ? n - 1 : 0);
    return fy_buf_steal(&b);
}

/* A union of n records all named R, in namespaces n0..n{n-1}, each with a
 * field f of `type`: every branch is a candidate for every other. */
static inline char *hostile_same_name_union(size_t n, const char *type)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++)
        fy_buf_printf(&b, "%s{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n%zu\","
                          "\"fields\":[{\"name\":\"f\",\"type\":\"%s\"}]}",
                      i ? "," : "", i, type);
    fy_buf_putc(&b, ']');
    return fy_buf_steal(&b);
}

/* A union of n fixed types named <stem>0..<stem>{n-1}. */
static inline char *hostile_fixed_union(const char *stem, size_t n)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_putc(&b, '[');
    for (size_t i = 0; i < n; i++)
        fy_buf_printf(&b, "%s{\"type\":\"fixed\",\"name\":\"%s%zu\",\"size\":4}", i ? "," : "",
                      stem, i);
    fy_buf_putc(&b, ']');
    return fy_buf_steal(&b);
}

/* An enum E with the symbols S<from>..S{n-1}. */
static inline char *hostile_enum(size_t from, size_t n)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[");
    for (size_t i = from; i < n; i++)
        fy_buf_printf(&b, "%s\"S%zu\"", i > from ? "," : "", i);
    fy_buf_puts(&b, "]}");
    return fy_buf_steal(&b);
}

/* A record Wide of n fields f0..f{n-1} of `type`. */
static inline char *hostile_record(size_t n, const char *type)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_puts(&b, "{\"type\":\"record\",\"name\":\"Wide\",\"fields\":[");
    for (size_t i = 0; i < n; i++)
        fy_buf_printf(&b, "%s{\"name\":\"f%zu\",\"type\":\"%s\"}", i ? "," : "", i, type);
    fy_buf_puts(&b, "]}");
    return fy_buf_steal(&b);
}

#endif
