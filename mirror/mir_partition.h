/* SPDX-License-Identifier: Apache-2.0
 * mir_partition: bookkeeping of one mirrored partition — what was fetched,
 * produced, acknowledged and skipped, which offset-map entries still have to
 * become durable, and so which source position may be committed: only one
 * below which the destination acknowledged everything and the map covering
 * it is durable (Brooklin's flushless watermark, mirroring.md §0.5, §5.2).
 * The idempotent producer acknowledges one partition in order, so the
 * watermark is simply the last acknowledged offset.
 * Thread: mirror worker only (delivery reports are served on that thread). */
#ifndef MIR_PARTITION_H
#define MIR_PARTITION_H

#include "mirror/mir_offsetmap.h"

#include <stdbool.h>
#include <stdint.h>

#define MIR_SEEN_MAX 32

struct mir_pending_entry {
    int64_t src, dst;
    bool run_start;
};

struct mir_partition {
    int32_t partition;
    struct mir_offsetmap map;
    int64_t done_src;     /* all source offsets <= done_src acknowledged or skipped; -1 */
    int64_t skip_src;     /* highest skipped offset while records were in flight; -1 */
    int64_t inflight;     /* produced, not yet acknowledged */
    int64_t produced_src; /* last produced source offset; -1 */
    bool run_started;     /* first record of this run acknowledged */
    /* offset-map entries not yet durable: `unsent` wait to be produced,
     * `entries_inflight` were produced and await their acknowledgement */
    struct mir_pending_entry *unsent;
    size_t n_unsent, alloc_unsent;
    int64_t entries_inflight;
    /* last safe commit point: position, and the last mirrored record below it */
    int64_t stable_pos, stable_end_src, stable_end_dst;
    int64_t committed_pos;   /* last position sent to the commit; -1 */
    /* lag inputs */
    int64_t hwm;             /* source high watermark as last seen; -1 unknown */
    int64_t last_ack_ts;     /* timestamp of the last acknowledged record (ms); -1 */
    int64_t caught_up_ms;    /* wall time lag was last seen 0 */
    /* when the mirror saw the source end move: (end, first wall ms seen), in
     * order, oldest first; only ends above the mirrored position are kept */
    struct mir_seen {
        int64_t end, ms;
    } seen[MIR_SEEN_MAX];
    int n_seen;
    int64_t records, bytes;  /* mirrored so far in this process */
    int64_t delivery_errors; /* records the destination refused, in this process */
    bool assigned;           /* in the source consumer's assignment */
    bool resumed;            /* stored position applied (once per process) */
    bool start_pending;      /* assigned at the source's end (mirror.start.offset=latest)
                              * and that end is not known and durable yet */
    int64_t retention_skipped; /* records the source deleted (retention, DeleteRecords)
                                * before the mirror copied them, in this process */
    bool from_start;         /* assigned at the source's beginning with nothing copied:
                              * what lies below the log start counts as deleted */
    /* the lowest committed source position of the selected groups at the
     * last complete group sync: -1 before the first one, INT64_MAX when no
     * group has one here; `group_round` collects it during a sync, for a
     * partition that existed when the sync began (`group_counted`) */
    int64_t group_floor, group_round;
    bool group_counted;
};

void mir_partition_init(struct mir_partition *mp, int32_t partition);
void mir_partition_destroy(struct mir_partition *mp);

/* Resume after a restart at source position `pos` (next offset to read; -1
 * none) with the last mirrored record (end_src, end_dst) from the commit. */
void mir_partition_resume(struct mir_partition *mp, int64_t pos, int64_t end_src,
                          int64_t end_dst);

/* Record `src` handed to the producer. */
void mir_partition_on_produce(struct mir_partition *mp, int64_t src);
/* Record `src` skipped (not mirrored, e.g. it came from the destination). */
void mir_partition_on_skip(struct mir_partition *mp, int64_t src);
/* Nothing is in flight and the consumer's position is `next`: offsets below
 * it that were never delivered (transaction markers, a trailing gap) are done. */
void mir_partition_advance(struct mir_partition *mp, int64_t next);
/* The destination acknowledged `src` at `dst` (record timestamp `ts`, `size`
 * bytes). Adds an offset-map entry to `unsent` when one is needed. */
void mir_partition_on_ack(struct mir_partition *mp, int64_t src, int64_t dst, int64_t ts,
                          int64_t size);
/* A delivery failed: the record counts as no longer in flight, nothing else moves. */
void mir_partition_on_fail(struct mir_partition *mp);
/* Take the oldest unsent entry into flight: 0 and *e, or -1 when none. */
int mir_partition_entry_take(struct mir_partition *mp, struct mir_pending_entry *e);
/* Put a taken entry back (the produce was refused, e.g. queue full, or its
 * delivery failed), in source order among the unsent ones. */
void mir_partition_entry_untake(struct mir_partition *mp, const struct mir_pending_entry *e);
/* The destination acknowledged the oldest in-flight entry. */
void mir_partition_on_entry_ack(struct mir_partition *mp);

/* The position to commit now: true and *pos, *end_src and *end_dst when it moved
 * past the last committed one. */
bool mir_partition_commit_point(const struct mir_partition *mp, int64_t *pos, int64_t *end_src,
                                int64_t *end_dst);

/* Lag in records: source high watermark minus the next offset to mirror (0 when unknown). */
int64_t mir_partition_lag(const struct mir_partition *mp);
/* The source end offset was `end` at wall time `now_ms` (as the mirror saw it). */
void mir_partition_observe(struct mir_partition *mp, int64_t end, int64_t now_ms);
/* Lag in ms at wall time `now_ms`: 0 when caught up, else how long ago the
 * mirror first saw the oldest record it has not mirrored — measured from
 * what the mirror observed, never from record timestamps (a producer's clock
 * can be anywhere). At most MIR_SEEN_MAX observations are kept; merging
 * them only makes the answer older (an upper bound), never younger. */
int64_t mir_partition_lag_ms(const struct mir_partition *mp, int64_t now_ms);
/* True when nothing is in flight and no entry is waiting. */
bool mir_partition_idle(const struct mir_partition *mp);

#endif
