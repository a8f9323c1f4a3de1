/* SPDX-License-Identifier: Apache-2.0
 * lnk_service: the exporters that run inside `ferry serve` (sr-api §11):
 * the /exporters REST API (served through the registry's route extension),
 * their definitions and positions journaled in the registry's own store
 * (EXPORTER / EXPORTER_STATE records, which the registry index skips), and
 * one worker thread per exporter that follows the store's change feed and
 * writes to the destination registry (lnk_worker.c).
 * Thread: created and freed on the main thread; the handler runs on MHD
 * pool threads; workers are threads of their own. */
#ifndef LNK_SERVICE_H
#define LNK_SERVICE_H

#include "common/fy_buf.h"
#include "common/fy_err.h"
#include "common/fy_secret.h"
#include "common/fy_metrics.h"
#include "registry/reg_registry.h"
#include "registry/reg_route.h"

struct lnk_service;

/* Bounds on what clients can make the service start (issue 11). */
struct lnk_service_opts {
    size_t max_exporters; /* creating one more answers 40964; 0 = 32 */
    size_t max_lanes;     /* sender threads per exporter: max.in.flight is capped to it;
                           * 0 = 8 (max.in.flight's default) */
    const struct fy_secret_box *secrets; /* seals credentials of exporter configs in the
                           * journal (borrowed, outlives the service); NULL = kept in clear */
    struct fy_metrics *metrics; /* borrowed, may be NULL: exporter state, lag and errors
                                 * are published there while the service lives */
};

/* Replay the exporters journaled in `r`'s store, start their workers (each
 * resumes from its journaled position) and register the "exporters" route
 * extension on `r`. Call before reg_http_start(). NULL with err on failure.
 * `r` must outlive the service. `opts` NULL = the defaults. Exporters already
 * journaled all start, even beyond max_exporters. */
struct lnk_service *lnk_service_new(struct reg_registry *r, const struct lnk_service_opts *opts,
                                    struct fy_err *err);
/* Stop every worker (each journals its position first) and free. Call after
 * reg_http_stop() and before reg_registry_close(). NULL-safe. */
void lnk_service_free(struct lnk_service *svc);

/* The route extension (reg_route_ext_fn): /exporters[/{name}[/status|config|
 * pause|resume|reset]]. `arg` is the service. */
int lnk_service_handle(void *arg, const struct reg_ext_req *req, struct fy_buf *out,
                       struct fy_err *err);

#endif
