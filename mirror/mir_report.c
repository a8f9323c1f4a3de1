/* SPDX-License-Identifier: Apache-2.0
 * mir_report: JSON views of the mirror (status, failover/promote reports),
 * built from the topics under mu (see mir_int.h). Thread: copy thread. */
#include "mirror/mir_int.h"

#include "common/fy_buf.h"

#include <stdio.h>
#include <string.h>

/* The source is called unreachable when librdkafka reported its brokers
 * down since the last answer, or when nothing answered for three topic
 * refreshes (an idle, caught-up mirror hears from it only then). */
static bool source_reachable(const struct mir_worker *w, int64_t now)
{
    int64_t silence = 3 * w->conf->refresh_ms + 5000;
    return !atomic_load(&w->src_down) && now - atomic_load(&w->src_last_ok_ms) < silence;
}

json_t *mir_report_error(int code, const char *fmt, const char *arg)
{
    char msg[300];
    snprintf(msg, sizeof msg, fmt, arg);
    return json_pack("{s:i,s:s}", "error_code", code, "message", msg);
}

static json_t *partition_json(const struct mir_partition *mp, int64_t now)
{
    json_t *j = json_pack("{s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b,s:I}", "partition",
                          (int)mp->partition, "source_end", (json_int_t)mp->hwm, "mirrored",
                          (json_int_t)(mp->done_src + 1), "committed",
                          (json_int_t)mp->committed_pos, "lag", (json_int_t)mir_partition_lag(mp),
                          "lag_ms", (json_int_t)mir_partition_lag_ms(mp, now), "records",
                          (json_int_t)mp->records, "map_entries", (json_int_t)mp->map.n,
                          "map_expired", (json_int_t)mp->map.expired,
                          "assigned", mp->assigned, "retention_skipped",
                          (json_int_t)mp->retention_skipped);
    json_object_set_new(j, "bytes", json_integer(mp->bytes));
    json_object_set_new(j, "delivery_errors", json_integer(mp->delivery_errors));
    return j;
}

json_t *mir_report_topic(const struct mir_worker *w, const struct mir_topic *mt, int64_t now)
{
    (void)w;
    json_t *parts = json_array();
    int64_t lag = 0, lag_ms = 0;
    for (int32_t p = 0; p < mt->n_parts; p++) {
        const struct mir_partition *mp = mt->parts[p];
        json_array_append_new(parts, partition_json(mp, now));
        lag += mir_partition_lag(mp);
        int64_t l = mir_partition_lag_ms(mp, now);
        lag_ms = l > lag_ms ? l : lag_ms;
    }
    json_t *t = json_pack("{s:s,s:s,s:s,s:I,s:I,s:o}", "topic", mt->src_name, "mirror_topic",
                          mt->dst_name, "state", mir_state_name(mt->state), "lag", (json_int_t)lag,
                          "lag_ms", (json_int_t)lag_ms, "partitions", parts);
    if (mt->reason)
        json_object_set_new(t, "reason", json_string(mt->reason));
    if (mt->state == MIR_STATE_FAILED)
        json_object_set_new(t, "retry_in_ms", mt->retry_at ? json_integer(
                                                   mt->retry_at > mir_mono_ms()
                                                       ? mt->retry_at - mir_mono_ms() : 0)
                                               : json_null());
    if (mt->last_stop)
        json_object_set(t, "last_stop", mt->last_stop);
    return t;
}

json_t *mir_report_status(const struct mir_worker *w)
{
    int64_t now = mir_now_ms();
    json_t *topics = json_array();
    size_t it = 0;
    const char *key;
    void *val;
    while (fy_map_next(&w->topics, &it, &key, &val)) {
        struct mir_topic *mt = val;
        if (!mt->in_source && mt->src_parts == 0 && mt->state == MIR_STATE_ACTIVE)
            continue;
        json_array_append_new(topics, mir_report_topic(w, mt, now));
    }
    int64_t last_ok = atomic_load(&w->src_last_ok_ms);
    return json_pack("{s:s,s:{s:s,s:s,s:b,s:I},s:{s:s,s:s},s:{s:I,s:I},s:o,"
                     "s:{s:I,s:i,s:i,s:i,s:i}}",
                     "mirror", w->conf->name, "source", "bootstrap", w->conf->src_bootstrap,
                     "cluster_id", w->src_cluster, "reachable",
                     source_reachable(w, now),
                     "last_contact_ms", (json_int_t)last_ok, "destination", "bootstrap",
                     w->conf->dst_bootstrap, "cluster_id", w->dst_cluster, "state",
                     "records_loaded", (json_int_t)w->state_records, "load_ms",
                     (json_int_t)w->state_load_ms, "topics", topics,
                     "groups", "last_sync_ms", (json_int_t)w->last_group_sync, "selected",
                     w->gstats.groups, "synced", w->gstats.synced, "skipped_active",
                     w->gstats.skipped_active, "offsets", w->gstats.offsets);
}

