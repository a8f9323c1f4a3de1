/* SPDX-License-Identifier: Apache-2.0
 * cmd_link: `ferry link --config link.properties [--once]` — a standalone
 * schema link between two registries that speak the Confluent REST API
 * (linker/lnk_standalone.h), with an exporter's options. Polls the source
 * every link.poll.interval.ms until SIGTERM/SIGINT (clean stop: the cursor
 * is saved after every pass), or one pass with --once.
 * Thread: main thread; signals are blocked and taken by sigtimedwait. */
#include "cmd/cmd.h"

#include "common/fy_alloc.h"
#include "common/fy_log.h"
#include "common/fy_metrics.h"
#include "common/fy_obs.h"
#include "common/fy_props.h"
#include "linker/lnk_client.h"
#include "linker/lnk_exporter.h"
#include "linker/lnk_standalone.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct link_conf {
    char *name;
    char *subjects;
    int ctx_type;
    char *ctx_name;
    char *rename;
    char *state_file;
    long long interval_ms;
    char *log_debug;
    char *metrics_listener;
};

static const char *const ctx_types[] = {"AUTO", "CUSTOM", "NONE", "DEFAULT", NULL};

#define O(f) offsetof(struct link_conf, f)
static const struct fy_setting link_settings[] = {
    {"name", FY_SET_STRING, O(name), "link", 0, 0, NULL, "the link's name (logs)"},
    {"subjects", FY_SET_STRING, O(subjects), "*", 0, 0, NULL,
     "comma list of subject patterns, as an exporter's: *, orders-*, :.ctx:*, :*:*"},
    {"context.type", FY_SET_ENUM, O(ctx_type), "AUTO", 0, 0, ctx_types,
     "destination context: AUTO (.<source id>), CUSTOM (context.name), NONE, DEFAULT"},
    {"context.name", FY_SET_STRING, O(ctx_name), "", 0, 0, NULL,
     "destination context for context.type=CUSTOM"},
    {"subject.rename.format", FY_SET_STRING, O(rename), "${subject}", 0, 0, NULL,
     "destination subject name, ${subject} is the source name"},
    {"link.state.file", FY_SET_STRING, O(state_file), "", 0, 0, NULL,
     "the cursor (default: the config file's path + .state)"},
    {"link.poll.interval.ms", FY_SET_INT, O(interval_ms), "5000", 10, 3600000, NULL,
     "pause between two passes over the source"},
    {"log.debug", FY_SET_STRING, O(log_debug), "", 0, 0, NULL, "modules with DEBUG logging"},
    {"metrics.listener", FY_SET_STRING, O(metrics_listener), "", 0, 0, NULL,
     "HOST:PORT serving GET /metrics, /health/live and /health/ready (ready after the first "
     "good pass); empty = none"},
};
#undef O
#define N_SETTINGS (sizeof link_settings / sizeof link_settings[0])

static void usage(FILE *f)
{
    fputs("usage: ferry link --config FILE [--once]\n"
          "\n"
          "Links two registries that speak the Confluent REST API (ferry, Confluent's,\n"
          "others): reads the source through REST, compares with the cursor in the state\n"
          "file and applies the differences to the destination like an exporter (IMPORT\n"
          "scope, same ids and versions, context mapping, rename). Runs until SIGTERM;\n"
          "--once makes one pass and exits (status 0 when it succeeded).\n"
          "\n"
          "settings:\n"
          "  source.schema.registry.url, destination.schema.registry.url  (required)\n"
          "  source.<key>, destination.<key>  client settings of each side, the keys of an\n"
          "      exporter's config: basic.auth.user.info, bearer.auth.token,\n"
          "      schema.registry.ssl.truststore.location, ..., max.retries\n",
          f);
    fy_settings_print(link_settings, N_SETTINGS, f);
}

static void split_props(const struct fy_props *all, struct fy_props *rest, json_t *src,
                        json_t *dst)
{
    rest->path = fy_strdup(all->path);
    for (size_t i = 0; i < all->n; i++) {
        const struct fy_prop *p = &all->items[i];
        if (strncmp(p->key, "source.", 7) == 0)
            json_object_set_new(src, p->key + 7, json_string(p->value));
        else if (strncmp(p->key, "destination.", 12) == 0)
            json_object_set_new(dst, p->key + 12, json_string(p->value));
        else
            fy_props_set(rest, p->key, p->value);
    }
}

