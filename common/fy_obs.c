/* SPDX-License-Identifier: Apache-2.0
 * fy_obs: health, metrics and access log of ferry's HTTP endpoints (see
 * fy_obs.h). The per-request cost is two lock-free series lookups and three
 * relaxed atomic adds (fy_metrics.c); the access log, when enabled, one
 * write(). Thread: any. */
#include "common/fy_obs.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "common/fy_log.h"
#include "common/fy_statuspage.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_MS 1000000LL

/* request latency buckets: 100 µs .. 10 s, in ns */
static const int64_t latency_bounds[] = {
    100000,           250000,           500000,           1 * NS_PER_MS,    2500000,
    5 * NS_PER_MS,    10 * NS_PER_MS,   25 * NS_PER_MS,   50 * NS_PER_MS,   100 * NS_PER_MS,
    250 * NS_PER_MS,  500 * NS_PER_MS,  1000 * NS_PER_MS, 2500 * NS_PER_MS, 5000 * NS_PER_MS,
    10000 * NS_PER_MS};

struct fy_obs_entry {
    const char *method, *route; /* keys by address */
    int status;
    struct fy_metric *requests, *latency, *bytes;
    struct fy_obs_entry *next; /* o->entries */
};

void fy_obs_init(struct fy_obs *o, struct fy_metrics *metrics, bool access_log)
{
    memset(o, 0, sizeof *o);
    o->metrics = metrics;
    o->access_log = access_log;
    atomic_init(&o->ready, false);
    for (size_t i = 0; i < FY_OBS_CACHE; i++)
        atomic_init(&o->cache[i], NULL);
    pthread_mutex_init(&o->mu, NULL);
    if (!metrics)
        return;
    static const char *const mrs[] = {"method", "route", "status", NULL};
    static const char *const mr[] = {"method", "route", NULL};
    o->requests = fy_metrics_family(metrics, FY_METRIC_COUNTER, "ferry_http_requests_total",
                                    "HTTP requests answered, by method, route template and status.",
                                    mrs, NULL, 0, 1);
    o->latency = fy_metrics_family(
        metrics, FY_METRIC_HISTOGRAM, "ferry_http_request_duration_seconds",
        "Time from the request line to the answer handed to the socket, by method and route.",
        mr, latency_bounds, sizeof latency_bounds / sizeof latency_bounds[0], 1e9);
    o->resp_bytes = fy_metrics_family(metrics, FY_METRIC_COUNTER, "ferry_http_response_bytes_total",
                                      "Response body bytes sent, by method and route template.",
                                      mr, NULL, 0, 1);
}

void fy_obs_destroy(struct fy_obs *o)
{
    for (struct fy_obs_entry *e = o->entries, *n; e; e = n) {
        n = e->next;
        free(e);
    }
    o->entries = NULL;
    pthread_mutex_destroy(&o->mu);
}

const char *fy_obs_route(const char *path)
{
    static const char *const own[] = {"/metrics", "/health/live", "/health/ready"};
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (strcmp(path, own[i]) == 0)
            return own[i];
    const char *page = fy_statuspage_route(path);
    return page ? page : "other";
}

void fy_obs_set_ready(struct fy_obs *o, bool ready)
{
    atomic_store(&o->ready, ready);
}

const char *fy_obs_method(const char *method)
{
    static const char *const known[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH",
                                        "OPTIONS"};
    for (size_t i = 0; method && i < sizeof known / sizeof known[0]; i++)
        if (strcmp(method, known[i]) == 0)
            return known[i];
    return "other";
}

static bool is_ready(struct fy_obs *o)
{
    return atomic_load(&o->ready) && (!o->ready_fn || o->ready_fn(o->ready_arg));
}

bool fy_obs_serve(struct fy_obs *o, const char *method, const char *path, int *status,
                  char **body, const char **ctype)
{
    if (!o || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0))
        return false;
    if (strcmp(path, "/metrics") == 0 && o->metrics) {
        struct fy_buf b;
        fy_buf_init(&b, 0);
        fy_metrics_render(o->metrics, &b);
        *status = 200;
        *body = fy_buf_steal(&b);
        *ctype = FY_METRICS_CONTENT_TYPE;
        return true;
    }
    if (o->page && fy_statuspage_serve(o->page, path, status, body, ctype))
        return true;
    bool ready;
    if (strcmp(path, "/health/live") == 0)
        ready = true;
    else if (strcmp(path, "/health/ready") == 0)
        ready = is_ready(o);
    else
        return false;
    *status = ready ? 200 : 503;
    *body = fy_strdup(ready ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}");
    *ctype = "application/json";
    return true;
}

/* a logfmt value in quotes: '"' and '\' escaped, control bytes as \xNN, so
 * a client cannot forge a line or a field */
static void put_quoted(struct fy_buf *b, const char *s, size_t max)
{
    fy_buf_putc(b, '"');
    for (size_t i = 0; s && s[i] && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fy_buf_printf(b, "\\%c", c);
        else if (c < 0x20 || c == 0x7f)
            fy_buf_printf(b, "\\x%02x", c);
        else
            fy_buf_putc(b, (char)c);
    }
    fy_buf_putc(b, '"');
}

static void access_line(const struct fy_obs_req *rq, int64_t dur_ns)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_printf(&b, "method=%s route=", fy_obs_method(rq->method));
    put_quoted(&b, rq->route, 256);
    fy_buf_puts(&b, " path=");
    put_quoted(&b, rq->path, 1024);
    fy_buf_printf(&b, " status=%d bytes=%zu duration_ms=%.3f client=", rq->status, rq->bytes,
                  (double)dur_ns / 1e6);
    put_quoted(&b, rq->client ? rq->client : "", 64);
    fy_log(FY_LOG_INFO, "access", "%s", fy_buf_str(&b));
    fy_buf_destroy(&b);
}

