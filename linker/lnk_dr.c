/* SPDX-License-Identifier: Apache-2.0
 * lnk_dr: gather the status of a DR setup (see lnk_dr.h). The registry
 * side comes from the DR's /mode of every scope and the primary's exporter
 * status and /metrics (its lag in records and time is what the exporter
 * itself computes from the store); the topic side from the mirror's
 * /status, whose lag per partition is the source end offset the mirror saw
 * against what it copied — the records the DR side would not have if the
 * primary died now.
 * Thread: the caller's. */
#include "linker/lnk_dr.h"

#include "common/fy_alloc.h"
#include "common/fy_drview.h"
#include "common/fy_url.h"
#include "linker/lnk_client.h"
#include "linker/lnk_failover.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lnk_dr_open(struct lnk_dr *d, const struct lnk_dr_conf *conf, struct fy_err *err)
{
    memset(d, 0, sizeof *d);
    d->conf = conf;
    if (!(d->dr = lnk_client_new(conf->dr, err)))
        goto fail;
    if (conf->primary && !(d->primary = lnk_client_new(conf->primary, err)))
        goto fail;
    if (conf->mirror && !(d->mirror = lnk_client_new(conf->mirror, err)))
        goto fail;
    return 0;
fail:
    lnk_dr_close(d);
    return -1;
}

void lnk_dr_close(struct lnk_dr *d)
{
    lnk_client_free(d->dr);
    lnk_client_free(d->primary);
    lnk_client_free(d->mirror);
    memset(d, 0, sizeof *d);
}

