/* SPDX-License-Identifier: Apache-2.0
 * mir_worker: the mirror loop (see mir_worker.h). Data path: source consumer
 * (assign, read_committed) → per-record provenance check → idempotent
 * producer to the same partition of the mirror topic, holding the consumed
 * message until its delivery report (no copy) → the report advances the
 * partition watermark and the offset map. Control path, on the same thread
 * between batches: topic refresh, config sync, group sync, commits, requests.
 * Thread: one worker thread; other threads only touch `lock`/`reqs`. */
#include "mirror/mir_worker.h"

#include "common/fy_alloc.h"
#include "common/fy_buf.h"
#include "common/fy_log.h"
#include "common/fy_map.h"
#include "mirror/mir_filter.h"
#include "mirror/mir_groups.h"
#include "mirror/mir_kafka.h"
#include "mirror/mir_partition.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Provenance header: the id of the cluster a record was first written to.
 * A record whose origin is the destination cluster is never copied back,
 * which breaks A→B→A loops even with identical topic names (Replicator's
 * provenance.header.enable, mirroring.md §3). */
#define MIR_ORIGIN_HEADER "ferry.origin"
#define ADMIN_TIMEOUT_MS 10000
#define BATCH 1024

struct mir_topic {
    char *src_name;
    char *dst_name;
    enum mir_state state;
    char *reason;             /* why FAILED/STOPPED, or NULL */
    struct mir_partition **parts;
    int32_t n_parts;
    int32_t src_parts;        /* source partition count at the last refresh */
    bool in_source;           /* seen in the last source metadata */
    int missing;              /* consecutive refreshes without it */
    bool ready;               /* mirror topic exists with >= src_parts partitions */
    bool resumed;             /* stored positions applied to the partitions */
    rd_kafka_topic_t *dst_rkt;
    json_t *last_stop;        /* report of the last failover/promote (owned) */
};

struct mir_req {
    enum mir_op op;
    char *topic;
    int64_t deadline;
    int status;
    char *json;
    bool done;
    struct mir_req *next;
};

struct mir_worker {
    const struct mir_conf *conf;
    struct mir_filter tfilter, gfilter;
    rd_kafka_t *src;        /* consumer (assign only, never commits) */
    rd_kafka_t *src_admin;  /* metadata, configs, groups on the source */
    rd_kafka_t *dst;        /* idempotent producer: data + state topic + admin */
    rd_kafka_queue_t *src_q;
    rd_kafka_topic_t *state_rkt;
    char *src_cluster, *dst_cluster;
    char *own_group_prefix;
    struct fy_map topics;   /* src name -> struct mir_topic * */
    rd_kafka_topic_t *last_rkt;
    struct mir_topic *last_mt;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct mir_req *reqs;   /* under lock: waiting to be taken by the worker */
    struct mir_req *waiting;/* worker only: promotes not finished yet */
    atomic_bool stop;
    int64_t next_refresh, next_cfg, next_groups, next_commit;
    struct mir_groups_stats gstats;
    int64_t last_group_sync;
    bool fatal;
};

const char *mir_state_name(enum mir_state s)
{
    static const char *const names[] = {"ACTIVE", "PAUSED", "PENDING_STOPPED", "STOPPED",
                                        "FAILED"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "UNKNOWN";
}

static int state_from_name(const char *s)
{
    for (int i = MIR_STATE_ACTIVE; i <= MIR_STATE_FAILED; i++)
        if (strcmp(s, mir_state_name((enum mir_state)i)) == 0)
            return i;
    return -1;
}

/* ---------------------------------------------------------------- topics */

static struct mir_topic *topic_get(struct mir_worker *w, const char *src_name)
{
    struct mir_topic *mt = fy_map_get(&w->topics, src_name);
    if (mt)
        return mt;
    mt = fy_calloc(1, sizeof *mt);
    mt->src_name = fy_strdup(src_name);
    mt->dst_name = fy_asprintf("%s%s", w->conf->topic_prefix, src_name);
    mt->state = MIR_STATE_ACTIVE;
    fy_map_put(&w->topics, src_name, mt);
    return mt;
}

static void topic_grow(struct mir_topic *mt, int32_t n)
{
    if (n <= mt->n_parts)
        return;
    mt->parts = fy_realloc(mt->parts, (size_t)n * sizeof *mt->parts);
    for (int32_t p = mt->n_parts; p < n; p++) {
        mt->parts[p] = fy_malloc(sizeof *mt->parts[p]);
        mir_partition_init(mt->parts[p], p);
    }
    mt->n_parts = n;
}

static void topic_free(struct mir_topic *mt)
{
    for (int32_t p = 0; p < mt->n_parts; p++) {
        mir_partition_destroy(mt->parts[p]);
        free(mt->parts[p]);
    }
    free(mt->parts);
    if (mt->dst_rkt)
        rd_kafka_topic_destroy(mt->dst_rkt);
    json_decref(mt->last_stop);
    free(mt->reason);
    free(mt->src_name);
    free(mt->dst_name);
    free(mt);
}

static bool fetching(const struct mir_topic *mt)
{
    return mt->state == MIR_STATE_ACTIVE || mt->state == MIR_STATE_PENDING_STOPPED;
}

/* ------------------------------------------------------------ state topic */

/* Records in the state topic (compacted, one partition, on the destination):
 *   <name>/map/<topic>/<partition>/<src>  {"src","dst","run"}  offset-map entry
 *   <name>/pos/<topic>/<partition>        {"pos","end_src","end_dst"}  position
 *   <name>/state/<topic>                  {"state","reason",...}      topic state
 * Keys are unique per fact, so compaction keeps exactly what replay needs,
 * and all of it lives next to the data it describes: a failover site has it. */
static void state_produce(struct mir_worker *w, const char *key, const char *value, void *opaque)
{
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            w->dst, RD_KAFKA_V_RKT(w->state_rkt), RD_KAFKA_V_PARTITION(0),
            RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE((void *)value, strlen(value)),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(w->dst, 10);
            continue;
        }
        if (e)
            fy_log(FY_LOG_ERROR, "mirror", "msg=\"state record not produced\" key=%s err=\"%s\"",
                   key, rd_kafka_err2str(e));
        return;
    }
}

static void persist_state(struct mir_worker *w, struct mir_topic *mt)
{
    char *key = fy_asprintf("%s/state/%s", w->conf->name, mt->src_name);
    json_t *v = json_pack("{s:s,s:s?,s:I}", "state", mir_state_name(mt->state), "reason",
                          mt->reason, "time", (json_int_t)mir_now_ms());
    if (mt->last_stop)
        json_object_set(v, "report", mt->last_stop);
    char *text = json_dumps(v, JSON_COMPACT);
    state_produce(w, key, text, NULL);
    free(text);
    json_decref(v);
    free(key);
}

