/* SPDX-License-Identifier: Apache-2.0
 * reg_http: the libmicrohttpd front end — accepts connections, gathers each
 * request (size-capped body), hands it to reg_route() and sends the answer.
 * Thread: MHD's internal thread pool runs every callback. */
#ifndef REG_HTTP_H
#define REG_HTTP_H

#include "common/fy_err.h"
#include "registry/reg_registry.h"

#include <stddef.h>

struct reg_http_opts {
    const char *host;      /* numeric IPv4/IPv6 address or "localhost" */
    int port;
    int threads;           /* MHD thread-pool size */
    size_t max_body;       /* bytes; larger bodies get 413 */
};

struct reg_http;

/* Start serving. NULL with err (FY_E_IO, naming the address) on failure. */
struct reg_http *reg_http_start(struct reg_registry *r, const struct reg_http_opts *opts,
                                struct fy_err *err);
/* The port actually bound (useful when opts->port was 0). */
int reg_http_port(const struct reg_http *h);
/* Stop accepting, finish in-flight requests, free. NULL-safe. */
void reg_http_stop(struct reg_http *h);

#endif
