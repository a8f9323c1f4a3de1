/* SPDX-License-Identifier: Apache-2.0
 * cmd_mirror: `ferry mirror --config FILE` runs a topic mirror (worker thread
 * + local admin HTTP endpoint) until SIGTERM/SIGINT; `ferry mirror status|
 * pause|resume|failover|promote` is the client of that endpoint (libcurl).
 * Thread: main thread; signals are blocked everywhere and taken by sigwait. */
#include "cmd/cmd.h"

#include "common/fy_alloc.h"
#include "common/fy_auth.h"
#include "common/fy_buf.h"
#include "common/fy_log.h"
#include "common/fy_props.h"
#include "mirror/mir_admin.h"
#include "mirror/mir_conf.h"
#include "mirror/mir_worker.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: ferry mirror --config FILE\n"
          "       ferry mirror status|pause|resume|failover|promote\n"
          "                    [--admin HOST:PORT | --config FILE] [--topic T] [--timeout-ms N]\n"
          "\n"
          "Mirrors topics from a source Kafka cluster to a destination cluster, or talks to\n"
          "a running mirror's admin endpoint (default 127.0.0.1:8090, or admin.listen of\n"
          "--config). pause/resume/failover without --topic apply to every topic;\n"
          "promote needs one and waits for lag 0 (up to --timeout-ms, default 60000).\n"
          "\n"
          "settings (mirror.properties):\n",
          f);
    mir_conf_print_help(f);
}

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct fy_buf *b = userdata;
    return fy_buf_append(b, ptr, size * nmemb) == 0 ? size * nmemb : 0;
}

/* One admin call; prints the JSON answer. Exit status 0 for 2xx, 1 otherwise. */
static int client(const char *op, const char *admin, const char *topic, const char *timeout_ms)
{
    int status = 1;
    struct fy_buf body, url;
    char errbuf[CURL_ERROR_SIZE] = "";
    long code = 0;
    CURL *c = curl_easy_init();
    fy_buf_init(&body, 64u << 20);
    fy_buf_init(&url, 0);
    if (!c) {
        fprintf(stderr, "ferry mirror: curl init failed\n");
        goto out;
    }
    fy_buf_printf(&url, "http://%s/%s", admin, op);
    char sep = '?';
    if (topic) {
        char *esc = curl_easy_escape(c, topic, 0);
        fy_buf_printf(&url, "%ctopic=%s", sep, esc);
        curl_free(esc);
        sep = '&';
    }
    if (timeout_ms)
        fy_buf_printf(&url, "%ctimeout_ms=%s", sep, timeout_ms);
    curl_easy_setopt(c, CURLOPT_URL, fy_buf_str(&url));
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    /* an authenticated endpoint: user:password from the environment, never argv (ps) */
    const char *ui = getenv("FERRY_ADMIN_USER_INFO");
    if (ui && ui[0]) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERPWD, ui);
    }
    if (strcmp(op, "status") != 0) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    }
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        fprintf(stderr, "ferry mirror %s: %s: %s\n", op, fy_buf_str(&url),
                errbuf[0] ? errbuf : curl_easy_strerror(rc));
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    printf("%s\n", fy_buf_str(&body));
    status = code >= 200 && code < 300 ? 0 : 1;
out:
    if (c)
        curl_easy_cleanup(c);
    fy_buf_destroy(&body);
    fy_buf_destroy(&url);
    return status;
}

static int run_mirror(const char *config_path)
{
    struct fy_props props = {0};
    struct fy_err err = {0};
    struct mir_conf conf = {0};
    struct mir_worker *w = NULL;
    struct mir_admin *a = NULL;
    struct fy_auth *auth = NULL;
    bool conf_ok = false;
    int status = 1;
    if (fy_props_load(config_path, &props, &err) != 0)
        goto out;
    if (mir_conf_load(&conf, &props, &err) != 0)
        goto out;
    conf_ok = true;
    if (conf.log_debug[0])
        fy_log_set_debug(conf.log_debug);
    /* every thread created from here on inherits the blocked set; main takes them by sigwait */
    sigset_t sigs;
    cmd_signals_block(&sigs);
    w = mir_worker_new(&conf, &err);
    if (!w)
        goto out;
    if (mir_worker_start(w, &err) != 0)
        goto out;
    struct fy_auth_conf ac = {
        .basic = conf.admin_auth_method == 1,
        .realm = conf.admin_auth_realm,
        .roles = conf.admin_auth_roles,
        .user_file = conf.admin_user_file,
        .jaas_file = conf.admin_jaas,
        .grants = {conf.admin_roles_read, NULL, conf.admin_roles_admin},
    };
    if (!(auth = fy_auth_new(&ac, &err)))
        goto out;
    a = mir_admin_start(conf.admin_listen, w, auth, &err);
    if (!a)
        goto out;
    int sig = 0;
    sigwait(&sigs, &sig);
    fy_log(FY_LOG_INFO, "mirror", "msg=\"stopping\" signal=%d", sig);
    status = 0;
out:
    if (err.code)
        fy_log(FY_LOG_ERROR, "mirror", "msg=\"%s\"", fy_err_text(&err));
    /* the worker first: whoever waits on an operation gets 503 at once, so
     * the admin endpoint's connection threads end without delay */
    mir_worker_stop(w);
    mir_admin_stop(a);
    fy_auth_free(auth);
    mir_worker_free(w);
    if (conf_ok)
        mir_conf_destroy(&conf);
    fy_props_destroy(&props);
    fy_err_destroy(&err);
    return status;
}

int cmd_mirror(int argc, char **argv)
{
    const char *op = NULL, *config = NULL, *admin = NULL, *topic = NULL, *timeout_ms = NULL;
    static const char *const ops[] = {"status", "pause", "resume", "failover", "promote", NULL};
    int i = 0;
    if (argc > 0 && argv[0][0] != '-') {
        for (size_t k = 0; ops[k]; k++)
            if (strcmp(argv[0], ops[k]) == 0)
                op = ops[k];
        if (!op) {
            fprintf(stderr, "ferry mirror: unknown operation '%s'\n", argv[0]);
            usage(stderr);
            return 2;
        }
        i = 1;
    }
    const struct cmd_flag flags[] = {{"--config", &config, NULL},
                                     {"--admin", &admin, NULL},
                                     {"--topic", &topic, NULL},
                                     {"--timeout-ms", &timeout_ms, NULL}};
    int frc = cmd_flags_parse("mirror", argc - i, argv + i, flags,
                              sizeof flags / sizeof flags[0], usage);
    if (frc != 0)
        return frc > 0 ? 0 : 2;
    if (!op) {
        if (!config) {
            usage(stderr);
            return 2;
        }
        return run_mirror(config);
    }
    if (strcmp(op, "promote") == 0 && !topic) {
        fprintf(stderr, "ferry mirror promote: --topic is required\n");
        return 2;
    }
    /* the admin address: --admin, else admin.listen from --config, else the default */
    char *from_conf = NULL;
    if (!admin && config) {
        struct fy_props props = {0};
        struct fy_err err = {0};
        if (fy_props_load(config, &props, &err) != 0) {
            fprintf(stderr, "ferry mirror: %s\n", fy_err_text(&err));
            fy_err_destroy(&err);
            return 2;
        }
        const char *v = fy_props_get(&props, "admin.listen");
        from_conf = v ? fy_strdup(v) : NULL;
        fy_props_destroy(&props);
    }
    int rc = client(op, admin ? admin : from_conf ? from_conf : "127.0.0.1:8090", topic,
                    timeout_ms);
    free(from_conf);
    return rc;
}
