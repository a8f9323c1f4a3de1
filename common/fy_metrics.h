/* SPDX-License-Identifier: Apache-2.0
 * fy_metrics: counters, gauges and fixed-bucket histograms with labels,
 * rendered in the Prometheus text exposition format 0.0.4. Instruments that
 * sit on a hot path (the HTTP request counter, the fsync histogram) are
 * families whose labelled series are found without a lock once created and
 * updated with relaxed atomics; values that already live elsewhere (index
 * sizes, exporter and mirror lag, /proc/self) are read at scrape time by
 * collectors. Thread: any; collectors run on the scraping thread. */
#ifndef FY_METRICS_H
#define FY_METRICS_H

#include "common/fy_buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fy_metric_type { FY_METRIC_COUNTER, FY_METRIC_GAUGE, FY_METRIC_HISTOGRAM };

struct fy_metrics;       /* a registry: families + collectors */
struct fy_metric_family; /* one metric name, its help, label names, buckets */
struct fy_metric;        /* one series of a family (one set of label values) */
struct fy_metrics_out;   /* what a collector writes to */

#define FY_METRIC_MAX_LABELS 4
#define FY_METRIC_MAX_BUCKETS 24
/* Series per family; a new label combination beyond it is not recorded
 * (fy_metric_child returns NULL), so a bug cannot grow memory without bound. */
#define FY_METRIC_MAX_SERIES 512

/* A **new** empty registry. */
struct fy_metrics *fy_metrics_new(void);
/* Free the registry and every family; collectors must be removed or dead. NULL-safe. */
void fy_metrics_free(struct fy_metrics *m);

/* Register a family. `labels` is a NULL-terminated list of at most
 * FY_METRIC_MAX_LABELS names (NULL = none). Histograms take `n_bounds`
 * ascending upper bounds in integer units (observations use the same unit)
 * and `scale` converts a unit to the exported one (1e9 when observing ns and
 * exporting seconds); counters and gauges pass NULL, 0, 1. Names, help and
 * labels are copied. Returns the family (owned by `m`), or NULL when the
 * arguments are invalid (a programming error, logged). Thread: any. */
struct fy_metric_family *fy_metrics_family(struct fy_metrics *m, enum fy_metric_type type,
                                           const char *name, const char *help,
                                           const char *const *labels, const int64_t *bounds,
                                           size_t n_bounds, double scale);

/* The series of `f` with these label values (as many as the family has
 * labels; copied on first use). Borrowed, valid as long as the registry.
 * Lock-free once the series exists; creating one takes the family's mutex.
 * NULL when `f` is NULL or the family has FY_METRIC_MAX_SERIES series. */
struct fy_metric *fy_metric_child(struct fy_metric_family *f, const char *const *values);

/* Counter/gauge: add `n` (a counter only ever grows: n >= 0). NULL-safe. */
void fy_metric_add(struct fy_metric *c, int64_t n);
/* Gauge: set. NULL-safe. */
void fy_metric_set(struct fy_metric *c, int64_t v);
/* Histogram: one observation of `v` units. NULL-safe. */
void fy_metric_observe(struct fy_metric *c, int64_t v);
/* Current value of a counter/gauge, or the count of a histogram (tests). */
int64_t fy_metric_value(const struct fy_metric *c);

/* A collector writes families and samples at scrape time. It must not call
 * back into the registry's families/collectors API. */
typedef void (*fy_metrics_collect_fn)(void *arg, struct fy_metrics_out *out);
/* Add a collector (run in the order added, after the families). */
void fy_metrics_add_collector(struct fy_metrics *m, fy_metrics_collect_fn fn, void *arg);
/* Remove it; once this returns the collector is not running and will not run. */
void fy_metrics_remove_collector(struct fy_metrics *m, fy_metrics_collect_fn fn, void *arg);

/* In a collector: start a family (# HELP and # TYPE lines). */
void fy_metrics_out_family(struct fy_metrics_out *out, const char *name,
                           enum fy_metric_type type, const char *help);
/* In a collector: one sample `name{k="v",...} value`; `labels` is a
 * NULL-terminated list of name, value, name, value... (NULL = none). */
void fy_metrics_out_sample(struct fy_metrics_out *out, const char *name,
                           const char *const *labels, double value);

/* In a collector: a family of one unlabelled sample (HELP, TYPE, value). */
void fy_metrics_out_one(struct fy_metrics_out *out, const char *name, enum fy_metric_type type,
                        const char *help, double value);

/* Append the whole exposition (families, then collectors) to `b`. */
void fy_metrics_render(struct fy_metrics *m, struct fy_buf *b);

/* The content type of fy_metrics_render's text. */
#define FY_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A collector of the process itself, from /proc/self: resident and virtual
 * memory, threads, open and max file descriptors, CPU seconds, start time
 * (the names every Prometheus client library uses: process_*). `arg` unused. */
void fy_metrics_collect_process(void *arg, struct fy_metrics_out *out);

/* Monotonic nanoseconds (for latency observations). */
int64_t fy_metrics_now_ns(void);

#endif
