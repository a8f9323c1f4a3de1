/* SPDX-License-Identifier: Apache-2.0
 * reg_http: libmicrohttpd glue (see reg_http.h). Kept thin on purpose: the
 * callback only accumulates the body and fills a struct reg_req; everything
 * else is reg_route(). MHD is told not to unescape the URL, because a subject
 * may contain an encoded '/', which must not split a path segment.
 *
 * Hostile clients (issue 11). MHD resets a connection's timeout on
 * every byte, so a trickle keeps it forever, and it has no total deadline for
 * a request's headers or body. Each connection is therefore tracked here
 * (notify-connection callback) with the phase it is in and since when; a
 * reaper thread shuts down the socket of one that overstays its phase, and MHD
 * then closes it as a broken connection. At the connection limit the accept
 * policy closes the connection that has waited longest for a request instead
 * of refusing the new one, so idle sockets cannot lock clients out. */
#include "registry/reg_http.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "common/fy_jsonout.h"
#include "common/fy_log.h"
#include "registry/reg_access.h"
#include "registry/reg_route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CT_ERROR "application/vnd.schemaregistry.v1+json"
#define REAPER_TICK_MS 100

/* What a connection is waiting for, which decides its deadline. */
enum phase {
    PH_HEAD,    /* request line + headers (or the next request on a kept-alive one) */
    PH_BODY,    /* the request body */
    PH_HANDLER, /* our handler / the answer: no deadline of ours (MHD's idle timeout) */
};

/* One open connection; owned by the list in struct reg_http, linked at
 * NOTIFY_STARTED and unlinked at NOTIFY_CLOSED, which MHD calls before it
 * closes the socket — so `fd` is never a reused descriptor while linked. */
struct conn {
    struct conn *prev, *next;
    int fd;
    enum phase phase;
    bool served;      /* a request was answered: the head wait includes the idle time */
    bool shut;        /* shutdown() already issued */
    int64_t since_ms; /* monotonic, start of the current phase */
};

struct reg_http {
    struct MHD_Daemon *daemon;
    struct reg_registry *r;
    struct reg_http_opts o; /* with defaults applied */
    int port;

    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t wake;    /* the reaper's tick; broadcast when stopping begins */
    pthread_cond_t drained; /* a handler ended or a connection closed while stopping */
    struct conn *head, *tail; /* oldest first */
    int n_conns;
    bool stopping;
    pthread_t reaper;
    bool reaper_started;
    char **route_labels;  /* reg_route_label of every route id, for the metrics */
    int n_route_labels;
};

/* Per-request state, hung off MHD's per-request pointer (created by the URI log
 * callback, the first thing MHD calls for a request). */
struct request_state {
    struct fy_buf body;
    bool started;     /* the access handler has seen this request */
    bool too_large;
    bool has_body;
    int reject_status; /* non-zero: answer this error instead of routing */
    char reject_msg[200];
    /* for fy_obs_done at completion */
    int64_t start_ns;
    const char *method; /* fy_obs_method: a static string */
    char *path;        /* **new** copy for the access log, or NULL */
    int status;        /* of the answer queued; 0 = none */
    size_t bytes;
    const char *route; /* template label (h->route_labels or static) */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct args_acc {
    struct reg_query_arg *items;
    size_t n;
    size_t cap;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    (void)kind;
    struct args_acc *a = cls;
    if (a->n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 8;
        a->items = fy_realloc(a->items, a->cap * sizeof *a->items);
    }
    a->items[a->n].name = key;
    a->items[a->n].value = value;
    a->n++;
    return MHD_YES;
}

/* Queue `body` (taken) as the answer and note its status and size for the
 * request's metrics. `challenge`: the WWW-Authenticate of a 401, or NULL. */
static enum MHD_Result send_response(struct MHD_Connection *conn, struct request_state *st,
                                     int status, char *body, const char *content_type,
                                     bool close, const char *challenge)
{
    size_t len = strlen(body);
    st->status = status;
    st->bytes = len;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    if (status != 204)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    /* MHD closes the connection after an answer that says so */
    if (close)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
    if (challenge)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, challenge);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* A refusal of the HTTP layer in Confluent's shape ({"error_code": status,
 * "message"}, as rest-utils' exception mappers write it); the connection is
 * closed after it, since the rest of the request may not be trusted. */
