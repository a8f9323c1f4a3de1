/* SPDX-License-Identifier: Apache-2.0
 * rdk_copy: the bare librdkafka consume→produce loop that scenario 8 of
 * `make bench` holds `ferry mirror` against (scripts/bench/mirror_bench.py).
 * It does what the mirror's data path does — assign every source partition
 * from the beginning (no group, no commits), produce each record to the same
 * partition of the destination topic with the same key, value, headers and
 * timestamp, zero-copy, with the mirror's default client settings — and
 * nothing else: no offset map, no positions, no provenance header, no state
 * topic. Stops after N acknowledged records and prints the elapsed time.
 * Thread: main; delivery reports are served by rd_kafka_poll on main. */
#include <librdkafka/rdkafka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define BATCH 1024

struct copy {
    rd_kafka_t *src, *dst;
    rd_kafka_queue_t *src_q;
    rd_kafka_topic_t *dst_rkt;
    int64_t want;          /* records to copy */
    int64_t produced;
    int64_t acked;
    int64_t failed;
    int64_t value_bytes;   /* acknowledged value bytes */
    int64_t record_bytes;  /* acknowledged key + value bytes */
};

struct kv {
    const char *key, *value;
};

/* The mirror's defaults (mirror/mir_worker.c, mir_worker_new), so that the
 * two differ only by the mirror's bookkeeping: same fetch sizes, same batching,
 * same idempotent producer, no compression (librdkafka's default). */
static const struct kv src_defaults[] = {{"group.id", "rdk-copy"},
                                         {"enable.auto.commit", "false"},
                                         {"enable.auto.offset.store", "false"},
                                         {"enable.partition.eof", "false"},
                                         {"isolation.level", "read_committed"},
                                         {"fetch.wait.max.ms", "100"},
                                         {"queued.max.messages.kbytes", "131072"},
                                         {"max.partition.fetch.bytes", "4194304"},
                                         {"client.id", "rdk-copy-source"},
                                         {NULL, NULL}};
static const struct kv dst_defaults[] = {{"enable.idempotence", "true"},
                                         {"message.timeout.ms", "0"},
                                         {"linger.ms", "20"},
                                         {"batch.size", "1000000"},
                                         {"queue.buffering.max.kbytes", "262144"},
                                         {"queue.buffering.max.messages", "200000"},
                                         {"client.id", "rdk-copy-destination"},
                                         {NULL, NULL}};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds (user + system, all threads) used so far: the benchmark compares
 * it with the mirror's, a figure the machine's other load disturbs less. */
static double cpu_s(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static void usage(FILE *f)
{
    fputs("usage: rdk_copy --source BOOTSTRAP --destination BOOTSTRAP --topic SRC\n"
          "                --to-topic DST --partitions N --count N [--timeout-s S]\n"
          "Copies the first N records of SRC's partitions 0..N-1 to the same partitions\n"
          "of DST (which must exist) and prints RDK_COPY records=.. elapsed_s=.. mb_s=..\n",
          f);
}

/* Runs inside rd_kafka_poll(dst): the source message stays alive until its
 * copy is acknowledged, because the produced key and value point into it. */
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    struct copy *cp = opaque;
    rd_kafka_message_t *src = m->_private;
    (void)rk;
    if (m->err) {
        if (cp->failed++ == 0)
            fprintf(stderr, "rdk_copy: delivery failed: %s\n", rd_kafka_err2str(m->err));
    } else {
        cp->acked++;
        cp->value_bytes += (int64_t)src->len;
        cp->record_bytes += (int64_t)(src->len + src->key_len);
    }
    rd_kafka_message_destroy(src);
}

static rd_kafka_t *client_new(rd_kafka_type_t type, const char *bootstrap,
                              const struct kv *defaults, struct copy *cp)
{
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof errstr))
        goto fail;
    for (size_t i = 0; defaults[i].key; i++)
        if (rd_kafka_conf_set(conf, defaults[i].key, defaults[i].value, errstr, sizeof errstr))
            goto fail;
    rd_kafka_conf_set_opaque(conf, cp);
    if (type == RD_KAFKA_PRODUCER)
        rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_t *rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
    if (rk)
        return rk;
    fprintf(stderr, "rdk_copy: rd_kafka_new: %s\n", errstr);
    rd_kafka_conf_destroy(conf); /* rd_kafka_new takes conf only on success */
    return NULL;
fail:
    fprintf(stderr, "rdk_copy: %s\n", errstr);
    rd_kafka_conf_destroy(conf);
    return NULL;
}

