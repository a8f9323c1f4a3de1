/* SPDX-License-Identifier: Apache-2.0
 * mir_state: the mirror's state topic on the destination (see mir_int.h).
 * Records (compacted, one partition):
 *   <name>/map/<topic>/<partition>/<src>  {"src","dst","run"}          offset-map entry
 *                                         (null: the entry expired, a tombstone)
 *   <name>/mapbase/<topic>/<partition>    {"delta"}                    expired entries' bound
 *   <name>/pos/<topic>/<partition>        {"pos","end_src","end_dst"}  position
 *   <name>/state/<topic>                  {"state","reason",...}       topic state
 * Keys are unique per fact, so compaction keeps exactly what replay needs,
 * and all of it lives next to the data it describes: a failover site has it.
 * Thread: load at startup (main); produce on the copy thread. */
#include "mirror/mir_int.h"

#include "common/fy_alloc.h"
#include "common/fy_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int mir_state_from_name(const char *s)
{
    for (int i = MIR_STATE_ACTIVE; i <= MIR_STATE_FAILED; i++)
        if (strcmp(s, mir_state_name((enum mir_state)i)) == 0)
            return i;
    return -1;
}

char *mir_state_map_key(const struct mir_worker *w, const struct mir_topic *mt, int32_t p,
                        int64_t src)
{
    return fy_asprintf("%s/map/%s/%d/%lld", w->conf->name, mt->src_name, (int)p,
                       (long long)src);
}

void mir_state_produce(struct mir_worker *w, const char *key, const char *value, void *opaque)
{
    int64_t deadline = mir_mono_ms() + 1000;
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            w->dst, RD_KAFKA_V_RKT(w->state_rkt), RD_KAFKA_V_PARTITION(0),
            RD_KAFKA_V_KEY(key, strlen(key)),
            RD_KAFKA_V_VALUE((void *)value, value ? strlen(value) : 0),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL && mir_mono_ms() < deadline) {
            rd_kafka_poll(w->dst, 10);
            continue;
        }
        if (e)
            fy_log(FY_LOG_ERROR, "mirror", "msg=\"state record not produced\" key=%s err=\"%s\"",
                   key, rd_kafka_err2str(e));
        return;
    }
}

static void persist(struct mir_worker *w, struct mir_topic *mt)
{
    char *key = fy_asprintf("%s/state/%s", w->conf->name, mt->src_name);
    json_t *v = json_pack("{s:s,s:s?,s:I}", "state", mir_state_name(mt->state), "reason",
                          mt->reason, "time", (json_int_t)mir_now_ms());
    if (mt->last_stop)
        json_object_set(v, "report", mt->last_stop);
    /* a transient failure's backoff: a restart goes on retrying by itself */
    if (mt->state == MIR_STATE_FAILED && mt->retry_at)
        json_object_set_new(v, "retry_ms", json_integer(mt->retry_ms));
    char *text = json_dumps(v, JSON_COMPACT);
    mir_state_produce(w, key, text, NULL);
    free(text);
    json_decref(v);
    free(key);
}

void mir_state_set(struct mir_worker *w, struct mir_topic *mt, enum mir_state s,
                   const char *reason)
{
    if (mt->state == s && !reason)
        return;
    fy_log(FY_LOG_INFO, "mirror", "msg=\"topic state\" topic=%s from=%s to=%s reason=\"%s\"",
           mt->src_name, mir_state_name(mt->state), mir_state_name(s), reason ? reason : "");
    mt->state = s;
    free(mt->reason);
    mt->reason = reason ? fy_strdup(reason) : NULL;
    persist(w, mt);
}

