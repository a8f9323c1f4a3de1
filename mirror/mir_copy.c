/* SPDX-License-Identifier: Apache-2.0
 * mir_copy: the copy thread (see mir_int.h). Data path: source consumer
 * (assign, read_committed) → per-record provenance check → idempotent
 * producer to the same partition of the mirror topic, holding the consumed
 * message until its delivery report (no copy) → the report advances the
 * partition watermark and the offset map. Between batches it runs the
 * operators' requests and publishes the status snapshot. Nothing here waits
 * on a cluster: the consumer and producer are served through their queues,
 * watermarks come from the consumer's cache of fetch responses.
 * Thread: the copy thread, holding w->mu except around its consume wait. */
#include "mirror/mir_int.h"

#include "common/fy_alloc.h"
#include "common/fy_log.h"

#include <stdlib.h>
#include <string.h>

/* Provenance header: the id of the cluster a record was first written to.
 * A record whose origin is the destination cluster is never copied back,
 * which breaks A→B→A loops even with identical topic names (Replicator's
 * provenance.header.enable, mirroring.md §3). */
#define MIR_ORIGIN_HEADER "ferry.origin"
#define SNAPSHOT_MS 100
/* A promote trusts cached source watermarks only from fetches made after
 * the request: fetch.wait.max.ms is 100, so this covers a few of them. */
#define PROMOTE_FRESH_MS 400

/* The size of `m` copied as a record batch of its own, at least: the batch
 * header (61 bytes), key, value and header names and values. The broker
 * refuses a batch above the topic's max.message.bytes. */
static int64_t copied_size(const rd_kafka_message_t *m, rd_kafka_headers_t *hdrs)
{
    int64_t n = 61 + (int64_t)m->key_len + (int64_t)m->len;
    const char *name;
    const void *val;
    size_t vlen;
    for (size_t i = 0; hdrs && rd_kafka_header_get_all(hdrs, i, &name, &val, &vlen) == 0; i++)
        n += (int64_t)(strlen(name) + vlen);
    return n;
}

/* A refusal for size, in words: which limit, and what to change. */
static void size_reason(const struct mir_worker *w, const struct mir_topic *mt, int64_t offset,
                        int64_t size, char *out, size_t cap)
{
    char src[64] = "";
    if (mt->src_max_bytes > 0)
        snprintf(src, sizeof src, "; the source topic allows %lld", (long long)mt->src_max_bytes);
    if (mt->dst_max_bytes > 0 && size > mt->dst_max_bytes)
        snprintf(out, cap, "record at source offset %lld is too large for the mirror topic: "
                 "%lld bytes with the provenance header, above its max.message.bytes=%lld%s "
                 "(raise max.message.bytes on the source topic, which the mirror copies, or "
                 "on %s)", (long long)offset, (long long)size, (long long)mt->dst_max_bytes, src,
                 mt->dst_name);
    else if (mt->dst_max_bytes > 0 && mt->dst_max_bytes < w->batch_size)
        snprintf(out, cap, "a batch at source offset %lld is too large for the mirror topic: its "
                 "max.message.bytes=%lld is below the producer's batch.size=%lld (set "
                 "destination.batch.size to at most %lld)", (long long)offset,
                 (long long)mt->dst_max_bytes, (long long)w->batch_size,
                 (long long)mt->dst_max_bytes);
    else
        snprintf(out, cap, "record at source offset %lld (%lld bytes) was refused as too large "
                 "by the mirror topic %s (its max.message.bytes was %lld when last read, 0: not "
                 "read yet; it may have changed since)%s", (long long)offset, (long long)size,
                 mt->dst_name, (long long)mt->dst_max_bytes, src);
}

static bool fetching(const struct mir_topic *mt)
{
    return !mt->stopping &&
           (mt->state == MIR_STATE_ACTIVE || mt->state == MIR_STATE_PENDING_STOPPED);
}

/* ------------------------------------------------------- delivery reports */

static void fail_topic(struct mir_worker *w, struct mir_topic *mt, const char *reason);

void mir_copy_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
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
    if (!mp) {
        rd_kafka_message_destroy(src);
        return;
    }
    if (mt->state == MIR_STATE_STOPPED || mt->state == MIR_STATE_FAILED) {
        /* after a failover answered, or after a failure: nothing counts any
         * more — the report is final, and a hole must never be passed */
        mir_partition_on_fail(mp);
        if (!m->err && mt->state == MIR_STATE_STOPPED && mt->late_acks++ == 0)
            fy_log(FY_LOG_WARN, "mirror", "msg=\"record landed after the topic stopped\" "
                   "topic=%s partition=%d offset=%lld", mt->src_name, (int)m->partition,
                   (long long)src->offset);
    } else if (m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE ||
               m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
        /* shutdown past its deadline: not a failure, the position was not committed */
        mir_partition_on_fail(mp);
    } else if (m->err) {
        mir_partition_on_fail(mp);
        mp->delivery_errors++;
        char reason[600];
        if (m->err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE)
            size_reason(w, mt, src->offset, (int64_t)(m->len + m->key_len), reason,
                        sizeof reason);
        else
            snprintf(reason, sizeof reason, "delivery failed at source offset %lld: %s",
                     (long long)src->offset, rd_kafka_err2str(m->err));
        fail_topic(w, mt, reason);
    } else {
        rd_kafka_timestamp_type_t tt;
        int64_t ts = rd_kafka_message_timestamp(src, &tt);
        if (atomic_load(&w->dst_down))
            atomic_store(&w->dst_down, false);
        mir_partition_on_ack(mp, src->offset, m->offset, ts, (int64_t)(src->len + src->key_len));
    }
    rd_kafka_message_destroy(src);
}

