/* SPDX-License-Identifier: Apache-2.0
 * fy_drview: the DR status document (the shape of lnk_dr.h) built from a
 * mirror's GET /status answer — per topic state, lag, RPO and what is wrong
 * in words — and its RPO sums. Shared by `ferry dr status` (linker/lnk_dr.c,
 * which reads the mirror over HTTP) and the mirror's own status page (which
 * has its status in memory): one wording, one arithmetic. Pure JSON work.
 * Thread: any. */
#include "common/fy_drview.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void fy_drview_problem(json_t *st, const char *fmt, const char *a, const char *b)
{
    char buf[512];
    snprintf(buf, sizeof buf, fmt, a, b);
    json_array_append_new(json_object_get(st, "problems"), json_string(buf));
}

static int64_t int_of(json_t *o, const char *k, int64_t def)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

void fy_drview_mirror(json_t *ms, int64_t now, json_t *m, json_t *st)
{
    json_t *topics = json_object_get(st, "topics");
    json_t *src = json_object_get(ms, "source"), *g = json_object_get(ms, "groups");
    json_object_set(m, "name", json_object_get(ms, "mirror"));
    bool src_up = json_is_true(json_object_get(src, "reachable"));
    json_object_set_new(m, "source_reachable", json_boolean(src_up));
    json_object_set(m, "source_last_contact_ms", json_object_get(src, "last_contact_ms"));
    int64_t last_sync = int_of(g, "last_sync_ms", 0);
    json_object_set_new(m, "last_group_sync_ms", last_sync > 0 ? json_integer(last_sync)
                                                                : json_null());
    json_object_set_new(m, "group_sync_age_ms",
                        last_sync > 0 ? json_integer(now > last_sync ? now - last_sync : 0)
                                      : json_null());
    json_object_set(m, "groups_synced", json_object_get(g, "synced"));
    json_object_set(m, "offsets_synced", json_object_get(g, "offsets"));
    char buf[400];
    if (!src_up) {
        snprintf(buf, sizeof buf, "source cluster unreachable from the mirror (last contact %.1f s "
                 "ago): lags are as last seen", (double)(now - int_of(src, "last_contact_ms", now))
                 / 1000.0);
        fy_drview_problem(st, "%s%s", buf, "");
    }
    size_t n_selected = (size_t)int_of(g, "selected", 0);
    if (n_selected && last_sync <= 0)
        fy_drview_problem(st, "consumer-group offsets never synced yet%s%s", "", "");
    else if (last_sync > 0 && now - last_sync > FY_DRVIEW_GROUP_SYNC_WARN_MS) {
        snprintf(buf, sizeof buf, "%.0f s", (double)(now - last_sync) / 1000.0);
        fy_drview_problem(st, "consumer-group offsets last synced %s ago%s", buf, "");
    }
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(ms, "topics"), i, t)
    {
        const char *name = json_string_value(json_object_get(t, "topic"));
        const char *state = json_string_value(json_object_get(t, "state"));
        if (!name || !state)
            continue;
        int64_t lag = int_of(t, "lag", 0), lag_ms = int_of(t, "lag_ms", 0);
        json_t *o = json_pack("{s:s,s:O,s:s,s:I,s:I,s:I}", "topic", name, "mirror_topic",
                              json_object_get(t, "mirror_topic"), "state", state, "lag",
                              (json_int_t)lag, "lag_ms", (json_int_t)lag_ms, "partitions",
                              (json_int_t)json_array_size(json_object_get(t, "partitions")));
        bool stopped = strcmp(state, "STOPPED") == 0;
        /* a stopped topic is no longer replicated: nothing more to lose, nothing protected */
        json_object_set_new(o, "rpo_records", stopped ? json_null() : json_integer(lag));
        json_object_set_new(o, "rpo_ms", stopped ? json_null() : json_integer(lag_ms));
        buf[0] = '\0';
        const char *reason = json_string_value(json_object_get(t, "reason"));
        bool unknown = json_array_size(json_object_get(t, "partitions")) == 0;
        size_t k;
        json_t *p;
        json_array_foreach(json_object_get(t, "partitions"), k, p)
            unknown = unknown || int_of(p, "source_end", -1) < 0;
        if (unknown && !stopped) {
            /* a lag of 0 against an end never fetched is no lag: say so */
            json_object_set_new(o, "rpo_records", json_null());
            json_object_set_new(o, "rpo_ms", json_null());
            json_object_set_new(o, "lag", json_null());
            json_object_set_new(o, "lag_ms", json_null());
        }
        if (strcmp(state, "FAILED") == 0)
            snprintf(buf, sizeof buf, "FAILED: %s", reason ? reason : "no reason given");
        else if (strcmp(state, "PAUSED") == 0)
            snprintf(buf, sizeof buf, "paused: not copying, the RPO grows");
        else if (stopped)
            snprintf(buf, sizeof buf, "STOPPED: failed over or promoted, not replicated");
        else if (unknown)
            snprintf(buf, sizeof buf, "source end offsets not known yet: lag unknown");
        else if (lag_ms > FY_DRVIEW_LAG_WARN_MS)
            snprintf(buf, sizeof buf, "behind by %lld records, %.1f s", (long long)lag,
                     (double)lag_ms / 1000.0);
        if (buf[0]) {
            json_object_set_new(o, "problem", json_string(buf));
            fy_drview_problem(st, "topic %s: %s", name, buf);
        }
        json_array_append_new(topics, o);
    }
}

/* The sums: what would be missing on DR if the primary died now. */
void fy_drview_rpo(json_t *st)
{
    int64_t rec = 0, ms = 0;
    bool known = json_is_true(json_object_get(json_object_get(st, "mirror"), "reachable")) ||
                 json_is_null(json_object_get(st, "mirror"));
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(st, "topics"), i, t)
    {
        if (!json_is_integer(json_object_get(t, "rpo_records")) &&
            strcmp(json_string_value(json_object_get(t, "state")), "STOPPED") != 0)
            known = false;
        rec += int_of(t, "rpo_records", 0);
        int64_t l = int_of(t, "rpo_ms", 0);
        ms = l > ms ? l : ms;
    }
    json_t *x = json_object_get(st, "exporter");
    json_t *r = json_pack("{s:o,s:o,s:O,s:O}", "topic_records",
                          known ? json_integer(rec) : json_null(), "topic_ms",
                          known ? json_integer(ms) : json_null(), "schema_changes",
                          x && json_object_get(x, "lag_records") ? json_object_get(x, "lag_records")
                                                                 : json_null(),
                          "schema_ms",
                          x && json_object_get(x, "lag_ms") ? json_object_get(x, "lag_ms")
                                                            : json_null());
    json_object_set_new(st, "rpo", r);
}

