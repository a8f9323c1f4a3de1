/* SPDX-License-Identifier: Apache-2.0
 * mir_worker: one topic mirror between two clusters. Two threads share the
 * work (mirror/mir_int.h): the copy thread owns the consumer and the
 * producer — it copies records per partition (same partition, in order,
 * idempotent producer, zero-copy), serves delivery reports, persists the
 * offset map and positions in the state topic on the destination, executes
 * operations and publishes a status snapshot — and never waits on a cluster;
 * the control thread makes every blocking call (topic discovery, mirror-topic
 * creation, config sync, group offset sync), each with a deadline.
 * Thread: main for the lifecycle; mir_worker_request from any other thread. */
#ifndef MIR_WORKER_H
#define MIR_WORKER_H

#include "common/fy_err.h"
#include "mirror/mir_conf.h"

#include <stdint.h>

enum mir_state {
    MIR_STATE_ACTIVE = 0,     /* mirroring */
    MIR_STATE_PAUSED,         /* not fetching; offsets still synced; resumable */
    MIR_STATE_PENDING_STOPPED,/* promote: mirroring until lag 0, then a final offset sync */
    MIR_STATE_STOPPED,        /* promoted or failed over: a normal writable topic, final */
    MIR_STATE_FAILED,         /* unrecoverable error (source topic deleted, delivery failed) */
};

enum mir_op { MIR_OP_STATUS, MIR_OP_PAUSE, MIR_OP_RESUME, MIR_OP_FAILOVER, MIR_OP_PROMOTE };

struct mir_worker;

/* Connect to both clusters, create the state topic if missing and load the
 * stored states, offset maps and positions. `conf` is borrowed and must
 * outlive the worker. A **new** worker, or NULL with err. Thread: main. */
struct mir_worker *mir_worker_new(const struct mir_conf *conf, struct fy_err *err);
/* Start the worker thread. 0, or -1 with err. */
int mir_worker_start(struct mir_worker *w, struct fy_err *err);
/* Ask the thread to stop, wait for it (in-flight records are flushed and the
 * last positions committed, within a deadline) and join it. Idempotent. */
void mir_worker_stop(struct mir_worker *w);
/* Free a stopped (or never started) worker. NULL is a no-op. */
void mir_worker_free(struct mir_worker *w);

/* Run `op` on `topic` (NULL: every topic, for status/pause/resume/failover;
 * promote needs a topic) and wait up to `timeout_ms` for the answer: the HTTP
 * status, with *json a **new** JSON text. Status answers from the snapshot at
 * once, whatever the clusters do. Failover needs no cluster call: it answers
 * within MIR_FAILOVER_DRAIN_MS plus a loop turn, once the records already
 * handed to the producer are acknowledged (or that deadline passed), with
 * the per-partition report. Promote answers when the topic is STOPPED, or
 * 202 with its current state at the deadline; 503 once the worker stops.
 * Thread: any but the worker's. */
int mir_worker_request(struct mir_worker *w, enum mir_op op, const char *topic, int timeout_ms,
                       char **json);

/* Ask the control thread for a consumer-group offset sync now (instead of at
 * the next groups.sync.interval.ms) and return the wall-clock ms of the
 * request: a sync that began at or after it shows in status as
 * groups.last_sync_ms >= the value (a failed sync, e.g. with the source
 * down, leaves last_sync_ms as it was). Thread: any but the worker's. */
int64_t mir_worker_sync_groups(struct mir_worker *w);

const char *mir_state_name(enum mir_state s);

#endif