/* ------------------------------------------------------------ assignment */

/* Records of `mt` fetched but not handed over yet belong to the assignment
 * that ends: a later one starts where the producer stopped, and a stale
 * record taken then would skip the ones before it. */
static void drop_fetched(struct mir_worker *w, const struct mir_topic *mt)
{
    for (ssize_t i = w->batch_pos; i < w->batch_n; i++) {
        rd_kafka_message_t *m = w->batch[i];
        if (m && m->rkt && strcmp(rd_kafka_topic_name(m->rkt), mt->src_name) == 0) {
            rd_kafka_message_destroy(m);
            w->batch[i] = NULL;
        }
    }
}

static void unassign_topic(struct mir_worker *w, struct mir_topic *mt)
{
    drop_fetched(w, mt);
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

/* FAILED, with the reason in status. Failures that can go away (a delivery
 * or produce error: a destination limit, a deleted mirror topic, a broker
 * refusing for a while) are retried by themselves with a backoff of 5 s
 * doubling to 60 s; a deleted source topic and a fatal producer error wait
 * for the operator (resume, or a restart). */
static void fail_topic_as(struct mir_worker *w, struct mir_topic *mt, const char *reason,
                          bool transient)
{
    if (mt->state == MIR_STATE_FAILED || mt->state == MIR_STATE_STOPPED)
        return;
    fy_log(FY_LOG_ERROR, "mirror", "msg=\"mirror topic failed\" topic=%s reason=\"%s\"",
           mt->src_name, reason);
    mt->retry_at = 0;
    if (transient && !w->fatal) {
        mt->retry_ms = mt->retry_ms ? mt->retry_ms * 2 : 5000;
        if (mt->retry_ms > 60000)
            mt->retry_ms = 60000;
        mt->retry_at = mir_mono_ms() + mt->retry_ms;
    }
    mir_state_set(w, mt, MIR_STATE_FAILED, reason);
    unassign_topic(w, mt);
}

static void fail_topic(struct mir_worker *w, struct mir_topic *mt, const char *reason)
{
    fail_topic_as(w, mt, reason, true);
}

/* Copy a FAILED topic again from just after the last acknowledged record:
 * the failed record is the next one produced, so nothing is skipped (what
 * was acknowledged after the failure is copied again: duplicates, bounded).
 * The control thread first checks the mirror topic again. 0, or -1 with the
 * reason in *why when it cannot be retried now. */
static int retry_failed(struct mir_worker *w, struct mir_topic *mt, const char **why)
{
    if (w->fatal) {
        *why = "the producer had a fatal error: restart the mirror";
        return -1;
    }
    for (int32_t p = 0; p < mt->n_parts; p++)
        if (mt->parts[p]->inflight > 0) {
            *why = "records of the failed run are still in flight: retry in a moment";
            return -1;
        }
    for (int32_t p = 0; p < mt->n_parts; p++) {
        struct mir_partition *mp = mt->parts[p];
        mp->produced_src = mp->done_src;
        mp->run_started = false; /* the next acknowledgement starts a new map run */
        mp->assigned = false;
    }
    mt->ready = false;
    mt->retry_at = 0;
    fy_log(FY_LOG_INFO, "mirror", "msg=\"retrying failed topic\" topic=%s reason=\"%s\"",
           mt->src_name, mt->reason ? mt->reason : "");
    mir_state_set(w, mt, MIR_STATE_ACTIVE, NULL);
    atomic_store(&w->refresh_now, true);
    mir_control_wake(w);
    return 0;
}

/* Automatic retries of transient failures that are due. */
static void retry_due(struct mir_worker *w, int64_t now)
{
    size_t it = 0;
    const char *key;
    void *val;
    const char *why = NULL;
    while (fy_map_next(&w->topics, &it, &key, &val)) {
        struct mir_topic *mt = val;
        if (mt->state == MIR_STATE_FAILED && mt->retry_at && now >= mt->retry_at &&
            retry_failed(w, mt, &why) != 0)
            mt->retry_at = now + 1000;
    }
}

/* Where partition `mp` of `mt` starts reading: just after the last record
 * handed to the producer, else the stored position, else the configured
 * start. A partition added to the source after the start is read from its
 * beginning whatever mirror.start.offset says: all of it is new. */
static int64_t start_offset(struct mir_worker *w, struct mir_topic *mt, struct mir_partition *mp)
{
    if (!mp->resumed) {
        mir_partition_resume(mp, mp->committed_pos, mp->stable_end_src, mp->stable_end_dst);
        mp->resumed = true;
    }
    if (mp->produced_src >= 0)
        return mp->produced_src + 1;
    return (w->conf->start_offset == 1 && !mt->resumed) ? RD_KAFKA_OFFSET_END
                                                         : RD_KAFKA_OFFSET_BEGINNING;
}

/* Assign every partition of a ready topic that is not assigned yet. A PAUSED
 * topic stays assigned at the source's end and its records are dropped: its
 * fetch responses keep the cached end offsets fresh, so a failover of a
 * paused topic reports what it really lacks. */
static void assign_topic(struct mir_worker *w, struct mir_topic *mt)
{
    bool paused = mt->state == MIR_STATE_PAUSED && !mt->stopping;
    if ((!fetching(mt) && !paused) || !mt->ready)
        return;
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(mt->src_parts);
    for (int32_t p = 0; p < mt->src_parts && p < mt->n_parts; p++) {
        struct mir_partition *mp = mt->parts[p];
        if (mp->assigned)
            continue;
        int64_t off = start_offset(w, mt, mp);
        if (off == RD_KAFKA_OFFSET_END && !paused)
            mp->start_pending = true;
        mp->from_start = off == RD_KAFKA_OFFSET_BEGINNING;
        if (paused)
            off = RD_KAFKA_OFFSET_END;
        rd_kafka_topic_partition_list_add(tp, mt->src_name, p)->offset = off;
        mp->assigned = true;
        if (mp->caught_up_ms == 0)
            mp->caught_up_ms = mir_now_ms();
        fy_log(FY_LOG_INFO, "mirror", "msg=\"partition assigned\" topic=%s partition=%d "
               "offset=%lld paused=%d", mt->src_name, (int)p, (long long)off, paused);
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

static void persist_position(struct mir_worker *w, struct mir_topic *mt, struct mir_partition *mp)
{
    char *k = fy_asprintf("%s/pos/%s/%d", w->conf->name, mt->src_name, (int)mp->partition);
    char *v = fy_asprintf("{\"pos\":%lld,\"end_src\":%lld,\"end_dst\":%lld}",
                          (long long)mp->stable_pos, (long long)mp->stable_end_src,
                          (long long)mp->stable_end_dst);
    mir_state_produce(w, k, v, NULL);
    mp->committed_pos = mp->stable_pos;
    free(k);
    free(v);
}

/* mirror.start.offset=latest: the end offset the partition starts at becomes
 * a durable position as soon as it is known (the first record fetched, or
 * the end offset of the first fetch response), so a restart before anything
 * was copied resumes there instead of at a later end (issue 10, item 6). */
static void start_resolve(struct mir_worker *w, struct mir_topic *mt, struct mir_partition *mp,
                          int64_t pos)
{
    mp->start_pending = false;
    mir_partition_resume(mp, pos, -1, -1);
    mp->committed_pos = -1;
    persist_position(w, mt, mp);
    fy_log(FY_LOG_INFO, "mirror", "msg=\"start position stored\" topic=%s partition=%d "
           "offset=%lld", mt->src_name, (int)mp->partition, (long long)pos);
}

/* auto.offset.reset=earliest: when the source deleted records the mirror had
 * not copied yet (retention, DeleteRecords), the consumer continues at the
 * log start; count what was taken (issue 10, item 5). A partition started
 * from the beginning with nothing copied (a new mirror, or a stored position
 * of 0) was to be copied from offset 0: what lies below the log start of its
 * first fetch counts too, or records deleted while the mirror waited (for
 * its destination, say) would be missing with no report saying so. */
static void check_retention(struct mir_worker *w, struct mir_topic *mt,
                            struct mir_partition *mp, int64_t offset)
{
    int64_t expect = mp->produced_src + 1, lo = -1, hi = -1;
    bool from_start = mp->from_start && mp->produced_src < 0;
    mp->from_start = false;
    if ((mp->produced_src < 0 && !from_start) || offset <= expect)
        return;
    /* the log start of the fetch response that brought `offset` (or a later one) */
    if (rd_kafka_get_watermark_offsets(w->src, mt->src_name, mp->partition, &lo, &hi) != 0 ||
        lo <= expect)
        return; /* a gap the source still holds: markers, aborted or compacted records */
    int64_t taken = (offset < lo ? offset : lo) - expect;
    mp->retention_skipped += taken;
    fy_log(FY_LOG_WARN, "mirror", "msg=\"source deleted records before they were mirrored\" "
           "topic=%s partition=%d from=%lld to=%lld records=%lld", mt->src_name,
           (int)mp->partition, (long long)expect, (long long)(expect + taken - 1),
           (long long)taken);
}

/* Pick up what the control thread decided: topics ready to copy, topics gone. */
static void apply_control(struct mir_worker *w)
{
    size_t it = 0;
    const char *key;
    void *val;
    w->topics_changed = false;
    while (fy_map_next(&w->topics, &it, &key, &val)) {
        struct mir_topic *mt = val;
        if (mt->gone) {
            fail_topic_as(w, mt, mt->gone, false);
            free(mt->gone);
            mt->gone = NULL;
        }
        if (!mt->ready || mt->state == MIR_STATE_STOPPED || mt->state == MIR_STATE_FAILED)
            continue;
        if (mt->dst_rkt) /* created by the control thread with the producer's metadata */
            assign_topic(w, mt);
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

/* Hand one fetched record to the producer. False when the producer queue is
 * full: the record stays with the caller for the next turn (back-pressure
 * without blocking the loop). */
static bool on_message(struct mir_worker *w, rd_kafka_message_t *m)
{
    if (!m)
        return true; /* dropped by drop_fetched */
    if (m->err) {
        if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            fy_log(FY_LOG_WARN, "mirror", "msg=\"consume error\" topic=%s partition=%d err=\"%s\"",
                   m->rkt ? rd_kafka_topic_name(m->rkt) : "-", (int)m->partition,
                   rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
        return true;
    }
    mir_source_ok(w);
    struct mir_topic *mt = topic_for(w, m->rkt);
    if (!mt || !fetching(mt) || m->partition >= mt->n_parts ||
        m->offset <= mt->parts[m->partition]->produced_src) {
        /* paused or unassigned meanwhile, or a re-fetch of a record already handed over */
        rd_kafka_message_destroy(m);
        return true;
    }
    struct mir_partition *mp = mt->parts[m->partition];
    if (mp->start_pending)
        start_resolve(w, mt, mp, m->offset);
    check_retention(w, mt, mp, m->offset);
    rd_kafka_headers_t *hdrs = NULL;
    const void *origin = NULL;
    size_t olen = 0;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR &&
        rd_kafka_header_get_last(hdrs, MIR_ORIGIN_HEADER, &origin, &olen) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        origin && olen == strlen(w->dst_cluster) && memcmp(origin, w->dst_cluster, olen) == 0) {
        mir_partition_on_skip(mp, m->offset);
        rd_kafka_message_destroy(m);
        return true;
    }
    /* a copy of the headers: `m` must stay intact if the queue is full */
    hdrs = NULL;
    rd_kafka_headers_t *own = NULL;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs)
        own = rd_kafka_headers_copy(hdrs);
    else
        own = rd_kafka_headers_new(1);
    if (!origin)
        rd_kafka_header_add(own, MIR_ORIGIN_HEADER, -1, w->src_cluster, -1);
    int64_t size = copied_size(m, own);
    if (mt->dst_max_bytes > 0 && size > mt->dst_max_bytes) {
        /* the broker would refuse it: say so now, with the limits (issue 10, item 4) */
        char reason[600];
        size_reason(w, mt, m->offset, size, reason, sizeof reason);
        rd_kafka_headers_destroy(own);
        if (w->batch_pos < w->batch_n && w->batch[w->batch_pos] == m)
            w->batch[w->batch_pos] = NULL; /* gone before fail_topic drops the rest */
        rd_kafka_message_destroy(m);
        fail_topic(w, mt, reason);
        return true;
    }
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    /* zero copy: key and value point into `m`, which the delivery report frees */
    rd_kafka_resp_err_t e = rd_kafka_producev(
        w->dst, RD_KAFKA_V_RKT(mt->dst_rkt), RD_KAFKA_V_PARTITION(m->partition),
        RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(m->payload, m->len),
        RD_KAFKA_V_HEADERS(own), RD_KAFKA_V_TIMESTAMP(ts > 0 ? ts : 0), RD_KAFKA_V_OPAQUE(m),
        RD_KAFKA_V_END);
    if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
        mir_partition_on_produce(mp, m->offset);
        return true;
    }
    rd_kafka_headers_destroy(own);
    if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(w->dst, 10); /* serving delivery reports frees queue space */
        return false;
    }
    char reason[300];
    snprintf(reason, sizeof reason, "produce failed at source offset %lld: %s",
             (long long)m->offset, rd_kafka_err2str(e));
    if (w->batch_pos < w->batch_n && w->batch[w->batch_pos] == m)
        w->batch[w->batch_pos] = NULL; /* gone before fail_topic drops the rest */
    rd_kafka_message_destroy(m);
    fail_topic(w, mt, reason);
    return true;
}

/* Produce pending offset-map entries (each makes a gap durable). */
static void flush_entries(struct mir_worker *w, struct mir_topic *mt)
{
    for (int32_t p = 0; p < mt->n_parts; p++) {
        struct mir_partition *mp = mt->parts[p];
        struct mir_pending_entry e;
        while (mir_partition_entry_take(mp, &e) == 0) {
            char *key = mir_state_map_key(w, mt, p, e.src);
            char *val = mir_offsetmap_entry_encode(e.src, e.dst, e.run_start);
            rd_kafka_resp_err_t err = rd_kafka_producev(
                w->dst, RD_KAFKA_V_RKT(w->state_rkt), RD_KAFKA_V_PARTITION(0),
                RD_KAFKA_V_KEY(key, strlen(key)), RD_KAFKA_V_VALUE(val, strlen(val)),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(mp), RD_KAFKA_V_END);
            free(key);
            free(val);
            if (err) {
                /* queue full: the next turn sends it; anything else is logged */
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                    fy_log(FY_LOG_ERROR, "mirror", "msg=\"map entry not produced\" err=\"%s\"",
                           rd_kafka_err2str(err));
                mir_partition_entry_untake(mp, &e);
                break;
            }
        }
    }
}

static void flush_all_entries(struct mir_worker *w)
{
    size_t it = 0;
    const char *key;
    void *val;
    while (fy_map_next(&w->topics, &it, &key, &val))
        flush_entries(w, val);
}

/* Watermarks from the consumer's cache of fetch responses (no request), and
 * the gap rule: a copying partition with nothing in flight whose consumer
 * position passed the last record it saw (transaction markers, compaction
 * at the tail) is done up to there. */
static void update_progress(struct mir_worker *w, struct mir_topic *mt, int64_t now)
{
    rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_new(mt->n_parts);
    bool copying = fetching(mt);
    for (int32_t p = 0; p < mt->n_parts; p++)
        if (mt->parts[p]->assigned && copying)
            rd_kafka_topic_partition_list_add(pos, mt->src_name, p);
    if (pos->cnt)
        rd_kafka_position(w->src, pos);
    for (int32_t p = 0; p < mt->n_parts; p++) {
        struct mir_partition *mp = mt->parts[p];
        int64_t lo = -1, hi = -1;
        if (mp->assigned &&
            rd_kafka_get_watermark_offsets(w->src, mt->src_name, p, &lo, &hi) == 0 && hi >= 0) {
            mp->hwm = hi;
            mir_partition_observe(mp, hi, now);
            if (mp->start_pending && copying)
                start_resolve(w, mt, mp, hi);
        }
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

/* The offset map stays bounded (mir_offsetmap.h): an entry is needed only
 * while a position inside its run can still be translated. Groups move
 * forward, so below the lowest committed position of the selected groups at
 * the last complete sync (raised to the source log start: nothing below it
 * can be read) and below the mirror's own stored position, no group needs
 * it; a group that turns up later below that floor gets the expired runs'
 * lower bound, which errs early (re-reads), never late. The new base is
 * produced before the tombstones: in one partition, in order. */
static void expire_map(struct mir_worker *w, struct mir_topic *mt, struct mir_partition *mp)
{
    if (mp->committed_pos < 0 || mp->group_floor < 0 || mp->map.n < 2)
        return;
    int64_t floor = mp->group_floor, lo = -1, hi = -1;
    if (rd_kafka_get_watermark_offsets(w->src, mt->src_name, mp->partition, &lo, &hi) == 0 &&
        lo > floor)
        floor = lo;
    if (floor > mp->committed_pos)
        floor = mp->committed_pos;
    int64_t *gone = NULL;
    size_t k = mir_offsetmap_expire(&mp->map, floor, &gone);
    if (k == 0)
        return;
    char *key = fy_asprintf("%s/mapbase/%s/%d", w->conf->name, mt->src_name, (int)mp->partition);
    char *val = mir_offsetmap_base_encode(mp->map.base_delta);
    mir_state_produce(w, key, val, NULL);
    free(key);
    free(val);
    for (size_t i = 0; i < k; i++) {
        key = mir_state_map_key(w, mt, mp->partition, gone[i]);
        mir_state_produce(w, key, NULL, NULL);
        free(key);
    }
    free(gone);
    fy_log(FY_LOG_DEBUG, "mirror", "msg=\"offset map expired\" topic=%s partition=%d floor=%lld "
           "entries=%zu left=%zu", mt->src_name, (int)mp->partition, (long long)floor, k,
           mp->map.n);
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
            if (mir_partition_commit_point(mp, &pos, &es, &ed))
                persist_position(w, mt, mp); /* the stable point is what commit_point said */
            expire_map(w, mt, mp);
        }
    }
}

/* ------------------------------------------------------------ operations */

static void publish(struct mir_worker *w);

static void answer(struct mir_worker *w, struct mir_req *r, int status, json_t *body)
{
    /* status first: whoever reads the answer then asks status sees the change */
    publish(w);
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    pthread_mutex_lock(&w->req_lock);
    if (r->abandoned) {
        pthread_mutex_unlock(&w->req_lock);
        free(text);
        free(r->topic);
        free(r);
        return;
    }
    r->status = status;
    r->json = text;
    r->done = true;
    pthread_cond_broadcast(&w->req_cond);
    pthread_mutex_unlock(&w->req_lock);
}

/* Topics an operation applies to: `r->topic`, or all that are mirrored. */
static bool selected(const struct mir_req *r, const struct mir_topic *mt)
{
    if (r->topic)
        return strcmp(r->topic, mt->src_name) == 0;
    return mt->in_source || mt->src_parts > 0;
}

/* Failover, step 1: stop fetching and producing at once (no call to any
 * cluster); the records already handed to the producer drain in step 2. */
static void failover_begin(struct mir_worker *w, struct mir_topic *mt)
{
    unassign_topic(w, mt);
    mt->stopping = true;
    /* the last watermarks the consumer saw, as they are */
    for (int32_t p = 0; p < mt->n_parts; p++) {
        int64_t lo = -1, hi = -1;
        if (rd_kafka_get_watermark_offsets(w->src, mt->src_name, p, &lo, &hi) == 0 && hi >= 0) {
            mt->parts[p]->hwm = hi;
            mir_partition_observe(mt->parts[p], hi, mir_now_ms());
        }
    }
}

static bool drained(const struct mir_topic *mt)
{
    for (int32_t p = 0; p < mt->n_parts; p++)
        if (mt->parts[p]->inflight > 0)
            return false;
    return true;
}

/* True when no topic copies any more: the producer can be purged whole. */
static bool nothing_copies(struct mir_worker *w)
{
    size_t it = 0;
    const char *key;
    void *val;
    while (fy_map_next(&w->topics, &it, &key, &val))
        if (fetching(val))
            return false;
    return true;
}

/* Failover, step 2: the topic is STOPPED with its report. */
static json_t *failover_finish(struct mir_worker *w, struct mir_topic *mt)
{
    int64_t *unknown = fy_calloc((size_t)mt->n_parts + 1, sizeof *unknown);
    for (int32_t p = 0; p < mt->n_parts; p++)
        unknown[p] = mt->parts[p]->inflight;
    json_t *r = mir_report_failover(w, mt, mir_now_ms(), unknown);
    free(unknown);
    json_decref(mt->last_stop);
    mt->last_stop = json_incref(r);
    mt->stopping = false;
    mir_state_set(w, mt, MIR_STATE_STOPPED, "failover");
    return r;
}

/* A waiting failover: answered once every selected topic drained, or at the
 * drain deadline (then, if nothing else copies, the producer is purged so
 * that nothing more can land, and the report says what is not known). */
static bool failover_step(struct mir_worker *w, struct mir_req *r, int64_t now)
{
    size_t it = 0;
    const char *key;
    void *val;
    bool all = true;
    while (fy_map_next(&w->topics, &it, &key, &val))
        if (((struct mir_topic *)val)->stopping && selected(r, val) && !drained(val))
            all = false;
    if (!all && now < r->drain_deadline)
        return false;
    if (!all && nothing_copies(w)) {
        rd_kafka_purge(w->dst, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(w->dst, 0);
    }
    json_t *arr = json_array();
    json_t *one = NULL;
    it = 0;
    while (fy_map_next(&w->topics, &it, &key, &val)) {
        struct mir_topic *mt = val;
        if (!mt->stopping || !selected(r, mt))
            continue;
        one = failover_finish(w, mt);
        json_array_append_new(arr, one);
    }
    if (r->topic && one)
        answer(w, r, 200, json_incref(one));
    else
        answer(w, r, 200, json_pack("{s:o}", "topics", json_incref(arr)));
    json_decref(arr);
    return true;
}

/* Every partition idle and at the source end offset last fetched. */
static bool caught_up(const struct mir_topic *mt)
{
    for (int32_t p = 0; p < mt->n_parts; p++) {
        struct mir_partition *mp = mt->parts[p];
        if (!mir_partition_idle(mp) || mir_partition_lag(mp) > 0 || mp->hwm < 0)
            return false;
    }
    return true;
}

/* One operation on one topic: the answer body, *status set. */
static json_t *topic_op(struct mir_worker *w, enum mir_op op, struct mir_topic *mt, int *status)
{
    *status = 200;
    switch (op) {
    case MIR_OP_PAUSE:
        if (mt->state == MIR_STATE_ACTIVE) {
            unassign_topic(w, mt);
            mir_state_set(w, mt, MIR_STATE_PAUSED, "paused by operator");
            assign_topic(w, mt); /* at the end: watermarks stay fresh */
        } else if (mt->state != MIR_STATE_PAUSED) {
            *status = 409;
            return mir_report_error(409, "topic is %s: only an ACTIVE mirror can be paused",
                                    mir_state_name(mt->state));
        }
        break;
    case MIR_OP_RESUME:
        if (mt->state == MIR_STATE_PAUSED) {
            unassign_topic(w, mt);
            mir_state_set(w, mt, MIR_STATE_ACTIVE, NULL);
            assign_topic(w, mt);
        } else if (mt->state == MIR_STATE_FAILED) {
            const char *why = NULL;
            mt->retry_ms = 0; /* an operator's retry starts the backoff over */
            if (retry_failed(w, mt, &why) != 0) {
                *status = 409;
                return mir_report_error(409, "topic is FAILED and cannot be retried now: %s",
                                        why);
            }
        } else if (mt->state != MIR_STATE_ACTIVE) {
            *status = 409;
            return mir_report_error(409, "topic is %s: only a PAUSED or FAILED mirror can be "
                                    "resumed", mir_state_name(mt->state));
        }
        break;
    default:
        break;
    }
    return mir_report_topic(w, mt, mir_now_ms());
}

/* Take a new request. Failover and promote wait in w->waiting; the rest answer now. */
static void take_request(struct mir_worker *w, struct mir_req *r)
{
    struct mir_topic *mt = r->topic ? fy_map_get(&w->topics, r->topic) : NULL;
    if (r->topic && (!mt || (!mt->in_source && mt->src_parts == 0))) {
        answer(w, r, 404, mir_report_error(404, "topic '%s' is not mirrored", r->topic));
        return;
    }
    int64_t now = mir_mono_ms();
    if (r->op == MIR_OP_FAILOVER) {
        if (mt && (mt->state == MIR_STATE_STOPPED || mt->stopping)) {
            answer(w, r, 409, mir_report_error(409, "topic is %s already", "STOPPED"));
            return;
        }
        size_t it = 0;
        const char *key;
        void *val;
        while (fy_map_next(&w->topics, &it, &key, &val)) {
            struct mir_topic *t = val;
            if (selected(r, t) && t->state != MIR_STATE_STOPPED && !t->stopping)
                failover_begin(w, t);
        }
        /* nothing copies any more: what the producer has not sent yet can be
         * purged (it can never land), so only requests already on the wire
         * are waited for; otherwise the other topics' records must stay */
        if (nothing_copies(w)) {
            rd_kafka_purge(w->dst, RD_KAFKA_PURGE_F_QUEUE);
            rd_kafka_poll(w->dst, 0);
        }
        /* drain within the budget, and answer before the asker's own deadline */
        r->drain_deadline = now + MIR_FAILOVER_DRAIN_MS;
        if (r->deadline - 300 < r->drain_deadline)
            r->drain_deadline = r->deadline - 300;
        r->next = w->waiting;
        w->waiting = r;
        return;
    }
    if (r->op == MIR_OP_PROMOTE) {
        if (!mt) {
            answer(w, r, 400, mir_report_error(400, "%s needs a topic", "promote"));
            return;
        }
        if (mt->state == MIR_STATE_ACTIVE || mt->state == MIR_STATE_PAUSED) {
            if (mt->state == MIR_STATE_PAUSED)
                unassign_topic(w, mt);
            mir_state_set(w, mt, MIR_STATE_PENDING_STOPPED, "promote requested");
            assign_topic(w, mt);
        } else if (mt->state != MIR_STATE_PENDING_STOPPED || mt->stopping) {
            answer(w, r, 409, mir_report_error(409, "topic is %s: it cannot be promoted",
                                               mir_state_name(mt->state)));
            return;
        }
        r->drain_deadline = mir_now_ms(); /* wall time of the request */
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
        if (!selected(r, t) || (r->op == MIR_OP_PAUSE && t->state != MIR_STATE_ACTIVE) ||
            (r->op == MIR_OP_RESUME && t->state != MIR_STATE_PAUSED &&
             t->state != MIR_STATE_FAILED))
            continue;
        json_array_append_new(arr, topic_op(w, r->op, t, &status));
    }
    answer(w, r, 200, json_pack("{s:o}", "topics", arr));
}

/* A waiting promote: true when answered. Promote completes when the topic
 * caught up with source end offsets from fetches made after the request
 * (the source answered since), and a group sync that began after that. */
static bool promote_wait(struct mir_worker *w, struct mir_req *r, int64_t now)
{
    struct mir_topic *mt = fy_map_get(&w->topics, r->topic);
    int64_t asked = r->drain_deadline; /* wall ms the request was taken */
    if (mt && mt->state == MIR_STATE_PENDING_STOPPED && !mt->stopping) {
        int64_t wall = mir_now_ms();
        update_progress(w, mt, wall);
        bool fresh = wall >= asked + PROMOTE_FRESH_MS &&
                     atomic_load(&w->src_last_ok_ms) >= asked + PROMOTE_FRESH_MS;
        if (!fresh) {
            if (wall >= asked + PROMOTE_FRESH_MS) {
                atomic_store(&w->refresh_now, true); /* the control thread asks the source */
                mir_control_wake(w);
            }
        } else if (!caught_up(mt)) {
            r->caught_ms = 0;
        } else {
            if (!r->caught_ms)
                r->caught_ms = wall;
            if (w->last_group_sync >= r->caught_ms) {
                commit_positions(w);
                unassign_topic(w, mt);
                json_t *rep = json_pack("{s:s,s:s,s:I,s:I,s:I}", "operation", "promote", "topic",
                                        mt->src_name, "lost_records", (json_int_t)0, "lost_ms",
                                        (json_int_t)0, "time", (json_int_t)wall);
                json_decref(mt->last_stop);
                mt->last_stop = rep;
                mir_state_set(w, mt, MIR_STATE_STOPPED, "promote");
                answer(w, r, 200, json_incref(rep));
                return true;
            }
            atomic_store(&w->groups_now, true); /* one last sync before the topic stops */
            mir_control_wake(w);
        }
    }
    if (mt && mt->state == MIR_STATE_PENDING_STOPPED && !mt->stopping && now < r->deadline)
        return false;
    answer(w, r, mt && mt->state == MIR_STATE_PENDING_STOPPED ? 202 : 409,
           mt ? mir_report_topic(w, mt, mir_now_ms()) : json_object());
    return true;
}

static void serve_requests(struct mir_worker *w)
{
    pthread_mutex_lock(&w->req_lock);
    struct mir_req *list = w->reqs;
    w->reqs = NULL;
    pthread_mutex_unlock(&w->req_lock);
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
        take_request(w, rev);
        rev = n;
    }
    struct mir_req **pp = &w->waiting;
    int64_t now = mir_mono_ms();
    while (*pp) {
        struct mir_req *r = *pp;
        *pp = r->next; /* unlinked while it runs: answering may free it */
        bool done = r->op == MIR_OP_FAILOVER ? failover_step(w, r, now) : promote_wait(w, r, now);
        if (!done) {
            r->next = *pp;
            *pp = r;
            pp = &r->next;
        }
    }
}

/* ------------------------------------------------------------------ loop */

static void publish(struct mir_worker *w)
{
    json_t *s = mir_report_status(w);
    pthread_mutex_lock(&w->snap_lock);
    json_t *old = w->snap;
    w->snap = s;
    pthread_mutex_unlock(&w->snap_lock);
    json_decref(old);
}

/* Up to MIR_BATCH fetched records, without waiting for more than are queued:
 * librdkafka's batch call waits until the batch is full or its timeout, which
 * adds that wait to every record's lag whenever fewer arrive per timeout.
 * Only an empty queue is waited on, for one record and at most 50 ms (the
 * requests must still be served); the next turn takes the rest. */
static ssize_t consume_batch(struct mir_worker *w)
{
    ssize_t n = rd_kafka_consume_batch_queue(w->src_q, 0, w->batch, MIR_BATCH);
    if (n == 0)
        n = rd_kafka_consume_batch_queue(w->src_q, 50, w->batch, 1);
    return n < 0 ? 0 : n;
}

static void turn(struct mir_worker *w)
{
    serve_requests(w);
    if (w->topics_changed)
        apply_control(w);
    if (w->batch_pos >= w->batch_n) {
        pthread_mutex_unlock(&w->mu);
        w->batch_n = consume_batch(w);
        w->batch_pos = 0;
        pthread_mutex_lock(&w->mu);
    }
    while (w->batch_pos < w->batch_n && on_message(w, w->batch[w->batch_pos]))
        w->batch_pos++;
    rd_kafka_poll(w->dst, 0);
    flush_all_entries(w);
    int64_t now = mir_mono_ms();
    if (now >= w->next_commit) {
        retry_due(w, now);
        commit_positions(w);
        w->next_commit = mir_mono_ms() + w->conf->commit_ms;
    }
    char errstr[256];
    if (!w->fatal && rd_kafka_fatal_error(w->dst, errstr, sizeof errstr)) {
        /* an idempotent producer's fatal error: every mirror stops where
         * its last acknowledged position is; a restart resumes there */
        w->fatal = true;
        fy_log(FY_LOG_ERROR, "mirror", "msg=\"producer fatal error\" err=\"%s\"", errstr);
        size_t it = 0;
        const char *key;
        void *val;
        while (fy_map_next(&w->topics, &it, &key, &val))
            fail_topic_as(w, val, errstr, false);
    }
    if (now >= w->next_snap || w->waiting) {
        publish(w);
        w->next_snap = now + SNAPSHOT_MS;
    }
}

void *mir_copy_run(void *arg)
{
    struct mir_worker *w = arg;
    pthread_mutex_lock(&w->mu);
    publish(w);
    while (!atomic_load(&w->stop))
        turn(w);
    /* records fetched but not handed over are simply dropped: not committed */
    for (; w->batch_pos < w->batch_n; w->batch_pos++)
        if (w->batch[w->batch_pos])
            rd_kafka_message_destroy(w->batch[w->batch_pos]);
    /* drain: let in-flight records finish, so the last positions are exact */
    int64_t deadline = mir_mono_ms() + 5000;
    while (rd_kafka_outq_len(w->dst) > 0 && mir_mono_ms() < deadline) {
        rd_kafka_poll(w->dst, 50);
        flush_all_entries(w);
    }
    commit_positions(w);
    rd_kafka_flush(w->dst, 2000);
    publish(w);
    atomic_store(&w->stopped, true);
    /* answer whoever still waits */
    serve_requests(w);
    while (w->waiting) {
        struct mir_req *r = w->waiting;
        w->waiting = r->next;
        answer(w, r, 503, mir_report_error(503, "%s", "mirror stopping"));
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}
