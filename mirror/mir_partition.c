/* SPDX-License-Identifier: Apache-2.0
 * mir_partition: per-partition mirror bookkeeping (see mir_partition.h).
 * Thread: mirror worker only. */
#include "mirror/mir_partition.h"

#include "common/fy_alloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void mir_partition_init(struct mir_partition *mp, int32_t partition)
{
    memset(mp, 0, sizeof *mp);
    mp->partition = partition;
    mir_offsetmap_init(&mp->map);
    mp->done_src = mp->skip_src = mp->produced_src = -1;
    mp->stable_pos = mp->stable_end_src = mp->stable_end_dst = -1;
    mp->committed_pos = -1;
    mp->hwm = -1;
    mp->last_ack_ts = -1;
    mp->group_floor = -1;
    mp->group_round = INT64_MAX;
}

void mir_partition_destroy(struct mir_partition *mp)
{
    mir_offsetmap_destroy(&mp->map);
    free(mp->unsent);
    mp->unsent = NULL;
    mp->n_unsent = mp->alloc_unsent = 0;
}

/* A commit point is stable only while no map entry is pending: an entry not
 * yet durable may describe a gap below the position, and a commit past it
 * followed by a crash would leave translation overshooting that gap. */
static void update_stable(struct mir_partition *mp)
{
    if (mp->n_unsent || mp->entries_inflight)
        return;
    mp->stable_pos = mp->done_src + 1;
    mp->stable_end_src = mp->map.end_src;
    mp->stable_end_dst = mp->map.end_dst;
}

void mir_partition_resume(struct mir_partition *mp, int64_t pos, int64_t end_src,
                          int64_t end_dst)
{
    mir_offsetmap_loaded(&mp->map, end_src, end_dst);
    mp->done_src = pos >= 0 ? pos - 1 : -1;
    mp->produced_src = mp->done_src;
    mp->skip_src = -1;
    mp->inflight = 0;
    mp->run_started = false;
    mp->committed_pos = pos;
    mp->stable_pos = pos;
    mp->stable_end_src = mp->map.end_src;
    mp->stable_end_dst = mp->map.end_dst;
}

void mir_partition_on_produce(struct mir_partition *mp, int64_t src)
{
    mp->inflight++;
    mp->produced_src = src;
}

void mir_partition_on_skip(struct mir_partition *mp, int64_t src)
{
    if (mp->inflight == 0) {
        mp->done_src = src;
        update_stable(mp);
    } else {
        mp->skip_src = src;
    }
    mp->produced_src = src;
}

void mir_partition_on_ack(struct mir_partition *mp, int64_t src, int64_t dst, int64_t ts,
                          int64_t size)
{
    bool run_start = !mp->run_started;
    mp->run_started = true;
    if (mp->inflight > 0)
        mp->inflight--;
    if (mir_offsetmap_ack(&mp->map, src, dst, run_start)) {
        if (mp->n_unsent == mp->alloc_unsent) {
            mp->alloc_unsent = mp->alloc_unsent ? 2 * mp->alloc_unsent : 4;
            mp->unsent = fy_realloc(mp->unsent, mp->alloc_unsent * sizeof *mp->unsent);
        }
        mp->unsent[mp->n_unsent++] = (struct mir_pending_entry){src, dst, run_start};
    }
    mp->done_src = src;
    /* records skipped while this one was in flight are done once it is */
    if (mp->inflight == 0 && mp->skip_src > src)
        mp->done_src = mp->skip_src;
    mp->last_ack_ts = ts;
    mp->records++;
    mp->bytes += size;
    update_stable(mp);
}

void mir_partition_on_fail(struct mir_partition *mp)
{
    if (mp->inflight > 0)
        mp->inflight--;
}

int mir_partition_entry_take(struct mir_partition *mp, struct mir_pending_entry *e)
{
    if (mp->n_unsent == 0)
        return -1;
    *e = mp->unsent[0];
    memmove(&mp->unsent[0], &mp->unsent[1], (mp->n_unsent - 1) * sizeof *mp->unsent);
    mp->n_unsent--;
    mp->entries_inflight++;
    return 0;
}

void mir_partition_entry_untake(struct mir_partition *mp, const struct mir_pending_entry *e)
{
    if (mp->n_unsent == mp->alloc_unsent) {
        mp->alloc_unsent = mp->alloc_unsent ? 2 * mp->alloc_unsent : 4;
        mp->unsent = fy_realloc(mp->unsent, mp->alloc_unsent * sizeof *mp->unsent);
    }
    /* back in source order: failed reports arrive oldest first, so putting
     * each at the front would reverse them (and a replay would apply them so) */
    size_t at = 0;
    while (at < mp->n_unsent && mp->unsent[at].src < e->src)
        at++;
    memmove(&mp->unsent[at + 1], &mp->unsent[at], (mp->n_unsent - at) * sizeof *mp->unsent);
    mp->unsent[at] = *e;
    mp->n_unsent++;
    mp->entries_inflight--;
}

void mir_partition_on_entry_ack(struct mir_partition *mp)
{
    if (mp->entries_inflight > 0)
        mp->entries_inflight--;
    update_stable(mp);
}

bool mir_partition_commit_point(const struct mir_partition *mp, int64_t *pos, int64_t *end_src,
                                int64_t *end_dst)
{
    if (mp->stable_pos < 0 || mp->stable_pos <= mp->committed_pos)
        return false;
    *pos = mp->stable_pos;
    *end_src = mp->stable_end_src;
    *end_dst = mp->stable_end_dst;
    return true;
}

int64_t mir_partition_lag(const struct mir_partition *mp)
{
    if (mp->hwm < 0)
        return 0;
    int64_t lag = mp->hwm - (mp->done_src + 1);
    return lag > 0 ? lag : 0;
}

void mir_partition_observe(struct mir_partition *mp, int64_t end, int64_t now_ms)
{
    int64_t next = mp->done_src + 1;
    /* forget what is mirrored: an observation of end <= next is about records all done */
    int drop = 0;
    while (drop < mp->n_seen && mp->seen[drop].end <= next)
        drop++;
    if (drop) {
        memmove(&mp->seen[0], &mp->seen[drop], (size_t)(mp->n_seen - drop) * sizeof mp->seen[0]);
        mp->n_seen -= drop;
    }
    if (end <= next || (mp->n_seen && end <= mp->seen[mp->n_seen - 1].end))
        return;
    if (mp->n_seen == MIR_SEEN_MAX) {
        /* full: the newest entry covers the new end too, with its older time */
        mp->seen[mp->n_seen - 1].end = end;
        return;
    }
    mp->seen[mp->n_seen++] = (struct mir_seen){end, now_ms};
}

int64_t mir_partition_lag_ms(const struct mir_partition *mp, int64_t now_ms)
{
    if (mir_partition_lag(mp) == 0)
        return 0;
    int64_t next = mp->done_src + 1;
    for (int i = 0; i < mp->n_seen; i++)
        if (mp->seen[i].end > next)
            return now_ms > mp->seen[i].ms ? now_ms - mp->seen[i].ms : 0;
    /* lag without an observation of it (end offset from a restart): since it was last 0 */
    int64_t since = mp->caught_up_ms;
    return since > 0 && now_ms > since ? now_ms - since : 0;
}

bool mir_partition_idle(const struct mir_partition *mp)
{
    return mp->inflight == 0 && mp->n_unsent == 0 && mp->entries_inflight == 0;
}

void mir_partition_advance(struct mir_partition *mp, int64_t next)
{
    if (mp->inflight != 0 || next - 1 <= mp->done_src)
        return;
    mp->done_src = next - 1;
    update_stable(mp);
}
