/* SPDX-License-Identifier: Apache-2.0
 * mir_kafka: librdkafka glue shared by the mirror modules — client creation
 * with ferry's defaults overlaid by the pass-through properties, librdkafka
 * logs routed into fy_log, and blocking waits on admin results.
 * Thread: any (each handle is used by the mirror worker only). */
#ifndef MIR_KAFKA_H
#define MIR_KAFKA_H

#include "common/fy_err.h"
#include "common/fy_props.h"

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stdbool.h>

struct mir_kv {
    const char *key, *value;
};

typedef void (*mir_dr_fn)(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);
typedef void (*mir_error_fn)(rd_kafka_t *rk, int err, const char *reason, void *opaque);

/* New client of `type` for `bootstrap`: `defaults` (NULL-key terminated)
 * first, then every pass-through property in `props` (so a user can override
 * a default). `dr_cb` (producers) and `error_cb` are installed when non-NULL,
 * with `opaque` as the handle opaque. Returns a **new** handle, or NULL with
 * err (FY_E_CONFIG for a property librdkafka rejects, naming the file and
 * line once, then librdkafka's message; FY_E_KAFKA otherwise). */
rd_kafka_t *mir_kafka_new(rd_kafka_type_t type, const char *bootstrap, const struct mir_kv *defaults,
                          const struct fy_props *props, void *opaque, mir_dr_fn dr_cb,
                          mir_error_fn error_cb, struct fy_err *err);

/* Wait up to `timeout_ms` for the admin result of `type` on `q`: a **new**
 * event (rd_kafka_event_destroy), or NULL with err (FY_E_TIMEOUT/FY_E_KAFKA).
 * Gives up within 100 ms once *stop (may be NULL) is set. */
rd_kafka_event_t *mir_kafka_admin_wait(rd_kafka_queue_t *q, rd_kafka_event_type_t type,
                                       int timeout_ms, const atomic_bool *stop,
                                       struct fy_err *err);

/* CreateTopics for one topic with `configs` (n_configs strings, key/value
 * pairs). 0 when created, 1 when it existed already, -1 with err. */
int mir_kafka_create_topic(rd_kafka_t *rk, const char *name, int32_t partitions, int rf,
                           const char *const *configs, size_t n_configs, int timeout_ms,
                           const atomic_bool *stop, struct fy_err *err);

/* Admin options for `op` with a request timeout (a **new** object). */
rd_kafka_AdminOptions_t *mir_kafka_admin_options(rd_kafka_t *rk, rd_kafka_admin_op_t op,
                                                 int timeout_ms);

/* *abs = the CLOCK_REALTIME time `ms` from now, for pthread_cond_timedwait. */
struct timespec;
void mir_deadline_abs(int64_t ms, struct timespec *abs);

/* Wall clock in ms, and a monotonic clock in ms. */
int64_t mir_now_ms(void);
int64_t mir_mono_ms(void);

#endif