static enum MHD_Result send_error(struct MHD_Connection *conn, struct request_state *st,
                                  int status, const char *msg)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_printf(&b, "{\"error_code\":%d,\"message\":", status);
    fy_jsonout_str(&b, msg);
    fy_buf_printf(&b, "}");
    return send_response(conn, st, status, fy_buf_steal(&b), CT_ERROR, true, NULL);
}

#ifdef MHD_HAVE_ERROR_RESPONSE_CALLBACK
/* The text of MHD's built-in HTML page: what its <body> says, tags dropped
 * and its entities decoded, on one line of at most `cap` - 1 bytes. */
static void page_text(const char *html, size_t len, char *out, size_t cap)
{
    static const struct {
        const char *ent;
        char ch;
    } ents[] = {{"&quot;", '"'}, {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&#39;", '\''}};
    size_t i = 0, n = 0;
    for (size_t k = 0; k + 6 <= len; k++)
        if (memcmp(html + k, "<body>", 6) == 0) {
            i = k + 6;
            break;
        }
    bool tag = false;
    while (i < len && n + 1 < cap) {
        char ch = html[i];
        if (tag || ch == '<') {
            if (ch == '<' && len - i >= 7 && memcmp(html + i, "</body>", 7) == 0)
                break;
            tag = ch != '>';
            i++;
            continue;
        }
        size_t used = 1;
        for (size_t e = 0; ch == '&' && e < sizeof ents / sizeof ents[0]; e++) {
            size_t el = strlen(ents[e].ent);
            if (len - i >= el && memcmp(html + i, ents[e].ent, el) == 0) {
                ch = ents[e].ch;
                used = el;
                break;
            }
        }
        out[n++] = ch == '\n' || ch == '\r' ? ' ' : ch;
        i += used;
    }
    out[n] = '\0';
}

/* A request MHD refuses itself, before any callback of ours (malformed
 * request line, header syntax or chunk framing, a bad Content-Length, a
 * header block larger than the connection's pool): answered in Confluent's
 * shape too, with MHD's reason in the message. MHD adds Connection: close.
 * Needs the patched libmicrohttpd (scripts/mhd/error-response-callback.patch). */
static struct MHD_Response *mhd_refusal(void *cls, struct MHD_Connection *conn,
                                        unsigned int status, const char *page, size_t len)
{
    (void)cls;
    (void)conn;
    char text[200];
    page_text(page, len, text, sizeof text);
    const char *reason = MHD_get_reason_phrase_for(status);
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_printf(&b, "{\"error_code\":%u,\"message\":", status);
    struct fy_buf m;
    fy_buf_init(&m, 0);
    fy_buf_printf(&m, "%s%s%s", reason && *reason ? reason : "Bad Request", text[0] ? ": " : "",
                  text);
    fy_jsonout_str(&b, fy_buf_str(&m));
    fy_buf_destroy(&m);
    fy_buf_putc(&b, '}');
    size_t n = b.len;
    char *body = fy_buf_steal(&b);
    struct MHD_Response *resp = MHD_create_response_from_buffer(n, body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return NULL;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, CT_ERROR);
    return resp;
}
#endif

static void reject(struct request_state *st, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void reject(struct request_state *st, int status, const char *fmt, ...)
{
    if (st->reject_status)
        return;
    st->reject_status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->reject_msg, sizeof st->reject_msg, fmt, ap);
    va_end(ap);
}

/* ---- connection tracking (called with h->lock held) */

static void conn_shut(struct conn *c);

/* Move `mc` to phase `ph`. Once stopping, nothing new starts: a connection
 * leaving its handler, or not yet in one, is closed, and false says so (the
 * request must not be run). */
static bool conn_phase(struct reg_http *h, struct MHD_Connection *mc, enum phase ph)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn *c = ci ? ci->socket_context : NULL;
    if (!c)
        return true;
    pthread_mutex_lock(&h->lock);
    bool was_handler = c->phase == PH_HANDLER;
    if (ph == PH_HEAD)
        c->served = true;
    c->phase = ph;
    c->since_ms = now_ms();
    bool ok = !h->stopping;
    if (h->stopping) {
        if (ph == PH_HANDLER)
            c->phase = PH_BODY; /* refused: not counted as running */
        conn_shut(c);
    }
    /* only a stop waits for handlers to end: waking the reaper on every
     * request would have it scan every connection tens of thousands of times
     * a second */
    if (was_handler && h->stopping)
        pthread_cond_broadcast(&h->drained);
    pthread_mutex_unlock(&h->lock);
    return ok;
}

/* MHD sees EOF/an error on the socket and closes the connection in its own
 * thread; the struct stays linked until NOTIFY_CLOSED. */
static void conn_shut(struct conn *c)
{
    if (c->shut)
        return;
    c->shut = true;
    shutdown(c->fd, SHUT_RDWR);
}

static int64_t conn_deadline(const struct reg_http *h, const struct conn *c)
{
    switch (c->phase) {
    case PH_HEAD:
        return c->since_ms + h->o.header_timeout_ms + (c->served ? h->o.idle_timeout_ms : 0);
    case PH_BODY:
        return c->since_ms + h->o.body_timeout_ms;
    case PH_HANDLER:
        break;
    }
    return INT64_MAX;
}

/* Wait on `cv` for at most `ms`. Locks: h->lock held. */
static void wait_ms(struct reg_http *h, pthread_cond_t *cv, long ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(cv, &h->lock, &ts);
}

static void *reaper_main(void *arg)
{
    struct reg_http *h = arg;
    pthread_mutex_lock(&h->lock);
    while (!h->stopping) {
        int64_t now = now_ms();
        for (struct conn *c = h->head; c; c = c->next)
            if (!c->shut && now >= conn_deadline(h, c)) {
                fy_log(FY_LOG_DEBUG, "http", "msg=\"closing a connection past its %s deadline\"",
                       c->phase == PH_HEAD ? "header" : "body");
                conn_shut(c);
            }
        wait_ms(h, &h->wake, REAPER_TICK_MS);
    }
    pthread_mutex_unlock(&h->lock);
    return NULL;
}

static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct reg_http *h = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
        struct conn *c = fy_calloc(1, sizeof *c);
        c->fd = ci ? ci->connect_fd : -1;
        c->phase = PH_HEAD;
        if (h->o.tls) {
            /* before the handshake: this session gets the newest certificate */
            const union MHD_ConnectionInfo *ti =
                MHD_get_connection_info(mc, MHD_CONNECTION_INFO_GNUTLS_SESSION);
            if (ti && ti->tls_session)
                fy_tls_session_setup(h->o.tls, ti->tls_session);
        }
        c->since_ms = now_ms();
        pthread_mutex_lock(&h->lock);
        c->prev = h->tail;
        if (h->tail)
            h->tail->next = c;
        else
            h->head = c;
        h->tail = c;
        h->n_conns++;
        if (c->fd < 0 || h->stopping)
            conn_shut(c);
        pthread_mutex_unlock(&h->lock);
        *socket_context = c;
        return;
    }
    struct conn *c = *socket_context;
    if (!c)
        return;
    pthread_mutex_lock(&h->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        h->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    else
        h->tail = c->prev;
    h->n_conns--;
    if (h->stopping)
        pthread_cond_broadcast(&h->drained);
    pthread_mutex_unlock(&h->lock);
    free(c);
    *socket_context = NULL;
}

