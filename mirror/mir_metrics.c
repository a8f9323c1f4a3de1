/* SPDX-License-Identifier: Apache-2.0
 * mir_metrics: see mir_metrics.h. The status JSON (mir_report.c) is the one
 * source, so /status and /metrics never disagree. */
#include "mirror/mir_metrics.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *status_of(struct mir_worker *w)
{
    char *text = NULL;
    int st = mir_worker_request(w, MIR_OP_STATUS, NULL, 0, &text);
    json_t *j = st == 200 && text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    return j;
}

bool mir_metrics_ready(void *arg)
{
    json_t *j = status_of(arg);
    bool ready = j && json_object_get(j, "mirror") != NULL; /* the first snapshot is out */
    json_decref(j);
    return ready;
}

static double num(const json_t *o, const char *key)
{
    return (double)json_integer_value(json_object_get(o, key));
}

/* A family with a sample per partition of every topic, from the status's `key`. */
struct part_metric {
    const char *name;
    enum fy_metric_type type;
    const char *help;
    const char *key;
    double scale;
};

static const struct part_metric per_part[] = {
    {"ferry_mirror_lag_records", FY_METRIC_GAUGE,
     "Records in the source partition not yet mirrored (source end - mirrored).", "lag", 1},
    {"ferry_mirror_lag_seconds", FY_METRIC_GAUGE,
     "How long the oldest record not yet mirrored has been in the source partition (the RPO "
     "in time).", "lag_ms", 1000},
    {"ferry_mirror_records_total", FY_METRIC_COUNTER,
     "Records copied to the destination and acknowledged, since the process started.",
     "records", 1},
    {"ferry_mirror_bytes_total", FY_METRIC_COUNTER,
     "Key and value bytes of the records copied, since the process started.", "bytes", 1},
    {"ferry_mirror_delivery_errors_total", FY_METRIC_COUNTER,
     "Records the destination refused (the topic then FAILED), since the process started.",
     "delivery_errors", 1},
    {"ferry_mirror_retention_skipped_records_total", FY_METRIC_COUNTER,
     "Records the source deleted (retention) before they were mirrored.", "retention_skipped",
     1},
};

static void per_partition(struct fy_metrics_out *out, json_t *topics,
                          const struct part_metric *pm)
{
    const char *name = pm->name;
    fy_metrics_out_family(out, name, pm->type, pm->help);
    size_t i, k;
    json_t *t, *p;
    json_array_foreach(topics, i, t) {
        const char *topic = json_string_value(json_object_get(t, "topic"));
        json_array_foreach(json_object_get(t, "partitions"), k, p) {
            char part[16];
            snprintf(part, sizeof part, "%lld",
                     (long long)json_integer_value(json_object_get(p, "partition")));
            const char *labels[] = {"topic", topic ? topic : "", "partition", part, NULL};
            fy_metrics_out_sample(out, name, labels, num(p, pm->key) / pm->scale);
        }
    }
}

void mir_metrics_collect(void *arg, struct fy_metrics_out *out)
{
    json_t *j = status_of(arg);
    if (!j)
        return;
    json_t *topics = json_object_get(j, "topics");
    static const enum mir_state states[] = {MIR_STATE_ACTIVE, MIR_STATE_PAUSED,
                                            MIR_STATE_PENDING_STOPPED, MIR_STATE_STOPPED,
                                            MIR_STATE_FAILED};
    fy_metrics_out_family(out, "ferry_mirror_topic_state", FY_METRIC_GAUGE,
                          "1 for the state each mirrored topic is in, 0 for the others.");
    size_t i;
    json_t *t;
    json_array_foreach(topics, i, t) {
        const char *topic = json_string_value(json_object_get(t, "topic"));
        const char *state = json_string_value(json_object_get(t, "state"));
        for (size_t s = 0; s < sizeof states / sizeof states[0]; s++) {
            const char *name = mir_state_name(states[s]);
            const char *labels[] = {"topic", topic ? topic : "", "state", name, NULL};
            fy_metrics_out_sample(out, "ferry_mirror_topic_state", labels,
                                  state && strcmp(state, name) == 0 ? 1 : 0);
        }
    }
    for (size_t k = 0; k < sizeof per_part / sizeof per_part[0]; k++)
        per_partition(out, topics, &per_part[k]);
    json_t *src = json_object_get(j, "source");
    fy_metrics_out_one(out, "ferry_mirror_source_reachable", FY_METRIC_GAUGE,
                       "1 while the source cluster answers.",
                       json_is_true(json_object_get(src, "reachable")) ? 1 : 0);
    json_t *g = json_object_get(j, "groups");
    double last = num(g, "last_sync_ms");
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    double now_ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
    fy_metrics_out_family(out, "ferry_mirror_group_sync_age_seconds", FY_METRIC_GAUGE,
                          "Seconds since the last successful consumer-group offset sync began "
                          "(absent until the first one).");
    if (last > 0)
        fy_metrics_out_sample(out, "ferry_mirror_group_sync_age_seconds", NULL,
                              now_ms > last ? (now_ms - last) / 1e3 : 0);
    fy_metrics_out_one(out, "ferry_mirror_groups_synced", FY_METRIC_GAUGE,
                       "Consumer groups whose offsets the last sync translated.",
                       num(g, "synced"));
    fy_metrics_out_one(out, "ferry_mirror_group_offsets_synced", FY_METRIC_GAUGE,
                       "Partition offsets the last group sync committed on the destination.",
                       num(g, "offsets"));
    json_decref(j);
}