/* The standalone link's own metrics (its passes; the process collector too). */
struct link_metrics {
    struct fy_metrics *m;
    struct fy_obs obs;
    struct fy_obs_http *http;
    struct fy_metric *ok, *failed, *applied, *last_ok;
    struct fy_metric *duration;
};

static int link_metrics_start(struct link_metrics *lm, const char *listen, const char *name,
                              struct fy_err *err)
{
    static const int64_t ms[] = {10, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000};
    static const char *const by_result[] = {"link", "result", NULL};
    static const char *const by_link[] = {"link", NULL};
    lm->m = fy_metrics_new();
    fy_metrics_add_collector(lm->m, fy_metrics_collect_process, NULL);
    fy_obs_init(&lm->obs, lm->m, false);
    struct fy_metric_family *passes = fy_metrics_family(
        lm->m, FY_METRIC_COUNTER, "ferry_link_passes_total",
        "Passes over the source registry, by result (ok, failed).", by_result, NULL, 0, 1);
    lm->ok = fy_metric_child(passes, (const char *[]){name, "ok"});
    lm->failed = fy_metric_child(passes, (const char *[]){name, "failed"});
    lm->applied = fy_metric_child(
        fy_metrics_family(lm->m, FY_METRIC_COUNTER, "ferry_link_applied_total",
                          "Changes applied to the destination registry.", by_link, NULL, 0, 1),
        (const char *[]){name});
    lm->last_ok = fy_metric_child(
        fy_metrics_family(lm->m, FY_METRIC_GAUGE, "ferry_link_last_success_timestamp_seconds",
                          "When the last good pass ended (unix seconds); 0 before the first.",
                          by_link, NULL, 0, 1),
        (const char *[]){name});
    lm->duration = fy_metric_child(
        fy_metrics_family(lm->m, FY_METRIC_HISTOGRAM, "ferry_link_pass_duration_seconds",
                          "Time one pass over the source took.", by_link, ms,
                          sizeof ms / sizeof ms[0], 1e3),
        (const char *[]){name});
    lm->http = fy_obs_http_start(&lm->obs, listen, err);
    if (!lm->http)
        return -1;
    fy_log(FY_LOG_INFO, "link", "msg=\"metrics listening\" address=%s port=%d", listen,
           fy_obs_http_port(lm->http));
    return 0;
}

/* After a pass: 0 = good. Unset metrics (no listener) are NULL: no-ops. */
static void link_metrics_pass(struct link_metrics *lm, int rc, size_t applied, int64_t ms)
{
    fy_metric_add(rc == 0 ? lm->ok : lm->failed, 1);
    fy_metric_add(lm->applied, (int64_t)applied);
    fy_metric_observe(lm->duration, ms);
    if (rc == 0) {
        fy_metric_set(lm->last_ok, (int64_t)time(NULL));
        if (lm->m)
            fy_obs_set_ready(&lm->obs, true); /* caught up once */
    }
}

static void link_metrics_stop(struct link_metrics *lm)
{
    fy_obs_http_stop(lm->http);
    if (lm->m)
        fy_obs_destroy(&lm->obs);
    fy_metrics_free(lm->m);
}

/* The exporter definition of this link, validated by the exporter's rules. */
static int build_def(const struct link_conf *c, json_t *dst, struct lnk_def *def,
                     struct fy_err *err)
{
    json_t *subjects = json_array();
    const char *p = c->subjects;
    size_t len = 0;
    for (const char *one; (one = fy_list_next(&p, ',', false, &len));)
        json_array_append_new(subjects, json_stringn(one, len));
    json_t *body = json_pack("{s:s,s:o,s:s,s:s,s:O}", "name", c->name, "subjects", subjects,
                             "contextType", ctx_types[c->ctx_type], "subjectRenameFormat",
                             c->rename, "config", dst);
    if (c->ctx_name[0])
        json_object_set_new(body, "context", json_string(c->ctx_name));
    int rc = lnk_def_from_request(body, NULL, def, err);
    json_decref(body);
    return rc;
}

