/* SPDX-License-Identifier: Apache-2.0
 * mir_admin: admin HTTP glue (see mir_admin.h). Thread: MHD connection threads. */
#include "mirror/mir_admin.h"

#include "common/fy_alloc.h"
#include "common/fy_log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct mir_admin {
    struct MHD_Daemon *d;
    struct mir_worker *w;
    const struct fy_auth *auth;
    int port;
};

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *json)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(json), json, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* The same authentication as ferry serve (fy_auth): true when the request
 * was refused, with *ret the queued 401/403. */
static bool guard(const struct mir_admin *a, struct MHD_Connection *conn, enum fy_level level,
                  enum MHD_Result *ret)
{
    const char *authz = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_AUTHORIZATION);
    const struct fy_auth_user *u = NULL;
    struct fy_err err = {0};
    char *body = NULL;
    unsigned status = 0;
    if (fy_auth_authenticate(a->auth, authz, NULL, &u, &err) != 0) {
        status = (unsigned)err.code;
        body = fy_asprintf("{\"error_code\":%d,\"message\":\"%s\"}", err.code,
                           err.code == 401 ? "Unauthorized" : "Forbidden");
    } else if (!fy_auth_allows(a->auth, u, level, NULL, NULL)) {
        status = 403;
        body = fy_asprintf("{\"error_code\":40301,\"message\":\"User is denied operation %s "
                           "on the mirror\"}", level == FY_LEVEL_READ ? "Read" : "Admin");
    }
    fy_err_destroy(&err);
    if (!body)
        return false;
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, fy_auth_challenge(a->auth));
    *ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return true;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    static int first_call_marker;
    struct mir_admin *a = cls;
    (void)version;
    (void)upload_data;
    if (!*con_cls) {
        /* MHD calls once for the headers, then for the body: answer at the end */
        *con_cls = &first_call_marker;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* bodies are ignored: all parameters are in the query */
        return MHD_YES;
    }
    const char *topic = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "topic");
    const char *tmo = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "timeout_ms");
    long timeout_ms = 60000;
    if (tmo) {
        char *end = NULL;
        errno = 0;
        timeout_ms = strtol(tmo, &end, 10);
        if (errno || *end || timeout_ms < 0 || timeout_ms > 3600000)
            return reply(conn, 400, fy_strdup("{\"error_code\":400,\"message\":\"bad timeout_ms\"}"));
    }
    if (topic && !topic[0])
        topic = NULL;
    if (fy_auth_enabled(a->auth)) {
        enum MHD_Result denied;
        if (guard(a, conn, strcmp(method, "GET") == 0 ? FY_LEVEL_READ : FY_LEVEL_ADMIN,
                  &denied))
            return denied;
    }
    static const struct {
        const char *path, *method;
        enum mir_op op;
    } routes[] = {{"/status", "GET", MIR_OP_STATUS},     {"/pause", "POST", MIR_OP_PAUSE},
                  {"/resume", "POST", MIR_OP_RESUME},    {"/failover", "POST", MIR_OP_FAILOVER},
                  {"/promote", "POST", MIR_OP_PROMOTE}};
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(url, routes[i].path) != 0)
            continue;
        if (strcmp(method, routes[i].method) != 0)
            return reply(conn, 405, fy_strdup("{\"error_code\":405,\"message\":\"method not allowed\"}"));
        char *json = NULL;
        int status = mir_worker_request(a->w, routes[i].op, topic, (int)timeout_ms, &json);
        fy_log(FY_LOG_INFO, "mirror", "msg=\"admin request\" method=%s path=%s topic=%s status=%d",
               method, url, topic ? topic : "*", status);
        return reply(conn, (unsigned)status, json);
    }
    return reply(conn, 404, fy_strdup("{\"error_code\":404,\"message\":\"not found\"}"));
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char buf[512];
    (void)cls;
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    fy_log(FY_LOG_WARN, "http", "msg=\"%s\"", buf);
}

struct mir_admin *mir_admin_start(const char *listen, struct mir_worker *w,
                                  const struct fy_auth *auth, struct fy_err *err)
{
    struct sockaddr_in sa;
    const char *colon = strrchr(listen, ':');
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    char host[64];
    if (!colon || (size_t)(colon - listen) >= sizeof host) {
        fy_err_set(err, FY_E_CONFIG, "admin.listen '%s': expected HOST:PORT", listen);
        return NULL;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *end = NULL;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || *end || port < 0 || port > 65535 ||
        inet_pton(AF_INET, strcmp(host, "localhost") == 0 ? "127.0.0.1" : host,
                  &sa.sin_addr) != 1) {
        fy_err_set(err, FY_E_CONFIG, "admin.listen '%s': expected IPv4 HOST:PORT", listen);
        return NULL;
    }
    sa.sin_port = htons((uint16_t)port);
    struct mir_admin *a = fy_calloc(1, sizeof *a);
    a->w = w;
    a->auth = auth;
    a->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                                MHD_USE_ERROR_LOG,
                            0, NULL, NULL, handle, a, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
                            MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)3600, MHD_OPTION_END);
    if (!a->d) {
        fy_err_set(err, FY_E_IO, "admin endpoint: cannot listen on %s", listen);
        free(a);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->d, MHD_DAEMON_INFO_BIND_PORT);
    a->port = info ? info->port : (int)port;
    fy_log(FY_LOG_INFO, "mirror", "msg=\"admin endpoint listening\" address=%s:%d", host, a->port);
    return a;
}

int mir_admin_port(const struct mir_admin *a)
{
    return a->port;
}

void mir_admin_stop(struct mir_admin *a)
{
    if (!a)
        return;
    MHD_stop_daemon(a->d);
    free(a);
}
