/* SPDX-License-Identifier: Apache-2.0
 * reg_http: the libmicrohttpd front end — accepts connections (bounded in all
 * and per client address), gathers each request (size-capped body, bounded
 * request line and headers, absolute header/body deadlines), hands it to
 * reg_route() and sends the answer; its own refusals are Confluent error bodies.
 * Thread: MHD's internal thread pool runs every callback; one reaper thread
 * enforces the deadlines. */
#ifndef REG_HTTP_H
#define REG_HTTP_H

#include "common/fy_auth.h"
#include "common/fy_err.h"
#include "common/fy_tls.h"
#include "common/fy_obs.h"
#include "registry/reg_registry.h"

#include <stddef.h>

struct reg_http_opts {
    const char *host;      /* numeric IPv4/IPv6 address or "localhost" */
    int port;
    int threads;           /* MHD thread-pool size */
    size_t max_body;       /* bytes; larger bodies get 413 */
    int max_conns;         /* open connections in all; at the limit the longest-waiting
                            * idle one is closed to admit a new one; 0 = 4096 */
    int max_conns_per_addr; /* per client address (MHD_OPTION_PER_IP_CONNECTION_LIMIT);
                            * 0 = unlimited */
    int idle_timeout_ms;   /* no byte either way for this long closes (0 = 30000) */
    int header_timeout_ms; /* request line + headers complete within this of accept
                            * (or of the previous answer plus the idle timeout), however
                            * slowly they trickle; 0 = 10000 */
    int body_timeout_ms;   /* the whole body within this of the headers; 0 = 60000 */
    size_t conn_memory;    /* MHD per-connection pool (MHD_OPTION_CONNECTION_MEMORY_LIMIT);
                            * 0 = 65536 */
    size_t conn_memory_increment; /* MHD_OPTION_CONNECTION_MEMORY_INCREMENT; 0 = 1024 */
    size_t max_uri;        /* request target bytes; 414 beyond; 0 = 8192 */
    size_t max_header_bytes; /* request line + headers; 431 beyond; 0 = 8192 */
    int max_query_params;  /* 431 beyond; 0 = 256 */
    struct fy_tls *tls;    /* non-NULL: an https listener with these credentials (borrowed;
                            * must outlive the server); NULL: plain http */
    const struct fy_auth *auth; /* authentication and roles (reg_access.h; borrowed, must
                            * outlive the server); NULL or disabled: open to all */
    struct fy_obs *obs;    /* borrowed: /metrics, /health/live and /ready, request metrics and the
                            * access log; NULL = none of them */
};

struct reg_http;

/* Start serving. NULL with err (FY_E_IO, naming the address) on failure. */
struct reg_http *reg_http_start(struct reg_registry *r, const struct reg_http_opts *opts,
                                struct fy_err *err);
/* The port actually bound (useful when opts->port was 0). */
int reg_http_port(const struct reg_http *h);
/* Begin the shutdown: stop accepting, close every connection that is not running
 * a handler (nothing of theirs was acknowledged), answer 503 to any request that
 * would start one, and wait up to `grace_ms` for the running handlers to answer.
 * 0 when none runs any more; -1 when some still do after the grace — then the
 * registry must not be closed under them, and the caller ends the process
 * instead (an acknowledged write is durable; an unanswered one was never
 * acknowledged, and the journal drops a torn tail on replay).
 * Thread: not an MHD thread. */
int reg_http_quiesce(struct reg_http *h, int grace_ms);
/* Stop (quiesced or not: handlers still running are waited for), free.
 * NULL-safe. Thread: not an MHD thread. */
void reg_http_stop(struct reg_http *h);

#endif