int cmd_link(int argc, char **argv)
{
    struct fy_props props = {0}, rest = {0};
    struct fy_err err = {0};
    struct link_conf conf = {0};
    struct lnk_def def = {0};
    struct lnk_standalone *ls = NULL;
    const char *config_path = NULL;
    bool once = false, have_def = false;
    json_t *src = json_object(), *dst = json_object();
    char *state = NULL;
    int status = 2;
    struct link_metrics lm = {0};

    const struct cmd_flag flags[] = {{"--config", &config_path, NULL}, {"--once", NULL, &once}};
    int frc = cmd_flags_parse("link", argc, argv, flags, sizeof flags / sizeof flags[0], usage);
    if (frc != 0) {
        status = frc > 0 ? 0 : 2;
        goto out;
    }
    if (!config_path) {
        fprintf(stderr, "ferry link: --config FILE is required\n");
        goto out;
    }
    if (fy_props_load(config_path, &props, &err) != 0)
        goto out;
    split_props(&props, &rest, src, dst);
    if (fy_settings_apply(link_settings, N_SETTINGS, &rest, NULL, &conf, &err) != 0)
        goto out;
    if (conf.log_debug[0])
        fy_log_set_debug(conf.log_debug);
    if (!json_object_get(src, "schema.registry.url")) {
        fy_err_set(&err, FY_E_CONFIG, "%s: source.schema.registry.url is required", config_path);
        goto out;
    }
    if (!json_object_get(dst, "schema.registry.url")) {
        fy_err_set(&err, FY_E_CONFIG, "%s: destination.schema.registry.url is required",
                   config_path);
        goto out;
    }
    if (build_def(&conf, dst, &def, &err) != 0)
        goto out;
    have_def = true;
    state = conf.state_file[0] ? fy_strdup(conf.state_file)
                               : fy_asprintf("%s.state", config_path);

    sigset_t sigs;
    cmd_signals_block(&sigs);
    lnk_client_global_init();
    ls = lnk_standalone_new(&def, src, state, &err);
    if (!ls)
        goto out;
    if (conf.metrics_listener[0] &&
        link_metrics_start(&lm, conf.metrics_listener, def.name, &err) != 0)
        goto out;
    fy_log(FY_LOG_INFO, "link", "msg=\"link started\" link=%s state=%s interval_ms=%lld",
           def.name, state, conf.interval_ms);
    status = 1;
    char *last_error = NULL;
    for (;;) {
        size_t applied = 0;
        struct fy_err perr = {0};
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        int rc = lnk_standalone_poll(ls, &applied, &perr);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        link_metrics_pass(&lm, rc, applied,
                          (int64_t)(t1.tv_sec - t0.tv_sec) * 1000 +
                              (t1.tv_nsec - t0.tv_nsec) / 1000000);
        if (rc == 0) {
            if (applied || once || last_error)
                fy_log(FY_LOG_INFO, "link", "msg=\"pass done\" link=%s applied=%zu", def.name,
                       applied);
            free(last_error);
            last_error = NULL;
        } else if (!last_error || strcmp(last_error, fy_err_text(&perr)) != 0) {
            fy_log(FY_LOG_WARN, "link", "msg=\"pass failed, retrying\" link=%s applied=%zu "
                   "reason=\"%s\"", def.name, applied, fy_err_text(&perr));
            free(last_error);
            last_error = fy_strdup(fy_err_text(&perr));
        }
        fy_err_destroy(&perr);
        if (once) {
            status = rc == 0 ? 0 : 1;
            if (rc == 0)
                printf("applied %zu\n", applied);
            break;
        }
        struct timespec ts = {conf.interval_ms / 1000, (conf.interval_ms % 1000) * 1000000L};
        int sig = sigtimedwait(&sigs, NULL, &ts);
        if (sig == SIGTERM || sig == SIGINT) {
            fy_log(FY_LOG_INFO, "link", "msg=\"stopping\" link=%s signal=%s", def.name,
                   sig == SIGINT ? "SIGINT" : "SIGTERM");
            status = 0;
            break;
        }
    }
    free(last_error);
out:
    if (err.code != FY_OK) {
        fy_log(FY_LOG_ERROR, "link", "msg=\"%s\"", fy_err_text(&err));
        status = err.code == FY_E_CONFIG || err.code == REG_E_INVALID_EXPORTER ? 2 : 1;
    }
    link_metrics_stop(&lm);
    lnk_standalone_free(ls);
    if (ls || have_def)
        lnk_client_global_cleanup();
    if (have_def)
        lnk_def_destroy(&def);
    free(state);
    json_decref(src);
    json_decref(dst);
    fy_settings_free(link_settings, N_SETTINGS, &conf);
    fy_props_destroy(&rest);
    fy_props_destroy(&props);
    fy_err_destroy(&err);
    return status;
}