/* At the limit, make room by closing the connection that has waited longest
 * for a request's headers (nginx frees "reusable" keep-alive connections the
 * same way); only when every connection is busy is the newcomer refused. */
static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addr;
    (void)addrlen;
    struct reg_http *h = cls;
    enum MHD_Result ok = MHD_YES;
    pthread_mutex_lock(&h->lock);
    if (h->stopping) {
        ok = MHD_NO;
    } else if (h->n_conns >= h->o.max_conns) {
        struct conn *victim = NULL;
        int open = 0;
        for (struct conn *c = h->head; c; c = c->next) {
            if (c->shut)
                continue;
            open++;
            if (c->phase == PH_HEAD && (!victim || c->since_ms < victim->since_ms))
                victim = c;
        }
        if (open >= h->o.max_conns) {
            if (victim)
                conn_shut(victim);
            else
                ok = MHD_NO;
        }
    }
    pthread_mutex_unlock(&h->lock);
    return ok;
}

/* ---- requests */

static enum MHD_Result send_too_large(struct MHD_Connection *conn, struct request_state *st,
                                      const struct reg_http *h)
{
    char msg[160];
    snprintf(msg, sizeof msg,
             "Request body is larger than the limit of %zu bytes (ferry.request.max.bytes)",
             h->o.max_body);
    return send_error(conn, st, 413, msg);
}

