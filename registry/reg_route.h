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
};

struct reg_resp {
    int status;
    char *body;               /* **new** response text; the caller frees it */
    const char *content_type; /* static string */
};

/* Serve one request. Always fills `resp` (errors become Confluent error bodies). */
void reg_route(struct reg_registry *r, const struct reg_req *req, struct reg_resp *resp);

#endif
