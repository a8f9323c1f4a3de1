/* SPDX-License-Identifier: Apache-2.0
 * reg_http: libmicrohttpd glue (see reg_http.h). Kept thin on purpose: the
 * callback only accumulates the body and fills a struct reg_req; everything
 * else is reg_route(). MHD is told not to unescape the URL, because a subject
 * may contain an encoded '/', which must not split a path segment. */
#include "registry/reg_http.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "common/fy_jsonout.h"
#include "common/fy_log.h"
#include "registry/reg_route.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct reg_http {
    struct MHD_Daemon *daemon;
    struct reg_registry *r;
    size_t max_body;
    int port;
};

/* Per-request state, hung off MHD's per-connection pointer. */
struct request_state {
    struct fy_buf body;
    bool too_large;
    bool has_body;
};

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

static enum MHD_Result send_response(struct MHD_Connection *conn, int status, char *body,
                                     const char *content_type)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(body);
        return MHD_NO;
    }
    if (status != 204)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result send_too_large(struct MHD_Connection *conn, const struct reg_http *h)
{
    struct fy_buf b;
    fy_buf_init(&b, 0);
    fy_buf_printf(&b,
                  "{\"error_code\":413,\"message\":\"Request body is larger than the limit of %zu "
                  "bytes (ferry.request.max.bytes)\"}",
                  h->max_body);
    return send_response(conn, 413, fy_buf_steal(&b), "application/vnd.schemaregistry.v1+json");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    struct reg_http *h = cls;
    struct request_state *st = *con_cls;
    if (!st) {
        st = fy_calloc(1, sizeof *st);
        fy_buf_init(&st->body, h->max_body);
        *con_cls = st;
        /* refuse a declared oversize body before it is sent (no 100-continue) */
        const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > h->max_body) {
            st->too_large = true;
            return send_too_large(conn, h);
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
    if (st->too_large)
        return send_too_large(conn, h);
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
    reg_route(h->r, &req, &resp);
    free(args.items);
    fy_log(FY_LOG_DEBUG, "http", "method=%s path=%s status=%d", method, url, resp.status);
    return send_response(conn, resp.status, resp.body, resp.content_type);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct request_state *st = *con_cls;
    if (!st)
        return;
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

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    fy_log(FY_LOG_WARN, "http", "msg=\"%s\"", line);
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
    h->max_body = opts->max_body;
    /* poll(), not epoll: with MHD 0.9.75's edge-triggered epoll a client that
     * sends a partial body and then half-closes is never noticed, and the
     * connection hangs until the idle timeout (seen in the truncated-body test) */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    h->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(opts->threads > 0 ? opts->threads : 1),
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL, MHD_OPTION_UNESCAPE_CALLBACK,
        keep_escaped, NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)4096, MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
    freeaddrinfo(ai);
    if (!h->daemon) {
        fy_err_set(err, FY_E_IO, "cannot listen on %s:%d (address in use or not available)",
                   host ? host : "*", opts->port);
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->daemon, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : opts->port;
    return h;
}

int reg_http_port(const struct reg_http *h)
{
    return h->port;
}

void reg_http_stop(struct reg_http *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->daemon);
    free(h);
}
