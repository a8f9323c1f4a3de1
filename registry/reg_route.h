/* SPDX-License-Identifier: Apache-2.0
 * reg_route: the REST API as plain functions. An HTTP front end (reg_http.c,
 * or a unit test) fills a `struct reg_req`, calls reg_route(), and sends the
 * `struct reg_resp` back: routing, content negotiation, argument parsing and
 * every handler live behind this one call, with no socket in sight.
 * Thread: any MHD pool thread; handlers keep no mutable static state. */
#ifndef REG_ROUTE_H
#define REG_ROUTE_H

#include "registry/reg_registry.h"

#include <stddef.h>

struct reg_query_arg {
    const char *name;  /* raw (still percent-encoded) */
    const char *value; /* raw; NULL when the argument had no '=' */
};

struct reg_req {
    const char *method;       /* "GET", "POST", ... */
    const char *path;         /* raw path without the query, still percent-encoded */
    const struct reg_query_arg *args;
    size_t n_args;
    const char *body;         /* NULL when none */
    size_t body_len;
    const char *content_type; /* header value or NULL */
    const char *accept;       /* header value or NULL */
    bool admin;               /* the caller may act as admin (reg_access): it may ask to see
                               * credentials (exporter configs) */
};

struct reg_resp {
    int status;
    char *body;               /* **new** response text; the caller frees it */
    const char *content_type; /* static string */
    int route;                /* id of the matched route template (reg_route_label), or
                               * REG_ROUTE_NONE when no route matched the path */
};

/* --- route templates: bounded labels for metrics and the access log --- */
#define REG_ROUTE_NONE (-1)
/* Route ids are 0 .. reg_route_count() - 1 (fixed for the process once the
 * extensions are added). */
int reg_route_count(const struct reg_registry *r);
/* The template of route `id` ("/subjects/{subject}/versions", with
 * "/contexts/{context}" in front for the URL-prefix form; an extension's
 * "/exporters/{name}/{action}"), or "other" for REG_ROUTE_NONE, into `buf`. */
void reg_route_label(const struct reg_registry *r, int id, char *buf, size_t len);

/* --- extensions: REST resources served by a module above the registry ---
 * The linker's /exporters API lives in linker/ (which depends on registry/,
 * never the reverse), so the router hands it every path whose first segment
 * equals a registered prefix. The router still does content negotiation
 * (406), body media type (415) and JSON parsing (400, `null` = no body), and
 * maps the extension's fy_err to a Confluent error body, as for its own
 * routes. The URL-prefix form /contexts/{ctx}/<prefix>/... reaches the
 * extension too, with the context in `context`. */
struct reg_ext_req {
    const char *method;
    const char *const *segs; /* percent-decoded path segments; segs[0] is the prefix */
    size_t n_segs;
    json_t *body;            /* parsed JSON object, or NULL when none; borrowed */
    const char *context;     /* canonical ".ctx" of /contexts/{ctx}/..., else NULL */
    const struct reg_query_arg *args; /* the query, raw */
    size_t n_args;
    bool admin;              /* reg_req.admin */
};

/* Serve one extension request: 0 with the JSON answer appended to `out`
 * (status 200), or -1 with `err` set. Thread: MHD pool threads. */
typedef int (*reg_route_ext_fn)(void *arg, const struct reg_ext_req *req, struct fy_buf *out,
                                struct fy_err *err);

/* Route paths starting with `/<prefix>` (one segment, e.g. "exporters") to
 * `fn(arg, ...)`. At most 4 extensions; 0, or -1 with FY_E_CONFIG. Call before
 * serving (reg_http_start). Thread: startup only. */
int reg_route_add_extension(struct reg_registry *r, const char *prefix, reg_route_ext_fn fn,
                            void *arg, struct fy_err *err);

/* Serve one request. Always fills `resp` (errors become Confluent error bodies). */
void reg_route(struct reg_registry *r, const struct reg_req *req, struct reg_resp *resp);

#endif