/* The first thing MHD calls for a request, once its request line is in and
 * before it splits the query into its pool: a query with more parameters than
 * the limit would exhaust the pool, and MHD could then not even build its 431,
 * so it is cut off here (MHD parses the buffer this pointer points into after
 * this call returns) and the request is answered 431 by on_request. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
    (void)mc;
    struct reg_http *h = cls;
    struct request_state *st = fy_calloc(1, sizeof *st);
    st->start_ns = fy_metrics_now_ns();
    st->route = "other";
    fy_buf_init(&st->body, h->o.max_body);
    size_t len = strlen(uri);
    char *query = strchr(uri, '?');
    if (len > h->o.max_uri) {
        reject(st, 414, "URI Too Long: the request target has %zu bytes, more than the limit of "
               "%zu (ferry.http.max.uri.bytes)", len, h->o.max_uri);
    } else if (query) {
        long params = 1;
        for (const char *p = query; *p; p++)
            params += *p == '&';
        if (params > h->o.max_query_params)
            reject(st, 431, "Request Header Fields Too Large: %ld query parameters, more than the "
                   "limit of %d (ferry.http.max.query.params)", params, h->o.max_query_params);
    }
    if (st->reject_status && query)
        query[1] = '\0';
    return st;
}

struct framing {
    int n_length;
    const char *length;
    bool lengths_differ;
    int n_encoding;
    const char *encoding;
};

static enum MHD_Result collect_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    (void)kind;
    struct framing *f = cls;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
        if (f->n_length++ && strcmp(f->length, value ? value : "") != 0)
            f->lengths_differ = true;
        f->length = value ? value : "";
    } else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
        f->n_encoding++;
        f->encoding = value ? value : "";
    }
    return MHD_YES;
}

/* Refuse what a proxy in front of us could read differently (request
 * smuggling, RFC 9112 §6.3): Jetty, under Confluent, answers 400 to duplicate
 * differing Content-Lengths and to Content-Length with Transfer-Encoding;
 * MHD 0.9.75 would take the first length, or read an unknown coding to EOF
 * (1.0.10 refuses differing lengths and unknown codings itself, but not
 * Content-Length with Transfer-Encoding; all stay here for a stock build). */
static void check_head(const struct reg_http *h, struct MHD_Connection *conn,
                       struct request_state *st)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (ci && ci->header_size > h->o.max_header_bytes)
        reject(st, 431, "Request Header Fields Too Large: %zu bytes of request line and headers, "
               "more than the limit of %zu (ferry.http.max.header.bytes)", ci->header_size,
               h->o.max_header_bytes);
    struct framing f = {0};
    MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_framing, &f);
    if (f.n_length && f.n_encoding)
        reject(st, 400, "Bad Request: Transfer-Encoding and Content-Length");
    else if (f.lengths_differ || (f.length && strchr(f.length, ',')))
        reject(st, 400, "Bad Request: Duplicate Content-Lengths");
    else if (f.n_encoding > 1 || (f.encoding && strcasecmp(f.encoding, "chunked") != 0))
        reject(st, 400, "Bad Request: Unsupported Transfer-Encoding (only chunked)");
}

/* Authentication and roles (reg_access.c): one call before the request runs.
 * 0 = go on (req->admin set); -1 = *deny holds the 401/403 answer. */
static int guard(const struct reg_http *h, struct MHD_Connection *conn, struct reg_req *req,
                 struct reg_resp *deny)
{
    req->admin = true;
    if (!fy_auth_enabled(h->o.auth))
        return 0;
    char peer[256] = "";
    if (h->o.tls) {
        const union MHD_ConnectionInfo *ti =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        if (ti && ti->tls_session)
            fy_tls_peer_name(ti->tls_session, peer, sizeof peer);
    }
    const char *authz = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_AUTHORIZATION);
    return reg_access_check(h->o.auth, req, authz, peer[0] ? peer : NULL, &req->admin, deny);
}

