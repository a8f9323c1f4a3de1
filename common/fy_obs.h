/* SPDX-License-Identifier: Apache-2.0
 * fy_obs: what every ferry HTTP endpoint (serve, the mirror's admin endpoint,
 * `ferry link`'s metrics listener) answers for operators —
 *   GET /metrics        Prometheus text format 0.0.4 (fy_metrics_render)
 *   GET /health/live    200 {"status":"UP"} while the process serves HTTP
 *   GET /health/ready   200 {"status":"UP"} once ready, else 503 {"status":"DOWN"}
 * — plus the per-request bookkeeping they share: the HTTP request counter
 * and latency histogram by route template and status, and the optional
 * access log line. Confluent's registry has none of these paths (its
 * metrics are JMX, its only probe-like resource /v1/metadata/id), so they
 * cannot shadow an API path. Thread: any. */
#ifndef FY_OBS_H
#define FY_OBS_H

#include "common/fy_err.h"
#include "common/fy_metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FY_OBS_CACHE 1024

struct fy_obs_entry; /* fy_obs.c: the series of one (method, route, status) */

/* Readiness beyond the flag (the mirror: its worker published a status). */
typedef bool (*fy_obs_ready_fn)(void *arg);

struct fy_statuspage;

struct fy_obs {
    struct fy_metrics *metrics;       /* borrowed; NULL = /metrics answers 404 */
    struct fy_statuspage *page;       /* borrowed; NULL = no /dr page (fy_statuspage.h) */
    atomic_bool ready;                /* set by the owner once replay / restore is done */
    fy_obs_ready_fn ready_fn;         /* optional, checked after `ready` */
    void *ready_arg;
    bool access_log;                  /* one log line per request (module "access") */
    struct fy_metric_family *requests; /* ferry_http_requests_total{method,route,status} */
    struct fy_metric_family *latency;  /* ferry_http_request_duration_seconds{method,route} */
    struct fy_metric_family *resp_bytes; /* ferry_http_response_bytes_total{method,route} */
    /* the series of recent (method, route, status) keyed by the strings'
     * addresses: a request finds its three series with one load */
    _Atomic(struct fy_obs_entry *) cache[FY_OBS_CACHE];
    pthread_mutex_t mu;           /* `entries` */
    struct fy_obs_entry *entries; /* every entry ever made (freed by fy_obs_destroy) */
};

/* Set up `o` (caller storage) over `metrics` (borrowed, may be NULL): the
 * HTTP families are registered in it. Not ready until fy_obs_set_ready. */
void fy_obs_init(struct fy_obs *o, struct fy_metrics *metrics, bool access_log);
/* Free what fy_obs_init and fy_obs_done allocated; no request may be running. */
void fy_obs_destroy(struct fy_obs *o);
void fy_obs_set_ready(struct fy_obs *o, bool ready);

/* If `method` `path` (path without query) is one of fy_obs's resources,
 * answer it: true with *status, *body (**new**) and *ctype (static).
 * false for any other request. */
bool fy_obs_serve(struct fy_obs *o, const char *method, const char *path, int *status,
                  char **body, const char **ctype);

/* The bounded `method` label: GET HEAD POST PUT DELETE PATCH OPTIONS, else "other". */
const char *fy_obs_method(const char *method);

/* The route label of one of fy_obs's own paths (a static string), "other"
 * for any other path. */
const char *fy_obs_route(const char *path);

/* One finished request, for fy_obs_done. `route` is a route template
 * ("/subjects/{subject}/versions"), never the raw path, in storage that
 * stays unchanged while `o` lives (static, or owned by the caller): series
 * are cached by its address. `method` is any method text; `path` (raw, as
 * sent) and `client` appear only in the access log. */
struct fy_obs_req {
    const char *method;
    const char *route;
    const char *path;
    const char *client;  /* "127.0.0.1:4711", or NULL */
    int status;
    size_t bytes;        /* response body bytes */
    int64_t start_ns;    /* fy_metrics_now_ns() when the request began */
};

/* Count it, observe its latency and write the access log line when enabled
 * (never a body or a header). NULL `o` is a no-op. */
void fy_obs_done(struct fy_obs *o, const struct fy_obs_req *rq);

/* Parse `listen` = HOST:PORT (IPv4 address or "localhost"; port 0 = any)
 * into `sa` (and the host text into `host`). 0, or -1 with FY_E_CONFIG naming
 * the setting `what` ("admin.listen"). */
struct sockaddr_in;
int fy_obs_ipv4_listen(const char *listen, const char *what, struct sockaddr_in *sa,
                       char *host, size_t host_len, struct fy_err *err);

/* libmicrohttpd's external logger (MHD_OPTION_EXTERNAL_LOGGER): one WARN line,
 * module "http", without MHD's trailing newline. */
void fy_obs_mhd_log(void *cls, const char *fmt, va_list ap);

/* A small HTTP listener serving only fy_obs's resources (`ferry link`),
 * on `listen` = HOST:PORT (IPv4 or localhost; port 0 = any). **new**, or
 * NULL with err (FY_E_CONFIG for a bad address, FY_E_IO when it cannot bind). */
struct fy_obs_http;
struct fy_obs_http *fy_obs_http_start(struct fy_obs *o, const char *listen, struct fy_err *err);
int fy_obs_http_port(const struct fy_obs_http *s);
/* Stop and free. NULL-safe. */
void fy_obs_http_stop(struct fy_obs_http *s);

#endif
