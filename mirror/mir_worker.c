/* SPDX-License-Identifier: Apache-2.0
 * mir_worker: the mirror's lifecycle and request entry (see mir_worker.h,
 * and mir_int.h for the threads). Creates the clients, loads the state
 * topic, starts the copy and control threads, answers status from the
 * published snapshot and hands operations to the copy thread.
 * Thread: main for the lifecycle; mir_worker_request from admin threads. */
#include "mirror/mir_int.h"

#include "common/fy_alloc.h"
#include "common/fy_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *mir_state_name(enum mir_state s)
{
    static const char *const names[] = {"ACTIVE", "PAUSED", "PENDING_STOPPED", "STOPPED",
                                        "FAILED"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "UNKNOWN";
}

/* ---------------------------------------------------------------- topics */

struct mir_topic *mir_topic_get(struct mir_worker *w, const char *src_name)
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

void mir_topic_grow(struct mir_topic *mt, int32_t n)
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
    free(mt->gone);
    free(mt->reason);
    free(mt->src_name);
    free(mt->dst_name);
    free(mt);
}

void mir_source_ok(struct mir_worker *w)
{
    atomic_store(&w->src_last_ok_ms, mir_now_ms());
    atomic_store(&w->src_down, false);
}

/* A client error: a broker connection lost, or all of them, marks that
 * cluster's brokers down until its next answer (mir_groups_gate). */
static void client_error(atomic_bool *down, const char *side, int err, const char *reason)
{
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || err == RD_KAFKA_RESP_ERR__TRANSPORT)
        atomic_store(down, true);
    fy_log(FY_LOG_WARN, "mirror", "msg=\"%s client error\" err=\"%s\" reason=\"%s\"", side,
           rd_kafka_err2str((rd_kafka_resp_err_t)err), reason);
}

/* Source consumer errors (librdkafka threads / the copy thread's consume). */
static void src_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    client_error(&((struct mir_worker *)opaque)->src_down, "source", err, reason);
}

/* Destination producer errors (served by the copy thread's polls). */
static void dst_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    client_error(&((struct mir_worker *)opaque)->dst_down, "destination", err, reason);
}

/* --------------------------------------------------------------- requests */

/* The status snapshot, whole or one topic: a **new** JSON text. */
static char *snapshot_text(struct mir_worker *w, const char *only)
{
    char *s = NULL;
    pthread_mutex_lock(&w->snap_lock);
    if (!w->snap) {
        s = fy_strdup("{\"topics\":[]}");
    } else if (!only) {
        s = json_dumps(w->snap, JSON_COMPACT);
    } else {
        json_t *copy = json_copy(w->snap); /* shallow: shares the topic objects */
        json_t *topics = json_array();
        json_t *t;
        size_t i;
        json_array_foreach(json_object_get(w->snap, "topics"), i, t)
            if (strcmp(json_string_value(json_object_get(t, "topic")), only) == 0)
                json_array_append(topics, t);
        json_object_set_new(copy, "topics", topics);
        s = json_dumps(copy, JSON_COMPACT);
        json_decref(copy);
    }
    pthread_mutex_unlock(&w->snap_lock);
    return s;
}

int64_t mir_worker_sync_groups(struct mir_worker *w)
{
    /* sync_groups stamps last_group_sync with its start (mir_now_ms), so a
     * round that began after this value is one that saw the groups after it */
    int64_t requested = mir_now_ms();
    atomic_store(&w->groups_now, true);
    mir_control_wake(w);
    return requested;
}

