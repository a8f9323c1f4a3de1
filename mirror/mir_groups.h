/* SPDX-License-Identifier: Apache-2.0
 * mir_groups: consumer-group offset sync. For every source group the filter
 * selects, its committed source offsets on mirrored topics are translated
 * through the offset map and committed on the destination — only for groups
 * with no active member there, and never moving a destination offset
 * backwards (the MM2 / Cluster Linking / KIP-1279 rule, mirroring.md §2.6, §5.4).
 * Thread: the mirror's control thread (blocking admin calls, each with a
 * deadline, abandoned within 100 ms once *stop is set). */
#ifndef MIR_GROUPS_H
#define MIR_GROUPS_H

#include "common/fy_err.h"
#include "mirror/mir_filter.h"

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stdint.h>

/* Translate source position `pos` of `src_topic`/`partition`: 0 with a
 * borrowed *dst_topic (valid until the worker changes its topics) and *out,
 * or -1 when the partition is not synced (not mirrored, stopped, unknown). */
typedef int (*mir_translate_fn)(void *opaque, const char *src_topic, int32_t partition,
                                int64_t pos, const char **dst_topic, int64_t *out);

struct mir_groups_stats {
    int groups;          /* source groups selected */
    int synced;          /* groups with at least one offset written */
    int skipped_active;  /* groups with members on the destination */
    int offsets;         /* partition offsets written */
    int unread;          /* groups whose source offsets could not be read */
};

/* When a round goes on. librdkafka 2.0.2 (and every release so far:
 * librdkafka #4605, fix proposed in #5397) aborts the process in
 * rd_kafka_enq_once_del_source_return when a coordinator-bound admin request
 * (ListConsumerGroupOffsets, DescribeConsumerGroups, AlterConsumerGroupOffsets)
 * is sent to a coordinator whose connection is down. So no such request goes
 * to a cluster whose flag says its brokers are down (set by the clients'
 * error callbacks, cleared by the next answer): the group waits for the next
 * round. Any pointer may be NULL. */
struct mir_groups_gate {
    const atomic_bool *stop;     /* abandon the round */
    const atomic_bool *src_down; /* the source's brokers are down */
    const atomic_bool *dst_down; /* the destination's brokers are down */
};

/* One sync round. `skip_prefix` names groups never synced (the mirror's own
 * position group). Per-group failures are logged and skipped; -1 with err
 * only when the source groups cannot be listed. */
int mir_groups_sync(rd_kafka_t *src, rd_kafka_t *dst, const struct mir_filter *filter,
                    const char *skip_prefix, mir_translate_fn fn, void *opaque, int timeout_ms,
                    const struct mir_groups_gate *gate, struct mir_groups_stats *st,
                    struct fy_err *err);

#endif