static void set_state(struct mir_worker *w, struct mir_topic *mt, enum mir_state s,
                      const char *reason)
{
    if (mt->state == s && !reason)
        return;
    fy_log(FY_LOG_INFO, "mirror", "msg=\"topic state\" topic=%s from=%s to=%s reason=\"%s\"",
           mt->src_name, mir_state_name(mt->state), mir_state_name(s), reason ? reason : "");
    mt->state = s;
    free(mt->reason);
    mt->reason = reason ? fy_strdup(reason) : NULL;
    persist_state(w, mt);
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
        j = val ? json_loadb(val, vlen, 0, NULL) : NULL;
        const char *st = NULL, *reason = NULL;
        json_t *report = NULL;
        if (!j || json_unpack(j, "{s:s,s?s,s?o}", "state", &st, "reason", &reason, "report",
                              &report) != 0 || state_from_name(st) < 0)
            goto out;
        struct mir_topic *mt = topic_get(w, rest);
        mt->state = (enum mir_state)state_from_name(st);
        /* a promote interrupted by a restart resumes as a plain mirror */
        if (mt->state == MIR_STATE_PENDING_STOPPED)
            mt->state = MIR_STATE_ACTIVE;
        free(mt->reason);
        mt->reason = reason ? fy_strdup(reason) : NULL;
        json_decref(mt->last_stop);
        mt->last_stop = report ? json_incref(report) : NULL;
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
    struct mir_topic *mt = topic_get(w, rest);
    topic_grow(mt, (int32_t)p + 1);
    struct mir_partition *mp = mt->parts[p];
    if (strcmp(kind, "map") == 0) {
        int64_t s, d;
        bool run;
        if (mir_offsetmap_entry_decode(val, vlen, &s, &d, &run) == 0)
            mir_offsetmap_apply(&mp->map, s, d, run);
    } else if (strcmp(kind, "pos") == 0) {
        json_int_t pos = -1, es = -1, ed = -1;
        j = val ? json_loadb(val, vlen, 0, NULL) : NULL;
        if (j && json_unpack(j, "{s:I,s:I,s:I}", "pos", &pos, "end_src", &es, "end_dst", &ed) == 0) {
            mp->committed_pos = pos;
            mp->stable_end_src = es;
            mp->stable_end_dst = ed;
        }
    }
out:
    json_decref(j);
    free(k);
}

static int create_topic(rd_kafka_t *rk, const char *name, int32_t partitions, int rf,
                        const char *const *configs, size_t n_configs, struct fy_err *err)
{
    char errstr[512];
    int rc = -1;
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(name, partitions, rf, errstr, sizeof errstr);
    rd_kafka_AdminOptions_t *o = mir_kafka_admin_options(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS,
                                                         ADMIN_TIMEOUT_MS);
    rd_kafka_event_t *ev = NULL;
    if (!nt) {
        fy_err_set(err, FY_E_KAFKA, "topic %s: %s", name, errstr);
        goto out;
    }
    for (size_t i = 0; i + 1 < n_configs; i += 2)
        rd_kafka_NewTopic_set_config(nt, configs[i], configs[i + 1]);
    rd_kafka_CreateTopics(rk, &nt, 1, o, q);
    ev = mir_kafka_admin_wait(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT, ADMIN_TIMEOUT_MS + 2000, err);
    if (!ev)
        goto out;
    size_t n = 0;
    const rd_kafka_topic_result_t **tr =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    rd_kafka_resp_err_t e = n == 1 ? rd_kafka_topic_result_error(tr[0]) : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        fy_err_set(err, FY_E_KAFKA, "create topic %s: %s", name,
                   rd_kafka_topic_result_error_string(tr[0]));
        goto out;
    }
    rc = 0;
out:
    if (ev)
        rd_kafka_event_destroy(ev);
    if (nt)
        rd_kafka_NewTopic_destroy(nt);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

/* Read the whole state topic once, before anything is mirrored. */
static int load_state(struct mir_worker *w, struct fy_err *err)
{
    static const char *const cfg[] = {"cleanup.policy", "compact", "min.cleanable.dirty.ratio",
                                      "0.1", "segment.ms", "3600000"};
    int rc = -1;
    rd_kafka_t *c = NULL;
    rd_kafka_topic_partition_list_t *tp = NULL;
    char *gid = fy_asprintf("%sloader", w->own_group_prefix);
    const struct mir_kv defs[] = {{"group.id", gid}, {"enable.auto.commit", "false"},
                                  {"enable.auto.offset.store", "false"},
                                  {"enable.partition.eof", "false"}, {NULL, NULL}};
    int64_t lo = 0, hi = 0, deadline;
    size_t count = 0;
    if (create_topic(w->dst, w->conf->state_topic, 1, (int)w->conf->replication_factor, cfg,
                     sizeof cfg / sizeof cfg[0], err) != 0)
        goto out;
    c = mir_kafka_new(RD_KAFKA_CONSUMER, w->conf->dst_bootstrap, defs, &w->conf->dst_props, NULL,
                      NULL, err);
    if (!c)
        goto out;
    /* the topic may have just been created: wait for its leader to answer */
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
    if (hi > lo) {
        tp = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(tp, w->conf->state_topic, 0)->offset = lo;
        rd_kafka_assign(c, tp);
        deadline = mir_mono_ms() + 60000;
        int64_t next = lo;
        while (next < hi) {
            if (mir_mono_ms() > deadline) {
                fy_err_set(err, FY_E_TIMEOUT, "state topic %s not read within 60 s",
                           w->conf->state_topic);
                goto out;
            }
            rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 500);
            if (!m)
                continue;
            if (!m->err) {
                if (m->key)
                    load_record(w, m->key, m->key_len, m->payload, m->len);
                next = m->offset + 1;
                count++;
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
    }
    fy_log(FY_LOG_INFO, "mirror", "msg=\"state loaded\" topic=%s records=%zu",
           w->conf->state_topic, count);
    rc = 0;
out:
    if (tp)
        rd_kafka_topic_partition_list_destroy(tp);
    if (c) {
        rd_kafka_consumer_close(c);
        rd_kafka_destroy(c);
    }
    free(gid);
    return rc;
}

/* ------------------------------------------------------- delivery reports */

static void fail_topic(struct mir_worker *w, struct mir_topic *mt, const char *reason);

/* Runs inside rd_kafka_poll(w->dst) on the worker thread. */
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct mir_worker *w = opaque;
    (void)rk;
    if (m->rkt == w->state_rkt) {
        struct mir_partition *mp = m->_private;
        if (m->err)
            fy_log(FY_LOG_ERROR, "mirror", "msg=\"state record not delivered\" err=\"%s\"",
                   rd_kafka_err2str(m->err));
        if (!mp)
            return;
        if (m->err) {
            /* the entry is not durable: back into unsent, so no commit passes it */
            struct mir_pending_entry e;
            if (mir_offsetmap_entry_decode(m->payload, m->len, &e.src, &e.dst, &e.run_start) == 0)
                mir_partition_entry_untake(mp, &e);
            return;
        }
        mir_partition_on_entry_ack(mp);
        return;
    }
    rd_kafka_message_t *src = m->_private;
    struct mir_topic *mt = rd_kafka_topic_opaque(m->rkt);
    struct mir_partition *mp = mt && m->partition < mt->n_parts ? mt->parts[m->partition] : NULL;
    if (mp && (m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
               m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)) {
        /* shutdown past its deadline: not a failure, the position was not committed */
        mir_partition_on_fail(mp);
    } else if (mp && m->err) {
        mir_partition_on_fail(mp);
        char reason[300];
        snprintf(reason, sizeof reason, "delivery failed at source offset %lld: %s",
                 (long long)src->offset, rd_kafka_err2str(m->err));
        fail_topic(w, mt, reason);
    } else if (mp) {
        rd_kafka_timestamp_type_t tt;
        int64_t ts = rd_kafka_message_timestamp(src, &tt);
        mir_partition_on_ack(mp, src->offset, m->offset, ts, (int64_t)(src->len + src->key_len));
    }
    rd_kafka_message_destroy(src);
}

/* ------------------------------------------------------------ assignment */