/* What the request's metrics and access log need from its head (the
 * method and, for the log only, the path; never a header or the body). */
static void request_begin(const struct reg_http *h, struct request_state *st,
                          const char *method, const char *url)
{
    st->method = fy_obs_method(method);
    if (h->o.obs && h->o.obs->access_log)
        st->path = fy_strndup(url, 1024);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct reg_http *h = cls;
    struct request_state *st = *con_cls;
    if (!st) /* MHD calls on_uri for every request; this is only belt and braces */
        st = *con_cls = on_uri(h, "", conn);
    if (!st->started) {
        st->started = true;
        request_begin(h, st, method, url);
        conn_phase(h, conn, PH_BODY);
        check_head(h, conn, st);
        if (st->reject_status)
            return send_error(conn, st, st->reject_status, st->reject_msg);
        /* refuse a declared oversize body before it is sent (no 100-continue) */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > h->o.max_body) {
            st->too_large = true;
            return send_too_large(conn, st, h);
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        st->has_body = true;
        /* enforce the cap as data arrives; past it, keep reading and discarding
         * (memory stays bounded) so the client gets our 413 at the end — MHD
         * cannot queue a response in the middle of an upload */
        if (!st->too_large && fy_buf_append(&st->body, upload_data, *upload_data_size) != 0) {
            st->too_large = true;
            fy_buf_destroy(&st->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (!conn_phase(h, conn, PH_HANDLER))
        return send_error(conn, st, 503, "Service Unavailable: the server is shutting down");
    if (st->too_large)
        return send_too_large(conn, st, h);
    struct args_acc args = {0};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &args);
    struct reg_req req = {
        .method = method,
        .path = url,
        .args = args.items,
        .n_args = args.n,
        .body = st->has_body ? fy_buf_str(&st->body) : NULL,
        .body_len = st->body.len,
        .content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_CONTENT_TYPE),
        .accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT),
    };
    struct reg_resp resp;
    if (guard(h, conn, &req, &resp) != 0) {
        free(args.items);
        /* a 401 carries the challenge (rest-utils: Jetty's BasicAuthenticator) */
        return send_response(conn, st, resp.status, resp.body, resp.content_type, false,
                             resp.status == 401 ? fy_auth_challenge(h->o.auth) : NULL);
    }
    /* /metrics and the health probes after the guard: with authentication on they need
     * the read level, unless authentication.skip.paths lists them */
    {
        int ostatus;
        char *obody;
        const char *octype;
        if (fy_obs_serve(h->o.obs, method, url, &ostatus, &obody, &octype)) {
            free(args.items);
            st->route = fy_obs_route(url);
            return send_response(conn, st, ostatus, obody, octype, false, NULL);
        }
    }
    reg_route(h->r, &req, &resp);
    free(args.items);
    if (resp.route >= 0 && resp.route < h->n_route_labels)
        st->route = h->route_labels[resp.route];
    fy_log(FY_LOG_DEBUG, "http", "method=%s path=%s status=%d", method, url, resp.status);
    return send_response(conn, st, resp.status, resp.body, resp.content_type, false, NULL);
}

/* The request's metrics and access log line, once its answer went out. */
static void request_done(struct reg_http *h, struct MHD_Connection *conn,
                         const struct request_state *st)
{
    if (!h->o.obs || !st->status)
        return;
    char client[INET6_ADDRSTRLEN + 8] = "";
    if (h->o.obs->access_log) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const struct sockaddr *sa = ci ? ci->client_addr : NULL;
        char ip[INET6_ADDRSTRLEN] = "";
        if (sa && sa->sa_family == AF_INET) {
            const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
            inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
            snprintf(client, sizeof client, "%s:%u", ip, ntohs(in->sin_port));
        } else if (sa && sa->sa_family == AF_INET6) {
            const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
            inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
            snprintf(client, sizeof client, "[%s]:%u", ip, ntohs(in6->sin6_port));
        }
    }
    fy_obs_done(h->o.obs, &(struct fy_obs_req){
        .method = st->method, .route = st->route, .path = st->path,
        .client = client[0] ? client : NULL, .status = st->status, .bytes = st->bytes, .start_ns = st->start_ns});
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)toe;
    struct reg_http *h = cls;
    conn_phase(h, conn, PH_HEAD);
    struct request_state *st = *con_cls;
    if (!st)
        return;
    request_done(h, conn, st);
    free(st->path);
    fy_buf_destroy(&st->body);
    free(st);
    *con_cls = NULL;
}

