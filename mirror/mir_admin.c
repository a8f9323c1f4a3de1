/* SPDX-License-Identifier: Apache-2.0
 * mir_admin: admin HTTP glue (see mir_admin.h). Thread: MHD connection threads. */
#include "mirror/mir_admin.h"

#include "common/fy_alloc.h"
#include "common/fy_log.h"
#include "common/fy_drview.h"
#include "common/fy_obs.h"
#include "common/fy_statuspage.h"
#include "mirror/mir_metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* the status page samples the snapshot this often (an hour of samples) */
#define MIR_PAGE_INTERVAL_MS 5000

struct mir_admin {
    struct MHD_Daemon *d;
    struct mir_worker *w;
    const struct fy_auth *auth;
    int port;
    struct fy_metrics *metrics; /* GET /metrics: admin requests, the mirror, the process */
    struct fy_obs obs;
    struct fy_statuspage *page; /* GET /dr, /dr.json: the topic half of ferry dr status */
};

/* Per request: when it began and what it was (GET /metrics, /health/...). */
struct admin_req {
    int64_t start_ns;
};

/* The same authentication as ferry serve (fy_auth): the 401/403 body (new)
 * when the request is refused at `level`, *status its status; NULL = allowed. */
static char *refusal(const struct mir_admin *a, struct MHD_Connection *conn, enum fy_level level,
                     unsigned *status)
{
    if (!fy_auth_enabled(a->auth))
        return NULL;
    const char *authz = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_AUTHORIZATION);
    const struct fy_auth_user *u = NULL;
    struct fy_err err = {0};
    char *body = NULL;
    if (fy_auth_authenticate(a->auth, authz, NULL, &u, &err) != 0) {
        *status = (unsigned)err.code;
        body = fy_asprintf("{\"error_code\":%d,\"message\":\"%s\"}", err.code,
                           err.code == 401 ? "Unauthorized" : "Forbidden");
    } else if (!fy_auth_allows(a->auth, u, level, NULL, NULL)) {
        *status = 403;
        body = fy_asprintf("{\"error_code\":40301,\"message\":\"User is denied operation %s "
                           "on the mirror\"}", level == FY_LEVEL_READ ? "Read" : "Admin");
    }
    fy_err_destroy(&err);
    return body;
}

/* Answer (a 401 with the challenge) and count it (fy_obs) under its route. */
static enum MHD_Result answer(struct mir_admin *a, struct MHD_Connection *conn,
                              const struct admin_req *ar, const char *method, const char *route,
                              unsigned status, char *body, const char *ctype)
{
    size_t len = strlen(body);
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", ctype);
    if (status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, fy_auth_challenge(a->auth));
    enum MHD_Result ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    fy_obs_done(&a->obs, &(struct fy_obs_req){.method = method, .route = route,
                                              .status = (int)status, .bytes = len,
                                              .start_ns = ar->start_ns});
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    struct mir_admin *a = cls;
    (void)version;
    (void)upload_data;
    if (!*con_cls) {
        /* MHD calls once for the headers, then for the body: answer at the end */
        struct admin_req *ar = fy_calloc(1, sizeof *ar);
        ar->start_ns = fy_metrics_now_ns();
        *con_cls = ar;
        return MHD_YES;
    }
    const struct admin_req *ar = *con_cls;
    if (*upload_data_size) {
        *upload_data_size = 0; /* bodies are ignored: all parameters are in the query */
        return MHD_YES;
    }
    /* the guard comes first: /metrics and /health/... answer only an authenticated
       reader, as on ferry serve */
    unsigned denied_status = 0;
    char *denied = refusal(a, conn, strcmp(method, "GET") == 0 ? FY_LEVEL_READ : FY_LEVEL_ADMIN,
                           &denied_status);
    if (denied)
        return answer(a, conn, ar, method, fy_obs_route(url), denied_status, denied,
                      "application/json");
    {
        int ostatus;
        char *obody;
        const char *octype;
        if (fy_obs_serve(&a->obs, method, url, &ostatus, &obody, &octype))
            return answer(a, conn, ar, method, fy_obs_route(url), (unsigned)ostatus, obody,
                          octype);
    }
    const char *topic = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "topic");
    const char *tmo = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "timeout_ms");
    long timeout_ms = 60000;
    if (tmo) {
        char *end = NULL;
        errno = 0;
        timeout_ms = strtol(tmo, &end, 10);
        if (errno || *end || timeout_ms < 0 || timeout_ms > 3600000)
            return answer(a, conn, ar, method, "other", 400,
                          fy_strdup("{\"error_code\":400,\"message\":\"bad timeout_ms\"}"),
                          "application/json");
    }
    if (topic && !topic[0])
        topic = NULL;
    {
        int pstatus;
        char *pbody;
        const char *pctype;
        if (strcmp(method, "GET") == 0 &&
            fy_statuspage_serve(a->page, url, &pstatus, &pbody, &pctype))
            return answer(a, conn, ar, method, fy_statuspage_route(url), (unsigned)pstatus, pbody,
                          pctype);
    }
    if (strcmp(url, "/groups/sync") == 0) {
        if (strcmp(method, "POST") != 0)
            return answer(a, conn, ar, method, "/groups/sync", 405,
                          fy_strdup("{\"error_code\":405,\"message\":\"method not allowed\"}"),
                          "application/json");
        char *json = fy_asprintf("{\"requested_ms\":%lld}",
                                 (long long)mir_worker_sync_groups(a->w));
        return answer(a, conn, ar, method, "/groups/sync", 202, json, "application/json");
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
            return answer(a, conn, ar, method, routes[i].path, 405,
                          fy_strdup("{\"error_code\":405,\"message\":\"method not allowed\"}"),
                          "application/json");
        char *json = NULL;
        int status = mir_worker_request(a->w, routes[i].op, topic, (int)timeout_ms, &json);
        fy_log(FY_LOG_INFO, "mirror", "msg=\"admin request\" method=%s path=%s topic=%s status=%d",
               method, url, topic ? topic : "*", status);
        return answer(a, conn, ar, method, routes[i].path, (unsigned)status, json,
                      "application/json");
    }
    return answer(a, conn, ar, method, "other", 404,
                  fy_strdup("{\"error_code\":404,\"message\":\"not found\"}"),
                  "application/json");
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