static void unassign_topic(struct mir_worker *w, struct mir_topic *mt)
{
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(mt->n_parts);
    for (int32_t p = 0; p < mt->n_parts; p++)
        if (mt->parts[p]->assigned) {
            rd_kafka_topic_partition_list_add(tp, mt->src_name, p);
            mt->parts[p]->assigned = false;
        }
    if (tp->cnt) {
        rd_kafka_error_t *e = rd_kafka_incremental_unassign(w->src, tp);
        if (e) {
            fy_log(FY_LOG_ERROR, "mirror", "msg=\"unassign failed\" topic=%s err=\"%s\"",
                   mt->src_name, rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    }
    rd_kafka_topic_partition_list_destroy(tp);
}

static void fail_topic(struct mir_worker *w, struct mir_topic *mt, const char *reason)
{
    if (mt->state == MIR_STATE_FAILED || mt->state == MIR_STATE_STOPPED)
        return;
    fy_log(FY_LOG_ERROR, "mirror", "msg=\"mirror topic failed\" topic=%s reason=\"%s\"",
           mt->src_name, reason);
    set_state(w, mt, MIR_STATE_FAILED, reason);
    unassign_topic(w, mt);
}

/* Assign every partition of an ACTIVE/promoting, ready topic that is not
 * assigned yet: at the stored position the first time, afterwards just after
 * the last record handed to the producer (in-flight ones still complete). */
static void assign_topic(struct mir_worker *w, struct mir_topic *mt)
{
    if (!fetching(mt) || !mt->ready)
        return;
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(mt->src_parts);
    for (int32_t p = 0; p < mt->src_parts && p < mt->n_parts; p++) {
        struct mir_partition *mp = mt->parts[p];
        if (mp->assigned)
            continue;
        if (!mp->resumed) {
            mir_partition_resume(mp, mp->committed_pos, mp->stable_end_src, mp->stable_end_dst);
            mp->resumed = true;
        }
        /* a partition added to the source after the start is read from its
         * beginning whatever mirror.start.offset says: all of it is new */
        int64_t off = mp->produced_src >= 0 ? mp->produced_src + 1
                    : (w->conf->start_offset == 1 && !mt->resumed) ? RD_KAFKA_OFFSET_END
                                                                    : RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_topic_partition_list_add(tp, mt->src_name, p)->offset = off;
        mp->assigned = true;
        if (mp->caught_up_ms == 0)
            mp->caught_up_ms = mir_now_ms();
        fy_log(FY_LOG_INFO, "mirror", "msg=\"partition assigned\" topic=%s partition=%d offset=%lld",
               mt->src_name, (int)p, (long long)off);
    }
    mt->resumed = true;
    if (tp->cnt) {
        rd_kafka_error_t *e = rd_kafka_incremental_assign(w->src, tp);
        if (e) {
            fy_log(FY_LOG_ERROR, "mirror", "msg=\"assign failed\" topic=%s err=\"%s\"",
                   mt->src_name, rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            for (int i = 0; i < tp->cnt; i++)
                mt->parts[tp->elems[i].partition]->assigned = false;
        }
    }
    rd_kafka_topic_partition_list_destroy(tp);
}

/* ------------------------------------------------------- topic management */

/* Topic configs not synced, as MM2's config.properties.exclude: they would
 * change timestamps (LogAppendTime rewrites them) or are site-specific. */
static bool config_excluded(const char *name)
{
    static const char *const ex[] = {"follower.replication.throttled.replicas",
                                     "leader.replication.throttled.replicas",
                                     "message.timestamp.difference.max.ms",
                                     "message.timestamp.before.max.ms",
                                     "message.timestamp.after.max.ms",
                                     "message.timestamp.type",
                                     "unclean.leader.election.enable",
                                     "min.insync.replicas",
                                     NULL};
    for (size_t i = 0; ex[i]; i++)
        if (strcmp(ex[i], name) == 0)
            return true;
    return strncmp(name, "confluent.", 10) == 0;
}

/* Topic-level (dynamic) config overrides of `names` on `rk`: a **new**
 * object {topic: {key: value}}, or NULL with err. */
static json_t *describe_configs(rd_kafka_t *rk, char **names, size_t n, bool filter,
                                struct fy_err *err)
{
    json_t *out = NULL;
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_ConfigResource_t **res = fy_calloc(n ? n : 1, sizeof *res);
    rd_kafka_AdminOptions_t *o = mir_kafka_admin_options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
                                                         ADMIN_TIMEOUT_MS);
    rd_kafka_event_t *ev = NULL;
    for (size_t i = 0; i < n; i++)
        res[i] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, names[i]);
    rd_kafka_DescribeConfigs(rk, res, n, o, q);
    ev = mir_kafka_admin_wait(q, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, ADMIN_TIMEOUT_MS + 2000,
                              err);
    if (!ev)
        goto out;
    out = json_object();
    size_t nr = 0;
    const rd_kafka_ConfigResource_t **rr =
        rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &nr);
    for (size_t i = 0; i < nr; i++) {
        if (rd_kafka_ConfigResource_error(rr[i]))
            continue;
        json_t *t = json_object();
        size_t ne = 0;
        const rd_kafka_ConfigEntry_t **ce = rd_kafka_ConfigResource_configs(rr[i], &ne);
        for (size_t k = 0; k < ne; k++) {
            const char *name = rd_kafka_ConfigEntry_name(ce[k]);
            const char *val = rd_kafka_ConfigEntry_value(ce[k]);
            if (rd_kafka_ConfigEntry_source(ce[k]) != RD_KAFKA_CONFIG_SOURCE_DYNAMIC_TOPIC_CONFIG ||
                !val || rd_kafka_ConfigEntry_is_sensitive(ce[k]) ||
                rd_kafka_ConfigEntry_is_read_only(ce[k]))
                continue;
            if (filter && config_excluded(name))
                continue;
            json_object_set_new(t, name, json_string(val));
        }
        json_object_set_new(out, rd_kafka_ConfigResource_name(rr[i]), t);
    }
out:
    if (ev)
        rd_kafka_event_destroy(ev);
    for (size_t i = 0; i < n; i++)
        rd_kafka_ConfigResource_destroy(res[i]);
    free(res);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return out;
}

/* Make the mirror topic's overrides equal the source's synced ones. AlterConfigs
 * replaces the whole set, so the destination's own values of excluded keys are
 * carried over (an operator's min.insync.replicas survives). */