/* Lag at failover = what the destination will never get (RPO). Nothing here
 * asks the source: its end offsets are the watermarks the consumer cached
 * from its last fetch responses, so the report says how old they may be. */
json_t *mir_report_failover(const struct mir_worker *w, const struct mir_topic *mt,
                            int64_t now, const int64_t *in_flight_unknown)
{
    int64_t lost = 0, lost_ms = 0, unsure = 0, dst_unknown = 0;
    int64_t last_ok = atomic_load(&w->src_last_ok_ms);
    bool reachable = source_reachable(w, now);
    struct fy_buf unknown;
    fy_buf_init(&unknown, 0);
    json_t *parts = json_array();
    for (int32_t p = 0; p < mt->n_parts; p++) {
        const struct mir_partition *mp = mt->parts[p];
        int64_t mirrored = mp->done_src + 1;
        json_t *pj = json_pack("{s:i,s:I}", "partition", (int)p, "mirrored", (json_int_t)mirrored);
        /* known only once this process wrote to the partition: after a restart
         * the last commit point may be behind what an earlier run copied */
        bool dst_known = mp->records > 0 && mp->map.end_dst >= 0;
        json_object_set_new(pj, "destination_end", dst_known ? json_integer(mp->map.end_dst + 1)
                                                             : json_null());
        if (!dst_known)
            dst_unknown++;
        if (mp->hwm >= 0) {
            int64_t l = mir_partition_lag(mp), ms = mir_partition_lag_ms(mp, now);
            json_object_set_new(pj, "source_end", json_integer(mp->hwm));
            json_object_set_new(pj, "lost_records", json_integer(l));
            json_object_set_new(pj, "lost_ms", json_integer(ms));
            lost += l;
            lost_ms = ms > lost_ms ? ms : lost_ms;
        } else {
            json_object_set_new(pj, "source_end", json_null());
            json_object_set_new(pj, "lost_records", json_null());
            fy_buf_printf(&unknown, "%s%d", unknown.len ? "," : "", (int)p);
        }
        if (mp->retention_skipped)
            json_object_set_new(pj, "retention_skipped", json_integer(mp->retention_skipped));
        if (in_flight_unknown && in_flight_unknown[p]) {
            json_object_set_new(pj, "in_flight_unknown", json_integer(in_flight_unknown[p]));
            unsure += in_flight_unknown[p];
        }
        json_array_append_new(parts, pj);
    }
    struct fy_buf note;
    fy_buf_init(&note, 0);
    if (reachable)
        fy_buf_printf(&note, "source reachable: end offsets are from the last fetch responses; "
                             "records written after them are not counted");
    else if (last_ok > 0)
        fy_buf_printf(&note, "source unreachable (last answer %lld ms before failover): end "
                             "offsets are the last ones the mirror saw; records written to the "
                             "source after that are not known and not counted",
                      (long long)(now - last_ok));
    else
        fy_buf_printf(&note, "source unreachable and never answered: loss not known");
    if (unknown.len)
        fy_buf_printf(&note, "; partitions %s: source end never seen, loss not known",
                      fy_buf_str(&unknown));
    if (dst_unknown)
        fy_buf_printf(&note, "; %lld partitions not copied to since the mirror started: their "
                             "destination end is not known (an earlier run may have copied "
                             "records past the stored position: duplicates, never gaps)",
                      (long long)dst_unknown);
    if (unsure)
        fy_buf_printf(&note, "; %lld records were still unacknowledged by the destination at "
                             "the drain deadline: they may or may not be there",
                      (long long)unsure);
    json_t *r = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:b,s:I,s:b,s:s,s:o}", "operation",
                          "failover", "topic", mt->src_name, "mirror_topic", mt->dst_name,
                          "lost_records", (json_int_t)lost, "lost_ms", (json_int_t)lost_ms,
                          "time", (json_int_t)now, "source_reachable", reachable,
                          "source_last_contact_ms", (json_int_t)last_ok, "complete",
                          reachable && !unknown.len && !unsure, "note",
                          fy_buf_str(&note), "partitions", parts);
    fy_buf_destroy(&unknown);
    fy_buf_destroy(&note);
    return r;
}
