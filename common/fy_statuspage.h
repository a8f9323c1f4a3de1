/* SPDX-License-Identifier: Apache-2.0
 * fy_statuspage: the read-only HTML status page of a DR setup, served by
 * `ferry serve` (with ferry.dr.config) and by the mirror's admin endpoint:
 *   GET /dr       one self-contained page (no external assets, works
 *                 offline) that loads /dr.json every 5 s and draws the
 *                 scopes, the topics, what is wrong and a lag chart
 *   GET /dr.json  the last status document (the shape of linker/lnk_dr.h)
 *                 plus "history": [[ms, topic_records, topic_ms,
 *                 schema_changes], ...] of the last hour
 * A sampler thread calls the owner's function every `interval_ms` and keeps
 * the last document and one sample per call (a ring of an hour), so the
 * page answers at once whatever the endpoints behind it do and the chart
 * has its hour even when nobody watched. Served through fy_obs (fy_obs.h),
 * behind the same authentication as /metrics.
 * Thread: the sampler's own; fy_statuspage_serve from any. */
#ifndef FY_STATUSPAGE_H
#define FY_STATUSPAGE_H

#include "common/fy_err.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* The status document at wall time `now_ms` (**new**). Thread: the sampler. */
typedef json_t *(*fy_statuspage_fn)(void *arg, int64_t now_ms);

struct fy_statuspage;

/* Start sampling `fn(arg)` every `interval_ms` (100 .. 3600000; the ring
 * holds an hour of samples). A **new** page, or NULL with err. */
struct fy_statuspage *fy_statuspage_start(fy_statuspage_fn fn, void *arg, int interval_ms,
                                          struct fy_err *err);
/* Stop the sampler (waits for a call in progress) and free. NULL is a no-op. */
void fy_statuspage_stop(struct fy_statuspage *sp);

/* If `path` is /dr or /dr.json: true with *status, *body (**new**) and
 * *ctype (static); /dr.json answers 503 until the first sample is taken. */
bool fy_statuspage_serve(struct fy_statuspage *sp, const char *path, int *status, char **body,
                         const char **ctype);

/* The route label of /dr or /dr.json (static), NULL for any other path. */
const char *fy_statuspage_route(const char *path);

#endif