/* Keep the URL as sent: segments are decoded one by one in reg_route. */
static size_t keep_escaped(void *cls, struct MHD_Connection *c, char *uri)
{
    (void)cls;
    (void)c;
    return strlen(uri);
}

static void opts_defaults(struct reg_http_opts *o)
{
    if (o->max_conns <= 0)
        o->max_conns = 4096;
    if (o->idle_timeout_ms <= 0)
        o->idle_timeout_ms = 30000;
    if (o->header_timeout_ms <= 0)
        o->header_timeout_ms = 10000;
    if (o->body_timeout_ms <= 0)
        o->body_timeout_ms = 60000;
    if (!o->conn_memory)
        o->conn_memory = 65536;
    if (!o->conn_memory_increment)
        o->conn_memory_increment = 1024;
    if (!o->max_uri)
        o->max_uri = 8192;
    if (!o->max_header_bytes)
        o->max_header_bytes = 8192;
    if (o->max_query_params <= 0)
        o->max_query_params = 256;
}

/* MHD's own limit is a backstop above ours (it splits it evenly over the pool's
 * threads, and ours lets a closing connection overlap its replacement); both
 * must fit the descriptors this process may open. */
static unsigned mhd_conn_limit(struct reg_http_opts *o)
{
    struct rlimit rl;
    long long budget = 1LL << 30;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
        budget = (long long)rl.rlim_cur - 256; /* journal, Kafka, curl, exporters */
    if (budget < 64)
        budget = 64;
    if (o->max_conns > budget / 2) {
        fy_log(FY_LOG_WARN, "http",
               "msg=\"ferry.http.max.connections lowered to fit the open-file limit\" "
               "configured=%d used=%lld",
               o->max_conns, budget / 2);
        o->max_conns = (int)(budget / 2);
    }
    long long lim = 2LL * o->max_conns + 2LL * (o->threads > 0 ? o->threads : 1);
    return (unsigned)(lim < budget ? lim : budget);
}

/* MHD insists on a certificate (or this callback) at start; every session is
 * given the current credentials in on_connection instead, so it never runs. */
static int no_cert(gnutls_session_t s, const gnutls_datum_t *req_ca_dn, int n_req,
                   const gnutls_pk_algorithm_t *pk_algos, int n_pk, gnutls_pcert_st **pcert,
                   unsigned int *pcert_len, gnutls_privkey_t *pkey)
{
    (void)s, (void)req_ca_dn, (void)n_req, (void)pk_algos, (void)n_pk, (void)pcert;
    (void)pkey;
    *pcert_len = 0;
    return -1;
}

