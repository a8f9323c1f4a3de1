/* SPDX-License-Identifier: Apache-2.0
 * mir_control: the mirror's control thread (see mir_int.h) — topic discovery
 * on the source, mirror-topic creation with the source's partition count and
 * synced configs, config sync, group offset sync. Every call to a cluster is
 * made here, each with a deadline; results reach the copy thread as fields
 * of the topics (under mu) and `topics_changed`.
 * Thread: the control thread. */
#include "mirror/mir_int.h"

#include "common/fy_alloc.h"
#include "common/fy_log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void mir_control_wake(struct mir_worker *w)
{
    pthread_mutex_lock(&w->ctl_lock);
    pthread_cond_broadcast(&w->ctl_cond);
    pthread_mutex_unlock(&w->ctl_lock);
}

/* Sleep up to `ms`, or less when woken (stop). */
static void ctl_sleep(struct mir_worker *w, int64_t ms)
{
    struct timespec abs;
    mir_deadline_abs(ms, &abs);
    pthread_mutex_lock(&w->ctl_lock);
    if (!atomic_load(&w->stop))
        pthread_cond_timedwait(&w->ctl_cond, &w->ctl_lock, &abs);
    pthread_mutex_unlock(&w->ctl_lock);
}

/* ------------------------------------------------------------ configs */

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
 * object {topic: {key: value}}, or NULL with err. `limits` (may be NULL)
 * gets {topic: effective max.message.bytes}, whatever set it (topic
 * override or broker default). */
