/* SPDX-License-Identifier: Apache-2.0
 * lnk_metrics: the exporters' metrics, read at scrape time (fy_metrics
 * collector registered by lnk_service_new): state, lag in records (store
 * records not yet exported, up to the durable end) and in seconds (age of the
 * oldest one), and failures. The exporters are copied under `mu`; the store
 * is read with no lock held (lnk_int.h). Thread: the scraping MHD thread. */
#include "linker/lnk_int.h"

#include "common/fy_alloc.h"

#include <stdlib.h>
#include <time.h>

struct exp_row {
    char *name;
    enum lnk_state state;
    int64_t next;
    int64_t errors;
};

static int first_ts(void *arg, const struct reg_store_record *rec, struct fy_err *err)
{
    (void)err;
    *(int64_t *)arg = rec->ts;
    return -1; /* one record is enough */
}

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void out_gauge(struct fy_metrics_out *out, const char *name, const char *help,
                      const struct exp_row *rows, size_t n, const double *v)
{
    fy_metrics_out_family(out, name, FY_METRIC_GAUGE, help);
    for (size_t i = 0; i < n; i++) {
        const char *labels[] = {"exporter", rows[i].name, NULL};
        fy_metrics_out_sample(out, name, labels, v[i]);
    }
}

void lnk_metrics_collect(void *arg, struct fy_metrics_out *out)
{
    struct lnk_service *svc = arg;
    pthread_mutex_lock(&svc->mu);
    size_t n = svc->exps.count, k = 0;
    struct exp_row *rows = fy_calloc(n ? n : 1, sizeof *rows);
    size_t it = 0;
    const char *name;
    void *v;
    while (k < n && fy_map_next(&svc->exps, &it, &name, &v)) {
        const struct lnk_exp *ex = v;
        rows[k].name = fy_strdup(name);
        rows[k].state = ex->state;
        rows[k].next = ex->next;
        rows[k].errors = ex->errors;
        k++;
    }
    pthread_mutex_unlock(&svc->mu);
    n = k;
    int64_t durable = reg_store_durable_offset(svc->r->store);
    double now = wall_s();
    double *lag = fy_calloc(n ? n : 1, sizeof *lag);
    double *lag_s = fy_calloc(n ? n : 1, sizeof *lag_s);
    double *errs = fy_calloc(n ? n : 1, sizeof *errs);
    for (size_t i = 0; i < n; i++) {
        int64_t behind = durable + 1 - rows[i].next;
        lag[i] = behind > 0 ? (double)behind : 0;
        errs[i] = (double)rows[i].errors;
        int64_t ts = 0;
        if (behind > 0) {
            struct fy_err err = {0};
            reg_store_read_from(svc->r->store, rows[i].next, first_ts, &ts, NULL, &err);
            fy_err_destroy(&err);
        }
        lag_s[i] = ts > 0 && now > (double)ts / 1e3 ? now - (double)ts / 1e3 : 0;
    }

    fy_metrics_out_family(out, "ferry_exporter_state", FY_METRIC_GAUGE,
                          "1 for the state each exporter is in, 0 for the others.");
    static const enum lnk_state states[] = {LNK_UNASSIGNED, LNK_STARTING, LNK_RUNNING,
                                            LNK_PAUSED, LNK_ERROR};
    for (size_t i = 0; i < n; i++)
        for (size_t s = 0; s < sizeof states / sizeof states[0]; s++) {
            const char *labels[] = {"exporter", rows[i].name, "state", lnk_state_name(states[s]),
                                    NULL};
            fy_metrics_out_sample(out, "ferry_exporter_state", labels,
                                  rows[i].state == states[s] ? 1 : 0);
        }
    out_gauge(out, "ferry_exporter_lag_records",
              "Store records after the exporter's position (up to the durable end) not yet "
              "exported.", rows, n, lag);
    out_gauge(out, "ferry_exporter_lag_seconds",
              "Age of the oldest store record the exporter has not exported yet; 0 when "
              "caught up.", rows, n, lag_s);
    fy_metrics_out_family(out, "ferry_exporter_errors_total", FY_METRIC_COUNTER,
                          "Failed export attempts (each retry counts) since the exporter started "
                          "in this process.");
    for (size_t i = 0; i < n; i++) {
        const char *labels[] = {"exporter", rows[i].name, NULL};
        fy_metrics_out_sample(out, "ferry_exporter_errors_total", labels, errs[i]);
    }
    fy_metrics_out_family(out, "ferry_exporters", FY_METRIC_GAUGE, "Exporters defined.");
    fy_metrics_out_sample(out, "ferry_exporters", NULL, (double)n);
    for (size_t i = 0; i < n; i++)
        free(rows[i].name);
    free(rows);
    free(lag);
    free(lag_s);
    free(errs);
}
