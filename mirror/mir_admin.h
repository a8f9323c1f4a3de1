/* SPDX-License-Identifier: Apache-2.0
 * mir_admin: the local admin HTTP endpoint of `ferry mirror` (JSON).
 *   GET  /status[?topic=T]                      states, lag per partition (records, ms)
 *   POST /pause|/resume|/failover[?topic=T]     all topics without `topic`
 *   POST /promote?topic=T[&timeout_ms=N]        waits for lag 0 + final offset sync
 *   POST /groups/sync                           a group offset sync now (202, requested_ms)
 *   GET  /metrics, /health/live, /health/ready  Prometheus text; probes (fy_obs.h)
 *   GET  /dr, /dr.json                          the status page (fy_statuspage.h)
 * Handlers only translate HTTP to mir_worker_request: status comes from the
 * copy thread's snapshot, operations are run by the copy thread.
 * Thread: libmicrohttpd's, one per connection (promote may wait long). */
#ifndef MIR_ADMIN_H
#define MIR_ADMIN_H

#include "common/fy_auth.h"
#include "common/fy_err.h"
#include "mirror/mir_worker.h"

struct mir_admin;

/* Listen on `listen` (HOST:PORT, IPv4; port 0 = any) for `w` (borrowed; must
 * outlive the server). `auth` (borrowed, may be NULL = open): requests
 * authenticate as on ferry serve; GET /status needs read, the operations
 * admin. A **new** server, or NULL with err. Thread: main. */
struct mir_admin *mir_admin_start(const char *listen, struct mir_worker *w,
                                  const struct fy_auth *auth, struct fy_err *err);
/* The bound port. */
int mir_admin_port(const struct mir_admin *a);
/* Stop serving and free. NULL is a no-op. */
void mir_admin_stop(struct mir_admin *a);

#endif
