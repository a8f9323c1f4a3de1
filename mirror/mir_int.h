/* SPDX-License-Identifier: Apache-2.0
 * mir_int: what the mirror's modules share inside mirror/ (style S1.3): the
 * worker, its topics, and the split of duties between its threads.
 *
 *   copy thread (mir_copy.c)     consume → produce → delivery reports → offset
 *                                map and positions; runs the operations (pause,
 *                                resume, failover, promote) and publishes the
 *                                status snapshot. It never calls an admin API,
 *                                a metadata request or anything that waits on a
 *                                cluster: librdkafka queues only.
 *   control thread (mir_control.c) topic discovery, mirror-topic creation,
 *                                config sync, group offset sync: every blocking
 *                                call, each with a deadline and a stop check.
 *   admin threads (mir_admin.c)  status from the snapshot; operations through
 *                                the request queue, answered by the copy thread
 *                                within a loop turn (~50 ms).
 *
 * Locks: `mu` guards `topics` and everything reachable from it (states,
 * partitions, offset maps), and `gstats`. The copy thread holds it while it
 * works on a batch and releases it around its consume wait; the control
 * thread takes it only between its cluster calls, never across one.
 * `req_lock` guards the request queue, `snap_lock` the published snapshot.
 * Order: mu before req_lock or snap_lock; never the other way. */
#ifndef MIR_INT_H
#define MIR_INT_H

#include "common/fy_map.h"
#include "mirror/mir_filter.h"
#include "mirror/mir_groups.h"
#include "mirror/mir_kafka.h"
#include "mirror/mir_partition.h"
#include "mirror/mir_worker.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#define MIR_BATCH 1024
/* Every admin call's deadline (control thread only). */
#define MIR_ADMIN_TIMEOUT_MS 5000
/* Metadata requests: short, the next refresh asks again. */
#define MIR_METADATA_TIMEOUT_MS 2000
/* Failover waits at most this long for records already handed to the
 * producer, so that its report is what the destination holds. */
#define MIR_FAILOVER_DRAIN_MS 1200

struct mir_topic {
    char *src_name;
    char *dst_name;
    enum mir_state state;
    char *reason;             /* why FAILED/STOPPED/PAUSED, or NULL */
    struct mir_partition **parts;
    int32_t n_parts;
    /* written by the control thread (under mu), read by the copy thread */
    int32_t src_parts;        /* source partition count at the last refresh */
    bool in_source;           /* seen in the last source metadata */
    int missing;              /* consecutive refreshes without it */
    bool ready;               /* mirror topic exists with >= src_parts partitions */
    char *gone;               /* control: the copy thread must FAIL it for this reason */
    /* copy thread only */
    bool resumed;             /* stored positions applied to the partitions */
    bool stopping;            /* failover under way: nothing more is produced */
    int64_t late_acks;        /* acknowledgements that arrived after STOPPED */
    int64_t retry_at;         /* FAILED: monotonic ms of the next automatic retry; 0 none */
    int64_t retry_ms;         /* FAILED: the backoff that retry waited */
    int64_t src_max_bytes;    /* control (under mu): effective max.message.bytes of the */
    int64_t dst_max_bytes;    /* source and mirror topic at the last config sync; 0 unknown */
    rd_kafka_topic_t *dst_rkt;  /* set by the control thread (under mu) once the producer
                                 * knows every partition; then used by the copy thread */
    json_t *last_stop;        /* report of the last failover/promote (owned) */
};

struct mir_req {
    enum mir_op op;
    char *topic;
    int64_t deadline;         /* monotonic ms: answer by then */
    int64_t drain_deadline;   /* failover: stop waiting for in-flight records;
                               * promote: wall ms the request was taken */
    int64_t caught_ms;        /* promote: wall ms it was first seen caught up */
    int status;
    char *json;
    bool done;
    bool abandoned;           /* the asker gave up: the copy thread frees it */
    struct mir_req *next;
};

struct mir_worker {
    const struct mir_conf *conf;
    struct mir_filter tfilter, gfilter;
    rd_kafka_t *src;        /* consumer (assign only, never commits) */
    rd_kafka_t *src_admin;  /* control thread: metadata, configs, groups on the source */
    rd_kafka_t *dst;        /* copy thread: idempotent producer, data + state topic */
    rd_kafka_t *dst_admin;  /* control thread: admin calls on the destination */
    rd_kafka_queue_t *src_q;
    rd_kafka_topic_t *state_rkt;
    char *src_cluster, *dst_cluster;
    char *own_group_prefix;
    int64_t batch_size;        /* the producer's batch.size (a refusal's reason names it) */
    int64_t state_records;     /* state-topic records read at start, and how long it took */
    int64_t state_load_ms;