static int alter_configs(rd_kafka_t *rk, const char *topic, json_t *want, json_t *have,
                         struct fy_err *err)
{
    int rc = -1;
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    rd_kafka_AdminOptions_t *o = mir_kafka_admin_options(rk, RD_KAFKA_ADMIN_OP_ALTERCONFIGS,
                                                         ADMIN_TIMEOUT_MS);
    rd_kafka_event_t *ev = NULL;
    const char *k;
    json_t *v;
    json_object_foreach(want, k, v)
        rd_kafka_ConfigResource_set_config(res, k, json_string_value(v));
    json_object_foreach(have, k, v)
        if (config_excluded(k))
            rd_kafka_ConfigResource_set_config(res, k, json_string_value(v));
    rd_kafka_AlterConfigs(rk, &res, 1, o, q);
    ev = mir_kafka_admin_wait(q, RD_KAFKA_EVENT_ALTERCONFIGS_RESULT, ADMIN_TIMEOUT_MS + 2000, err);
    if (!ev)
        goto out;
    size_t nr = 0;
    const rd_kafka_ConfigResource_t **rr =
        rd_kafka_AlterConfigs_result_resources(rd_kafka_event_AlterConfigs_result(ev), &nr);
    if (nr == 1 && rd_kafka_ConfigResource_error(rr[0])) {
        fy_err_set(err, FY_E_KAFKA, "%s", rd_kafka_ConfigResource_error_string(rr[0]));
        goto out;
    }
    rc = 0;
out:
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_ConfigResource_destroy(res);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

static bool same_configs(json_t *want, json_t *have)
{
    const char *k;
    json_t *v;
    size_t n_have = 0;
    json_object_foreach(have, k, v)
        if (!config_excluded(k))
            n_have++;
    if (n_have != json_object_size(want))
        return false;
    json_object_foreach(want, k, v) {
        json_t *h = json_object_get(have, k);
        if (!h || strcmp(json_string_value(h), json_string_value(v)) != 0)
            return false;
    }
    return true;
}

static void sync_configs(struct mir_worker *w)
{
    struct fy_err err = {0};
    size_t n = 0, it = 0;
    const char *key;
    void *val;
    char **src = fy_calloc(w->topics.count + 1, sizeof *src);
    char **dst = fy_calloc(w->topics.count + 1, sizeof *dst);
    json_t *sc = NULL, *dc = NULL;
    while (fy_map_next(&w->topics, &it, &key, &val)) {
        struct mir_topic *mt = val;
        if (mt->ready && mt->in_source && mt->state != MIR_STATE_STOPPED &&
            mt->state != MIR_STATE_FAILED) {
            src[n] = mt->src_name;
            dst[n++] = mt->dst_name;
        }
    }
    if (n == 0)
        goto out;
    sc = describe_configs(w->src_admin, src, n, true, &err);
    dc = sc ? describe_configs(w->dst, dst, n, false, &err) : NULL;
    if (!sc || !dc) {
        fy_log(FY_LOG_WARN, "mirror", "msg=\"config sync skipped\" err=\"%s\"", err.msg);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *want = json_object_get(sc, src[i]);
        json_t *have = json_object_get(dc, dst[i]);
        if (!want || !have || same_configs(want, have))
            continue;
        if (alter_configs(w->dst, dst[i], want, have, &err) != 0)
            fy_log(FY_LOG_WARN, "mirror", "msg=\"config sync failed\" topic=%s err=\"%s\"", dst[i],
                   err.msg);
        else
            fy_log(FY_LOG_INFO, "mirror", "msg=\"topic configs synced\" topic=%s", dst[i]);
    }
out:
    json_decref(sc);
    json_decref(dc);
    free(src);
    free(dst);
}

static int create_partitions(rd_kafka_t *rk, const char *name, int32_t total, struct fy_err *err)
{
    char errstr[512];
    int rc = -1;
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_NewPartitions_t *np = rd_kafka_NewPartitions_new(name, (size_t)total, errstr,
                                                              sizeof errstr);
    rd_kafka_AdminOptions_t *o = mir_kafka_admin_options(rk, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS,
                                                         ADMIN_TIMEOUT_MS);
    rd_kafka_CreatePartitions(rk, &np, 1, o, q);
    rd_kafka_event_t *ev = mir_kafka_admin_wait(q, RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT,
                                                ADMIN_TIMEOUT_MS + 2000, err);
    if (ev) {
        size_t n = 0;
        const rd_kafka_topic_result_t **tr =
            rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &n);
        rd_kafka_resp_err_t e = n == 1 ? rd_kafka_topic_result_error(tr[0]) : 0;
        if (e && e != RD_KAFKA_RESP_ERR_INVALID_PARTITIONS)
            fy_err_set(err, FY_E_KAFKA, "create partitions %s: %s", name,
                       rd_kafka_topic_result_error_string(tr[0]));
        else
            rc = 0;
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_NewPartitions_destroy(np);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

/* Partition count of `topic` in the producer's metadata (refreshing it): the
 * producer must know a partition before records can be sent to it. */
static int32_t dst_partitions(struct mir_worker *w, rd_kafka_topic_t *rkt)
{
    const struct rd_kafka_metadata *md = NULL;
    int32_t n = -1;
    if (rd_kafka_metadata(w->dst, 0, rkt, &md, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR)
        return -1;
    if (md->topic_cnt == 1 && !md->topics[0].err)
        n = md->topics[0].partition_cnt;
    rd_kafka_metadata_destroy(md);
    return n;
}

/* Bring the mirror topic to the source's partition count, creating it with the
 * source's synced configs when missing. */
static void ensure_mirror_topic(struct mir_worker *w, struct mir_topic *mt)
{
    struct fy_err err = {0};
    if (!mt->dst_rkt) {
        rd_kafka_topic_conf_t *tc = rd_kafka_topic_conf_new();
        rd_kafka_topic_conf_set_opaque(tc, mt);
        mt->dst_rkt = rd_kafka_topic_new(w->dst, mt->dst_name, tc);
    }
    int32_t have = dst_partitions(w, mt->dst_rkt);
    if (have >= mt->src_parts) {
        mt->ready = true;
        return;
    }
    if (have <= 0) {
        char *names[1] = {mt->src_name};
        json_t *sc = describe_configs(w->src_admin, names, 1, true, &err);
        json_t *cfg = sc ? json_object_get(sc, mt->src_name) : NULL;
        size_t n = 0;
        const char **kv = fy_calloc(2 * (cfg ? json_object_size(cfg) : 0) + 1, sizeof *kv);
        const char *k;
        json_t *v;
        if (cfg)
            json_object_foreach(cfg, k, v) {
                kv[n++] = k;
                kv[n++] = json_string_value(v);
            }
        int rc = sc ? create_topic(w->dst, mt->dst_name, mt->src_parts,
                                   (int)w->conf->replication_factor, kv, n, &err)
                    : -1;
        free(kv);
        json_decref(sc);
        if (rc != 0) {
            fy_log(FY_LOG_WARN, "mirror", "msg=\"mirror topic not created\" topic=%s err=\"%s\"",
                   mt->dst_name, err.msg);
            return;
        }
        fy_log(FY_LOG_INFO, "mirror", "msg=\"mirror topic created\" topic=%s partitions=%d",
               mt->dst_name, (int)mt->src_parts);
    } else {
        if (create_partitions(w->dst, mt->dst_name, mt->src_parts, &err) != 0) {
            fy_log(FY_LOG_WARN, "mirror", "msg=\"partitions not added\" topic=%s err=\"%s\"",
                   mt->dst_name, err.msg);
            return;
        }
        fy_log(FY_LOG_INFO, "mirror", "msg=\"mirror partitions added\" topic=%s partitions=%d",
               mt->dst_name, (int)mt->src_parts);
    }
    /* creation is asynchronous on the controller: wait until the producer sees it */
    int64_t deadline = mir_mono_ms() + 15000;
    while (mir_mono_ms() < deadline) {
        if (dst_partitions(w, mt->dst_rkt) >= mt->src_parts) {
            mt->ready = true;
            return;
        }
        struct timespec ts = {0, 100 * 1000000};
        nanosleep(&ts, NULL);
    }
}

static void refresh_topics(struct mir_worker *w)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(w->src_admin, 1, NULL, &md, 5000);
    size_t it = 0;
    const char *key;
    void *val;
    if (e) {
        fy_log(FY_LOG_WARN, "mirror", "msg=\"source metadata failed\" err=\"%s\"",
               rd_kafka_err2str(e));
        return;
    }
    while (fy_map_next(&w->topics, &it, &key, &val))
        ((struct mir_topic *)val)->in_source = false;
    for (int i = 0; i < md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *t = &md->topics[i];
        if (t->err || mir_topic_is_internal(t->topic) || !mir_filter_match(&w->tfilter, t->topic))
            continue;
        struct mir_topic *mt = topic_get(w, t->topic);
        mt->in_source = true;
        mt->missing = 0;
        if (t->partition_cnt > mt->src_parts) {
            mt->src_parts = t->partition_cnt;
            mt->ready = false;
        }
        if (mt->state == MIR_STATE_STOPPED || mt->state == MIR_STATE_FAILED)
            continue;
        topic_grow(mt, mt->src_parts);
        if (!mt->ready)
            ensure_mirror_topic(w, mt);
        assign_topic(w, mt);
    }
    rd_kafka_metadata_destroy(md);
    it = 0;
    while (fy_map_next(&w->topics, &it, &key, &val)) {
        struct mir_topic *mt = val;
        /* twice in a row, so one metadata answer racing a creation is not fatal */
        if (!mt->in_source && mt->src_parts > 0 && ++mt->missing >= 2 &&
            (mt->state == MIR_STATE_ACTIVE || mt->state == MIR_STATE_PAUSED ||
             mt->state == MIR_STATE_PENDING_STOPPED))
            fail_topic(w, mt, "source topic deleted");
    }
}

/* --------------------------------------------------------------- data path */

static struct mir_topic *topic_for(struct mir_worker *w, rd_kafka_topic_t *rkt)
{
    if (rkt != w->last_rkt) {
        w->last_rkt = rkt;
        w->last_mt = fy_map_get(&w->topics, rd_kafka_topic_name(rkt));
    }
    return w->last_mt;
}

static void on_message(struct mir_worker *w, rd_kafka_message_t *m)
{
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            fy_log(FY_LOG_WARN, "mirror", "msg=\"consume error\" topic=%s partition=%d err=\"%s\"",
                   m->rkt ? rd_kafka_topic_name(m->rkt) : "-", (int)m->partition,
                   rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
        return;
    }
    struct mir_topic *mt = topic_for(w, m->rkt);
    if (!mt || !fetching(mt) || m->partition >= mt->n_parts ||
        m->offset <= mt->parts[m->partition]->produced_src) {
        /* unassigned meanwhile, or a re-fetch of a record already handed over */
        rd_kafka_message_destroy(m);
        return;
    }
    struct mir_partition *mp = mt->parts[m->partition];
    rd_kafka_headers_t *hdrs = NULL;
    const void *origin = NULL;
    size_t olen = 0;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        rd_kafka_header_get_last(hdrs, MIR_ORIGIN_HEADER, &origin, &olen) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        origin && olen == strlen(w->dst_cluster) && memcmp(origin, w->dst_cluster, olen) == 0) {
        mir_partition_on_skip(mp, m->offset);
        rd_kafka_message_destroy(m);
        return;
    }
    hdrs = NULL;
    if (rd_kafka_message_detach_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR || !hdrs)
        hdrs = rd_kafka_headers_new(1);
    if (!origin)
        rd_kafka_header_add(hdrs, MIR_ORIGIN_HEADER, -1, w->src_cluster, -1);
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    for (;;) {
        /* zero copy: key and value point into `m`, which the delivery report frees */
        rd_kafka_resp_err_t e = rd_kafka_producev(
            w->dst, RD_KAFKA_V_RKT(mt->dst_rkt), RD_KAFKA_V_PARTITION(m->partition),
            RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(m->payload, m->len),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_TIMESTAMP(ts > 0 ? ts : 0),
            RD_KAFKA_V_OPAQUE(m), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            break;
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(w->dst, 10); /* serving delivery reports frees queue space */
            continue;
        }
        rd_kafka_headers_destroy(hdrs);
        char reason[300];
        snprintf(reason, sizeof reason, "produce failed at source offset %lld: %s",
                 (long long)m->offset, rd_kafka_err2str(e));
        rd_kafka_message_destroy(m);
        fail_topic(w, mt, reason);
        return;
    }
    mir_partition_on_produce(mp, m->offset);
}

/* Produce pending offset-map entries (each makes a gap durable). */
static void flush_entries(struct mir_worker *w, struct mir_topic *mt)
{
    for (int32_t p = 0; p < mt->n_parts; p++) {
        struct mir_partition *mp = mt->parts[p];
        struct mir_pending_entry e;
        while (mir_partition_entry_take(mp, &e) == 0) {
            char *key = fy_asprintf("%s/map/%s/%d/%lld", w->conf->name, mt->src_name, (int)p,
                                    (long long)e.src);
            char *val = mir_offsetmap_entry_encode(e.src, e.dst, e.run_start);
            rd_kafka_resp_err_t err;
            do {
                err = rd_kafka_producev(w->dst, RD_KAFKA_V_RKT(w->state_rkt),
                                        RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_KEY(key, strlen(key)),
                                        RD_KAFKA_V_VALUE(val, strlen(val)),
                                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                        RD_KAFKA_V_OPAQUE(mp), RD_KAFKA_V_END);
                if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                    rd_kafka_poll(w->dst, 10);
            } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
            free(key);
            free(val);
            if (err) {
                fy_log(FY_LOG_ERROR, "mirror", "msg=\"map entry not produced\" err=\"%s\"",
                       rd_kafka_err2str(err));
                mir_partition_entry_untake(mp, &e);
                break;
            }
        }
    }
}

/* Watermarks from the last fetch (no request), and the gap rule: a partition
 * with nothing in flight whose consumer position passed the last record it
 * saw (transaction markers, compaction at the tail) is done up to there. */
static void update_progress(struct mir_worker *w, struct mir_topic *mt, int64_t now)
{
    rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_new(mt->n_parts);
    for (int32_t p = 0; p < mt->n_parts; p++)
        if (mt->parts[p]->assigned)
            rd_kafka_topic_partition_list_add(pos, mt->src_name, p);
    if (pos->cnt)
        rd_kafka_position(w->src, pos);
    for (int32_t p = 0; p < mt->n_parts; p++) {
        struct mir_partition *mp = mt->parts[p];
        int64_t lo = -1, hi = -1;
        if (rd_kafka_get_watermark_offsets(w->src, mt->src_name, p, &lo, &hi) == 0 && hi >= 0)
            mp->hwm = hi;
        const rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_find(pos, mt->src_name, p);
        if (tp && tp->offset >= 0 && mp->inflight == 0 && tp->offset - 1 > mp->produced_src) {
            mir_partition_advance(mp, tp->offset);
            mp->produced_src = tp->offset - 1;
        }
        if (mir_partition_lag(mp) == 0)
            mp->caught_up_ms = now;
    }
    rd_kafka_topic_partition_list_destroy(pos);
}

/* Positions go to the state topic only at stable points (mir_partition.h). */
static void commit_positions(struct mir_worker *w)
{
    size_t it = 0;
    const char *key;
    void *val;
    int64_t now = mir_now_ms();
    while (fy_map_next(&w->topics, &it, &key, &val)) {
        struct mir_topic *mt = val;
        if (mt->state == MIR_STATE_FAILED)
            continue;
        update_progress(w, mt, now);
        for (int32_t p = 0; p < mt->n_parts; p++) {
            struct mir_partition *mp = mt->parts[p];
            int64_t pos, es, ed;
            if (!mir_partition_commit_point(mp, &pos, &es, &ed))
                continue;
            char *k = fy_asprintf("%s/pos/%s/%d", w->conf->name, mt->src_name, (int)p);
            char *v = fy_asprintf("{\"pos\":%lld,\"end_src\":%lld,\"end_dst\":%lld}",
                                  (long long)pos, (long long)es, (long long)ed);
            state_produce(w, k, v, NULL);
            mp->committed_pos = pos;
            free(k);
            free(v);
        }
    }
}

/* ------------------------------------------------------------- group sync */

static int translate_cb(void *opaque, const char *src_topic, int32_t partition, int64_t pos,
                        const char **dst_topic, int64_t *out)
{
    struct mir_worker *w = opaque;
    struct mir_topic *mt = fy_map_get(&w->topics, src_topic);
    /* stopped topics belong to the destination's consumers now: hands off */
    if (!mt || partition >= mt->n_parts || mt->state == MIR_STATE_STOPPED ||
        mt->state == MIR_STATE_FAILED)
        return -1;
    if (mir_offsetmap_translate(&mt->parts[partition]->map, pos, out) != 0)
        return -1;
    *dst_topic = mt->dst_name;
    return 0;
}

static void sync_groups(struct mir_worker *w)
{
    struct fy_err err = {0};
    if (mir_groups_sync(w->src_admin, w->dst, &w->gfilter, w->own_group_prefix, translate_cb, w,
                        ADMIN_TIMEOUT_MS, &w->gstats, &err) != 0)
        fy_log(FY_LOG_WARN, "mirror", "msg=\"group sync failed\" err=\"%s\"", err.msg);
    else
        w->last_group_sync = mir_now_ms();
}

/* --------------------------------------------------------------- requests */

static json_t *partition_json(const struct mir_partition *mp, int64_t now)
{
    return json_pack("{s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:b}", "partition", (int)mp->partition,
                     "source_end", (json_int_t)mp->hwm, "mirrored", (json_int_t)(mp->done_src + 1),
                     "committed", (json_int_t)mp->committed_pos,
                     "lag", (json_int_t)mir_partition_lag(mp),
                     "lag_ms", (json_int_t)mir_partition_lag_ms(mp, now),
                     "records", (json_int_t)mp->records, "map_entries", (json_int_t)mp->map.n,
                     "assigned", mp->assigned);
}

static json_t *topic_json(const struct mir_topic *mt, int64_t now)
{
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
    if (mt->last_stop)
        json_object_set(t, "last_stop", mt->last_stop);
    return t;
}

static char *status_json(struct mir_worker *w, const char *only)
{
    int64_t now = mir_now_ms();
    json_t *topics = json_array();
    size_t it = 0;
    const char *key;
    void *val;
    while (fy_map_next(&w->topics, &it, &key, &val)) {
        struct mir_topic *mt = val;
        if ((only && strcmp(only, mt->src_name) != 0) || (!mt->in_source && mt->src_parts == 0 &&
                                                          mt->state == MIR_STATE_ACTIVE))
            continue;
        json_array_append_new(topics, topic_json(mt, now));
    }
    json_t *j = json_pack("{s:s,s:{s:s,s:s},s:{s:s,s:s},s:o,s:{s:I,s:i,s:i,s:i,s:i}}", "mirror",
                          w->conf->name, "source", "bootstrap", w->conf->src_bootstrap,
                          "cluster_id", w->src_cluster, "destination", "bootstrap",
                          w->conf->dst_bootstrap, "cluster_id", w->dst_cluster, "topics", topics,
                          "groups", "last_sync_ms", (json_int_t)w->last_group_sync, "selected",
                          w->gstats.groups, "synced", w->gstats.synced, "skipped_active",
                          w->gstats.skipped_active, "offsets", w->gstats.offsets);
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

/* Lag at failover = what the destination will never get (RPO). The source
 * may be gone: ask it briefly, else use the last watermark seen. */
static json_t *failover_topic(struct mir_worker *w, struct mir_topic *mt)
{
    int64_t now = mir_now_ms(), lost = 0, lost_ms = 0;
    json_t *parts = json_array();
    unassign_topic(w, mt);
    for (int32_t p = 0; p < mt->n_parts; p++) {
        struct mir_partition *mp = mt->parts[p];
        int64_t lo, hi;
        if (rd_kafka_query_watermark_offsets(w->src, mt->src_name, p, &lo, &hi, 1000) == 0)
            mp->hwm = hi;
        json_array_append_new(parts, partition_json(mp, now));
        lost += mir_partition_lag(mp);
        int64_t l = mir_partition_lag_ms(mp, now);
        lost_ms = l > lost_ms ? l : lost_ms;
    }
    json_t *r = json_pack("{s:s,s:s,s:I,s:I,s:I,s:o}", "operation", "failover", "topic",
                          mt->src_name, "lost_records", (json_int_t)lost, "lost_ms",
                          (json_int_t)lost_ms, "time", (json_int_t)now, "partitions", parts);
    json_decref(mt->last_stop);
    mt->last_stop = json_incref(r);
    set_state(w, mt, MIR_STATE_STOPPED, "failover");
    return r;
}

/* Promote completes when every partition is idle and its mirrored position
 * reached a fresh source end offset; then one last group sync runs. */
static bool promote_try(struct mir_worker *w, struct mir_topic *mt)
{
    for (int32_t p = 0; p < mt->n_parts; p++) {
        struct mir_partition *mp = mt->parts[p];
        int64_t lo, hi;
        if (!mir_partition_idle(mp))
            return false;
        if (rd_kafka_query_watermark_offsets(w->src, mt->src_name, p, &lo, &hi, 2000) != 0)
            return false;
        mp->hwm = hi;
        if (mir_partition_lag(mp) > 0)
            return false;
    }
    sync_groups(w);
    commit_positions(w);
    unassign_topic(w, mt);
    json_t *r = json_pack("{s:s,s:s,s:I,s:I,s:I}", "operation", "promote", "topic", mt->src_name,
                          "lost_records", (json_int_t)0, "lost_ms", (json_int_t)0, "time",
                          (json_int_t)mir_now_ms());
    json_decref(mt->last_stop);
    mt->last_stop = r;
    set_state(w, mt, MIR_STATE_STOPPED, "promote");
    return true;
}

static void answer(struct mir_worker *w, struct mir_req *r, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    pthread_mutex_lock(&w->lock);
    r->status = status;
    r->json = text;
    r->done = true;
    pthread_cond_broadcast(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

static json_t *err_body(int code, const char *fmt, const char *arg)
{
    char msg[300];
    snprintf(msg, sizeof msg, fmt, arg);
    return json_pack("{s:i,s:s}", "error_code", code, "message", msg);
}

/* One operation on one topic: the answer body, *status set. */
static json_t *topic_op(struct mir_worker *w, enum mir_op op, struct mir_topic *mt, int *status)
{
    *status = 200;
    switch (op) {
    case MIR_OP_PAUSE:
        if (mt->state == MIR_STATE_ACTIVE) {
            unassign_topic(w, mt);
            set_state(w, mt, MIR_STATE_PAUSED, "paused by operator");
        } else if (mt->state != MIR_STATE_PAUSED) {
            *status = 409;
            return err_body(409, "topic is %s: only an ACTIVE mirror can be paused",
                            mir_state_name(mt->state));
        }
        break;
    case MIR_OP_RESUME:
        if (mt->state == MIR_STATE_PAUSED) {
            set_state(w, mt, MIR_STATE_ACTIVE, NULL);
            assign_topic(w, mt);
        } else if (mt->state != MIR_STATE_ACTIVE) {
            *status = 409;
            return err_body(409, "topic is %s: only a PAUSED mirror can be resumed",
                            mir_state_name(mt->state));
        }
        break;
    case MIR_OP_FAILOVER:
        if (mt->state == MIR_STATE_STOPPED) {
            *status = 409;
            return err_body(409, "topic is %s already", "STOPPED");
        }
        return failover_topic(w, mt);
    default:
        break;
    }
    return topic_json(mt, mir_now_ms());
}

static void handle_request(struct mir_worker *w, struct mir_req *r)
{
    if (r->op == MIR_OP_STATUS) {
        char *s = status_json(w, r->topic);
        pthread_mutex_lock(&w->lock);
        r->status = 200;
        r->json = s;
        r->done = true;
        pthread_cond_broadcast(&w->cond);
        pthread_mutex_unlock(&w->lock);
        return;
    }
    struct mir_topic *mt = r->topic ? fy_map_get(&w->topics, r->topic) : NULL;
    if (r->topic && (!mt || (!mt->in_source && mt->src_parts == 0))) {
        answer(w, r, 404, err_body(404, "topic '%s' is not mirrored", r->topic));
        return;
    }
    if (r->op == MIR_OP_PROMOTE) {
        if (!mt) {
            answer(w, r, 400, err_body(400, "%s needs a topic", "promote"));
            return;
        }
        if (mt->state == MIR_STATE_ACTIVE || mt->state == MIR_STATE_PAUSED) {
            set_state(w, mt, MIR_STATE_PENDING_STOPPED, "promote requested");
            assign_topic(w, mt);
        } else if (mt->state != MIR_STATE_PENDING_STOPPED) {
            answer(w, r, 409, err_body(409, "topic is %s: it cannot be promoted",
                                       mir_state_name(mt->state)));
            return;
        }
        r->next = w->waiting;
        w->waiting = r;
        return;
    }
    if (mt) {
        int status;
        json_t *body = topic_op(w, r->op, mt, &status);
        answer(w, r, status, body);
        return;
    }
    json_t *arr = json_array();
    size_t it = 0;
    const char *key;
    void *val;
    while (fy_map_next(&w->topics, &it, &key, &val)) {
        struct mir_topic *t = val;
        int status;
        if (!t->in_source && t->src_parts == 0)
            continue;
        if ((r->op == MIR_OP_FAILOVER && t->state == MIR_STATE_STOPPED) ||
            (r->op == MIR_OP_PAUSE && t->state != MIR_STATE_ACTIVE) ||
            (r->op == MIR_OP_RESUME && t->state != MIR_STATE_PAUSED))
            continue;
        json_array_append_new(arr, topic_op(w, r->op, t, &status));
    }
    answer(w, r, 200, json_pack("{s:o}", "topics", arr));
}

static void serve_requests(struct mir_worker *w)
{
    pthread_mutex_lock(&w->lock);
    struct mir_req *list = w->reqs;
    w->reqs = NULL;
    pthread_mutex_unlock(&w->lock);
    /* the queue is LIFO: reverse it so operations run in arrival order */
    struct mir_req *rev = NULL;
    while (list) {
        struct mir_req *n = list->next;
        list->next = rev;
        rev = list;
        list = n;
    }
    while (rev) {
        struct mir_req *n = rev->next;
        handle_request(w, rev);
        rev = n;
    }
    /* pending promotes */
    struct mir_req **pp = &w->waiting;
    int64_t now = mir_mono_ms();
    while (*pp) {
        struct mir_req *r = *pp;
        struct mir_topic *mt = fy_map_get(&w->topics, r->topic);
        bool done = mt && mt->state == MIR_STATE_PENDING_STOPPED ? promote_try(w, mt)
                                                                   : mt != NULL;
        if (done && mt && mt->state == MIR_STATE_STOPPED) {
            *pp = r->next;
            answer(w, r, 200, json_incref(mt->last_stop));
        } else if (done || now >= r->deadline) {
            *pp = r->next;
            answer(w, r, mt && mt->state == MIR_STATE_PENDING_STOPPED ? 202 : 409,
                   mt ? topic_json(mt, mir_now_ms()) : json_object());
        } else {
            pp = &r->next;
        }
    }
}

int mir_worker_request(struct mir_worker *w, enum mir_op op, const char *topic, int timeout_ms,
                       char **json)
{
    struct mir_req *r = fy_calloc(1, sizeof *r);
    r->op = op;
    r->topic = topic ? fy_strdup(topic) : NULL;
    r->deadline = mir_mono_ms() + timeout_ms;
    struct timespec abs;
    clock_gettime(CLOCK_REALTIME, &abs);
    int64_t wait_ms = timeout_ms + 5000; /* the worker answers at the deadline itself */
    abs.tv_sec += wait_ms / 1000;
    abs.tv_nsec += (wait_ms % 1000) * 1000000;
    if (abs.tv_nsec >= 1000000000) {
        abs.tv_sec++;
        abs.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&w->lock);
    r->next = w->reqs;
    w->reqs = r;
    while (!r->done) {
        if (pthread_cond_timedwait(&w->cond, &w->lock, &abs) == ETIMEDOUT && !r->done) {
            /* the worker still holds r: leave it to the worker, answer 504 */
            pthread_mutex_unlock(&w->lock);
            *json = fy_strdup("{\"error_code\":50002,\"message\":\"mirror worker did not answer\"}");
            return 504;
        }
    }
    pthread_mutex_unlock(&w->lock);
    int status = r->status;
    *json = r->json;
    free(r->topic);
    free(r);
    return status;
}

/* ------------------------------------------------------------------ loop */

/* Up to BATCH fetched records, without waiting for more than are queued:
 * librdkafka's batch call waits until the batch is full or its timeout, which
 * adds that wait to every record's lag whenever fewer than BATCH records
 * arrive per timeout. Only an empty queue is waited on, for one record and at
 * most 50 ms (the control path must still run); the next turn takes the rest. */
static ssize_t consume_batch(struct mir_worker *w, rd_kafka_message_t **batch)
{
    ssize_t n = rd_kafka_consume_batch_queue(w->src_q, 0, batch, BATCH);
    if (n == 0)
        n = rd_kafka_consume_batch_queue(w->src_q, 50, batch, 1);
    return n;
}

static void *run(void *arg)
{
    struct mir_worker *w = arg;
    rd_kafka_message_t *batch[BATCH];
    const struct mir_conf *c = w->conf;
    while (!atomic_load(&w->stop)) {
        int64_t now = mir_mono_ms();
        serve_requests(w);
        if (now >= w->next_refresh) {
            refresh_topics(w);
            w->next_refresh = mir_mono_ms() + c->refresh_ms;
        }
        if (now >= w->next_cfg) {
            sync_configs(w);
            w->next_cfg = mir_mono_ms() + c->config_sync_ms;
        }
        if (now >= w->next_groups) {
            sync_groups(w);
            w->next_groups = mir_mono_ms() + c->group_sync_ms;
        }
        ssize_t n = consume_batch(w, batch);
        for (ssize_t i = 0; i < n; i++)
            on_message(w, batch[i]);
        rd_kafka_poll(w->dst, 0);
        size_t it = 0;
        const char *key;
        void *val;
        while (fy_map_next(&w->topics, &it, &key, &val))
            flush_entries(w, val);
        if (mir_mono_ms() >= w->next_commit) {
            commit_positions(w);
            w->next_commit = mir_mono_ms() + c->commit_ms;
        }
        char errstr[256];
        if (!w->fatal && rd_kafka_fatal_error(w->dst, errstr, sizeof errstr)) {
            /* an idempotent producer's fatal error: every mirror stops where
             * its last acknowledged position is; a restart resumes there */
            w->fatal = true;
            fy_log(FY_LOG_ERROR, "mirror", "msg=\"producer fatal error\" err=\"%s\"", errstr);
            it = 0;
            while (fy_map_next(&w->topics, &it, &key, &val))
                fail_topic(w, val, errstr);
        }
    }
    /* drain: let in-flight records finish, so the last positions are exact */
    int64_t deadline = mir_mono_ms() + 10000;
    while (rd_kafka_outq_len(w->dst) > 0 && mir_mono_ms() < deadline) {
        rd_kafka_poll(w->dst, 50);
        size_t it = 0;
        const char *key;
        void *val;
        while (fy_map_next(&w->topics, &it, &key, &val))
            flush_entries(w, val);
    }
    commit_positions(w);
    rd_kafka_flush(w->dst, 5000);
    /* answer whoever still waits */
    serve_requests(w);
    while (w->waiting) {
        struct mir_req *r = w->waiting;
        w->waiting = r->next;
        answer(w, r, 503, err_body(503, "%s", "mirror stopping"));
    }
    return NULL;
}

/* ------------------------------------------------------------- lifecycle */

static char *cluster_id(rd_kafka_t *rk, const char *which, struct fy_err *err)
{
    char *id = rd_kafka_clusterid(rk, 15000);
    if (!id) {
        fy_err_set(err, FY_E_KAFKA, "%s cluster: no cluster id within 15 s (is it reachable?)",
                   which);
        return NULL;
    }
    char *own = fy_strdup(id);
    rd_kafka_mem_free(rk, id);
    return own;
}

struct mir_worker *mir_worker_new(const struct mir_conf *conf, struct fy_err *err)
{
    struct mir_worker *w = fy_calloc(1, sizeof *w);
    const struct mir_conf *c = conf;
    char *gid = NULL;
    w->conf = conf;
    fy_map_init(&w->topics);
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    atomic_init(&w->stop, false);
    w->own_group_prefix = fy_asprintf("ferry-mirror.%s.", c->name);
    if (mir_filter_init(&w->tfilter, c->topics, c->topics_prefix, c->topics_regex,
                        c->topics_exclude, c->topics_exclude_prefix, c->topics_exclude_regex,
                        err) != 0 ||
        mir_filter_init(&w->gfilter, c->groups, c->groups_prefix, c->groups_regex,
                        c->groups_exclude, c->groups_exclude_prefix, c->groups_exclude_regex,
                        err) != 0)
        goto fail;
    gid = fy_asprintf("%ssource", w->own_group_prefix);
    /* read_committed (librdkafka's default too): aborted records never cross */
    const struct mir_kv src_defs[] = {{"group.id", gid},
                                      {"enable.auto.commit", "false"},
                                      {"enable.auto.offset.store", "false"},
                                      {"enable.partition.eof", "false"},
                                      {"isolation.level", "read_committed"},
                                      {"fetch.wait.max.ms", "100"},
                                      {"queued.max.messages.kbytes", "131072"},
                                      {"max.partition.fetch.bytes", "4194304"},
                                      {"client.id", "ferry-mirror-source"},
                                      {NULL, NULL}};
    const struct mir_kv adm_defs[] = {{"client.id", "ferry-mirror-source-admin"}, {NULL, NULL}};
    /* idempotence: in order per partition with up to 5 requests in flight,
     * no duplicates from retries; an unbounded timeout, because a mirror that
     * gives up on a slow destination would have to rewind anyway */
    const struct mir_kv dst_defs[] = {{"enable.idempotence", "true"},
                                      {"message.timeout.ms", "0"},
                                      {"linger.ms", "20"},
                                      {"batch.size", "1000000"},
                                      {"queue.buffering.max.kbytes", "262144"},
                                      {"queue.buffering.max.messages", "200000"},
                                      {"client.id", "ferry-mirror-destination"},
                                      {NULL, NULL}};
    w->src = mir_kafka_new(RD_KAFKA_CONSUMER, c->src_bootstrap, src_defs, &c->src_props, w, NULL,
                           err);
    if (!w->src)
        goto fail;
    rd_kafka_poll_set_consumer(w->src);
    w->src_q = rd_kafka_queue_get_consumer(w->src);
    w->src_admin = mir_kafka_new(RD_KAFKA_PRODUCER, c->src_bootstrap, adm_defs, &c->src_props, w,
                                 NULL, err);
    if (!w->src_admin)
        goto fail;
    w->dst = mir_kafka_new(RD_KAFKA_PRODUCER, c->dst_bootstrap, dst_defs, &c->dst_props, w, dr_cb,
                           err);
    if (!w->dst)
        goto fail;
    w->src_cluster = cluster_id(w->src_admin, "source", err);
    if (!w->src_cluster)
        goto fail;
    w->dst_cluster = cluster_id(w->dst, "destination", err);
    if (!w->dst_cluster)
        goto fail;
    if (strcmp(w->src_cluster, w->dst_cluster) == 0) {
        fy_err_set(err, FY_E_CONFIG, "source and destination are the same cluster (%s)",
                   w->src_cluster);
        goto fail;
    }
    w->state_rkt = rd_kafka_topic_new(w->dst, c->state_topic, NULL);
    if (load_state(w, err) != 0)
        goto fail;
    free(gid);
    fy_log(FY_LOG_INFO, "mirror", "msg=\"mirror ready\" name=%s source=%s destination=%s",
           c->name, w->src_cluster, w->dst_cluster);
    return w;
fail:
    free(gid);
    mir_worker_free(w);
    return NULL;
}

static void *start_thread(void *arg)
{
    return run(arg);
}

int mir_worker_start(struct mir_worker *w, struct fy_err *err)
{
    int e = pthread_create(&w->thread, NULL, start_thread, w);
    if (e)
        return fy_err_set(err, FY_E_INTERNAL, "pthread_create: %s", strerror(e));
    w->started = true;
    return 0;
}

void mir_worker_stop(struct mir_worker *w)
{
    if (!w || !w->started)
        return;
    atomic_store(&w->stop, true);
    pthread_join(w->thread, NULL);
    w->started = false;
}

void mir_worker_free(struct mir_worker *w)
{
    if (!w)
        return;
    mir_worker_stop(w);
    size_t it = 0;
    const char *key;
    void *val;
    while (fy_map_next(&w->topics, &it, &key, &val)) {
        struct mir_topic *mt = val;
        if (mt->dst_rkt) {
            rd_kafka_topic_destroy(mt->dst_rkt);
            mt->dst_rkt = NULL;
        }
    }
    if (w->state_rkt)
        rd_kafka_topic_destroy(w->state_rkt);
    if (w->src_q)
        rd_kafka_queue_destroy(w->src_q);
    if (w->src) {
        rd_kafka_consumer_close(w->src);
        rd_kafka_destroy(w->src);
    }
    if (w->dst) {
        /* purge what a stop deadline left behind, then serve the reports that frees */
        rd_kafka_purge(w->dst, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(w->dst, 0);
        rd_kafka_destroy(w->dst);
    }
    if (w->src_admin)
        rd_kafka_destroy(w->src_admin);
    it = 0;
    while (fy_map_next(&w->topics, &it, &key, &val))
        topic_free(val);
    fy_map_destroy(&w->topics);
    mir_filter_destroy(&w->tfilter);
    mir_filter_destroy(&w->gfilter);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    free(w->src_cluster);
    free(w->dst_cluster);
    free(w->own_group_prefix);
    free(w);
}