/* The status page's document: the mirror's own status snapshot seen as
 * `ferry dr status` sees it (fy_drview), without the registry half. */
static json_t *page_doc(void *arg, int64_t now_ms)
{
    struct mir_worker *w = arg;
    char *text = NULL;
    json_t *st = json_pack("{s:I,s:[],s:[],s:[],s:n,s:n,s:n}", "now", (json_int_t)now_ms,
                           "problems", "topics", "scopes", "exporter", "primary", "dr");
    json_t *m = json_object();
    json_object_set_new(st, "mirror", m);
    int status = mir_worker_request(w, MIR_OP_STATUS, NULL, 5000, &text);
    json_t *ms = status == 200 && text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    json_object_set_new(m, "reachable", json_boolean(ms != NULL));
    if (ms)
        fy_drview_mirror(ms, now_ms, m, st);
    else
        fy_drview_problem(st, "the mirror has no status (stopping?)%s%s", "", "");
    json_decref(ms);
    fy_drview_rpo(st);
    json_object_set_new(st, "ok", json_boolean(json_array_size(json_object_get(st, "problems")) == 0));
    return st;
}

struct mir_admin *mir_admin_start(const char *listen, struct mir_worker *w,
                                  const struct fy_auth *auth, struct fy_err *err)
{
    struct sockaddr_in sa;
    char host[64];
    if (fy_obs_ipv4_listen(listen, "admin.listen", &sa, host, sizeof host, err) != 0)
        return NULL;
    struct mir_admin *a = fy_calloc(1, sizeof *a);
    a->w = w;
    a->auth = auth;
    a->metrics = fy_metrics_new();
    fy_obs_init(&a->obs, a->metrics, false);
    a->obs.ready_fn = mir_metrics_ready; /* the state was restored before the admin starts */
    a->obs.ready_arg = w;
    fy_obs_set_ready(&a->obs, true);
    fy_metrics_add_collector(a->metrics, mir_metrics_collect, w);
    fy_metrics_add_collector(a->metrics, fy_metrics_collect_process, NULL);
    a->page = fy_statuspage_start(page_doc, w, MIR_PAGE_INTERVAL_MS, err);
    if (!a->page) {
        fy_obs_destroy(&a->obs);
        fy_metrics_free(a->metrics);
        free(a);
        return NULL;
    }
    /* not a->obs.page: fy_obs's paths are answered before authentication
     * here, the page names topics and needs the read level (below) */
    a->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                                MHD_USE_ERROR_LOG,
                            0, NULL, NULL, handle, a, MHD_OPTION_EXTERNAL_LOGGER, fy_obs_mhd_log,
                            NULL,
                            MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_NOTIFY_COMPLETED, completed, a,
                            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)3600, MHD_OPTION_END);
    if (!a->d) {
        fy_err_set(err, FY_E_IO, "admin endpoint: cannot listen on %s", listen);
        fy_statuspage_stop(a->page);
        fy_obs_destroy(&a->obs);
        fy_metrics_free(a->metrics);
        free(a);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->d, MHD_DAEMON_INFO_BIND_PORT);
    a->port = info ? info->port : ntohs(sa.sin_port);
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
    fy_statuspage_stop(a->page); /* after the daemon: no handler reads it any more */
    fy_obs_destroy(&a->obs);
    fy_metrics_free(a->metrics);
    free(a);
}