static void load_topic_state(struct mir_worker *w, const char *topic, const void *val,
                             size_t vlen)
{
    const char *st = NULL, *reason = NULL;
    json_t *report = NULL;
    json_int_t retry_ms = 0;
    json_t *j = val ? json_loadb(val, vlen, 0, NULL) : NULL;
    if (!j || json_unpack(j, "{s:s,s?s,s?o,s?I}", "state", &st, "reason", &reason, "report",
                          &report, "retry_ms", &retry_ms) != 0 || mir_state_from_name(st) < 0)
        goto out;
    struct mir_topic *mt = mir_topic_get(w, topic);
    mt->state = (enum mir_state)mir_state_from_name(st);
    /* a promote interrupted by a restart resumes as a plain mirror */
    if (mt->state == MIR_STATE_PENDING_STOPPED)
        mt->state = MIR_STATE_ACTIVE;
    /* a transient failure retries after its backoff, counted from the start
     * (issue 10, item 7); one that waits for the operator has no retry_ms */
    mt->retry_ms = mt->state == MIR_STATE_FAILED && retry_ms > 0 ? retry_ms : 0;
    mt->retry_at = mt->retry_ms ? mir_mono_ms() + mt->retry_ms : 0;
    free(mt->reason);
    mt->reason = reason ? fy_strdup(reason) : NULL;
    json_decref(mt->last_stop);
    mt->last_stop = report ? json_incref(report) : NULL;
out:
    json_decref(j);
}

/* Apply one state-topic record during load. */
static void load_record(struct mir_worker *w, const char *key, size_t klen, const void *val,
                        size_t vlen)
{
    char *k = fy_strndup(key, klen);
    size_t nlen = strlen(w->conf->name);
    char *kind = NULL, *rest = NULL;
    json_t *j = NULL;
    if (strncmp(k, w->conf->name, nlen) != 0 || k[nlen] != '/')
        goto out; /* another mirror's record */
    kind = k + nlen + 1;
    rest = strchr(kind, '/');
    if (!rest)
        goto out;
    *rest++ = '\0';
    if (strcmp(kind, "state") == 0) {
        load_topic_state(w, rest, val, vlen);
        goto out;
    }
    /* map/<topic>/<p>/<src> and pos/<topic>/<p>: topic names never hold '/' */
    char *slash = strchr(rest, '/');
    if (!slash)
        goto out;
    *slash = '\0';
    char *end = NULL;
    errno = 0;
    long p = strtol(slash + 1, &end, 10);
    if (errno || p < 0 || p > 1000000 || (*end != '\0' && *end != '/'))
        goto out;
    struct mir_topic *mt = mir_topic_get(w, rest);
    mir_topic_grow(mt, (int32_t)p + 1);
    struct mir_partition *mp = mt->parts[p];
    if (strcmp(kind, "map") == 0) {
        int64_t s, d;
        bool run;
        if (!val && *end == '/') {
            /* an expired entry's tombstone (mir_offsetmap_expire) */
            errno = 0;
            char *tail = NULL;
            long long src = strtoll(end + 1, &tail, 10);
            if (!errno && tail != end + 1 && *tail == '\0')
                mir_offsetmap_remove(&mp->map, src);
        } else if (mir_offsetmap_entry_decode(val, vlen, &s, &d, &run) == 0) {
            mir_offsetmap_apply(&mp->map, s, d, run);
        }
    } else if (strcmp(kind, "mapbase") == 0) {
        int64_t delta;
        if (mir_offsetmap_base_decode(val, vlen, &delta) == 0)
            mir_offsetmap_apply_base(&mp->map, delta);
    } else if (strcmp(kind, "pos") == 0) {
        json_int_t pos = -1, es = -1, ed = -1;
        j = val ? json_loadb(val, vlen, 0, NULL) : NULL;
        if (j && json_unpack(j, "{s:I,s:I,s:I}", "pos", &pos, "end_src", &es, "end_dst",
                             &ed) == 0) {
            mp->committed_pos = pos;
            mp->stable_end_src = es;
            mp->stable_end_dst = ed;
        }
    }
out:
    json_decref(j);
    free(k);
}