/* The three series of (method, route, status): from the cache when the same
 * strings were seen last in its slot, else looked up by their text (and the
 * slot refilled; entries are immutable once published, and freed only by
 * fy_obs_destroy, so a reader never sees one die). Locks: takes o->mu on a miss. */
static const struct fy_obs_entry *series_of(struct fy_obs *o, const char *method,
                                            const char *route, int status)
{
    uintptr_t h = ((uintptr_t)method >> 3) * 31 + ((uintptr_t)route >> 3) * 131 + (uintptr_t)status;
    h ^= h >> 11;
    _Atomic(struct fy_obs_entry *) *slot = &o->cache[h % FY_OBS_CACHE];
    struct fy_obs_entry *e = atomic_load_explicit(slot, memory_order_acquire);
    if (e && e->method == method && e->route == route && e->status == status)
        return e;
    /* entries are keyed by address, and there are only as many as distinct
     * (method, route, status) strings the callers hold: a slot two hot keys
     * share costs this scan, never memory */
    pthread_mutex_lock(&o->mu);
    for (e = o->entries; e; e = e->next)
        if (e->method == method && e->route == route && e->status == status)
            break;
    if (!e) {
        char st[12];
        snprintf(st, sizeof st, "%d", status);
        e = fy_calloc(1, sizeof *e);
        e->method = method;
        e->route = route;
        e->status = status;
        e->requests = fy_metric_child(o->requests, (const char *[]){method, route, st});
        e->latency = fy_metric_child(o->latency, (const char *[]){method, route});
        e->bytes = fy_metric_child(o->resp_bytes, (const char *[]){method, route});
        e->next = o->entries;
        o->entries = e;
    }
    pthread_mutex_unlock(&o->mu);
    atomic_store_explicit(slot, e, memory_order_release);
    return e;
}

void fy_obs_done(struct fy_obs *o, const struct fy_obs_req *rq)
{
    if (!o)
        return;
    int64_t dur = fy_metrics_now_ns() - rq->start_ns;
    if (dur < 0)
        dur = 0;
    if (o->requests) {
        const struct fy_obs_entry *e = series_of(o, fy_obs_method(rq->method), rq->route,
                                                 rq->status);
        fy_metric_add(e->requests, 1);
        fy_metric_observe(e->latency, dur);
        fy_metric_add(e->bytes, (int64_t)rq->bytes);
    }
    if (o->access_log)
        access_line(rq, dur);
}

/* ---- the standalone listener */

struct fy_obs_http {
    struct MHD_Daemon *d;
    struct fy_obs *o;
    int port;
};

struct obs_conn {
    int64_t start_ns;
};

static void *obs_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
    (void)cls;
    (void)uri;
    (void)mc;
    struct obs_conn *c = fy_calloc(1, sizeof *c);
    c->start_ns = fy_metrics_now_ns();
    return c;
}

static enum MHD_Result obs_handle(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct fy_obs_http *s = cls;
    (void)version;
    (void)upload_data;
    struct obs_conn *c = *con_cls;
    if (!c)
        c = *con_cls = obs_uri(s, url, conn);
    if (*upload_data_size) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    int status = 404;
    char *body = NULL;
    const char *ctype = "application/json";
    if (!fy_obs_serve(s->o, method, url, &status, &body, &ctype)) {
        status = 404;
        body = fy_strdup("{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
    }
    size_t len = strlen(body);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    fy_obs_done(s->o, &(struct fy_obs_req){.method = method, .route = fy_obs_route(url),
                                           .path = url,
                                           .status = status, .bytes = len,
                                           .start_ns = c->start_ns});
    return ret;
}

static void obs_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                          enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

void fy_obs_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\r\n")] = '\0';
    fy_log(FY_LOG_WARN, "http", "msg=\"%s\"", line);
}

int fy_obs_ipv4_listen(const char *listen, const char *what, struct sockaddr_in *sa,
                       char *host, size_t host_len, struct fy_err *err)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= host_len)
        return fy_err_set(err, FY_E_CONFIG, "%s '%s': expected HOST:PORT", what, listen);
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *end = NULL;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || *end || !colon[1] || port < 0 || port > 65535 ||
        inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host,
                  &sa->sin_addr) != 1)
        return fy_err_set(err, FY_E_CONFIG, "%s '%s': expected IPv4 HOST:PORT", what, listen);
    sa->sin_port = htons((uint16_t)port);
    return 0;
}

struct fy_obs_http *fy_obs_http_start(struct fy_obs *o, const char *listen, struct fy_err *err)
{
    struct sockaddr_in sa;
    char host[64];
    if (fy_obs_ipv4_listen(listen, "metrics.listener", &sa, host, sizeof host, err) != 0)
        return NULL;
    struct fy_obs_http *s = fy_calloc(1, sizeof *s);
    s->o = o;
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG, 0,
                            NULL, NULL, obs_handle, s, MHD_OPTION_EXTERNAL_LOGGER, fy_obs_mhd_log,
                            NULL,
                            MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_URI_LOG_CALLBACK, obs_uri, s,
                            MHD_OPTION_NOTIFY_COMPLETED, obs_completed, s,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                            MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
    if (!s->d) {
        fy_err_set(err, FY_E_IO, "metrics listener: cannot listen on %s", listen);
        free(s);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : ntohs(sa.sin_port);
    return s;
}

int fy_obs_http_port(const struct fy_obs_http *s)
{
    return s->port;
}

void fy_obs_http_stop(struct fy_obs_http *s)
{
    if (!s)
        return;
    MHD_stop_daemon(s->d);
    free(s);
}
