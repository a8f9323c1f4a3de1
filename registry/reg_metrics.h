/* SPDX-License-Identifier: Apache-2.0
 * reg_metrics: the registry's gauges, read from the index at scrape time
 * (schemas, subjects and versions by schema type, contexts, the applied
 * offset). The store publishes its own (reg_store_journal.c), the HTTP layer
 * its request metrics (fy_obs). Thread: the scraping MHD thread. */
#ifndef REG_METRICS_H
#define REG_METRICS_H

#include "common/fy_metrics.h"

struct reg_registry;

/* The collector (fy_metrics_collect_fn); `arg` is the registry. Takes the
 * index's read lock for one pass over the contexts. */
void reg_metrics_collect(void *arg, struct fy_metrics_out *out);

#endif