struct reg_http *reg_http_start(struct reg_registry *r, const struct reg_http_opts *opts,
                                struct fy_err *err)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", opts->port);
    const char *host = opts->host && opts->host[0] ? opts->host : NULL;
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai != 0) {
        fy_err_set(err, FY_E_CONFIG, "cannot resolve listen address %s:%d: %s",
                   host ? host : "*", opts->port, gai_strerror(gai));
        return NULL;
    }
    struct reg_http *h = fy_calloc(1, sizeof *h);
    h->r = r;
    h->o = *opts;
    opts_defaults(&h->o);
    h->n_route_labels = reg_route_count(r);
    h->route_labels = fy_calloc((size_t)h->n_route_labels, sizeof *h->route_labels);
    for (int i = 0; i < h->n_route_labels; i++) {
        char label[160];
        reg_route_label(r, i, label, sizeof label);
        h->route_labels[i] = fy_strdup(label);
    }
    pthread_mutex_init(&h->lock, NULL);
    pthread_cond_init(&h->wake, NULL);
    pthread_cond_init(&h->drained, NULL);
    unsigned limit = mhd_conn_limit(&h->o);
    /* poll(), not epoll: with MHD 0.9.75's edge-triggered epoll a client that
     * sends a partial body and then half-closes is never noticed, and the
     * connection hangs until the idle timeout (seen in the truncated-body test) */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG |
                     MHD_USE_ITC; /* MHD_quiesce_daemon needs it with a thread pool */
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (h->o.tls)
        flags |= MHD_USE_TLS;
    /* MHD complains about TLS options on a plain daemon: they come as an array */
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_PRIORITIES, 0, h->o.tls ? (void *)fy_tls_priorities(h->o.tls) : NULL},
        {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)no_cert},
        {MHD_OPTION_END, 0, NULL}};
    if (!h->o.tls)
        tls_opts[0].option = MHD_OPTION_END;
    h->daemon = MHD_start_daemon(
        flags, 0, accept_policy, h, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, fy_obs_mhd_log,
        NULL, MHD_OPTION_ARRAY, tls_opts,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(h->o.threads > 0 ? h->o.threads : 1),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, h,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, h,
#ifdef MHD_HAVE_ERROR_RESPONSE_CALLBACK
        MHD_OPTION_ERROR_RESPONSE_CALLBACK, mhd_refusal, h,
#endif
        MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, NULL,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)((h->o.idle_timeout_ms + 999) / 1000),
        MHD_OPTION_CONNECTION_LIMIT, limit,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)h->o.max_conns_per_addr,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, h->o.conn_memory,
        MHD_OPTION_CONNECTION_MEMORY_INCREMENT, h->o.conn_memory_increment,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!h->daemon) {
        fy_err_set(err, FY_E_IO, "cannot listen on %s%s:%d (address in use or not available)",
                   h->o.tls ? "https://" : "", host ? host : "*", opts->port);
        goto fail;
    }
    if (pthread_create(&h->reaper, NULL, reaper_main, h) != 0) {
        fy_err_set(err, FY_E_IO, "cannot start the HTTP reaper thread");
        goto fail;
    }
    h->reaper_started = true;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : opts->port;
    return h;
fail:
    reg_http_stop(h);
    return NULL;
}

int reg_http_port(const struct reg_http *h)
{
    return h->port;
}

static int handlers_running(const struct reg_http *h)
{
    int n = 0;
    for (const struct conn *c = h->head; c; c = c->next)
        n += c->phase == PH_HANDLER && !c->shut;
    return n;
}

/* Nothing new starts; connections not running a handler go now (nothing of
 * theirs was acknowledged). Locks: h->lock held. */
static void begin_stop(struct reg_http *h)
{
    h->stopping = true;
    for (struct conn *c = h->head; c; c = c->next)
        if (c->phase != PH_HANDLER)
            conn_shut(c);
    pthread_cond_broadcast(&h->wake);
}

int reg_http_quiesce(struct reg_http *h, int grace_ms)
{
    if (!h->daemon)
        return 0;
    MHD_socket lfd = MHD_quiesce_daemon(h->daemon);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    int64_t end = now_ms() + (grace_ms > 0 ? grace_ms : 0);
    pthread_mutex_lock(&h->lock);
    begin_stop(h);
    int n;
    while ((n = handlers_running(h)) > 0 && now_ms() < end) {
        wait_ms(h, &h->drained, 20);
    }
    pthread_mutex_unlock(&h->lock);
    return n > 0 ? -1 : 0;
}

void reg_http_stop(struct reg_http *h)
{
    if (!h)
        return;
    pthread_mutex_lock(&h->lock);
    begin_stop(h);
    pthread_mutex_unlock(&h->lock);
    if (h->reaper_started)
        pthread_join(h->reaper, NULL);
    if (h->daemon)
        MHD_stop_daemon(h->daemon);
    pthread_cond_destroy(&h->wake);
    pthread_cond_destroy(&h->drained);
    pthread_mutex_destroy(&h->lock);
    for (int i = 0; i < h->n_route_labels; i++)
        free(h->route_labels[i]);
    free(h->route_labels);
    free(h);
}
