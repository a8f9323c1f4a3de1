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

struct mir_kv {
    const char *key, *value;
};

/* New client of `type` for `bootstrap`: `defaults` (NULL-key terminated)
 * first, then every pass-through property in `props` (so a user can override
 * a default). `dr_cb` is installed when non-NULL (producers), with `opaque`
 * as the handle opaque. Returns a **new** handle, or NULL with err (FY_E_CONFIG
 * for a property librdkafka rejects, FY_E_KAFKA otherwise). */
rd_kafka_t *mir_kafka_new(rd_kafka_type_t type, const char *bootstrap, const struct mir_kv *defaults,
                          const struct fy_props *props, void *opaque,
                          void (*dr_cb)(rd_kafka_t *, const rd_kafka_message_t *, void *),
                          struct fy_err *err);

/* Wait up to `timeout_ms` for the admin result of `type` on `q`: a **new**
 * event (rd_kafka_event_destroy), or NULL with err (FY_E_TIMEOUT/FY_E_KAFKA). */
rd_kafka_event_t *mir_kafka_admin_wait(rd_kafka_queue_t *q, rd_kafka_event_type_t type,
                                       int timeout_ms, struct fy_err *err);

/* Admin options for `op` with a request timeout (a **new** object). */
rd_kafka_AdminOptions_t *mir_kafka_admin_options(rd_kafka_t *rk, rd_kafka_admin_op_t op,
                                                 int timeout_ms);

/* Wall clock in ms, and a monotonic clock in ms. */
int64_t mir_now_ms(void);
int64_t mir_mono_ms(void);

#endif