    pthread_mutex_t mu;
    struct fy_map topics;   /* src name -> struct mir_topic * (under mu) */
    bool topics_changed;    /* under mu: control results for the copy thread */
    struct mir_groups_stats gstats;  /* under mu */
    int64_t last_group_sync;         /* under mu: wall ms the last good sync began */

    rd_kafka_topic_t *last_rkt;      /* copy thread: topic lookup cache */
    struct mir_topic *last_mt;

    pthread_t copy_thread, control_thread;
    bool copy_started, control_started;
    atomic_bool stop;
    atomic_bool stopped;    /* the copy thread is gone: requests answer 503 */
    /* last time the source answered (a fetched record, a metadata answer),
     * and whether librdkafka reported all its brokers down since: wall ms */
    _Atomic int64_t src_last_ok_ms;
    atomic_bool src_down;
    /* librdkafka reported the destination's brokers down (to the producer)
     * since the last delivery or admin answer from it */
    atomic_bool dst_down;
    atomic_bool refresh_now;  /* copy → control: refresh the topics at once */
    atomic_bool groups_now;   /* copy → control: run a group sync at once */

    pthread_mutex_t req_lock;
    pthread_cond_t req_cond;
    struct mir_req *reqs;   /* under req_lock: waiting to be taken */
    struct mir_req *waiting;/* copy thread only: failovers draining, promotes */

    pthread_mutex_t ctl_lock; /* with ctl_cond: wakes the control thread */
    pthread_cond_t ctl_cond;

    pthread_mutex_t snap_lock;
    json_t *snap;           /* under snap_lock: status at the last publish (owned) */
    int64_t next_snap;      /* copy thread */

    int64_t next_commit;    /* copy thread */
    bool fatal;             /* copy thread */
    /* copy thread: fetched records not yet handed to the producer (queue full) */
    rd_kafka_message_t *batch[MIR_BATCH];
    ssize_t batch_n, batch_pos;
};

/* ---- mir_worker.c */
/* The topic named `src_name`, created ACTIVE when new. Locks: mu (or single-threaded startup). */
struct mir_topic *mir_topic_get(struct mir_worker *w, const char *src_name);
/* Make sure `mt` has partitions 0..n-1. Locks: mu. */
void mir_topic_grow(struct mir_topic *mt, int32_t n);
/* Mark the source as having answered now. Thread: any. */
void mir_source_ok(struct mir_worker *w);

/* ---- mir_state.c: the state topic on the destination */
/* Create the state topic if missing (control-style call, startup only) and
 * read it whole into the topics. 0, or -1 with err. Thread: main, before the threads. */
int mir_state_load(struct mir_worker *w, struct fy_err *err);
/* Produce one state record (copied; `value` NULL: a tombstone). Never blocks longer than a queue-full wait
 * of 1 s, after which the record is logged as lost. Locks: mu. Thread: copy. */
void mir_state_produce(struct mir_worker *w, const char *key, const char *value, void *opaque);
/* The state-topic key of the offset-map entry of `mt` partition `p` at `src` (**new**). */
char *mir_state_map_key(const struct mir_worker *w, const struct mir_topic *mt, int32_t p,
                        int64_t src);
/* Set `mt`'s state (and reason) and persist it. Locks: mu. Thread: copy (or startup). */
void mir_state_set(struct mir_worker *w, struct mir_topic *mt, enum mir_state s,
                   const char *reason);
/* Parse a state name: the state, or -1. */
int mir_state_from_name(const char *s);

/* ---- mir_copy.c: the copy thread */
void *mir_copy_run(void *arg);
/* Delivery report callback of w->dst (runs inside rd_kafka_poll on the copy thread). */
void mir_copy_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);

/* ---- mir_control.c: the control thread */
void *mir_control_run(void *arg);
/* Wake the control thread (stop, or a topic needs work at once). Thread: any. */
void mir_control_wake(struct mir_worker *w);

/* ---- mir_report.c: JSON views (new objects). Locks: mu. */
json_t *mir_report_topic(const struct mir_worker *w, const struct mir_topic *mt, int64_t now);
json_t *mir_report_status(const struct mir_worker *w);
/* The failover report of `mt`: what the destination holds against the last
 * known source end offsets, per partition; `in_flight_unknown` are records
 * still unacknowledged when the drain deadline passed. */
json_t *mir_report_failover(const struct mir_worker *w, const struct mir_topic *mt,
                            int64_t now, const int64_t *in_flight_unknown);
json_t *mir_report_error(int code, const char *fmt, const char *arg);

#endif
