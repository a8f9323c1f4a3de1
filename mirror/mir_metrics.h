/* SPDX-License-Identifier: Apache-2.0
 * mir_metrics: the mirror's Prometheus metrics, read at scrape time from the
 * worker's status snapshot (never from the copy thread's state, never
 * waiting on it): per topic state, per partition lag in records and seconds,
 * records and bytes copied, delivery errors; source reachability and the age
 * of the last consumer-group offset sync. Thread: the admin endpoint's. */
#ifndef MIR_METRICS_H
#define MIR_METRICS_H

#include "common/fy_metrics.h"
#include "mirror/mir_worker.h"

#include <stdbool.h>

/* The collector (fy_metrics_collect_fn); `arg` is the struct mir_worker. */
void mir_metrics_collect(void *arg, struct fy_metrics_out *out);
/* Ready (fy_obs_ready_fn): the worker restored its state and published a
 * status, and is not stopping. `arg` is the struct mir_worker. */
bool mir_metrics_ready(void *arg);

#endif