static int assign_all(struct copy *cp, const char *topic, int partitions)
{
    rd_kafka_topic_partition_list_t *tp = rd_kafka_topic_partition_list_new(partitions);
    for (int p = 0; p < partitions; p++)
        rd_kafka_topic_partition_list_add(tp, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_resp_err_t e = rd_kafka_assign(cp->src, tp);
    rd_kafka_topic_partition_list_destroy(tp);
    if (e) {
        fprintf(stderr, "rdk_copy: assign: %s\n", rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

/* Produce one consumed record (steals `m`: freed by its delivery report, or
 * here when it is not produced). 0, or -1 on a produce error. */
static int copy_one(struct copy *cp, rd_kafka_message_t *m)
{
    if (m->err || cp->produced >= cp->want) {
        if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            fprintf(stderr, "rdk_copy: consume: %s\n", rd_kafka_message_errstr(m));
        rd_kafka_message_destroy(m);
        return 0;
    }
    rd_kafka_headers_t *hdrs = NULL;
    if (rd_kafka_message_detach_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR)
        hdrs = NULL;
    rd_kafka_timestamp_type_t tt;
    int64_t ts = rd_kafka_message_timestamp(m, &tt);
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            cp->dst, RD_KAFKA_V_RKT(cp->dst_rkt), RD_KAFKA_V_PARTITION(m->partition),
            RD_KAFKA_V_KEY(m->key, m->key_len), RD_KAFKA_V_VALUE(m->payload, m->len),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_TIMESTAMP(ts > 0 ? ts : 0),
            RD_KAFKA_V_OPAQUE(m), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            break;
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(cp->dst, 10); /* delivery reports free queue space */
            continue;
        }
        fprintf(stderr, "rdk_copy: produce: %s\n", rd_kafka_err2str(e));
        if (hdrs)
            rd_kafka_headers_destroy(hdrs);
        rd_kafka_message_destroy(m);
        return -1;
    }
    cp->produced++;
    return 0;
}

/* Consume and produce until `want` records are acknowledged or the deadline. */
static int run(struct copy *cp, double deadline)
{
    rd_kafka_message_t *batch[BATCH];
    while (cp->acked + cp->failed < cp->want) {
        if (now_s() > deadline) {
            fprintf(stderr, "rdk_copy: deadline: %" PRId64 " of %" PRId64 " acknowledged\n",
                    cp->acked, cp->want);
            return -1;
        }
        if (cp->produced < cp->want) {
            ssize_t n = rd_kafka_consume_batch_queue(cp->src_q, 50, batch, BATCH);
            for (ssize_t i = 0; i < n; i++)
                if (copy_one(cp, batch[i]) != 0) {
                    for (ssize_t k = i + 1; k < n; k++)
                        rd_kafka_message_destroy(batch[k]);
                    return -1;
                }
            rd_kafka_poll(cp->dst, 0);
        } else {
            rd_kafka_poll(cp->dst, 50);
        }
    }
    return cp->failed ? -1 : 0;
}

static int parse_int(const char *s, long long min, long long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    const char *src_bs = NULL, *dst_bs = NULL, *topic = NULL, *to_topic = NULL;
    long long partitions = 0, count = 0, timeout_s = 600;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = !v;
        if (!bad && strcmp(a, "--source") == 0)
            src_bs = v;
        else if (!bad && strcmp(a, "--destination") == 0)
            dst_bs = v;
        else if (!bad && strcmp(a, "--topic") == 0)
            topic = v;
        else if (!bad && strcmp(a, "--to-topic") == 0)
            to_topic = v;
        else if (!bad && strcmp(a, "--partitions") == 0)
            bad = parse_int(v, 1, &partitions);
        else if (!bad && strcmp(a, "--count") == 0)
            bad = parse_int(v, 1, &count);
        else if (!bad && strcmp(a, "--timeout-s") == 0)
            bad = parse_int(v, 1, &timeout_s);
        else
            bad = 1;
        if (bad) {
            usage(stderr);
            return 2;
        }
        i++;
    }
    if (!src_bs || !dst_bs || !topic || !to_topic || !partitions || !count) {
        usage(stderr);
        return 2;
    }
    int status = 1;
    struct copy cp = {.want = count};
    cp.src = client_new(RD_KAFKA_CONSUMER, src_bs, src_defaults, &cp);
    cp.dst = client_new(RD_KAFKA_PRODUCER, dst_bs, dst_defaults, &cp);
    if (!cp.src || !cp.dst)
        goto out;
    rd_kafka_poll_set_consumer(cp.src);
    cp.src_q = rd_kafka_queue_get_consumer(cp.src);
    cp.dst_rkt = rd_kafka_topic_new(cp.dst, to_topic, NULL);
    double t0 = now_s();
    if (assign_all(&cp, topic, (int)partitions) != 0)
        goto out;
    int rc = run(&cp, t0 + (double)timeout_s);
    double el = now_s() - t0;
    printf("RDK_COPY records=%" PRId64 " failed=%" PRId64 " value_bytes=%" PRId64
           " record_bytes=%" PRId64 " elapsed_s=%.3f mb_s=%.1f cpu_s=%.2f\n",
           cp.acked, cp.failed, cp.value_bytes, cp.record_bytes, el,
           el > 0 ? (double)cp.value_bytes / 1e6 / el : 0.0, cpu_s());
    status = rc == 0 ? 0 : 1;
out:
    if (cp.src_q)
        rd_kafka_queue_destroy(cp.src_q);
    if (cp.src) {
        rd_kafka_consumer_close(cp.src);
        rd_kafka_destroy(cp.src);
    }
    if (cp.dst_rkt)
        rd_kafka_topic_destroy(cp.dst_rkt);
    if (cp.dst) {
        /* records fetched past `want` were never produced; anything still queued
         * after a failure is purged so destroy does not wait on it */
        rd_kafka_purge(cp.dst, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(cp.dst, 0);
        rd_kafka_destroy(cp.dst);
    }
    return status;
}