/* The value of the sample `family{exporter="name"}` in Prometheus text. */
static int metric_value(const char *text, const char *family, const char *exporter, double *v)
{
    char *want = fy_asprintf("%s{exporter=\"%s\"} ", family, exporter);
    size_t wl = strlen(want);
    int rc = -1;
    for (const char *line = text; line && *line;) {
        if (strncmp(line, want, wl) == 0) {
            char *end = NULL;
            *v = strtod(line + wl, &end);
            rc = end != line + wl ? 0 : -1;
            break;
        }
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    free(want);
    return rc;
}

int lnk_dr_exporter_lag(struct lnk_dr *d, int64_t *records, int64_t *ms, struct fy_err *err)
{
    if (!d->primary || !d->conf->exporter)
        return fy_err_set(err, FY_E_CONFIG, "no primary or no exporter.name configured");
    long status = 0;
    char *text = NULL;
    int rc = -1;
    if (lnk_client_get_text(d->primary, "/metrics", &status, &text, err) != 0)
        goto out;
    double rec = 0, sec = 0;
    if (status != 200 ||
        metric_value(text, "ferry_exporter_lag_records", d->conf->exporter, &rec) != 0 ||
        metric_value(text, "ferry_exporter_lag_seconds", d->conf->exporter, &sec) != 0) {
        fy_err_set(err, FY_E_HTTP, "the primary's /metrics (HTTP %ld) has no lag of exporter '%s'",
                   status, d->conf->exporter);
        goto out;
    }
    *records = (int64_t)rec;
    *ms = (int64_t)(sec * 1000.0 + 0.5);
    rc = 0;
out:
    free(text);
    return rc;
}

json_t *lnk_dr_mirror_status(struct lnk_dr *d, struct fy_err *err)
{
    long status = 0;
    json_t *ans = NULL;
    if (!d->mirror) {
        fy_err_set(err, FY_E_CONFIG, "no mirror.admin.url configured");
        return NULL;
    }
    if (lnk_client_call(d->mirror, "GET", "/status", NULL, &status, &ans, err) != 0)
        return NULL;
    if (status != 200 || !json_is_object(ans)) {
        const char *m = json_string_value(json_object_get(ans, "message"));
        fy_err_set(err, FY_E_HTTP, "GET /status answered HTTP %ld: %s", status, m ? m : "");
        json_decref(ans);
        return NULL;
    }
    return ans;
}

/* The primary and its exporter: fills st.primary and st.exporter. */
static void exporter_part(struct lnk_dr *d, json_t *st)
{
    if (!d->primary) {
        json_object_set_new(st, "primary", json_null());
        json_object_set_new(st, "exporter", json_null());
        return;
    }
    struct fy_err e = {0};
    long status = 0;
    json_t *ans = NULL;
    json_t *p = json_pack("{s:s}", "url", lnk_client_url(d->primary));
    json_object_set_new(st, "primary", p);
    if (!d->conf->exporter) {
        bool up = lnk_client_call(d->primary, "GET", "/", NULL, &status, &ans, &e) == 0;
        json_object_set_new(p, "reachable", json_boolean(up));
        if (!up)
            json_object_set_new(p, "error", json_string(fy_err_text(&e)));
        json_object_set_new(st, "exporter", json_null());
        fy_drview_problem(st, "no exporter.name configured: the schema RPO is unknown%s%s", "", "");
        goto out;
    }
    json_t *x = json_pack("{s:s,s:n,s:n,s:n,s:n,s:n}", "name", d->conf->exporter, "state",
                          "offset", "ts", "lag_records", "lag_ms");
    json_object_set_new(st, "exporter", x);
    char *name = fy_url_encode(d->conf->exporter, FY_URL_SAFE_SEGMENT);
    char *path = fy_asprintf("/exporters/%s/status", name);
    free(name);
    int rc = lnk_client_call(d->primary, "GET", path, NULL, &status, &ans, &e);
    free(path);
    json_object_set_new(p, "reachable", json_boolean(rc == 0));
    if (rc != 0) {
        json_object_set_new(p, "error", json_string(fy_err_text(&e)));
        fy_drview_problem(st, "primary registry unreachable (%s): schema lag unknown", fy_err_text(&e), "");
        goto out;
    }
    if (status != 200) {
        const char *m = json_string_value(json_object_get(ans, "message"));
        char *msg = fy_asprintf("exporter status answered HTTP %ld: %s", status, m ? m : "");
        json_object_set_new(x, "error", json_string(msg));
        fy_drview_problem(st, "exporter '%s': %s", d->conf->exporter, msg);
        free(msg);
        goto out;
    }
    json_object_set(x, "state", json_object_get(ans, "state"));
    json_object_set(x, "offset", json_object_get(ans, "offset"));
    json_object_set(x, "ts", json_object_get(ans, "ts"));
    const char *state = json_string_value(json_object_get(ans, "state"));
    if (state && strcmp(state, "RUNNING") != 0) {
        const char *trace = json_string_value(json_object_get(ans, "trace"));
        fy_drview_problem(st, "exporter '%s' is %s: schemas are not replicated", d->conf->exporter, state);
        if (trace && trace[0])
            json_object_set_new(x, "error", json_string(trace));
    }
    int64_t rec = 0, ms = 0;
    fy_err_clear(&e);
    if (lnk_dr_exporter_lag(d, &rec, &ms, &e) == 0) {
        json_object_set_new(x, "lag_records", json_integer(rec));
        json_object_set_new(x, "lag_ms", json_integer(ms));
    } else {
        json_object_set_new(x, "error", json_string(fy_err_text(&e)));
    }
out:
    json_decref(ans);
    fy_err_destroy(&e);
}

/* Every DR scope's mode, with the exporter's lag as its RPO. */
static void scopes_part(struct lnk_dr *d, json_t *st)
{
    json_t *scopes = json_array();
    json_object_set_new(st, "scopes", scopes);
    json_t *x = json_object_get(st, "exporter");
    json_t *rec = json_object_get(x, "lag_records"), *ms = json_object_get(x, "lag_ms");
    bool dr_up = false;
    const char *dr_err = NULL;
    json_t *errs = json_array();
    for (size_t i = 0; i < d->conf->n_scopes; i++) {
        const char *scope = d->conf->scopes[i];
        struct fy_err e = {0};
        char *mode = NULL;
        json_t *s = json_pack("{s:s,s:n}", "scope", scope, "mode");
        json_array_append_new(scopes, s);
        json_object_set(s, "rpo_records", rec ? rec : json_null());
        json_object_set(s, "rpo_ms", ms ? ms : json_null());
        if (lnk_failover_mode_get(d->dr, scope, &mode, &e) != 0) {
            json_object_set_new(s, "problem", json_string(fy_err_text(&e)));
            json_array_append_new(errs, json_string(fy_err_text(&e)));
            dr_err = json_string_value(json_array_get(errs, json_array_size(errs) - 1));
            fy_err_destroy(&e);
            continue;
        }
        dr_up = true;
        json_object_set_new(s, "mode", json_string(mode));
        char buf[300];
        buf[0] = '\0';
        if (strcmp(mode, "READWRITE") == 0)
            snprintf(buf, sizeof buf, "READWRITE on DR: failed over, DR clients own it (or nothing "
                     "imported into it yet)");
        else if (strcmp(mode, "IMPORT") != 0)
            snprintf(buf, sizeof buf, "%s on DR: neither replicated (IMPORT) nor failed over",
                     mode);
        else if (json_is_integer(rec) && json_integer_value(rec) > 0)
            snprintf(buf, sizeof buf, "behind the primary by %lld schema change(s)",
                     (long long)json_integer_value(rec));
        if (buf[0]) {
            json_object_set_new(s, "problem", json_string(buf));
            fy_drview_problem(st, "scope %s: %s", scope, buf);
        }
        free(mode);
    }
    json_t *dr = json_pack("{s:s,s:b}", "url", lnk_client_url(d->dr), "reachable", dr_up);
    if (!dr_up && dr_err) {
        json_object_set_new(dr, "error", json_string(dr_err));
        fy_drview_problem(st, "DR registry unreachable: %s%s", dr_err, "");
    }
    json_object_set_new(st, "dr", dr);
    json_decref(errs);
}

/* The mirror and every mirrored topic. */
static void mirror_part(struct lnk_dr *d, json_t *st, int64_t now)
{
    json_t *topics = json_array();
    json_object_set_new(st, "topics", topics);
    if (!d->mirror) {
        json_object_set_new(st, "mirror", json_null());
        return;
    }
    struct fy_err e = {0};
    json_t *m = json_pack("{s:s}", "url", lnk_client_url(d->mirror));
    json_object_set_new(st, "mirror", m);
    json_t *ms = lnk_dr_mirror_status(d, &e);
    json_object_set_new(m, "reachable", json_boolean(ms != NULL));
    if (!ms) {
        json_object_set_new(m, "error", json_string(fy_err_text(&e)));
        fy_drview_problem(st, "mirror admin endpoint unreachable (%s): topic lag unknown",
                fy_err_text(&e), "");
        fy_err_destroy(&e);
        return;
    }
    fy_drview_mirror(ms, now, m, st);
    json_decref(ms);
}

json_t *lnk_dr_status(struct lnk_dr *d, int64_t now_ms)
{
    json_t *st = json_pack("{s:I,s:[]}", "now", (json_int_t)now_ms, "problems");
    exporter_part(d, st);
    scopes_part(d, st);
    mirror_part(d, st, now_ms);
    fy_drview_rpo(st);
    json_object_set_new(st, "ok",
                        json_boolean(json_array_size(json_object_get(st, "problems")) == 0));
    return st;
}
