/* SPDX-License-Identifier: Apache-2.0
 * mir_offsetmap: the source→destination offset map of one mirrored partition.
 * A produce API cannot keep offsets, so the mirror records (src, dst) only
 * where dst - src changes (a source gap: compaction, transaction markers,
 * skipped records; or a new run after a restart) — mirroring.md §0.2, §5.3.
 * The map is piecewise constant, which makes translation exact inside runs,
 * and translation errs early, never late: a group moved to a translated
 * offset re-reads at worst, it never skips a record (KAFKA-12468).
 * Entries are persisted by the worker in the state topic on the destination
 * (mir_state.c); this module is pure data structure.
 * Bounded: entries below every position anyone can still translate (the
 * oldest selected group's committed position, the source log start, the
 * mirror's own durable position) expire; what they knew is kept as one lower
 * bound of dst - src, so a position below the first kept entry still
 * translates early, never late (mir_offsetmap_expire).
 * Thread: owned by the mirror worker; not synchronised. */
#ifndef MIR_OFFSETMAP_H
#define MIR_OFFSETMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mir_omap_entry {
    int64_t src; /* first source offset of a run */
    int64_t dst; /* its destination offset; the run maps s -> s + (dst - src) */
};

struct mir_offsetmap {
    struct mir_omap_entry *e; /* sorted by src, strictly increasing */
    size_t n, alloc;
    int64_t end_src; /* last mirrored (acknowledged) record, -1 when none */
    int64_t end_dst;
    /* after an expiry: the smallest dst - src of every expired run, a lower
     * bound for positions before e[0] (has_base false: nothing expired) */
    bool has_base;
    int64_t base_delta;
    int64_t expired; /* entries expired in this process */
};

void mir_offsetmap_init(struct mir_offsetmap *m);
void mir_offsetmap_destroy(struct mir_offsetmap *m);

/* The destination acknowledged source offset `src` at `dst`; acks arrive in
 * source order. `run_start` marks the first record of a run (after a start or
 * a rewind), which supersedes whatever the map said about src and later.
 * Returns true when a new entry was added: the caller must persist
 * (src, dst, run_start) before committing any source position past `src`. */
bool mir_offsetmap_ack(struct mir_offsetmap *m, int64_t src, int64_t dst, bool run_start);

/* Replay one persisted entry, in log order (same rules as ack, end unchanged). */
void mir_offsetmap_apply(struct mir_offsetmap *m, int64_t src, int64_t dst, bool run_start);

/* After replay: the last record known mirrored, from the committed position's
 * metadata (-1, -1 when none). Entries past it were persisted ahead of a
 * commit that never happened, so they are dropped. */
void mir_offsetmap_loaded(struct mir_offsetmap *m, int64_t end_src, int64_t end_dst);

/* Expire the entries whose runs lie wholly below source position `floor`:
 * every entry before the one that contains `floor` (the last with src <=
 * floor), so at least one entry always stays and translation at or after
 * `floor` is unchanged, exactly. The dropped runs' smallest delta joins the
 * base. Returns how many were dropped and, when that is > 0, their src keys
 * in *gone (**new** array, in order; NULL otherwise): the caller persists
 * the new base (mir_offsetmap_base_encode) before their tombstones, so a
 * crash between the two never leaves positions without a lower bound. */
size_t mir_offsetmap_expire(struct mir_offsetmap *m, int64_t floor, int64_t **gone);

/* Replay: a persisted base (the lower bound of dst - src before e[0]). */
void mir_offsetmap_apply_base(struct mir_offsetmap *m, int64_t delta);
/* Replay: the entry starting at `src` was expired (its tombstone). */
void mir_offsetmap_remove(struct mir_offsetmap *m, int64_t src);

/* Translate a source position `pos` (next offset to read, as consumer groups
 * commit) into a destination position that is at or before the true one:
 * min(pos + delta of the run containing it, first dst of the next run, or
 * end_dst + 1); before the first entry, after an expiry, min(pos + base,
 * first dst) (never below 0). 0 and *out, or -1 when nothing has been mirrored. */
int mir_offsetmap_translate(const struct mir_offsetmap *m, int64_t pos, int64_t *out);

/* The base record's value: "{"delta":D}" (**new**); decode: 0, or -1 on
 * malformed input. */
char *mir_offsetmap_base_encode(int64_t delta);
int mir_offsetmap_base_decode(const void *val, size_t len, int64_t *delta);

/* Encode/decode a persisted entry value: "{"src":S,"dst":D,"run":B}".
 * decode returns 0, or -1 on malformed input. */
char *mir_offsetmap_entry_encode(int64_t src, int64_t dst, bool run_start); /* new */
int mir_offsetmap_entry_decode(const void *val, size_t len, int64_t *src, int64_t *dst,
                               bool *run_start);

#endif