/* Read partition 0 of the state topic from `lo` to `hi` with consumer `c`. */
static int read_all(struct mir_worker *w, rd_kafka_t *c, int64_t lo, int64_t hi,
                    size_t *count, struct fy_err *err)
{
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tp, w->conf->state_topic, 0)->offset = lo;
    rd_kafka_assign(c, tp);
    rd_kafka_topic_partition_list_destroy(tp);
    int64_t deadline = mir_mono_ms() + 60000;
    int64_t next = lo;
    while (next < hi) {
        if (mir_mono_ms() > deadline)
            return fy_err_set(err, FY_E_TIMEOUT, "state topic %s not read within 60 s",
                              w->conf->state_topic);
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 500);
        if (!m)
            continue;
        if (!m->err) {
            if (m->key)
                load_record(w, m->key, m->key_len, m->payload, m->len);
            next = m->offset + 1;
            (*count)++;
        } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            fy_log(FY_LOG_WARN, "mirror", "msg=\"state topic read\" err=\"%s\"",
                   rd_kafka_message_errstr(m));
        }
        /* compaction can leave the tail below hi: stop at the position */
        rd_kafka_message_destroy(m);
        rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(pos, w->conf->state_topic, 0);
        if (!rd_kafka_position(c, pos) && pos->elems[0].offset > next)
            next = pos->elems[0].offset;
        rd_kafka_topic_partition_list_destroy(pos);
    }
    return 0;
}

int mir_state_load(struct mir_worker *w, struct fy_err *err)
{
    /* tombstones of expired offset-map entries stay an hour (not the broker's
     * day): the state topic, and the replay at start, follow the live map */
    static const char *const cfg[] = {"cleanup.policy", "compact", "min.cleanable.dirty.ratio",
                                      "0.1", "segment.ms", "3600000", "delete.retention.ms",
                                      "3600000"};
    int rc = -1;
    rd_kafka_t *c = NULL;
    char *gid = fy_asprintf("%sloader", w->own_group_prefix);
    const struct mir_kv defs[] = {{"group.id", gid}, {"enable.auto.commit", "false"},
                                  {"enable.auto.offset.store", "false"},
                                  {"enable.partition.eof", "false"},
                                  {"allow.auto.create.topics", "false"}, {NULL, NULL}};
    int64_t lo = 0, hi = 0, deadline, t0 = mir_mono_ms();
    size_t count = 0;
    /* created (compacted) before any client could refer to it */
    if (mir_kafka_create_topic(w->dst_admin, w->conf->state_topic, 1,
                               (int)w->conf->replication_factor, cfg, sizeof cfg / sizeof cfg[0],
                               MIR_ADMIN_TIMEOUT_MS, NULL, err) < 0)
        goto out;
    c = mir_kafka_new(RD_KAFKA_CONSUMER, w->conf->dst_bootstrap, defs, &w->conf->dst_props, NULL,
                      NULL, NULL, err);
    if (!c)
        goto out;
    /* the topic may have just been created: wait for its leader to answer
     * (startup only: the destination must be up for the mirror to start) */
    deadline = mir_mono_ms() + 30000;
    for (;;) {
        rd_kafka_resp_err_t e =
            rd_kafka_query_watermark_offsets(c, w->conf->state_topic, 0, &lo, &hi, 2000);
        if (!e)
            break;
        if (mir_mono_ms() > deadline) {
            fy_err_set(err, FY_E_KAFKA, "state topic %s: %s", w->conf->state_topic,
                       rd_kafka_err2str(e));
            goto out;
        }
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL); /* metadata for a new topic propagates asynchronously */
    }
    if (hi > lo && read_all(w, c, lo, hi, &count, err) != 0)
        goto out;
    w->state_records = (int64_t)count;
    w->state_load_ms = mir_mono_ms() - t0;
    fy_log(FY_LOG_INFO, "mirror", "msg=\"state loaded\" topic=%s records=%zu ms=%lld",
           w->conf->state_topic, count, (long long)w->state_load_ms);
    rc = 0;
out:
    if (c) {
        rd_kafka_consumer_close(c);
        rd_kafka_destroy(c);
    }
    free(gid);
    return rc;
}
