/* SPDX-License-Identifier: Apache-2.0
 * mir_groups: translate and commit consumer-group offsets on the destination
 * (see mir_groups.h). Thread: the mirror's control thread. */
#include "mirror/mir_groups.h"

#include "common/fy_alloc.h"
#include "common/fy_log.h"
#include "mirror/mir_kafka.h"

#include <stdlib.h>
#include <string.h>

/* Committed offsets of `group` on `rk` (all partitions when `parts` is NULL):
 * a **new** list, or NULL (logged). */
static rd_kafka_topic_partition_list_t *
list_offsets(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *group,
             const rd_kafka_topic_partition_list_t *parts, int timeout_ms,
             const atomic_bool *stop)
{
    struct fy_err err = {0};
    rd_kafka_topic_partition_list_t *res = NULL;
    rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group, parts);
    rd_kafka_AdminOptions_t *o =
        mir_kafka_admin_options(rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout_ms);
    rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, o, q);
    rd_kafka_event_t *ev =
        mir_kafka_admin_wait(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, timeout_ms, stop,
                             &err);
    if (ev) {
        size_t n = 0;
        const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(
            rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
        if (n == 1 && !rd_kafka_group_result_error(gr[0]) &&
            rd_kafka_group_result_partitions(gr[0]))
            res = rd_kafka_topic_partition_list_copy(rd_kafka_group_result_partitions(gr[0]));
        rd_kafka_event_destroy(ev);
    } else {
        fy_log(FY_LOG_WARN, "mirror", "msg=\"list group offsets failed\" client=%s group=%s err=\"%s\"",
               rd_kafka_name(rk), group, err.msg);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    return res;
}

/* True when `group` has no active member on `rk` (EMPTY, or DEAD = unknown). */
static bool group_inactive(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *group,
                           int timeout_ms, const atomic_bool *stop)
{
    struct fy_err err = {0};
    bool inactive = false;
    const char *groups[1] = {group};
    rd_kafka_AdminOptions_t *o =
        mir_kafka_admin_options(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, timeout_ms);
    rd_kafka_DescribeConsumerGroups(rk, groups, 1, o, q);
    rd_kafka_event_t *ev =
        mir_kafka_admin_wait(q, RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, timeout_ms, stop,
                             &err);
    if (ev) {
        size_t n = 0;
        const rd_kafka_ConsumerGroupDescription_t **d = rd_kafka_DescribeConsumerGroups_result_groups(
            rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
        if (n == 1) {
            const rd_kafka_error_t *e = rd_kafka_ConsumerGroupDescription_error(d[0]);
            rd_kafka_consumer_group_state_t s = rd_kafka_ConsumerGroupDescription_state(d[0]);
            inactive = e ? rd_kafka_error_code(e) == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND
                         : (s == RD_KAFKA_CONSUMER_GROUP_STATE_EMPTY ||
                            s == RD_KAFKA_CONSUMER_GROUP_STATE_DEAD);
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    return inactive;
}

static int alter_offsets(rd_kafka_t *rk, rd_kafka_queue_t *q, const char *group,
                         const rd_kafka_topic_partition_list_t *parts, int timeout_ms,
                         const atomic_bool *stop, struct fy_err *err)
{
    int rc = -1;
    rd_kafka_AlterConsumerGroupOffsets_t *req = rd_kafka_AlterConsumerGroupOffsets_new(group, parts);
    rd_kafka_AdminOptions_t *o =
        mir_kafka_admin_options(rk, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, timeout_ms);
    rd_kafka_AlterConsumerGroupOffsets(rk, &req, 1, o, q);
    rd_kafka_event_t *ev =
        mir_kafka_admin_wait(q, RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT, timeout_ms, stop,
                             err);
    if (ev) {
        size_t n = 0;
        const rd_kafka_group_result_t **gr = rd_kafka_AlterConsumerGroupOffsets_result_groups(
            rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
        const rd_kafka_error_t *e = n == 1 ? rd_kafka_group_result_error(gr[0]) : NULL;
        /* an active group answers UNKNOWN_MEMBER_ID: it joined since we looked */
        if (e)
            fy_err_set(err, FY_E_KAFKA, "%s", rd_kafka_error_string(e));
        else
            rc = 0;
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_AlterConsumerGroupOffsets_destroy(req);
    return rc;
}

static bool is_set(const atomic_bool *flag)
{
    return flag && atomic_load(flag);
}

/* A coordinator-bound request may go to the cluster (see mir_groups_gate). */
static bool may_ask(const atomic_bool *down, const char *side, const char *group)
{
    if (!is_set(down))
        return true;
    fy_log(FY_LOG_DEBUG, "mirror", "msg=\"group not synced: %s brokers down\" group=%s", side,
           group);
    return false;
}

static void sync_group(rd_kafka_t *src, rd_kafka_t *dst, rd_kafka_queue_t *q,
                       rd_kafka_queue_t *qd, const char *group,
                       mir_translate_fn fn, void *opaque, int timeout_ms,
                       const struct mir_groups_gate *gate, struct mir_groups_stats *st)
{
    struct fy_err err = {0};
    const atomic_bool *stop = gate ? gate->stop : NULL;
    const atomic_bool *src_down = gate ? gate->src_down : NULL;
    const atomic_bool *dst_down = gate ? gate->dst_down : NULL;
    rd_kafka_topic_partition_list_t *srcoff =
        may_ask(src_down, "source", group) ? list_offsets(src, q, group, NULL, timeout_ms, stop)
                                           : NULL;
    rd_kafka_topic_partition_list_t *want = rd_kafka_topic_partition_list_new(8);
    rd_kafka_topic_partition_list_t *cur = NULL, *write = NULL;
    if (!srcoff) {
        st->unread++;
        goto out;
    }
    for (int i = 0; i < srcoff->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &srcoff->elems[i];
        const char *dst_topic = NULL;
        int64_t d = -1;
        if (p->err || p->offset < 0)
            continue;
        if (fn(opaque, p->topic, p->partition, p->offset, &dst_topic, &d) != 0)
            continue;
        rd_kafka_topic_partition_list_add(want, dst_topic, p->partition)->offset = d;
    }
    if (want->cnt == 0 || !may_ask(dst_down, "destination", group))
        goto out;
    if (!group_inactive(dst, qd, group, timeout_ms, stop)) {
        st->skipped_active++;
        fy_log(FY_LOG_DEBUG, "mirror", "msg=\"group active on destination, not synced\" group=%s",
               group);
        goto out;
    }
    if (!may_ask(dst_down, "destination", group))
        goto out;
    cur = list_offsets(dst, qd, group, want, timeout_ms, stop);
    write = rd_kafka_topic_partition_list_new(want->cnt);
    for (int i = 0; i < want->cnt; i++) {
        const rd_kafka_topic_partition_t *w = &want->elems[i];
        const rd_kafka_topic_partition_t *c =
            cur ? rd_kafka_topic_partition_list_find(cur, w->topic, w->partition) : NULL;
        /* never backwards: a destination consumer may already be further */
        if (c && !c->err && c->offset >= w->offset)
            continue;
        rd_kafka_topic_partition_list_add(write, w->topic, w->partition)->offset = w->offset;
    }
    if (write->cnt == 0 || !may_ask(dst_down, "destination", group))
        goto out;
    if (alter_offsets(dst, qd, group, write, timeout_ms, stop, &err) != 0) {
        fy_log(FY_LOG_WARN, "mirror", "msg=\"group offset commit failed\" group=%s err=\"%s\"",
               group, err.msg);
        goto out;
    }
    st->synced++;
    st->offsets += write->cnt;
    for (int i = 0; i < write->cnt; i++)
        fy_log(FY_LOG_DEBUG, "mirror", "msg=\"group offset synced\" group=%s topic=%s partition=%d "
               "offset=%lld", group, write->elems[i].topic, (int)write->elems[i].partition,
               (long long)write->elems[i].offset);
out:
    if (srcoff)
        rd_kafka_topic_partition_list_destroy(srcoff);
    if (cur)
        rd_kafka_topic_partition_list_destroy(cur);
    if (write)
        rd_kafka_topic_partition_list_destroy(write);
    rd_kafka_topic_partition_list_destroy(want);
}

int mir_groups_sync(rd_kafka_t *src, rd_kafka_t *dst, const struct mir_filter *filter,
                    const char *skip_prefix, mir_translate_fn fn, void *opaque, int timeout_ms,
                    const struct mir_groups_gate *gate, struct mir_groups_stats *st,
                    struct fy_err *err)
{
    const atomic_bool *stop = gate ? gate->stop : NULL;
    int rc = -1;
    rd_kafka_queue_t *q = rd_kafka_queue_new(src);
    rd_kafka_queue_t *qd = rd_kafka_queue_new(dst);
    rd_kafka_AdminOptions_t *o =
        mir_kafka_admin_options(src, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, timeout_ms);
    rd_kafka_event_t *ev = NULL;
    char **names = NULL;
    size_t n_names = 0;
    memset(st, 0, sizeof *st);
    if (mir_filter_empty(filter)) {
        rc = 0;
        goto out;
    }
    rd_kafka_ListConsumerGroups(src, o, q);
    ev = mir_kafka_admin_wait(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, timeout_ms, stop, err);
    if (!ev)
        goto out;
    size_t n = 0;
    const rd_kafka_ConsumerGroupListing_t **gl = rd_kafka_ListConsumerGroups_result_valid(
        rd_kafka_event_ListConsumerGroups_result(ev), &n);
    names = fy_calloc(n ? n : 1, sizeof *names);
    for (size_t i = 0; i < n; i++) {
        const char *g = rd_kafka_ConsumerGroupListing_group_id(gl[i]);
        if (strncmp(g, skip_prefix, strlen(skip_prefix)) == 0 || !mir_filter_match(filter, g))
            continue;
        names[n_names++] = fy_strdup(g);
    }
    /* the listing belongs to the event: copy names out before the slow part */
    rd_kafka_event_destroy(ev);
    ev = NULL;
    for (size_t i = 0; i < n_names; i++) {
        st->groups++;
        if (is_set(stop))
            break;
        sync_group(src, dst, q, qd, names[i], fn, opaque, timeout_ms, gate, st);
    }
    rc = 0;
out:
    for (size_t i = 0; i < n_names; i++)
        free(names[i]);
    free(names);
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    rd_kafka_queue_destroy(qd);
    return rc;
}