static json_t *describe_configs(struct mir_worker *w, rd_kafka_t *rk, char **names, size_t n,
                                bool filter, json_t *limits, struct fy_err *err)
{
    json_t *out = NULL;
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_ConfigResource_t **res = fy_calloc(n ? n : 1, sizeof *res);
    rd_kafka_AdminOptions_t *o = mir_kafka_admin_options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS,
                                                         MIR_ADMIN_TIMEOUT_MS);
    rd_kafka_event_t *ev = NULL;
    for (size_t i = 0; i < n; i++)
        res[i] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, names[i]);
    rd_kafka_DescribeConfigs(rk, res, n, o, q);
    ev = mir_kafka_admin_wait(q, RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT, MIR_ADMIN_TIMEOUT_MS + 1000,
                              &w->stop, err);
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
            if (limits && val && strcmp(name, "max.message.bytes") == 0)
                json_object_set_new(limits, rd_kafka_ConfigResource_name(rr[i]),
                                    json_integer(strtoll(val, NULL, 10)));
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
static int alter_configs(struct mir_worker *w, const char *topic, json_t *want, json_t *have,
                         struct fy_err *err)
{
    int rc = -1;
    rd_kafka_t *rk = w->dst_admin;
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
    rd_kafka_AdminOptions_t *o = mir_kafka_admin_options(rk, RD_KAFKA_ADMIN_OP_ALTERCONFIGS,
                                                         MIR_ADMIN_TIMEOUT_MS);
    rd_kafka_event_t *ev = NULL;
    const char *k;
    json_t *v;
    json_object_foreach(want, k, v)
        rd_kafka_ConfigResource_set_config(res, k, json_string_value(v));
    json_object_foreach(have, k, v)
        if (config_excluded(k))
            rd_kafka_ConfigResource_set_config(res, k, json_string_value(v));
    rd_kafka_AlterConfigs(rk, &res, 1, o, q);
    ev = mir_kafka_admin_wait(q, RD_KAFKA_EVENT_ALTERCONFIGS_RESULT, MIR_ADMIN_TIMEOUT_MS + 1000,
                              &w->stop, err);
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

/* Names of the topics whose configs follow the source (copies, under mu). */
static size_t synced_names(struct mir_worker *w, char ***src, char ***dst)
{
    size_t n = 0, it = 0;
    const char *key;
    void *val;
    pthread_mutex_lock(&w->mu);
    *src = fy_calloc(w->topics.count + 1, sizeof **src);
    *dst = fy_calloc(w->topics.count + 1, sizeof **dst);
    while (fy_map_next(&w->topics, &it, &key, &val)) {
        struct mir_topic *mt = val;
        if (mt->ready && mt->in_source && mt->state != MIR_STATE_STOPPED &&
            mt->state != MIR_STATE_FAILED) {
            (*src)[n] = fy_strdup(mt->src_name);
            (*dst)[n++] = fy_strdup(mt->dst_name);
        }
    }
    pthread_mutex_unlock(&w->mu);
    return n;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* The record size limits the copy thread checks (issue 10, item 4): the
 * destination topic's effective max.message.bytes (0 when not known: just
 * changed), and the source's, for the reason a refusal gives. */
static void set_limits(struct mir_worker *w, const char *src_name, int64_t src_max,
                       int64_t dst_max)
{
    pthread_mutex_lock(&w->mu);
    struct mir_topic *mt = fy_map_get(&w->topics, src_name);
    if (mt) {
        mt->src_max_bytes = src_max;
        mt->dst_max_bytes = dst_max;
    }
    pthread_mutex_unlock(&w->mu);
}

/* Read both limits of one topic before it (re)starts copying, so the copy
 * thread never checks a record against a limit from before a retry. */
static void read_limits(struct mir_worker *w, const char *src_name, const char *dst_name)
{
    struct fy_err err = {0};
    char *s[1] = {(char *)src_name}, *d[1] = {(char *)dst_name};
    json_t *sl = json_object(), *dl = json_object();
    json_t *sc = describe_configs(w, w->src_admin, s, 1, true, sl, &err);
    json_t *dc = sc ? describe_configs(w, w->dst_admin, d, 1, false, dl, &err) : NULL;
    if (dc)
        set_limits(w, src_name, json_integer_value(json_object_get(sl, src_name)),
                   json_integer_value(json_object_get(dl, dst_name)));
    else
        fy_log(FY_LOG_WARN, "mirror", "msg=\"topic limits not read\" topic=%s err=\"%s\"",
               src_name, err.msg);
    json_decref(sc);
    json_decref(dc);
    json_decref(sl);
    json_decref(dl);
}

static void sync_configs(struct mir_worker *w)
{
    struct fy_err err = {0};
    char **src = NULL, **dst = NULL;
    size_t n = synced_names(w, &src, &dst);
    json_t *sc = NULL, *dc = NULL, *sl = json_object(), *dl = json_object();
    if (n == 0)
        goto out;
    sc = describe_configs(w, w->src_admin, src, n, true, sl, &err);
    dc = sc ? describe_configs(w, w->dst_admin, dst, n, false, dl, &err) : NULL;
    if (!sc || !dc) {
        fy_log(FY_LOG_WARN, "mirror", "msg=\"config sync skipped\" err=\"%s\"", err.msg);
        goto out;
    }
    mir_source_ok(w);
    atomic_store(&w->dst_down, false);
    for (size_t i = 0; i < n && !atomic_load(&w->stop); i++) {
        json_t *want = json_object_get(sc, src[i]);
        json_t *have = json_object_get(dc, dst[i]);
        int64_t src_max = json_integer_value(json_object_get(sl, src[i]));
        int64_t dst_max = json_integer_value(json_object_get(dl, dst[i]));
        if (want && have && !same_configs(want, have)) {
            if (alter_configs(w, dst[i], want, have, &err) != 0) {
                fy_log(FY_LOG_WARN, "mirror", "msg=\"config sync failed\" topic=%s err=\"%s\"",
                       dst[i], err.msg);
            } else {
                fy_log(FY_LOG_INFO, "mirror", "msg=\"topic configs synced\" topic=%s", dst[i]);
                /* the new limit is the source's override, or (none) a broker
                 * default the next round reads */
                json_t *v = json_object_get(want, "max.message.bytes");
                dst_max = v ? strtoll(json_string_value(v), NULL, 10) : 0;
            }
        }
        set_limits(w, src[i], src_max, dst_max);
    }
out:
    json_decref(sl);
    json_decref(dl);
    json_decref(sc);
    json_decref(dc);
    free_names(src, n);
    free_names(dst, n);
}

/* ------------------------------------------------------- mirror topics */

static int create_partitions(struct mir_worker *w, const char *name, int32_t total,
                             struct fy_err *err)
{
    char errstr[512];
    int rc = -1;
    rd_kafka_t *rk = w->dst_admin;
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_NewPartitions_t *np = rd_kafka_NewPartitions_new(name, (size_t)total, errstr,
                                                              sizeof errstr);
    rd_kafka_AdminOptions_t *o = mir_kafka_admin_options(rk, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS,
                                                         MIR_ADMIN_TIMEOUT_MS);
    rd_kafka_CreatePartitions(rk, &np, 1, o, q);
    rd_kafka_event_t *ev = mir_kafka_admin_wait(q, RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT,
                                                MIR_ADMIN_TIMEOUT_MS + 1000, &w->stop, err);
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

/* Partition count of `name` on the destination: -1 when unknown or missing.
 * The admin handle never lets a metadata request auto-create the topic. */
static int32_t dst_partitions(struct mir_worker *w, const char *name)
{
    const struct rd_kafka_metadata *md = NULL;
    int32_t n = -1;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(w->dst_admin, name, NULL);
    if (rd_kafka_metadata(w->dst_admin, 0, rkt, &md, MIR_METADATA_TIMEOUT_MS) ==
        RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (md->topic_cnt == 1 && !md->topics[0].err)
            n = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);
        atomic_store(&w->dst_down, false);
    }
    rd_kafka_topic_destroy(rkt);
    return n;
}

/* Create the mirror topic with the source's partition count and synced
 * configs, or grow it; true once the destination shows every partition. */
static bool ensure_mirror_topic(struct mir_worker *w, const char *src_name, const char *dst_name,
                                int32_t parts)
{
    struct fy_err err = {0};
    int32_t have = dst_partitions(w, dst_name);
    if (have >= parts)
        return true;
    if (have <= 0) {
        char *names[1] = {(char *)src_name};
        json_t *sc = describe_configs(w, w->src_admin, names, 1, true, NULL, &err);
        json_t *cfg = sc ? json_object_get(sc, src_name) : NULL;
        size_t n = 0;
        const char **kv = fy_calloc(2 * (cfg ? json_object_size(cfg) : 0) + 1, sizeof *kv);
        const char *k;
        json_t *v;
        if (cfg)
            json_object_foreach(cfg, k, v) {
                kv[n++] = k;
                kv[n++] = json_string_value(v);
            }
        int rc = sc ? mir_kafka_create_topic(w->dst_admin, dst_name, parts,
                                             (int)w->conf->replication_factor, kv, n,
                                             MIR_ADMIN_TIMEOUT_MS, &w->stop, &err)
                    : -1;
        free(kv);
        json_decref(sc);
        if (rc < 0) {
            fy_log(FY_LOG_WARN, "mirror", "msg=\"mirror topic not created\" topic=%s err=\"%s\"",
                   dst_name, err.msg);
            return false;
        }
        if (rc == 0)
            fy_log(FY_LOG_INFO, "mirror", "msg=\"mirror topic created\" topic=%s partitions=%d",
                   dst_name, (int)parts);
    } else {
        if (create_partitions(w, dst_name, parts, &err) != 0) {
            fy_log(FY_LOG_WARN, "mirror", "msg=\"partitions not added\" topic=%s err=\"%s\"",
                   dst_name, err.msg);
            return false;
        }
        fy_log(FY_LOG_INFO, "mirror", "msg=\"mirror partitions added\" topic=%s partitions=%d",
               dst_name, (int)parts);
    }
    /* creation is asynchronous on the controller: wait until metadata shows it */
    int64_t deadline = mir_mono_ms() + 15000;
    while (mir_mono_ms() < deadline && !atomic_load(&w->stop)) {
        int32_t now = dst_partitions(w, dst_name);
        if (now >= parts)
            return true;
        if (now > 0 && have <= 0 && now < parts) {
            /* someone else created it smaller (auto-creation elsewhere): grow it */
            if (create_partitions(w, dst_name, parts, &err) != 0)
                return false;
            have = now;
        }
        ctl_sleep(w, 50);
    }
    return false;
}

/* The copy thread's producer must know every partition before records go
 * to them (librdkafka refuses an unknown partition at once): create its
 * topic handle, with the topic as opaque, and refresh its metadata here,
 * where waiting is allowed. */
static bool producer_knows(struct mir_worker *w, const char *src_name, int32_t parts)
{
    rd_kafka_topic_t *rkt = NULL;
    pthread_mutex_lock(&w->mu);
    struct mir_topic *mt = fy_map_get(&w->topics, src_name);
    if (mt && !mt->dst_rkt) {
        rd_kafka_topic_conf_t *tc = rd_kafka_topic_conf_new();
        rd_kafka_topic_conf_set_opaque(tc, mt);
        mt->dst_rkt = rd_kafka_topic_new(w->dst, mt->dst_name, tc);
    }
    if (mt)
        rkt = mt->dst_rkt;
    pthread_mutex_unlock(&w->mu);
    if (!rkt)
        return false;
    /* the handle lives as long as the topic: used here without mu */
    int64_t deadline = mir_mono_ms() + 10000;
    while (mir_mono_ms() < deadline && !atomic_load(&w->stop)) {
        const struct rd_kafka_metadata *md = NULL;
        int32_t n = -1;
        if (rd_kafka_metadata(w->dst, 0, rkt, &md, MIR_METADATA_TIMEOUT_MS) ==
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (md->topic_cnt == 1 && !md->topics[0].err)
                n = md->topics[0].partition_cnt;
            rd_kafka_metadata_destroy(md);
        }
        if (n >= parts)
            return true;
        ctl_sleep(w, 50);
    }
    return false;
}

struct todo {
    char *src, *dst;
    int32_t parts;
};

/* True when a topic became ready (its limits are read at once). */
static bool refresh_topics(struct mir_worker *w)
{
    bool fresh = false;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(w->src_admin, 1, NULL, &md, MIR_METADATA_TIMEOUT_MS);
    size_t it = 0, n_todo = 0;
    const char *key;
    void *val;
    struct todo *todo = NULL;
    if (e) {
        fy_log(FY_LOG_WARN, "mirror", "msg=\"source metadata failed\" err=\"%s\"",
               rd_kafka_err2str(e));
        return false;
    }
    mir_source_ok(w);
    pthread_mutex_lock(&w->mu);
    while (fy_map_next(&w->topics, &it, &key, &val))
        ((struct mir_topic *)val)->in_source = false;
    for (int i = 0; i < md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *t = &md->topics[i];
        if (t->err || mir_topic_is_internal(t->topic) || !mir_filter_match(&w->tfilter, t->topic))
            continue;
        struct mir_topic *mt = mir_topic_get(w, t->topic);
        mt->in_source = true;
        mt->missing = 0;
        if (t->partition_cnt > mt->src_parts) {
            mt->src_parts = t->partition_cnt;
            mt->ready = false;
        }
        if (mt->state == MIR_STATE_STOPPED || mt->state == MIR_STATE_FAILED || mt->ready)
            continue;
        mir_topic_grow(mt, mt->src_parts);
        todo = fy_realloc(todo, (n_todo + 1) * sizeof *todo);
        todo[n_todo++] = (struct todo){fy_strdup(mt->src_name), fy_strdup(mt->dst_name),
                                       mt->src_parts};
    }
    it = 0;
    while (fy_map_next(&w->topics, &it, &key, &val)) {
        struct mir_topic *mt = val;
        /* twice in a row, so one metadata answer racing a creation is not fatal */
        if (!mt->in_source && mt->src_parts > 0 && ++mt->missing >= 2 && !mt->gone &&
            (mt->state == MIR_STATE_ACTIVE || mt->state == MIR_STATE_PAUSED ||
             mt->state == MIR_STATE_PENDING_STOPPED)) {
            mt->gone = fy_strdup("source topic deleted");
            w->topics_changed = true;
        }
    }
    pthread_mutex_unlock(&w->mu);
    rd_kafka_metadata_destroy(md);
    for (size_t i = 0; i < n_todo; i++) {
        if (!atomic_load(&w->stop) && ensure_mirror_topic(w, todo[i].src, todo[i].dst,
                                                          todo[i].parts) &&
            producer_knows(w, todo[i].src, todo[i].parts)) {
            read_limits(w, todo[i].src, todo[i].dst);
            pthread_mutex_lock(&w->mu);
            struct mir_topic *mt = fy_map_get(&w->topics, todo[i].src);
            if (mt && mt->src_parts == todo[i].parts) {
                mt->ready = true;
                w->topics_changed = true;
                fresh = true;
            }
            pthread_mutex_unlock(&w->mu);
        }
        free(todo[i].src);
        free(todo[i].dst);
    }
    free(todo);
    return fresh;
}

/* ------------------------------------------------------------- groups */

static int translate_cb(void *opaque, const char *src_topic, int32_t partition, int64_t pos,
                        const char **dst_topic, int64_t *out)
{
    struct mir_worker *w = opaque;
    int rc = -1;
    pthread_mutex_lock(&w->mu);
    struct mir_topic *mt = fy_map_get(&w->topics, src_topic);
    if (mt && partition >= 0 && partition < mt->n_parts && pos < mt->parts[partition]->group_round)
        mt->parts[partition]->group_round = pos; /* the offset map's floor (mir_copy.c) */
    /* stopped topics belong to the destination's consumers now: hands off */
    if (mt && partition < mt->n_parts && mt->state != MIR_STATE_STOPPED &&
        mt->state != MIR_STATE_FAILED && !mt->stopping &&
        mir_offsetmap_translate(&mt->parts[partition]->map, pos, out) == 0) {
        *dst_topic = mt->dst_name; /* constant for the topic's life (the worker's) */
        rc = 0;
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

/* Start a group round (every partition's group_round to INT64_MAX), or end
 * one (publish: group_floor = group_round). A partition the round did not
 * see from its start keeps its old floor: a group's offsets listed before
 * the topic was known would be missing from it. */
static void group_rounds(struct mir_worker *w, bool publish)
{
    size_t it = 0;
    const char *key;
    void *val;
    while (fy_map_next(&w->topics, &it, &key, &val)) {
        struct mir_topic *mt = val;
        for (int32_t p = 0; p < mt->n_parts; p++) {
            struct mir_partition *mp = mt->parts[p];
            if (publish && mp->group_counted)
                mp->group_floor = mp->group_round;
            else if (!publish) {
                mp->group_round = INT64_MAX;
                mp->group_counted = true;
            }
        }
    }
}

static void sync_groups(struct mir_worker *w)
{
    struct fy_err err = {0};
    struct mir_groups_stats st = {0};
    int64_t began = mir_now_ms();
    pthread_mutex_lock(&w->mu);
    group_rounds(w, false);
    pthread_mutex_unlock(&w->mu);
    const struct mir_groups_gate gate = {&w->stop, &w->src_down, &w->dst_down};
    if (mir_groups_sync(w->src_admin, w->dst_admin, &w->gfilter, w->own_group_prefix,
                        translate_cb, w, MIR_ADMIN_TIMEOUT_MS, &gate, &st, &err) != 0) {
        fy_log(FY_LOG_WARN, "mirror", "msg=\"group sync failed\" err=\"%s\"", err.msg);
        return;
    }
    pthread_mutex_lock(&w->mu);
    /* only a round that read every group's positions bounds the offset map */
    if (!atomic_load(&w->stop) && st.unread == 0)
        group_rounds(w, true);
    w->gstats = st;
    w->last_group_sync = began; /* a promote needs a sync that began after it caught up */
    pthread_mutex_unlock(&w->mu);
}

void *mir_control_run(void *arg)
{
    struct mir_worker *w = arg;
    const struct mir_conf *c = w->conf;
    int64_t next_refresh = 0, next_cfg = 0, next_groups = 0;
    while (!atomic_load(&w->stop)) {
        int64_t now = mir_mono_ms();
        if (atomic_exchange(&w->refresh_now, false))
            next_refresh = now;
        if (atomic_exchange(&w->groups_now, false))
            next_groups = now;
        if (now >= next_refresh) {
            if (refresh_topics(w))
                next_cfg = 0; /* a new mirror topic: its configs follow at once */
            next_refresh = mir_mono_ms() + c->refresh_ms;
        }
        if (!atomic_load(&w->stop) && mir_mono_ms() >= next_cfg) {
            sync_configs(w);
            next_cfg = mir_mono_ms() + c->config_sync_ms;
        }
        if (!atomic_load(&w->stop) && mir_mono_ms() >= next_groups) {
            sync_groups(w);
            next_groups = mir_mono_ms() + c->group_sync_ms;
        }
        now = mir_mono_ms();
        int64_t next = next_refresh < next_cfg ? next_refresh : next_cfg;
        next = next < next_groups ? next : next_groups;
        if (next > now && !atomic_load(&w->refresh_now) && !atomic_load(&w->groups_now))
            ctl_sleep(w, next - now);
    }
    return NULL;
}