int mir_worker_request(struct mir_worker *w, enum mir_op op, const char *topic, int timeout_ms,
                       char **json)
{
    if (op == MIR_OP_STATUS) {
        /* never waits on the copy thread: the snapshot is at most ~100 ms old */
        *json = snapshot_text(w, topic);
        return 200;
    }
    if (atomic_load(&w->stopped)) {
        *json = fy_strdup("{\"error_code\":503,\"message\":\"mirror stopping\"}");
        return 503;
    }
    struct mir_req *r = fy_calloc(1, sizeof *r);
    r->op = op;
    r->topic = topic ? fy_strdup(topic) : NULL;
    r->deadline = mir_mono_ms() + timeout_ms;
    struct timespec abs;
    mir_deadline_abs(timeout_ms + 2000, &abs); /* the copy thread answers at the deadline itself */
    pthread_mutex_lock(&w->req_lock);
    r->next = w->reqs;
    w->reqs = r;
    while (!r->done) {
        if (pthread_cond_timedwait(&w->req_cond, &w->req_lock, &abs) == ETIMEDOUT && !r->done) {
            /* the copy thread still holds r: it frees it when it answers */
            r->abandoned = true;
            pthread_mutex_unlock(&w->req_lock);
            *json = fy_strdup(
                "{\"error_code\":50002,\"message\":\"mirror worker did not answer\"}");
            return 504;
        }
    }
    pthread_mutex_unlock(&w->req_lock);
    int status = r->status;
    *json = r->json;
    free(r->topic);
    free(r);
    return status;
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

static int new_clients(struct mir_worker *w, struct fy_err *err)
{
    const struct mir_conf *c = w->conf;
    int rc = -1;
    char *gid = fy_asprintf("%ssource", w->own_group_prefix);
    /* read_committed (librdkafka's default too): aborted records never cross.
     * No client may auto-create a topic: a mirror topic is created by the
     * control thread with the source's partition count and configs. */
    const struct mir_kv src_defs[] = {{"group.id", gid},
                                      {"enable.auto.commit", "false"},
                                      {"enable.auto.offset.store", "false"},
                                      {"enable.partition.eof", "false"},
                                      {"isolation.level", "read_committed"},
                                      /* records the source deleted before we copied
                                       * them: go on at the log start, never at the end */
                                      {"auto.offset.reset", "earliest"},
                                      {"allow.auto.create.topics", "false"},
                                      {"fetch.wait.max.ms", "100"},
                                      {"queued.max.messages.kbytes", "131072"},
                                      {"max.partition.fetch.bytes", "4194304"},
                                      {"client.id", "ferry-mirror-source"},
                                      {NULL, NULL}};
    const struct mir_kv src_adm_defs[] = {{"client.id", "ferry-mirror-source-admin"},
                                          {"allow.auto.create.topics", "false"},
                                          {NULL, NULL}};
    const struct mir_kv dst_adm_defs[] = {{"client.id", "ferry-mirror-destination-admin"},
                                          {"allow.auto.create.topics", "false"},
                                          {NULL, NULL}};
    /* idempotence: in order per partition with up to 5 requests in flight,
     * no duplicates from retries; an unbounded timeout, because a mirror that
     * gives up on a slow destination would have to rewind anyway.
     * Record size: librdkafka's message.max.bytes is one value for the whole
     * client, while the limit that counts is each topic's max.message.bytes
     * (the source's, which the mirror topic copies). So the client's is the
     * request ceiling (Kafka's socket.request.max.bytes default) and the copy
     * thread checks every record against its mirror topic's effective limit,
     * read by the control thread at creation and every config sync, and
     * FAILs the topic with both limits in the reason (issue 10, item 4). */
    const struct mir_kv dst_defs[] = {{"enable.idempotence", "true"},
                                      {"message.timeout.ms", "0"},
                                      {"allow.auto.create.topics", "false"},
                                      {"message.max.bytes", "104857600"},
                                      {"linger.ms", "20"},
                                      {"batch.size", "1000000"},
                                      {"queue.buffering.max.kbytes", "262144"},
                                      {"queue.buffering.max.messages", "200000"},
                                      {"client.id", "ferry-mirror-destination"},
                                      {NULL, NULL}};
    w->src = mir_kafka_new(RD_KAFKA_CONSUMER, c->src_bootstrap, src_defs, &c->src_props, w, NULL,
                           src_error_cb, err);
    if (!w->src)
        goto out;
    rd_kafka_poll_set_consumer(w->src);
    w->src_q = rd_kafka_queue_get_consumer(w->src);
    w->src_admin = mir_kafka_new(RD_KAFKA_PRODUCER, c->src_bootstrap, src_adm_defs, &c->src_props,
                                 w, NULL, NULL, err);
    if (!w->src_admin)
        goto out;
    w->dst = mir_kafka_new(RD_KAFKA_PRODUCER, c->dst_bootstrap, dst_defs, &c->dst_props, w,
                           mir_copy_dr_cb, dst_error_cb, err);
    if (!w->dst)
        goto out;
    w->dst_admin = mir_kafka_new(RD_KAFKA_PRODUCER, c->dst_bootstrap, dst_adm_defs, &c->dst_props,
                                 w, NULL, NULL, err);
    if (!w->dst_admin)
        goto out;
    char bs[32];
    size_t bs_len = sizeof bs;
    w->batch_size = rd_kafka_conf_get(rd_kafka_conf(w->dst), "batch.size", bs, &bs_len) ==
                            RD_KAFKA_CONF_OK ? strtoll(bs, NULL, 10) : 1000000;
    rc = 0;
out:
    free(gid);
    return rc;
}

struct mir_worker *mir_worker_new(const struct mir_conf *conf, struct fy_err *err)
{
    struct mir_worker *w = fy_calloc(1, sizeof *w);
    const struct mir_conf *c = conf;
    w->conf = conf;
    fy_map_init(&w->topics);
    pthread_mutex_init(&w->mu, NULL);
    pthread_mutex_init(&w->req_lock, NULL);
    pthread_cond_init(&w->req_cond, NULL);
    pthread_mutex_init(&w->ctl_lock, NULL);
    pthread_cond_init(&w->ctl_cond, NULL);
    pthread_mutex_init(&w->snap_lock, NULL);
    atomic_init(&w->stop, false);
    atomic_init(&w->stopped, false);
    atomic_init(&w->src_down, false);
    atomic_init(&w->dst_down, false);
    atomic_init(&w->src_last_ok_ms, 0);
    atomic_init(&w->refresh_now, false);
    atomic_init(&w->groups_now, false);
    w->own_group_prefix = fy_asprintf("ferry-mirror.%s.", c->name);
    if (mir_filter_init(&w->tfilter, c->topics, c->topics_prefix, c->topics_regex,
                        c->topics_exclude, c->topics_exclude_prefix, c->topics_exclude_regex,
                        err) != 0 ||
        mir_filter_init(&w->gfilter, c->groups, c->groups_prefix, c->groups_regex,
                        c->groups_exclude, c->groups_exclude_prefix, c->groups_exclude_regex,
                        err) != 0)
        goto fail;
    if (new_clients(w, err) != 0)
        goto fail;
    w->src_cluster = cluster_id(w->src_admin, "source", err);
    if (!w->src_cluster)
        goto fail;
    mir_source_ok(w);
    w->dst_cluster = cluster_id(w->dst_admin, "destination", err);
    if (!w->dst_cluster)
        goto fail;
    if (strcmp(w->src_cluster, w->dst_cluster) == 0) {
        fy_err_set(err, FY_E_CONFIG, "source and destination are the same cluster (%s)",
                   w->src_cluster);
        goto fail;
    }
    /* the state topic exists (compacted) before the producer refers to it */
    if (mir_state_load(w, err) != 0)
        goto fail;
    w->state_rkt = rd_kafka_topic_new(w->dst, c->state_topic, NULL);
    fy_log(FY_LOG_INFO, "mirror", "msg=\"mirror ready\" name=%s source=%s destination=%s",
           c->name, w->src_cluster, w->dst_cluster);
    return w;
fail:
    mir_worker_free(w);
    return NULL;
}

int mir_worker_start(struct mir_worker *w, struct fy_err *err)
{
    int e = pthread_create(&w->copy_thread, NULL, mir_copy_run, w);
    if (e)
        return fy_err_set(err, FY_E_INTERNAL, "pthread_create: %s", strerror(e));
    w->copy_started = true;
    e = pthread_create(&w->control_thread, NULL, mir_control_run, w);
    if (e)
        return fy_err_set(err, FY_E_INTERNAL, "pthread_create: %s", strerror(e));
    w->control_started = true;
    return 0;
}

void mir_worker_stop(struct mir_worker *w)
{
    if (!w)
        return;
    atomic_store(&w->stop, true);
    mir_control_wake(w);
    if (w->copy_started) {
        pthread_join(w->copy_thread, NULL);
        w->copy_started = false;
    }
    if (w->control_started) {
        pthread_join(w->control_thread, NULL);
        w->control_started = false;
    }
    atomic_store(&w->stopped, true);
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
        /* assign-only consumer: closing it leaves no group and commits nothing */
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
    if (w->dst_admin)
        rd_kafka_destroy(w->dst_admin);
    it = 0;
    while (fy_map_next(&w->topics, &it, &key, &val))
        topic_free(val);
    fy_map_destroy(&w->topics);
    mir_filter_destroy(&w->tfilter);
    mir_filter_destroy(&w->gfilter);
    json_decref(w->snap);
    pthread_mutex_destroy(&w->mu);
    pthread_mutex_destroy(&w->req_lock);
    pthread_cond_destroy(&w->req_cond);
    pthread_mutex_destroy(&w->ctl_lock);
    pthread_cond_destroy(&w->ctl_cond);
    pthread_mutex_destroy(&w->snap_lock);
    free(w->src_cluster);
    free(w->dst_cluster);
    free(w->own_group_prefix);
    free(w);
}
