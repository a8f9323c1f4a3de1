/* SPDX-License-Identifier: Apache-2.0
 * mir_kafka: client creation, log routing, admin waits (see mir_kafka.h). */
#include "mirror/mir_kafka.h"

#include "common/fy_log.h"

#include <string.h>
#include <time.h>

/* librdkafka log callback: runs on librdkafka's threads; fy_log is thread-safe. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    enum fy_log_level lv = level <= 3 ? FY_LOG_ERROR : level <= 4 ? FY_LOG_WARN
                         : level <= 6 ? FY_LOG_INFO : FY_LOG_DEBUG;
    fy_log(lv, "librdkafka", "client=%s fac=%s msg=\"%s\"", rd_kafka_name(rk), fac, buf);
}

static int set(rd_kafka_conf_t *conf, const char *key, const char *value, struct fy_err *err)
{
    char errstr[512];
    if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        return fy_err_set(err, FY_E_CONFIG, "librdkafka property '%s': %s", key, errstr);
    return 0;
}

rd_kafka_t *mir_kafka_new(rd_kafka_type_t type, const char *bootstrap, const struct mir_kv *defaults,
                          const struct fy_props *props, void *opaque, mir_dr_fn dr_cb,
                          mir_error_fn error_cb, struct fy_err *err)
{
    char errstr[512];
    rd_kafka_t *rk = NULL;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (set(conf, "bootstrap.servers", bootstrap, err) != 0)
        goto out;
    for (size_t i = 0; defaults && defaults[i].key; i++)
        if (set(conf, defaults[i].key, defaults[i].value, err) != 0)
            goto out;
    for (size_t i = 0; props && i < props->n; i++) {
        const struct fy_prop *pr = &props->items[i];
        if (rd_kafka_conf_set(conf, pr->key, pr->value, errstr, sizeof errstr) ==
            RD_KAFKA_CONF_OK)
            continue;
        /* file and line once, then librdkafka's whole message */
        if (pr->line)
            fy_err_set(err, FY_E_CONFIG, "%s:%d: librdkafka property '%s': %s", props->path,
                       pr->line, pr->key, errstr);
        else
            fy_err_set(err, FY_E_CONFIG, "librdkafka property '%s': %s", pr->key, errstr);
        goto out;
    }
    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_opaque(conf, opaque);
    if (dr_cb)
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    if (error_cb)
        rd_kafka_conf_set_error_cb(conf, error_cb);
    rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (!rk) {
        fy_err_set(err, FY_E_KAFKA, "rd_kafka_new: %s", errstr);
        goto out;
    }
    conf = NULL; /* owned by rk from here */
out:
    if (conf)
        rd_kafka_conf_destroy(conf);
    return rk;
}

rd_kafka_event_t *mir_kafka_admin_wait(rd_kafka_queue_t *q, rd_kafka_event_type_t type,
                                       int timeout_ms, const atomic_bool *stop,
                                       struct fy_err *err)
{
    int64_t deadline = mir_mono_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - mir_mono_ms();
        if (stop && atomic_load(stop)) {
            fy_err_set(err, FY_E_TIMEOUT, "admin request abandoned: stopping");
            return NULL;
        }
        if (left < 0) {
            fy_err_set(err, FY_E_TIMEOUT, "admin request timed out after %d ms", timeout_ms);
            return NULL;
        }
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, left > 100 ? 100 : (int)left);
        if (!ev)
            continue;
        if (rd_kafka_event_type(ev) != type) {
            rd_kafka_event_destroy(ev); /* a stale result of an earlier timed-out request */
            continue;
        }
        if (rd_kafka_event_error(ev)) {
            fy_err_set(err, FY_E_KAFKA, "%s", rd_kafka_event_error_string(ev));
            rd_kafka_event_destroy(ev);
            return NULL;
        }
        return ev;
    }
}

int mir_kafka_create_topic(rd_kafka_t *rk, const char *name, int32_t partitions, int rf,
                           const char *const *configs, size_t n_configs, int timeout_ms,
                           const atomic_bool *stop, struct fy_err *err)
{
    char errstr[512];
    int rc = -1;
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(name, partitions, rf, errstr, sizeof errstr);
    rd_kafka_AdminOptions_t *o = mir_kafka_admin_options(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS,
                                                         timeout_ms);
    rd_kafka_event_t *ev = NULL;
    if (!nt) {
        fy_err_set(err, FY_E_KAFKA, "topic %s: %s", name, errstr);
        goto out;
    }
    for (size_t i = 0; i + 1 < n_configs; i += 2)
        rd_kafka_NewTopic_set_config(nt, configs[i], configs[i + 1]);
    rd_kafka_CreateTopics(rk, &nt, 1, o, q);
    ev = mir_kafka_admin_wait(q, RD_KAFKA_EVENT_CREATETOPICS_RESULT, timeout_ms + 1000, stop, err);
    if (!ev)
        goto out;
    size_t n = 0;
    const rd_kafka_topic_result_t **tr =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    rd_kafka_resp_err_t e = n == 1 ? rd_kafka_topic_result_error(tr[0])
                                   : RD_KAFKA_RESP_ERR_NO_ERROR;
    if (e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        rc = 1;
        goto out;
    }
    if (e) {
        fy_err_set(err, FY_E_KAFKA, "create topic %s: %s", name,
                   rd_kafka_topic_result_error_string(tr[0]));
        goto out;
    }
    rc = 0;
out:
    if (ev)
        rd_kafka_event_destroy(ev);
    if (nt)
        rd_kafka_NewTopic_destroy(nt);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

rd_kafka_AdminOptions_t *mir_kafka_admin_options(rd_kafka_t *rk, rd_kafka_admin_op_t op,
                                                 int timeout_ms)
{
    char errstr[256];
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, op);
    rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, errstr, sizeof errstr);
    return o;
}

void mir_deadline_abs(int64_t ms, struct timespec *abs)
{
    clock_gettime(CLOCK_REALTIME, abs);
    abs->tv_sec += ms / 1000;
    abs->tv_nsec += (ms % 1000) * 1000000;
    if (abs->tv_nsec >= 1000000000) {
        abs->tv_sec++;
        abs->tv_nsec -= 1000000000;
    }
}

int64_t mir_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mir_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
